package dev.streamfold.compiler.llvm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.streamfold.compiler.kir.KBuffer;
import dev.streamfold.compiler.kir.KBuilder;
import dev.streamfold.compiler.kir.KInstr;
import dev.streamfold.compiler.kir.KType;
import dev.streamfold.compiler.kir.KValue;
import dev.streamfold.compiler.kir.KirEvaluator;
import dev.streamfold.compiler.lower.StepKir;
import dev.streamfold.ir.DType;
import dev.streamfold.runtime.ParamSlot;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Loops in a step kernel beyond the ring lowering's: a loop of uniform values only (in the per-step scalars), a
 * per-element loop that carries a uniform value next to a lane value, a uniform instruction that reads what that loop
 * computed (so it is computed per element too), integer division and remainder by 3, -1 and 0 of negative and
 * positive values, and a store at a computed row of a multi-row state buffer. The host kernel equals the kernel IR
 * evaluator bit for bit, on a slice within one block of its element loop and on one of more than a block, and the GPU
 * form assembles.
 */
class LlvmStepLoopTest {
    private static final LlvmToolchain LLVM = new LlvmToolchain();
    private static final int N = 9;
    private static final int ROWS = 5;
    private static final int STEPS = 17;
    private static final double[] PARAM = {0.5, -1.25, 2.0};

    static StepKir kernel() {
        KBuilder b = new KBuilder("loops_f64");
        b.buffer("x", KBuffer.Role.IN, KType.F64, 1);
        b.buffer("y", KBuffer.Role.OUT, KType.F64, 1);
        int state0 = b.buffer("state0", KBuffer.Role.STATE, KType.F64, 1);
        int ring = b.buffer("state1", KBuffer.Role.STATE, KType.F64, ROWS);
        int param = b.buffer("param0", KBuffer.Role.PARAM, KType.F64, -1);
        b.declareArg(KType.I64);
        KValue t = b.arg(StepKir.T);
        KValue one = b.constI(KType.I64, 1);
        KValue last = b.sub(b.length(param), one);
        KValue paramSum = b.loop(0, 4, List.of(b.constF(KType.F64, 0.0)), (r, c) -> List.of(
                b.add(c.get(0), b.load(param, b.convert(KType.I32, b.min(b.convert(KType.I64, r), last)))))).get(0);
        KValue u = b.sub(t, b.constI(KType.I64, 7));
        KValue k = b.div(u, b.constI(KType.I64, 3));
        for (long divisor : new long[] {-1, 0}) {
            k = b.add(k, b.div(u, b.constI(KType.I64, divisor)));
        }
        for (long divisor : new long[] {3, -1, 0}) {
            k = b.add(k, b.binary(KInstr.BinaryKind.REM, u, b.constI(KType.I64, divisor)));
        }
        KValue x = b.load(StepKir.X, 0);
        List<KValue> dot = b.loop(0, ROWS, List.of(x, k), (r, c) -> List.of(
                b.fma(b.load(ring, r), b.convert(KType.F64, c.get(1)), c.get(0)), b.add(c.get(1), one)));
        KValue weight = b.convert(KType.F64, dot.get(1));
        KValue y = b.add(b.add(b.add(dot.get(0), weight), paramSum), b.load(state0, 0));
        b.store(ring, b.convert(KType.I32, b.binary(KInstr.BinaryKind.REM, t, b.constI(KType.I64, ROWS))), x);
        b.store(state0, 0, b.mul(y, b.constF(KType.F64, 0.25)));
        b.store(StepKir.Y, 0, y);
        return new StepKir(b.build(), DType.F64, 1, 2,
                List.of(new ParamSlot("param 0", PARAM.length, ParamSlot.Rule.FINITE)));
    }

    static double input(int t, int i) {
        return ((t * 31 + i * 17) % 23 - 11) * 0.375;
    }

    /** Slices of one block of the host loop, and of a block and a part of one, in two calls each. */
    static Stream<Arguments> slices() {
        return Stream.of(Arguments.of(N, 4), Arguments.of(LlvmEmitter.HOST_BLOCK + N, LlvmEmitter.HOST_BLOCK / 2 + 1));
    }

