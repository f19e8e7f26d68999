package dev.streamfold.compiler.lower;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.streamfold.compiler.ConformanceOperators;
import dev.streamfold.compiler.kir.KInstr;
import dev.streamfold.compiler.kir.KirEvaluator;
import dev.streamfold.compiler.kir.KirWalk;
import dev.streamfold.compiler.vector.InProcessCompiler;
import dev.streamfold.compiler.vector.VectorKernels;
import dev.streamfold.compiler.vector.VectorStepBackend;
import dev.streamfold.ir.Binary;
import dev.streamfold.ir.DType;
import dev.streamfold.ir.ProgramBuilder;
import dev.streamfold.ir.Shape;
import dev.streamfold.ir.StreamfoldException;
import dev.streamfold.ir.Tensor;
import dev.streamfold.ir.Type;
import dev.streamfold.ir.Unary;
import dev.streamfold.ir.Var;
import dev.streamfold.ir.expr.MatrixBinder;
import dev.streamfold.ir.stream.Bindings;
import dev.streamfold.ir.stream.ParamLayout;
import dev.streamfold.ir.stream.StepProgram;
import dev.streamfold.ir.stream.StreamingMatrix;
import dev.streamfold.runtime.ParamSlot;
import dev.streamfold.runtime.StepKernel;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiFunction;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The kernel IR v2 of a streaming step computes the same bits (NaNs compared as NaN) under {@link KirEvaluator} and
 * through {@link VectorStepBackend}: for every unary and binary function on per-step scalars and on slice elements,
 * for parameter reads at the step (clipped) and at constant indices, for the contraction of products into fma, and
 * for the streaming operators, ring state buffers of many rows included. The slice has 37 elements, so the vector
 * loop and the scalar tail both run; a state buffer of {@code rows} rows holds {@code rows * 37} values, row after
 * row, and compiled kernels get a row stride of 37.
 */
class LowerStepToKirTest {
    private static final int N = 37;
    private static final double[] SPECIAL = {0.0, -0.0, 1.0, -1.0, 0.5, 2.0, 1e-40, -3.5e30, Double.NaN,
            Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, 7.25, -0.125};
    private static final AtomicInteger CLASSES = new AtomicInteger();

    /** A step program over a one-element slice: one per-step array p0, one scalar p1, one state buffer. */
    private static StepProgram program(DType dtype, BiFunction<ProgramBuilder, Var[], Var[]> body) {
        Type slice = new Type(dtype, new Shape(1));
        ProgramBuilder b = new ProgramBuilder();
        Var p0 = b.param(new Type(dtype, new Shape(5)));
        Var p1 = b.param(Type.scalar(dtype));
        Var s0 = b.param(slice);
        Var t = b.param(Type.scalar(DType.I32));
        Var x = b.param(slice);
        Var a = b.takeClipped(p0, t);
        Var[] out = body.apply(b, new Var[] {x, s0, a, p1, p0});
        return new StepProgram(b.build(out[0], out[1]), 2, 1, slice);
    }

    private static Var splat(ProgramBuilder b, Var scalar) {
        return b.broadcastScalar(scalar, new Shape(1));
    }

    @ParameterizedTest
    @EnumSource(Unary.Kind.class)
    void everyUnaryOnPerStepScalarsMatches(Unary.Kind kind) {
        for (DType dtype : new DType[] {DType.F32, DType.F64}) {
            assertSameSteps(program(dtype, (b, v) -> {
                Var sc = b.unary(kind, v[2]);
                Var again = b.unary(kind, v[3]);
                return new Var[] {b.mul(v[0], splat(b, again)), b.add(v[0], splat(b, sc))};
            }), params(dtype, 5));
        }
    }

