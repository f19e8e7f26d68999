package dev.streamfold.compiler.llvm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.streamfold.compiler.kir.KInstr;
import dev.streamfold.compiler.kir.KirEvaluator;
import dev.streamfold.compiler.lower.StepKir;
import dev.streamfold.compiler.vector.VectorKernels;
import dev.streamfold.ir.DType;
import dev.streamfold.ir.Tensor;
import dev.streamfold.ir.expr.MatrixBinder;
import dev.streamfold.ir.stream.Bindings;
import dev.streamfold.ir.stream.ParamLayout;
import dev.streamfold.ir.stream.StreamingMatrix;
import dev.streamfold.runtime.noise.GaussianNoise;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Banded Toeplitz steps with a ring state buffer (one multi-row state buffer read by a loop over its rows) on the
 * LLVM host and the GPU form: the JIT-compiled kernel equals the kernel IR evaluator bit for bit, step after step past
 * the point where the ring wraps, through {@code step}, {@code scan} and {@code noiseStep}, with a state stride wider
 * than the slice and calls on sub-ranges, within one block of the host loop and across several; the host loop's row
 * passes vectorize; the GPU form assembles.
 */
class LlvmRingStepTest {
    private static final LlvmToolchain LLVM = new LlvmToolchain();
    /** Elements of the slice. */
    private static final int N = 37;
    /** Steps run, more than twice the largest ring's rows. */
    private static final int STEPS = 100;
    /** The state stride of the host calls: wider than the slice, so rows do not follow each other. */
    private static final long STRIDE = N + 5;

    static String coefficients(int bands) {
        SplittableRandom r = new SplittableRandom(bands);
        return IntStream.range(0, bands).mapToObj(i -> Double.toString(i == 0 ? 1.5 : r.nextDouble(-0.5, 0.5)))
                .collect(Collectors.joining(", ", "[", "]"));
    }

    /** A 30 x bands P whose bands vary along its rows, so the weights depend on the step that wrote each ring row. */
    static String bandedParams(int bands) {
        SplittableRandom r = new SplittableRandom(bands + 1);
        return IntStream.range(0, 30).mapToObj(row -> IntStream.range(0, bands)
                        .mapToObj(j -> Double.toString(j == 0 ? r.nextDouble(1, 2) : r.nextDouble(-0.5, 0.5)))
                        .collect(Collectors.joining(", ", "[", "]")))
                .collect(Collectors.joining(", ", "[", "]"));
    }

    static String expression(String op, int bands) {
        return switch (op) {
            case "toeplitz" -> "toeplitz(coef=" + coefficients(bands) + ")";
            case "inverse" -> "inverse(toeplitz(coef=" + coefficients(bands) + "))";
            case "toeplitz_inverse" -> "toeplitz_inverse(coef=" + coefficients(bands) + ")";
            case "banded" -> "column_normalized_banded(params=" + bandedParams(bands) + ")";
            case "banded_inverse" -> "inverse(column_normalized_banded(params=" + bandedParams(bands) + "))";
            default -> throw new IllegalArgumentException(op);
        };
    }

    static Stream<Arguments> rings() {
        List<Arguments> a = new ArrayList<>();
        for (String op : List.of("toeplitz", "inverse", "toeplitz_inverse", "banded", "banded_inverse")) {
            for (int bands : new int[] {18, 40}) {
                for (DType d : new DType[] {DType.F32, DType.F64}) {
                    a.add(Arguments.of(op, bands, d));
                }
            }
        }
        return a.stream();
    }

    /** A ring kernel and its parameter values. */
    record Ring(StepKir kir, double[][] params, String description) {
        int bytes() {
            return kir.dtype() == DType.F32 ? 4 : 8;
        }

        int rows(int state) {
            return kir.kernel().buffers().get(kir.state(state)).elements();
        }
    }

    static Ring ring(String expr, DType dtype) {
        StreamingMatrix m = MatrixBinder.parse(expr);
        List<Tensor> values = ParamLayout.of(m).bind(m, Bindings.NONE, dtype);
        StepKir k = VectorKernels.lowerKir(m, values, dtype);
        return new Ring(k, values.stream().map(Tensor::data).toArray(double[][]::new), m.describe());
    }

    /** The kernel IR evaluator stepped with its state kept from step to step: the reference. */
    static final class Reference {
        final Ring ring;
        /** Elements of the slice. */
        final int n;
        final double[][] buffers;

