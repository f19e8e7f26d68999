package dev.streamfold.compiler.lower;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.streamfold.compiler.kir.KInstr;
import dev.streamfold.compiler.kir.KirEvaluator;
import dev.streamfold.compiler.vector.InProcessCompiler;
import dev.streamfold.compiler.vector.VectorKernels;
import dev.streamfold.ir.DType;
import dev.streamfold.ir.Shape;
import dev.streamfold.ir.Tensor;
import dev.streamfold.ir.expr.MatrixBinder;
import dev.streamfold.ir.stream.Bindings;
import dev.streamfold.ir.stream.ParamLayout;
import dev.streamfold.ir.stream.StreamingEval;
import dev.streamfold.ir.stream.StreamingMatrix;
import dev.streamfold.runtime.StepKernel;
import dev.streamfold.runtime.StreamingRunner;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Banded Toeplitz steps with more bands than the shift form keeps lower to one ring state buffer and one loop over its
 * rows, whatever the band count; under the kernel IR evaluator, stepped with its state kept from step to step, they
 * give what the reference interpreter gives for the whole sequence, past the point where the ring wraps. The Vector
 * API kernel rendered from them, stepped by a {@link StreamingRunner} that owns the state, gives the evaluator's bits
 * step after step, on any number of threads, with its input in memory or generated block by block, and its whole
 * scan gives what its steps give.
 */
class RingStepKirTest {
    private static final int N = 5;