    @ParameterizedTest(name = "{0} elements, split at {1}")
    @MethodSource("slices")
    void hostKernelEqualsTheEvaluator(int n, int split) {
        StepKir k = kernel();
        String ll = LlvmEmitter.host(k, "loops", "loops");
        String scalars = ll.substring(ll.indexOf("@loops_scalars("), ll.indexOf("@loops_loop("));
        assertTrue(scalars.contains("for0:") && scalars.contains("srem i64") && scalars.contains("sdiv i64"), ll);
        assertTrue(ll.substring(ll.indexOf("@loops_loop(")).contains("for0.body:"), ll);
        LlvmHostKernel kernel = LlvmHostKernel.compile(LLVM, k, "loops", "loops");
        long stride = n + 4;
        double[][] buffers = new double[k.kernel().buffers().size()][];
        buffers[k.state(0)] = new double[n];
        buffers[k.state(1)] = new double[ROWS * n];
        buffers[k.param(0)] = PARAM;
        double[][] params = {PARAM};
        ValueLayout.OfDouble d = ValueLayout.JAVA_DOUBLE;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment x = arena.allocate(8L * n, 8);
            MemorySegment y = arena.allocate(8L * n, 8);
            MemorySegment[] state = {arena.allocate(8L * n, 8), arena.allocate(8L * ((ROWS - 1) * stride + n), 8)};
            MemorySegment xs = arena.allocate(8L * n * STEPS, 8);
            MemorySegment ys = arena.allocate(8L * n * STEPS, 8);
            MemorySegment[] scanState = {arena.allocate(8L * n, 8), arena.allocate(8L * ROWS * n, 8)};
            double[][] want = new double[STEPS][];
            for (int t = 0; t < STEPS; t++) {
                buffers[StepKir.X] = new double[n];
                for (int i = 0; i < n; i++) {
                    buffers[StepKir.X][i] = input(t, i);
                    x.setAtIndex(d, i, input(t, i));
                    xs.setAtIndex(d, (long) t * n + i, input(t, i));
                }
                buffers[StepKir.Y] = new double[n];
                KirEvaluator.run(k.kernel(), buffers, new double[] {t}, n);
                want[t] = buffers[StepKir.Y];
                kernel.step(t, params, x, y, state, stride, 0, split);
                kernel.step(t, params, x, y, state, stride, split, n);
                for (int i = 0; i < n; i++) {
                    assertBits(want[t][i], y.getAtIndex(d, i), "step " + t + " element " + i);
                    assertBits(buffers[k.state(0)][i], state[0].getAtIndex(d, i), "step " + t + " state0 " + i);
                    for (int r = 0; r < ROWS; r++) {
                        assertBits(buffers[k.state(1)][r * n + i], state[1].getAtIndex(d, r * stride + i),
                                "step " + t + " state1 row " + r + " element " + i);
                    }
                }
            }
            kernel.scan(0, STEPS, params, xs, ys, n, scanState, n, 0, n);
            for (int t = 0; t < STEPS; t++) {
                for (int i = 0; i < n; i++) {
                    assertBits(want[t][i], ys.getAtIndex(d, (long) t * n + i), "scan step " + t + " element " + i);
                }
            }
            for (int e = 0; e < ROWS * n; e++) {
                assertBits(buffers[k.state(1)][e], scanState[1].getAtIndex(d, e), "state1 after the scan, " + e);
            }
        }
    }

    /**
     * A loop of ROWS rows carrying {@code carried} lane sums of the ring's rows, each with its own weight, x kept
     * for after the loop; y is the sum of the sums.
     */
    static StepKir carrying(int carried) {
        KBuilder b = new KBuilder("carried_f64");
        b.buffer("x", KBuffer.Role.IN, KType.F64, 1);
        b.buffer("y", KBuffer.Role.OUT, KType.F64, 1);
        int ring = b.buffer("state0", KBuffer.Role.STATE, KType.F64, ROWS);
        b.declareArg(KType.I64);
        KValue t = b.arg(StepKir.T);
        KValue x = b.load(StepKir.X, 0);
        List<KValue> inits = new ArrayList<>();
        for (int j = 0; j < carried; j++) {
            inits.add(b.mul(x, b.constF(KType.F64, j + 0.5)));
        }
        List<KValue> sums = b.loop(0, ROWS, inits, (r, c) -> {
            List<KValue> next = new ArrayList<>();
            for (int j = 0; j < carried; j++) {
                next.add(b.fma(b.load(ring, r), b.constF(KType.F64, 1.0 / (j + 3)), c.get(j)));
            }
            return next;
        });
        KValue y = sums.get(0);
        for (int j = 1; j < carried; j++) {
            y = b.add(y, sums.get(j));
        }
        b.store(ring, b.convert(KType.I32, b.binary(KInstr.BinaryKind.REM, t, b.constI(KType.I64, ROWS))), x);
        b.store(StepKir.Y, 0, y);
        return new StepKir(b.build(), DType.F64, 0, 1, List.of());
    }

    /**
     * The host loop keeps a loop's carried lane values (and x) in block-sized stack arrays while they fit in
     * {@link LlvmEmitter#HOST_STACK_BYTES}; with one more it runs element by element. Both equal the evaluator on a
     * slice of more than a block.
     */
    @Test
    void loopsCarryingMoreThanTheStackHoldsRunElementByElement() {
        int fit = LlvmEmitter.HOST_STACK_BYTES / (8 * LlvmEmitter.HOST_BLOCK) - 1;
        int n = LlvmEmitter.HOST_BLOCK + N;
        for (int carried : new int[] {fit, fit + 1}) {
            StepKir k = carrying(carried);
            String ll = LlvmEmitter.host(k, "carried", "carried");
            assertEquals(carried == fit, ll.contains(" = alloca double, i64 " + LlvmEmitter.HOST_BLOCK), ll);
            LlvmHostKernel kernel = LlvmHostKernel.compile(LLVM, k, "carried", "carried");
            double[][] buffers = new double[k.kernel().buffers().size()][];
            buffers[k.state(0)] = new double[ROWS * n];
            ValueLayout.OfDouble d = ValueLayout.JAVA_DOUBLE;
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment x = arena.allocate(8L * n, 8);
                MemorySegment y = arena.allocate(8L * n, 8);
                MemorySegment[] state = {arena.allocate(8L * ROWS * n, 8)};
                for (int t = 0; t < STEPS; t++) {
                    buffers[StepKir.X] = new double[n];
                    for (int i = 0; i < n; i++) {
                        buffers[StepKir.X][i] = input(t, i);
                        x.setAtIndex(d, i, input(t, i));
                    }
                    buffers[StepKir.Y] = new double[n];
                    KirEvaluator.run(k.kernel(), buffers, new double[] {t}, n);
                    kernel.step(t, new double[0][], x, y, state, n, 0, n);
                    for (int i = 0; i < n; i++) {
                        assertBits(buffers[StepKir.Y][i], y.getAtIndex(d, i),
                                carried + " carried, step " + t + " element " + i);
                    }
                }
            }
        }
    }

    @Test
    void gpuFormAssembles() {
        StepKir k = kernel();
        for (String ll : List.of(LlvmEmitter.ptx(k, "loops", "loops"), LlvmEmitter.ptxNoise(k, "loops", "loops"))) {
            for (String arch : List.of("sm_80", "sm_90")) {
                String ptx = LLVM.emitPtx(ll, arch);
                assumeTrue(PtxAssembler.available(), "ptxas is not on PATH");
                new PtxAssembler().check(ptx, arch);
            }
        }
    }

    private static void assertBits(double want, double got, String what) {
        if (Double.doubleToRawLongBits(want) != Double.doubleToRawLongBits(got)) {
            throw new AssertionError(what + ": got " + got + ", the evaluator gives " + want);
        }
    }
}