        Reference(Ring ring) {
            this(ring, N);
        }

        Reference(Ring ring, int n) {
            this.ring = ring;
            this.n = n;
            StepKir k = ring.kir();
            this.buffers = new double[k.kernel().buffers().size()][];
            for (int b = 0; b < k.stateCount(); b++) {
                buffers[k.state(b)] = new double[ring.rows(b) * n];
            }
            for (int p = 0; p < k.paramCount(); p++) {
                buffers[k.param(p)] = ring.params()[p];
            }
        }

        /** Step t on input x (n values); returns y. */
        double[] step(long t, double[] x) {
            buffers[StepKir.X] = x.clone();
            buffers[StepKir.Y] = new double[n];
            KirEvaluator.run(ring.kir().kernel(), buffers, new double[] {t}, n);
            return buffers[StepKir.Y];
        }
    }

    /** The input of step t: values of the kernel's element type. */
    static double[] input(long t, DType dtype) {
        return input(t, dtype, N);
    }

    /** The input of step t on a slice of n elements. */
    static double[] input(long t, DType dtype, int n) {
        SplittableRandom r = new SplittableRandom(1000 + t);
        double[] x = new double[n];
        for (int i = 0; i < n; i++) {
            x[i] = dtype == DType.F32 ? (float) r.nextDouble(-2, 2) : r.nextDouble(-2, 2);
        }
        return x;
    }

    static void write(MemorySegment s, long at, double v, DType dtype) {
        if (dtype == DType.F32) {
            s.setAtIndex(ValueLayout.JAVA_FLOAT, at, (float) v);
        } else {
            s.setAtIndex(ValueLayout.JAVA_DOUBLE, at, v);
        }
    }

    static double read(MemorySegment s, long at, DType dtype) {
        return dtype == DType.F32 ? s.getAtIndex(ValueLayout.JAVA_FLOAT, at) : s.getAtIndex(ValueLayout.JAVA_DOUBLE, at);
    }

    static void assertBits(double want, double got, String what) {
        if (Double.doubleToRawLongBits(want) != Double.doubleToRawLongBits(got)) {
            throw new AssertionError(what + ": got " + got + ", the evaluator gives " + want);
        }
    }

    /** Every row of every state buffer, {@code stride} elements apart in {@code state}, equals the reference's. */
    static void assertStates(Reference ref, MemorySegment[] state, long stride, String what) {
        StepKir k = ref.ring.kir();
        for (int b = 0; b < k.stateCount(); b++) {
            for (int r = 0; r < ref.ring.rows(b); r++) {
                for (int i = 0; i < ref.n; i++) {
                    assertBits(ref.buffers[k.state(b)][r * ref.n + i], read(state[b], r * stride + i, k.dtype()),
                            what + ": state " + b + " row " + r + " element " + i);
                }
            }
        }
    }

    static MemorySegment[] states(Arena arena, Ring ring, long stride) {
        return states(arena, ring, stride, N);
    }

    /** Zero state buffers for a slice of n elements, their rows stride elements apart. */
    static MemorySegment[] states(Arena arena, Ring ring, long stride, int n) {
        MemorySegment[] state = new MemorySegment[ring.kir().stateCount()];
        for (int b = 0; b < state.length; b++) {
            state[b] = arena.allocate((ring.rows(b) - 1) * stride * ring.bytes() + (long) n * ring.bytes(), 64);
        }
        return state;
    }

    static void assertRingShape(Ring ring, int bands) {
        StepKir k = ring.kir();
        assertTrue(IntStream.range(0, k.stateCount()).anyMatch(b -> ring.rows(b) == bands - 1), k.toString());
        assertTrue(k.kernel().body().stream().anyMatch(i -> i instanceof KInstr.Loop), k.toString());
    }