    static String coefficients(int bands) {
        SplittableRandom r = new SplittableRandom(bands);
        return IntStream.range(0, bands).mapToObj(i -> Double.toString(i == 0 ? 1.5 : r.nextDouble(-0.5, 0.5)))
                .collect(Collectors.joining(", ", "[", "]"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"toeplitz", "inverse(toeplitz", "toeplitz_inverse"})
    void ringStepsMatchTheInterpreter(String op) {
        for (int bands : new int[] {18, 40}) {
            String expr = op + "(coef=" + coefficients(bands) + ")" + (op.startsWith("inverse") ? ")" : "");
            StreamingMatrix m = MatrixBinder.parse(expr);
            List<Tensor> values = ParamLayout.of(m).bind(m, Bindings.NONE, DType.F64);
            StepKir s = VectorKernels.lowerKir(m, values, DType.F64);
            assertEquals(1, s.stateCount(), s.toString());
            assertEquals(bands - 1, s.kernel().buffers().get(s.state(0)).elements(), s.toString());
            assertEquals(1, s.kernel().body().stream().filter(i -> i instanceof KInstr.Loop).count(), s.toString());
            int steps = 2 * bands + 3;
            SplittableRandom r = new SplittableRandom(bands);
            double[] x = new double[steps * N];
            for (int i = 0; i < x.length; i++) {
                x[i] = r.nextDouble(-2, 2);
            }
            double[] want = StreamingEval.multiply(m, Bindings.NONE, Tensor.of(DType.F64, new Shape(steps, N), x)).raw();
            double[][] buffers = new double[s.kernel().buffers().size()][];
            buffers[s.state(0)] = new double[(bands - 1) * N];
            for (int p = 0; p < s.paramCount(); p++) {
                buffers[s.param(p)] = values.get(p).data();
            }
            for (int t = 0; t < steps; t++) {
                buffers[StepKir.X] = Arrays.copyOfRange(x, t * N, (t + 1) * N);
                buffers[StepKir.Y] = new double[N];
                KirEvaluator.run(s.kernel(), buffers, new double[] {t}, N);
                for (int i = 0; i < N; i++) {
                    double w = want[t * N + i];
                    assertEquals(w, buffers[StepKir.Y][i], 1e-12 * Math.max(1, Math.abs(w)), expr + " step " + t + " element " + i);
                }
            }
            assertTrue(s.toString().contains("rem"), s.toString());
        }
    }

    /** Ring steps of 18, 21 and 40 bands (rows a multiple of four or not), alone and composed, in both element types. */
    static Stream<Arguments> rings() {
        Stream.Builder<Arguments> b = Stream.builder();
        for (DType dtype : new DType[] {DType.F32, DType.F64}) {
            for (int bands : new int[] {18, 21, 40}) {
                b.add(Arguments.of("toeplitz(coef=" + coefficients(bands) + ")", dtype));
                b.add(Arguments.of("inverse(toeplitz(coef=" + coefficients(bands) + "))", dtype));
                b.add(Arguments.of("toeplitz_inverse(coef=" + coefficients(bands) + ")", dtype));
            }
            b.add(Arguments.of("prefix_sum @ toeplitz(coef=" + coefficients(40) + ")", dtype));
        }
        return b.build();
    }

    private record Bound(StepKir kir, StepKernel kernel, double[][] params) {
        static Bound of(String expr, DType dtype) {
            StreamingMatrix m = MatrixBinder.parse(expr);
            List<Tensor> values = ParamLayout.of(m).bind(m, Bindings.NONE, dtype);
            StepKir s = VectorKernels.lowerKir(m, values, dtype);
            double[][] params = new double[values.size()][];
            for (int p = 0; p < params.length; p++) {
                params[p] = values.get(p).data();
            }
            return new Bound(s, VectorKernels.load(s, m.describe()), params);
        }

        int rows(int k) {
            return kir.kernel().buffers().get(kir.state(k)).elements();
        }
    }

    @ParameterizedTest
    @MethodSource("rings")
    void theRenderedKernelStepsAsTheEvaluatorThroughTheRunner(String expr, DType dtype) {
        int length = 37;
        Bound b = Bound.of(expr, dtype);
        StepKir s = b.kir();
        assertTrue(IntStream.range(0, s.stateCount()).anyMatch(k -> b.rows(k) > 1), s.toString());
        for (int k = 0; k < s.stateCount(); k++) {
            assertEquals(b.rows(k), b.kernel().stateRows(k), "rows of state buffer " + k);
        }
        for (int threads : new int[] {1, 3}) {
            double[][] buffers = new double[s.kernel().buffers().size()][];
            for (int k = 0; k < s.stateCount(); k++) {
                buffers[s.state(k)] = new double[b.rows(k) * length];
            }
            for (int p = 0; p < s.paramCount(); p++) {
                buffers[s.param(p)] = b.params()[p];
            }
            SplittableRandom r = new SplittableRandom(threads);
            try (Arena arena = Arena.ofShared();
                    StreamingRunner runner = new StreamingRunner(b.kernel(), b.params(), length, threads)) {
                MemorySegment xs = arena.allocate((long) length * bytes(dtype), 64);
                MemorySegment ys = arena.allocate((long) length * bytes(dtype), 64);
                for (int t = 0; t < 100; t++) {
                    double[] x = new double[length];
                    for (int i = 0; i < length; i++) {
                        x[i] = dtype.round(r.nextDouble(-2, 2));
                    }
                    write(xs, x, dtype);
                    runner.next(xs, ys);
                    buffers[StepKir.X] = x;
                    buffers[StepKir.Y] = new double[length];
                    KirEvaluator.run(s.kernel(), buffers, new double[] {t}, length);
                    assertArrayEquals(bits(buffers[StepKir.Y]), bits(read(ys, length, dtype)),
                            expr + " " + dtype + ", " + threads + " threads, y of step " + t);
                }
                List<MemorySegment> state = runner.state();
                int row = 0;
                for (int k = 0; k < s.stateCount(); k++) {
                    for (int rr = 0; rr < b.rows(k); rr++, row++) {
                        assertArrayEquals(bits(Arrays.copyOfRange(buffers[s.state(k)], rr * length, (rr + 1) * length)),
                                bits(read(state.get(row), length, dtype)), expr + " " + dtype + ", state " + k + " row " + rr);
                    }
                }
                assertEquals(row, state.size());
            }
        }
    }

    /**
     * On a slice long enough for the runner to split it between threads, steps on 1 and 3 threads, steps on input
     * generated block by block (the runner then hands the kernel state rows sliced at each block) and one whole scan
     * give the same bits, past the ring's wrap.
     */
    @ParameterizedTest
    @ValueSource(strings = {"F32:inverse(toeplitz:40", "F64:toeplitz:18", "F64:prefix_sum @ toeplitz:40"})
    void stepsOnAnyThreadsGeneratedInputAndTheScanAgree(String spec) {
        String[] part = spec.split(":");
        DType dtype = DType.valueOf(part[0]);
        int bands = Integer.parseInt(part[2]);
        String expr = part[1] + "(coef=" + coefficients(bands) + ")" + (part[1].startsWith("inverse(") ? ")" : "");
        Bound b = Bound.of(expr, dtype);
        long length = 2L * StreamingRunner.CHUNK + 37;
        int steps = bands + 5;
        long rowBytes = length * bytes(dtype);
        StreamingRunner.InputSource source = (t, from, dst, count) -> {
            for (int i = 0; i < count; i++) {
                double v = dtype.round(input(t, from + i));
                if (dtype == DType.F32) {
                    dst.setAtIndex(ValueLayout.JAVA_FLOAT, i, (float) v);
                } else {
                    dst.setAtIndex(ValueLayout.JAVA_DOUBLE, i, v);
                }
            }
        };
        try (Arena arena = Arena.ofShared();
                StreamingRunner one = new StreamingRunner(b.kernel(), b.params(), length, 1);
                StreamingRunner three = new StreamingRunner(b.kernel(), b.params(), length, 3);
                StreamingRunner generated = new StreamingRunner(b.kernel(), b.params(), length, 3);
                StreamingRunner scan = new StreamingRunner(b.kernel(), b.params(), length, 3)) {
            MemorySegment xs = arena.allocate(steps * rowBytes, 64);
            for (int t = 0; t < steps; t++) {
                source.fill(t, 0, xs.asSlice(t * rowBytes, rowBytes), (int) length);
            }
            MemorySegment ys = arena.allocate(steps * rowBytes, 64);
            scan.scan(steps, xs, ys);
            MemorySegment y = arena.allocate(rowBytes, 64);
            for (int t = 0; t < steps; t++) {
                MemorySegment want = ys.asSlice(t * rowBytes, rowBytes);
                MemorySegment x = xs.asSlice(t * rowBytes, rowBytes);
                one.next(x, y);
                assertEquals(-1, want.mismatch(y), expr + ": scan and 1-thread step " + t);
                three.next(x, y);
                assertEquals(-1, want.mismatch(y), expr + ": scan and 3-thread step " + t);
                generated.next(source, y);
                assertEquals(-1, want.mismatch(y), expr + ": scan and generated-input step " + t);
            }
            List<MemorySegment> want = scan.state();
            for (StreamingRunner other : List.of(one, three, generated)) {
                List<MemorySegment> got = other.state();
                assertEquals(want.size(), got.size());
                for (int r = 0; r < want.size(); r++) {
                    assertEquals(-1, want.get(r).mismatch(got.get(r)), expr + ": state row " + r + " after " + steps + " steps");
                }
            }
        }
    }

    /** A kernel of 4096 bands (a ring of 4095 rows) compiles without diagnostics and steps as the evaluator. */
    @Test
    void aRingOf4095RowsCompilesAndSteps() {
        int length = 37;
        for (DType dtype : new DType[] {DType.F32, DType.F64}) {
            StreamingMatrix m = MatrixBinder.parse("toeplitz(coef=" + coefficients(4096) + ")");
            List<Tensor> values = ParamLayout.of(m).bind(m, Bindings.NONE, dtype);
            StepKir s = VectorKernels.lowerKir(m, values, dtype);
            assertEquals(4095, s.kernel().buffers().get(s.state(0)).elements(), s.toString());
            String name = VectorKernels.PACKAGE + "." + VectorKernels.className(s);
            InProcessCompiler.Compiled c = InProcessCompiler.compile(name, VectorKernels.source(s, m.describe()).toString());
            assertEquals(List.of(), c.diagnostics());
            StepKernel kernel;
            try {
                kernel = (StepKernel) c.type().getDeclaredConstructor().newInstance();
            } catch (ReflectiveOperationException e) {
                throw new IllegalStateException(e);
            }
            assertEquals(4095, kernel.stateRows(0));
            SplittableRandom r = new SplittableRandom(4096);
            double[] x = new double[length];
            double[] state = new double[4095 * length];
            for (int i = 0; i < x.length; i++) {
                x[i] = dtype.round(r.nextDouble(-2, 2));
            }
            for (int i = 0; i < state.length; i++) {
                state[i] = dtype.round(r.nextDouble(-2, 2));
            }
            long t = 5000;
            double[][] buffers = new double[s.kernel().buffers().size()][];
            buffers[StepKir.X] = x;
            buffers[StepKir.Y] = new double[length];
            buffers[s.state(0)] = state.clone();
            for (int p = 0; p < s.paramCount(); p++) {
                buffers[s.param(p)] = values.get(p).data();
            }
            KirEvaluator.run(s.kernel(), buffers, new double[] {t}, length);
            double[][] params = new double[s.paramCount()][];
            for (int p = 0; p < params.length; p++) {
                params[p] = values.get(p).data();
            }
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment xs = arena.allocate((long) length * bytes(dtype), 64);
                MemorySegment ys = arena.allocate((long) length * bytes(dtype), 64);
                MemorySegment ss = arena.allocate((long) state.length * bytes(dtype), 64);
                write(xs, x, dtype);
                write(ss, state, dtype);
                kernel.step(t, params, xs, ys, new MemorySegment[] {ss}, length, 0, length);
                assertArrayEquals(bits(buffers[StepKir.Y]), bits(read(ys, length, dtype)), dtype + " y");
                assertArrayEquals(bits(buffers[s.state(0)]), bits(read(ss, state.length, dtype)), dtype + " state");
            }
        }
    }