    @ParameterizedTest
    @EnumSource(value = Unary.Kind.class, names = {"NEG", "ABS", "SQRT", "SQUARE", "RECIPROCAL"})
    void everyUnaryTheLanesTakeMatches(Unary.Kind kind) {
        for (DType dtype : new DType[] {DType.F32, DType.F64}) {
            assertSameSteps(program(dtype, (b, v) -> {
                Var u = b.unary(kind, v[0]);
                Var y = b.add(b.mul(splat(b, v[2]), u), v[1]);
                return new Var[] {u, y};
            }), params(dtype, 5));
            assertSameSteps(program(dtype, (b, v) -> {
                Var u = b.unary(kind, b.add(v[0], v[1]));
                return new Var[] {b.add(u, v[0]), b.add(v[1], u)};
            }), params(dtype, 5));
        }
    }

    @ParameterizedTest
    @EnumSource(Binary.Kind.class)
    void everyBinaryOnPerStepScalarsMatches(Binary.Kind kind) {
        for (DType dtype : new DType[] {DType.F32, DType.F64}) {
            assertSameSteps(program(dtype, (b, v) -> {
                Var sc = b.binary(kind, v[2], v[3]);
                Var back = b.binary(kind, v[3], v[2]);
                return new Var[] {b.add(v[1], splat(b, back)), b.mul(v[0], splat(b, sc))};
            }), params(dtype, 5));
        }
    }

    @ParameterizedTest
    @EnumSource(value = Binary.Kind.class, names = {"ADD", "SUB", "MUL", "DIV", "MAX", "MIN"})
    void everyBinaryTheLanesTakeMatches(Binary.Kind kind) {
        for (DType dtype : new DType[] {DType.F32, DType.F64}) {
            assertSameSteps(program(dtype, (b, v) -> {
                Var lanes = b.binary(kind, v[0], v[1]);
                Var mixed = b.binary(kind, splat(b, v[2]), v[0]);
                return new Var[] {b.add(mixed, v[0]), lanes};
            }), params(dtype, 5));
        }
    }

    @ParameterizedTest
    @EnumSource(value = Unary.Kind.class, names = {"EXP", "LOG", "SIGN"})
    void unariesTheLanesRefuseAreRefused(Unary.Kind kind) {
        StepProgram step = program(DType.F32, (b, v) -> new Var[] {v[1], b.unary(kind, v[0])});
        assertRefused(step);
    }

    @Test
    void powOnLanesIsRefused() {
        assertRefused(program(DType.F64, (b, v) -> new Var[] {v[1], b.binary(Binary.Kind.POW, v[0], v[1])}));
    }

    @Test
    void contractedProductsMatch() {
        for (DType dtype : new DType[] {DType.F32, DType.F64}) {
            List<StepProgram> steps = List.of(
                    // a product of broadcast scalars is slice-shaped: fused with the add that is its only use
                    program(dtype, (b, v) -> new Var[] {v[1], b.add(b.mul(splat(b, v[2]), splat(b, v[3])), v[0])}),
                    program(dtype, (b, v) -> new Var[] {v[1], b.add(v[0], b.mul(splat(b, v[2]), splat(b, v[3])))}),
                    // ... and with a slice-shaped add of broadcasts, all of it uniform
                    program(dtype, (b, v) -> new Var[] {v[1], b.add(b.mul(splat(b, v[2]), splat(b, v[3])), splat(b, v[3]))}),
                    // a per-step product is not fused into the lanes' add
                    program(dtype, (b, v) -> new Var[] {v[1], b.add(splat(b, b.mul(v[2], v[3])), v[0])}),
                    // the add's first operand wins when both are single-use products
                    program(dtype, (b, v) -> new Var[] {v[1], b.add(b.mul(v[0], v[1]), b.mul(splat(b, v[2]), splat(b, v[3])))}),
                    program(dtype, (b, v) -> new Var[] {v[1], b.add(b.mul(splat(b, v[2]), splat(b, v[3])), b.mul(v[0], v[1]))}),
                    // a product used twice stays a product; a square is never fused
                    program(dtype, (b, v) -> {
                        Var m = b.mul(v[0], v[1]);
                        return new Var[] {m, b.add(m, v[0])};
                    }),
                    program(dtype, (b, v) -> new Var[] {v[1], b.add(b.unary(Unary.Kind.SQUARE, v[0]), v[1])}),
                    program(dtype, (b, v) -> new Var[] {v[1], b.add(b.mul(v[0], v[0]), v[1])}),
                    // a step that ignores x stores a per-step value in every element
                    program(dtype, (b, v) -> new Var[] {splat(b, v[3]), splat(b, b.mul(v[2], v[3]))}));
            for (StepProgram step : steps) {
                assertSameSteps(step, params(dtype, 5));
            }
        }
    }

