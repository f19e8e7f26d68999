package dev.streamfold.runtime;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The runner refuses parameters that do not fit the kernel's slots and buffers its workers cannot access. */
class StreamingRunnerGuardTest {
    /** A float64 BLT with two buffers, written by hand: {@code y = x + sum_k omega_k s_k; s_k = theta_k s_k + x}. */
    static final class TwoBufferBlt implements StepKernel {
        @Override
        public ElementType elementType() {
            return ElementType.FLOAT64;
        }

        @Override
        public int paramCount() {
            return 2;
        }

        @Override
        public List<ParamSlot> paramSlots() {
            return List.of(new ParamSlot("blt buf_decay", 2, ParamSlot.Rule.DECREASING),
                    new ParamSlot("blt output_scale", 2, ParamSlot.Rule.FINITE));
        }

        @Override
        public int stateCount() {
            return 2;
        }


        @Override

        public int stateRows(int k) {

            return 1;

        }

        @Override
        public void step(long t, double[][] p, MemorySegment x, MemorySegment y, MemorySegment[] s, long ss, long from, long to) {
            for (long i = from; i < to; i++) {
                double xi = x.getAtIndex(ValueLayout.JAVA_DOUBLE, i);
                double yi = xi;
                for (int k = 0; k < 2; k++) {
                    double sk = s[k].getAtIndex(ValueLayout.JAVA_DOUBLE, i);
                    yi += p[1][k] * sk;
                    s[k].setAtIndex(ValueLayout.JAVA_DOUBLE, i, p[0][k] * sk + xi);
                }
                y.setAtIndex(ValueLayout.JAVA_DOUBLE, i, yi);
            }
        }

        @Override
        public void scan(long t0, int steps, double[][] p, MemorySegment x, MemorySegment y, long stride, MemorySegment[] s,
                long ss, long from, long to) {
            for (int k = 0; k < steps; k++) {
                step(t0 + k, p, x.asSlice(k * stride * 8), y.asSlice(k * stride * 8), s, ss, from, to);
            }
        }
    }

    private static String refusal(double[][] params) {
        return assertThrows(IllegalArgumentException.class, () -> new StreamingRunner(new TwoBufferBlt(), params, 8, 1))
                .getMessage();
    }

    @Test
    void refusesArraysShorterThanTheKernelsBuffers() {
        assertEquals("blt buf_decay has 1 entries, but the kernel was compiled for 2 (the number of entries is structure: "
                + "compile a kernel for 1)", refusal(new double[][] {{0.9}, {0.1}}));
        assertTrue(refusal(new double[][] {{0.9, 0.5}, {0.1, 0.2, 0.3}}).startsWith("blt output_scale has 3 entries"));
    }

    @Test
    void refusesUnsortedDecayAndNonFiniteValues() {
        assertTrue(refusal(new double[][] {{0.5, 0.9}, {0.1, 0.2}})
                .startsWith("blt buf_decay must be sorted by decreasing value, as the expression language binds it, but "
                        + "blt buf_decay[1] = 0.9 > blt buf_decay[0] = 0.5"));
        assertEquals("blt output_scale[1] = NaN is not finite", refusal(new double[][] {{0.9, 0.5}, {0.1, Double.NaN}}));
        assertEquals("the kernel takes 2 parameter slots, got 1", refusal(new double[][] {{0.9, 0.5}}));
    }

    @Test
    void acceptsTiesAndRunsTheCompiledMechanism() {
        try (StreamingRunner r = new StreamingRunner(new TwoBufferBlt(), new double[][] {{0.5, 0.5}, {1, 2}}, 4, 1);
                Arena arena = Arena.ofConfined()) {
            MemorySegment x = arena.allocateFrom(ValueLayout.JAVA_DOUBLE, 1, 1, 1, 1);
            MemorySegment y = arena.allocate(ValueLayout.JAVA_DOUBLE, 4);
            r.next(x, y);
            r.next(x, y);
            assertArrayEquals(new double[] {4, 4, 4, 4}, y.toArray(ValueLayout.JAVA_DOUBLE));
        }
    }

    @Test
    void refusesConfinedBuffersOnWorkerThreadsWhateverTheSize() {
        try (StreamingRunner r = new StreamingRunner(new TwoBufferBlt(), new double[][] {{0.9, 0.5}, {0.1, 0.2}}, 16, 2);
                Arena confined = Arena.ofConfined();
                Arena shared = Arena.ofShared()) {
            MemorySegment x = shared.allocate(ValueLayout.JAVA_DOUBLE, 16);
            MemorySegment y = confined.allocate(ValueLayout.JAVA_DOUBLE, 16);
            String m = assertThrows(IllegalArgumentException.class, () -> r.next(x, y)).getMessage();
            assertTrue(m.startsWith("y belongs to a confined arena"), m);
            assertTrue(m.contains("Arena.ofShared(), Arena.global() or Arena.ofAuto()"), m);
            assertEquals(0, r.step());
            MemorySegment sharedY = shared.allocate(ValueLayout.JAVA_DOUBLE, 16);
            r.next(x, sharedY);
            assertEquals(1, r.step());
        }
    }
}