    @ParameterizedTest(name = "{0} of {1} bands, {2}")
    @MethodSource("rings")
    void stepAndScanEqualTheEvaluator(String op, int bands, DType dtype) {
        String expr = expression(op, bands);
        Ring ring = ring(expr, dtype);
        assertRingShape(ring, bands);
        LlvmHostKernel kernel = LlvmHostKernel.compile(LLVM, ring.kir(), LlvmKernels.kernelName(ring.kir()),
                ring.description());
        for (int b = 0; b < ring.kir().stateCount(); b++) {
            assertEquals(ring.rows(b), kernel.stateRows(b));
        }
        int split = 20;
        Reference ref = new Reference(ring);
        double[][] want = new double[STEPS][];
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment x = arena.allocate((long) N * ring.bytes(), 64);
            MemorySegment y = arena.allocate((long) N * ring.bytes(), 64);
            MemorySegment[] state = states(arena, ring, STRIDE);
            for (int t = 0; t < STEPS; t++) {
                double[] in = input(t, dtype);
                for (int i = 0; i < N; i++) {
                    write(x, i, in[i], dtype);
                }
                want[t] = ref.step(t, in);
                // two calls on sub-ranges, as the runner's threads make
                kernel.step(t, ring.params(), x, y, state, STRIDE, 0, split);
                kernel.step(t, ring.params(), x, y, state, STRIDE, split, N);
                for (int i = 0; i < N; i++) {
                    assertBits(want[t][i], read(y, i, dtype), expr + " step " + t + " element " + i);
                }
                assertStates(ref, state, STRIDE, expr + " step " + t);
            }

            long rowStride = N + 3;
            MemorySegment xs = arena.allocate(STEPS * rowStride * ring.bytes(), 64);
            MemorySegment ys = arena.allocate(STEPS * rowStride * ring.bytes(), 64);
            for (int t = 0; t < STEPS; t++) {
                double[] in = input(t, dtype);
                for (int i = 0; i < N; i++) {
                    write(xs, t * rowStride + i, in[i], dtype);
                }
            }
            MemorySegment[] scanState = states(arena, ring, N);
            int first = STEPS / 2 - 7;
            kernel.scan(0, first, ring.params(), xs, ys, rowStride, scanState, N, 0, N);
            kernel.scan(first, STEPS - first, ring.params(), xs.asSlice(first * rowStride * ring.bytes()),
                    ys.asSlice(first * rowStride * ring.bytes()), rowStride, scanState, N, 0, N);
            for (int t = 0; t < STEPS; t++) {
                for (int i = 0; i < N; i++) {
                    assertBits(want[t][i], read(ys, t * rowStride + i, dtype), expr + " scan step " + t + " element " + i);
                }
            }
            assertStates(ref, scanState, N, expr + " after the scan");
        }
    }

    @ParameterizedTest(name = "{0} of {1} bands, {2}")
    @MethodSource("rings")
    void noiseStepEqualsTheEvaluatorOnTheDrawnInput(String op, int bands, DType dtype) {
        String expr = expression(op, bands);
        Ring ring = ring(expr, dtype);
        LlvmHostKernel kernel = LlvmHostKernel.compile(LLVM, ring.kir(), LlvmKernels.kernelName(ring.kir()),
                ring.description());
        long seed = 0x8000_0000_0000_0001L;
        long coordBase = (1L << 34) - 12345;
        double stddev = 0.7;
        Reference ref = new Reference(ring);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment noise = arena.allocate((long) N * ring.bytes(), 64);
            MemorySegment y = arena.allocate((long) N * ring.bytes(), 64);
            MemorySegment[] state = states(arena, ring, STRIDE);
            for (int t = 0; t < STEPS; t++) {
                if (dtype == DType.F32) {
                    GaussianNoise.fillF32(seed, t, coordBase, noise, 0, N, (float) stddev);
                } else {
                    GaussianNoise.fillF64(seed, t, coordBase, noise, 0, N, stddev);
                }
                double[] in = new double[N];
                for (int i = 0; i < N; i++) {
                    in[i] = read(noise, i, dtype);
                }
                double[] want = ref.step(t, in);
                kernel.noiseStep(t, ring.params(), seed, stddev, coordBase, y, state, STRIDE, 0, 11);
                kernel.noiseStep(t, ring.params(), seed, stddev, coordBase, y, state, STRIDE, 11, N);
                for (int i = 0; i < N; i++) {
                    assertBits(want[i], read(y, i, dtype), expr + " noise step " + t + " element " + i);
                }
                assertStates(ref, state, STRIDE, expr + " noise step " + t);
            }
        }
    }

    /** A ring of 4095 rows: one loop, so the kernel stays small; it compiles and its first steps are the evaluator's. */
    @Test
    void aRingOf4096BandsCompilesAndRuns() {
        String expr = expression("toeplitz", 4096);
        Ring ring = ring(expr, DType.F32);
        assertRingShape(ring, 4096);
        LlvmHostKernel kernel = LlvmHostKernel.compile(LLVM, ring.kir(), LlvmKernels.kernelName(ring.kir()),
                ring.description());
        Reference ref = new Reference(ring);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment x = arena.allocate((long) N * ring.bytes(), 64);
            MemorySegment y = arena.allocate((long) N * ring.bytes(), 64);
            MemorySegment[] state = states(arena, ring, N);
            for (int t = 0; t < 5; t++) {
                double[] in = input(t, DType.F32);
                for (int i = 0; i < N; i++) {
                    write(x, i, in[i], DType.F32);
                }
                double[] want = ref.step(t, in);
                kernel.step(t, ring.params(), x, y, state, N, 0, N);
                for (int i = 0; i < N; i++) {
                    assertBits(want[i], read(y, i, DType.F32), "step " + t + " element " + i);
                }
            }
            assertStates(ref, state, N, "after 5 steps");
        }
    }

    /** Rings whose rows are a multiple of the host loop's rows per pass, and ones that leave 3 and 2 rows over. */
    static Stream<Arguments> blockedRings() {
        return Stream.of(Arguments.of("toeplitz", LlvmEmitter.HOST_ROWS * 5 + 1, DType.F32),
                Arguments.of("inverse", 40, DType.F64), Arguments.of("toeplitz_inverse", 19, DType.F32));
    }

    /**
     * A slice of more than two of the host loop's blocks and not a multiple of the block size, in calls whose bounds
     * are not block-aligned (a call ending inside a block, the next starting there): step, scan and noiseStep equal
     * the evaluator, step after step past the point where the ring wraps.
     */
    @ParameterizedTest(name = "{0} of {1} bands, {2}")
    @MethodSource("blockedRings")
    void slicesOfSeveralBlocksEqualTheEvaluator(String op, int bands, DType dtype) {
        int block = LlvmEmitter.HOST_BLOCK;
        int n = 2 * block + 45;
        long[] bounds = {0, block / 2 + 3, block / 2 + 3 + block + 11, n};
        long stride = n + 9;
        int steps = 2 * bands + 3;
        String expr = expression(op, bands);
        Ring ring = ring(expr, dtype);
        assertRingShape(ring, bands);
        LlvmHostKernel kernel = LlvmHostKernel.compile(LLVM, ring.kir(), LlvmKernels.kernelName(ring.kir()),
                ring.description());
        Reference ref = new Reference(ring, n);
        Reference noiseRef = new Reference(ring, n);
        long seed = 77;
        long coordBase = 5L << 33;
        double stddev = 1.3;
        long rowStride = n + 3;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment x = arena.allocate((long) n * ring.bytes(), 64);
            MemorySegment y = arena.allocate((long) n * ring.bytes(), 64);
            MemorySegment noise = arena.allocate((long) n * ring.bytes(), 64);
            MemorySegment[] state = states(arena, ring, stride, n);
            MemorySegment[] noiseState = states(arena, ring, stride, n);
            MemorySegment xs = arena.allocate(steps * rowStride * ring.bytes(), 64);
            MemorySegment ys = arena.allocate(steps * rowStride * ring.bytes(), 64);
            MemorySegment[] scanState = states(arena, ring, n, n);
            double[][] want = new double[steps][];
            for (int t = 0; t < steps; t++) {
                double[] in = input(t, dtype, n);
                for (int i = 0; i < n; i++) {
                    write(x, i, in[i], dtype);
                    write(xs, t * rowStride + i, in[i], dtype);
                }
                want[t] = ref.step(t, in);
                for (int c = 0; c + 1 < bounds.length; c++) {
                    kernel.step(t, ring.params(), x, y, state, stride, bounds[c], bounds[c + 1]);
                }
                for (int i = 0; i < n; i++) {
                    assertBits(want[t][i], read(y, i, dtype), expr + " step " + t + " element " + i);
                }
                if (t % 10 == 0) {
                    assertStates(ref, state, stride, expr + " step " + t);
                }

                if (dtype == DType.F32) {
                    GaussianNoise.fillF32(seed, t, coordBase, noise, 0, n, (float) stddev);
                } else {
                    GaussianNoise.fillF64(seed, t, coordBase, noise, 0, n, stddev);
                }
                double[] drawn = new double[n];
                for (int i = 0; i < n; i++) {
                    drawn[i] = read(noise, i, dtype);
                }
                double[] wantNoise = noiseRef.step(t, drawn);
                for (int c = 0; c + 1 < bounds.length; c++) {
                    kernel.noiseStep(t, ring.params(), seed, stddev, coordBase, y, noiseState, stride, bounds[c],
                            bounds[c + 1]);
                }
                for (int i = 0; i < n; i++) {
                    assertBits(wantNoise[i], read(y, i, dtype), expr + " noise step " + t + " element " + i);
                }
            }
            assertStates(ref, state, stride, expr + " after the steps");
            assertStates(noiseRef, noiseState, stride, expr + " after the noise steps");
            // the scan on [bounds[1], n), then on [0, bounds[1])
            kernel.scan(0, steps, ring.params(), xs, ys, rowStride, scanState, n, bounds[1], n);
            kernel.scan(0, steps, ring.params(), xs, ys, rowStride, scanState, n, 0, bounds[1]);
            for (int t = 0; t < steps; t++) {
                for (int i = 0; i < n; i++) {
                    assertBits(want[t][i], read(ys, t * rowStride + i, dtype),
                            expr + " scan step " + t + " element " + i);
                }
            }
            assertStates(ref, scanState, n, expr + " after the scan");
        }
    }

    /**
     * The host form runs a ring's rows row-outer over blocks of elements, and LLVM vectorizes the element-inner loop:
     * the optimized module of a ring whose step has no fused multiply-add outside the loop has vector fmas.
     */
    @Test
    void theRowLoopIsVectorized() {
        assumeTrue(LLVM.hostTriple().startsWith("x86_64"), "the check compiles for x86-64-v3");
        Ring ring = ring(expression("inverse", 4096), DType.F32);
        String ll = LlvmEmitter.host(ring.kir(), "ring", ring.description());
        String loop = ll.substring(ll.indexOf("define internal void @ring_loop("));
        assertTrue(loop.contains("\nfor0.lanes:\n") && loop.contains("alloca float, i64 " + LlvmEmitter.HOST_BLOCK),
                loop);
        String optimized = LLVM.optimize(ll, LLVM.hostTriple(), "x86-64-v3");
        assertTrue(optimized.contains("call <8 x float> @llvm.fma.v8f32("), optimized);
    }

    @Test
    void stateRowsAreChecked() {
        Ring ring = ring(expression("toeplitz", 18), DType.F64);
        LlvmHostKernel kernel = LlvmHostKernel.compile(LLVM, ring.kir(), LlvmKernels.kernelName(ring.kir()),
                ring.description());
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment x = arena.allocate(8L * N, 64);
            MemorySegment y = arena.allocate(8L * N, 64);
            MemorySegment[] state = states(arena, ring, N);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> kernel.step(0, ring.params(), x, y, state, N + 1, 0, N));
            assertTrue(e.getMessage().contains("state0"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class,
                    () -> kernel.step(0, ring.params(), x, y, state, N - 1, 0, N));
            assertTrue(e.getMessage().contains("overlap"), e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> kernel.step(0, ring.params(), x, y, state, -1, 0, N));
            assertThrows(IllegalArgumentException.class,
                    () -> kernel.scan(0, 1, ring.params(), x, y, N, state, N + 1, 0, N));
            kernel.step(0, ring.params(), x, y, state, N, 0, N);
        }
    }

    @ParameterizedTest(name = "{0} of {1} bands, {2}")
    @MethodSource("rings")
    void gpuFormAssembles(String op, int bands, DType dtype) {
        Ring ring = ring(expression(op, bands), dtype);
        String ll = LlvmEmitter.ptx(ring.kir(), LlvmKernels.kernelName(ring.kir()), ring.description());
        LLVM.verify(ll);
        LLVM.verify(LlvmEmitter.ptxNoise(ring.kir(), LlvmKernels.kernelName(ring.kir()), ring.description()));
        for (String arch : List.of("sm_80", "sm_90")) {
            String ptx = PtxCompiler.ptx(ring.kir(), ring.description(), arch);
            String noise = PtxCompiler.noisePtx(ring.kir(), ring.description(), arch);
            String name = LlvmKernels.kernelName(ring.kir());
            assertTrue(ptx.contains(".entry " + name + "_step(") && ptx.contains(".entry " + name + "_scan("), ptx);
            assertFalse(ptx.contains("call.uni"), "no calls left: " + ptx);
            assertFalse(ptx.contains(".local"), "no local memory: " + ptx);
            assumeTrue(PtxAssembler.available(), "ptxas is not on PATH");
            new PtxAssembler().check(ptx, arch);
            new PtxAssembler().check(noise, arch);
        }
    }
}