    @Test
    void aLaneProductUsedOnlyByAnAddBecomesOneFma() {
        StepKir s = StepKirPipeline.compile(program(DType.F32, (b, v) -> new Var[] {v[1], b.add(b.mul(v[0], v[1]), v[0])}));
        List<KInstr> all = new ArrayList<>();
        KirWalk.forEach(s.kernel().body(), all::add);
        assertEquals(1, all.stream().filter(i -> i instanceof KInstr.Fma).count(), s.toString());
        assertEquals(0, all.stream().filter(i -> i instanceof KInstr.Binary).count(), s.toString());
    }

    @Test
    void parameterReadsClipTheirIndexAndMarkPerStepSlots() {
        for (DType dtype : new DType[] {DType.F32, DType.F64}) {
            StepProgram step = program(dtype, (b, v) -> {
                Var two = b.takeClipped(v[4], b.constant(Tensor.scalar(DType.I32, 2)));
                Var nine = b.takeClipped(v[4], b.constant(Tensor.scalar(DType.I32, 9)));
                return new Var[] {b.add(v[0], splat(b, two)), b.add(splat(b, nine), b.mul(v[0], splat(b, b.mul(v[2], v[3]))))};
            });
            for (int length : new int[] {1, 3, 5, 12}) {
                assertSameSteps(step, params(dtype, length));
            }
            StepKir s = StepKirPipeline.compile(step);
            assertEquals(ParamSlot.PER_STEP, s.slots().get(0).length());
            assertEquals(1, s.slots().get(1).length());
        }
    }

    @Test
    void aPerStepReadNoStoreNeedsLeavesTheSlotFixed() {
        StepKir s = StepKirPipeline.compile(program(DType.F64, (b, v) -> new Var[] {v[1], b.mul(v[0], splat(b, v[3]))}));
        assertEquals(0, s.slots().get(0).length(), s.slots().toString());
        assertEquals(1, s.slots().get(1).length(), s.slots().toString());
    }

    static Stream<Arguments> operators() {
        return Stream.of("identity", "prefix_sum", "diagonal([1, 0.5, 2])", "prefix_sum * 1.01", "momentum_sgd(0.9, [1, 0.5])",
                "blt(buf_decay=[0.9, 0.5], output_scale=[0.1, 0.2])",
                "inverse(blt(buf_decay=[0.9, 0.5], output_scale=[0.1, 0.2]))", "toeplitz(coef=[1, 0.5, 0.25])",
                "inverse(toeplitz(coef=[1, 0.5, 0.25]))", "scale_rows_and_columns(prefix_sum, row=[1, 2], col=[3]) * 0.5",
                "prefix_sum @ inverse(blt(buf_decay=[0.9, 0.5], output_scale=[0.1, 0.2])) @ toeplitz(coef=[1, 0.5, 0.25])",
                "inverse(inverse(blt(buf_decay=[0.9, 0.5], output_scale=[0.1, 0.2])))", ring("toeplitz", 18),
                ring("inverse(toeplitz", 18), ring("toeplitz_inverse", 18), ring("toeplitz", 40), ring("inverse(toeplitz", 40),
                ring("toeplitz_inverse", 40), ring("inverse(toeplitz", 21), "prefix_sum @ " + ring("toeplitz", 40),
                ring("toeplitz", 40) + " @ " + ring("inverse(toeplitz", 18), banded(20), "inverse(" + banded(20) + ")")
                .map(Arguments::of);
    }