    /** Element {@code i} of step {@code t}'s input: a pure function of both, in [-2, 2]. */
    private static double input(long t, long i) {
        long h = (t * 0x9E3779B97F4A7C15L) ^ (i * 0xC2B2AE3D27D4EB4FL);
        h ^= h >>> 31;
        return (h & 0xFFFF) / 16384.0 - 2;
    }

    private static int bytes(DType dtype) {
        return dtype == DType.F32 ? 4 : 8;
    }

    private static void write(MemorySegment m, double[] v, DType dtype) {
        for (int i = 0; i < v.length; i++) {
            if (dtype == DType.F32) {
                m.setAtIndex(ValueLayout.JAVA_FLOAT, i, (float) v[i]);
            } else {
                m.setAtIndex(ValueLayout.JAVA_DOUBLE, i, v[i]);
            }
        }
    }

    private static double[] read(MemorySegment m, int length, DType dtype) {
        double[] out = new double[length];
        for (int i = 0; i < length; i++) {
            out[i] = dtype == DType.F32 ? m.getAtIndex(ValueLayout.JAVA_FLOAT, i) : m.getAtIndex(ValueLayout.JAVA_DOUBLE, i);
        }
        return out;
    }

    private static long[] bits(double[] v) {
        long[] out = new long[v.length];
        for (int i = 0; i < v.length; i++) {
            out[i] = Double.doubleToLongBits(v[i]);
        }
        return out;
    }
}
