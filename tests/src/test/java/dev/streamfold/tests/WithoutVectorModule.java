package dev.streamfold.tests;

import dev.streamfold.generated.GeneratedKernels;
import dev.streamfold.runtime.ElementType;
import dev.streamfold.runtime.NoiseGenerator;
import dev.streamfold.runtime.ParamSlot;
import dev.streamfold.runtime.StepKernel;
import java.lang.foreign.MemorySegment;
import java.util.List;

/**
 * A service's first calls, for {@link VectorModuleMissingTest} to run in a JVM started without
 * {@code --add-modules=jdk.incubator.vector}: prints each call's exception class and message, one a line.
 */
public final class WithoutVectorModule {
    private WithoutVectorModule() {}

    public static void main(String[] args) {
        try {
            StepKernel k = GeneratedKernels.kernel("prefix_sum_f64");
            System.out.println("kernel loaded: " + k);
        } catch (RuntimeException | LinkageError e) {
            System.out.println(e.getClass().getName() + ": " + e.getMessage());
        }
        try (NoiseGenerator g = new NoiseGenerator(new CountingKernel(), new double[0][], 8, 1, 1, 1, 0)) {
            System.out.println("generator made: " + g);
        } catch (RuntimeException | LinkageError e) {
            System.out.println(e.getClass().getName() + ": " + e.getMessage());
        }
    }

    /** A kernel with no Vector API code, so that only the generator's own need for the module shows. */
    static final class CountingKernel implements StepKernel {
        @Override
        public ElementType elementType() {
            return ElementType.FLOAT32;
        }

        @Override
        public int paramCount() {
            return 0;
        }

        @Override
        public List<ParamSlot> paramSlots() {
            return List.of();
        }

        @Override
        public int stateCount() {
            return 0;
        }


        @Override

        public int stateRows(int k) {

            return 1;

        }

        @Override
        public void step(long t, double[][] p, MemorySegment x, MemorySegment y,
                MemorySegment[] s, long ss, long from, long to) {
            MemorySegment.copy(x, from * 4, y, from * 4, (to - from) * 4);
        }

        @Override
        public void scan(long t0, int steps, double[][] p, MemorySegment x,
                MemorySegment y, long stride, MemorySegment[] s, long ss, long from, long to) {
            for (int k = 0; k < steps; k++) {
                step(t0 + k, p, x.asSlice(k * stride * 4), y.asSlice(k * stride * 4), s, ss, from, to);
            }
        }
    }
}