    /** A column-normalized banded matrix of 6 x {@code bands} P: its ring's weights are read from P by the writing step. */
    private static String banded(int bands) {
        SplittableRandom r = new SplittableRandom(bands);
        return "column_normalized_banded(params=" + java.util.stream.IntStream.range(0, 6)
                .mapToObj(row -> java.util.stream.IntStream.range(0, bands)
                        .mapToObj(j -> Double.toString(j == 0 ? r.nextDouble(1, 2) : r.nextDouble(-0.5, 0.5)))
                        .collect(java.util.stream.Collectors.joining(", ", "[", "]")))
                .collect(java.util.stream.Collectors.joining(", ", "[", "]")) + ")";
    }

    /** A banded Toeplitz operator of {@code bands} coefficients, more than the shift form keeps: a ring state buffer. */
    private static String ring(String op, int bands) {
        return op + "(coef=" + RingStepKirTest.coefficients(bands) + ")" + (op.startsWith("inverse(") ? ")" : "");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("operators")
    void streamingOperatorsMatch(String expr) {
        assertSameOperatorSteps(MatrixBinder.parse(expr));
    }

    static Stream<Arguments> conformanceOperators() {
        return ConformanceOperators.all().stream().map(m -> Arguments.of(m.describe(), m));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("conformanceOperators")
    void conformanceOperatorsMatch(String name, StreamingMatrix m) {
        assertSameOperatorSteps(m);
    }

    private static void assertSameOperatorSteps(StreamingMatrix m) {
        String expr = m.describe();
        for (DType dtype : new DType[] {DType.F32, DType.F64}) {
            List<Tensor> values = ParamLayout.of(m).bind(m, Bindings.NONE, dtype);
            StepProgram step = StepProgram.build(m, values.stream().map(Tensor::type).toList(), new Type(dtype, new Shape(1)));
            double[][] p = new double[values.size()][];
            for (int i = 0; i < p.length; i++) {
                p[i] = values.get(i).data();
            }
            assertSameSteps(step, p);
            StepKir s = VectorKernels.lowerKir(m, values, dtype);
            assertEquals(values.size(), s.slots().size(), "slots of " + expr);
        }
    }

    private static double[][] params(DType dtype, int length) {
        SplittableRandom r = new SplittableRandom(length * 31L + dtype.ordinal());
        double[] p0 = new double[length];
        for (int i = 0; i < length; i++) {
            p0[i] = r.nextDouble(-3, 3);
        }
        p0[0] = 0.75;
        return new double[][] {p0, {r.nextDouble(0.25, 2)}};
    }

    /** Steps at several t, from inputs holding special values, agree under the evaluator and the Vector API backend. */
    private static void assertSameSteps(StepProgram step, double[][] params) {
        DType dtype = step.slice().dtype();
        StepKir s = StepKirPipeline.compile(step);
        StepKernel fresh = compileNew(s);
        SplittableRandom r = new SplittableRandom(step.program().eqns().size());
        for (long t : new long[] {0, 1, 4, 1000}) {
            double[] x = new double[N];
            double[][] state = new double[step.numState()][];
            for (int b = 0; b < state.length; b++) {
                state[b] = new double[s.kernel().buffers().get(s.state(b)).elements() * N];
            }
            for (int i = 0; i < N; i++) {
                x[i] = dtype.round(i < SPECIAL.length ? SPECIAL[i] : r.nextDouble(-4, 4));
            }
            for (double[] st : state) {
                for (int i = 0; i < st.length; i++) {
                    int e = i % N;
                    st[i] = dtype.round(e < SPECIAL.length && i < N ? SPECIAL[(e + 3) % SPECIAL.length] : r.nextDouble(-4, 4));
                }
            }
            double[][] want = runEvaluator(s, t, params, x, state);
            double[][] rendered = runCompiled(fresh, dtype, t, params, x, state);
            assertEquals(1 + step.numState(), want.length);
            for (int b = 0; b < want.length; b++) {
                String what = (b == 0 ? "y" : "state" + (b - 1)) + " at t=" + t + " of\n" + s;
                assertArrayEquals(bits(want[b]), bits(rendered[b]), "vector backend, " + what);
            }
        }
    }

    private static void assertRefused(StepProgram step) {
        StepKir s = StepKirPipeline.compile(step);
        StreamfoldException e = assertThrows(StreamfoldException.class,
                () -> VectorStepBackend.render(s, VectorKernels.PACKAGE, "Refused", "refused"));
        assertTrue(e.getMessage().contains("per element is not supported"), e.getMessage());
    }

    private static long[] bits(double[] v) {
        long[] out = new long[v.length];
        for (int i = 0; i < v.length; i++) {
            out[i] = Double.doubleToLongBits(v[i]);
        }
        return out;
    }

    private static StepKernel compileNew(StepKir s) {
        String name = "NewStep" + CLASSES.incrementAndGet();
        return instantiate(name, VectorStepBackend.render(s, VectorKernels.PACKAGE, name, "new").toString());
    }

    private static StepKernel instantiate(String name, String source) {
        InProcessCompiler.Compiled c = InProcessCompiler.compile(VectorKernels.PACKAGE + "." + name, source);
        try {
            return (StepKernel) c.type().getDeclaredConstructor().newInstance();
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException(e);
        }
    }

    /** y then each state buffer after step t through a compiled kernel. */
    private static double[][] runCompiled(StepKernel k, DType dtype, long t, double[][] params, double[] x, double[][] state) {
        boolean f32 = dtype == DType.F32;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment xs = segment(arena, x, f32);
            MemorySegment ys = segment(arena, new double[N], f32);
            MemorySegment[] ss = new MemorySegment[state.length];
            for (int b = 0; b < ss.length; b++) {
                ss[b] = segment(arena, state[b], f32);
            }
            k.step(t, params, xs, ys, ss, N, 0, N);
            double[][] out = new double[1 + ss.length][];
            out[0] = read(ys, f32, N);
            for (int b = 0; b < ss.length; b++) {
                out[1 + b] = read(ss[b], f32, state[b].length);
            }
            return out;
        }
    }

    /** y then each state buffer after step t under the evaluator, one batch item per element. */
    private static double[][] runEvaluator(StepKir s, long t, double[][] params, double[] x, double[][] state) {
        double[][] buffers = new double[s.kernel().buffers().size()][];
        buffers[StepKir.X] = x.clone();
        buffers[StepKir.Y] = new double[N];
        for (int b = 0; b < s.stateCount(); b++) {
            buffers[s.state(b)] = state[b].clone();
        }
        for (int p = 0; p < s.paramCount(); p++) {
            buffers[s.param(p)] = params[p];
        }
        KirEvaluator.run(s.kernel(), buffers, new double[] {t}, N);
        double[][] out = new double[1 + s.stateCount()][];
        out[0] = buffers[StepKir.Y];
        for (int b = 0; b < s.stateCount(); b++) {
            out[1 + b] = buffers[s.state(b)];
        }
        return out;
    }

    private static MemorySegment segment(Arena arena, double[] v, boolean f32) {
        MemorySegment m = arena.allocate((long) v.length * (f32 ? 4 : 8), 64);
        for (int i = 0; i < v.length; i++) {
            if (f32) {
                m.setAtIndex(ValueLayout.JAVA_FLOAT, i, (float) v[i]);
            } else {
                m.setAtIndex(ValueLayout.JAVA_DOUBLE, i, v[i]);
            }
        }
        return m;
    }

    private static double[] read(MemorySegment m, boolean f32, int length) {
        double[] out = new double[length];
        for (int i = 0; i < length; i++) {
            out[i] = f32 ? m.getAtIndex(ValueLayout.JAVA_FLOAT, i) : m.getAtIndex(ValueLayout.JAVA_DOUBLE, i);
        }
        return out;
    }
}
