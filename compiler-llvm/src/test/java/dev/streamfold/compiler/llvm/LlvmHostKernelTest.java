package dev.streamfold.compiler.llvm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.streamfold.compiler.kir.KBuffer;
import dev.streamfold.compiler.kir.KBuilder;
import dev.streamfold.compiler.kir.KInstr;
import dev.streamfold.compiler.kir.KType;
import dev.streamfold.compiler.kir.KValue;
import dev.streamfold.compiler.lower.StepKir;
import dev.streamfold.ir.Binary;
import dev.streamfold.ir.DType;
import dev.streamfold.ir.Unary;
import dev.streamfold.runtime.ParamSlot;
import dev.streamfold.runtime.StepKernel;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Every kernel op on the host, as scalars and as lanes, against the Vector API backend's Java semantics, on special
 * values (signed zeros, subnormals, infinities, NaN); and the host kernel's argument checks.
 */
class LlvmHostKernelTest {
    private static final double[] SPECIAL = {0.0, -0.0, 1.0, -1.0, 2.5, -3.75, 0.1, 1e-310, 1e-40, 3e38, 1e300,
            Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY};
    private static final Unary.Kind[] UNARY = Unary.Kind.values();
    private static final Binary.Kind[] BINARY = Binary.Kind.values();

    /**
     * Uniform values: a = param0 at step t, b = param1 at step t, every unary op of a and binary op of (a, b), each
     * stored as it is. Lane values: the same ops on (x, state0), plus fma(x, state0, x). Results go to state buffers
     * 1.. in the order scalar unary, scalar binary, lane unary, lane binary, fma; state0 keeps its value and y is x.
     * Float32 exp, log and pow are computed in float64 and rounded once, as the step lowering writes them.
     */
    static StepKir allOps(DType dtype) {
        return allOps(dtype, UNARY, BINARY);
    }

    /** {@link #allOps(DType)} with the given unary and binary kinds only. */
    static StepKir allOps(DType dtype, Unary.Kind[] unary, Binary.Kind[] binary) {
        KType type = dtype == DType.F32 ? KType.F32 : KType.F64;
        int states = 2 + 2 * (unary.length + binary.length);
        KBuilder b = new KBuilder("ops_" + dtype.shortName());
        b.buffer("x", KBuffer.Role.IN, type, 1);
        b.buffer("y", KBuffer.Role.OUT, type, 1);
        for (int k = 0; k < states; k++) {
            b.buffer("state" + k, KBuffer.Role.STATE, type, 1);
        }
        int param0 = b.buffer("param0", KBuffer.Role.PARAM, KType.F64, -1);
        int param1 = b.buffer("param1", KBuffer.Role.PARAM, KType.F64, -1);
        b.declareArg(KType.I64);
        KValue t = b.arg(StepKir.T);
        KValue one = b.constI(KType.I64, 1);
        KValue pa = atStep(b, param0, t, one, type);
        KValue pb = atStep(b, param1, t, one, type);
        List<KValue> outputs = new ArrayList<>();
        for (Unary.Kind u : unary) {
            outputs.add(unary(b, u, pa));
        }
        for (Binary.Kind k : binary) {
            outputs.add(binary(b, k, pa, pb));
        }
        KValue x = b.load(StepKir.X, 0);
        KValue s = b.load(2, 0);
        for (Unary.Kind u : unary) {
            outputs.add(unary(b, u, x));
        }
        for (Binary.Kind k : binary) {
            outputs.add(binary(b, k, x, s));
        }
        outputs.add(b.fma(x, s, x));
        b.store(2, 0, s);
        for (int i = 0; i < outputs.size(); i++) {
            b.store(3 + i, 0, outputs.get(i));
        }
        b.store(StepKir.Y, 0, x);
        List<ParamSlot> slots = List.of(new ParamSlot("param 0", ParamSlot.PER_STEP, ParamSlot.Rule.FINITE),
                new ParamSlot("param 1", ParamSlot.PER_STEP, ParamSlot.Rule.FINITE));
        return new StepKir(b.build(), dtype, 2, states, slots);
    }

    /** {@code param[min(t, len - 1)]} rounded to {@code type}, as the step lowering reads a per-step slot. */
    private static KValue atStep(KBuilder b, int param, KValue t, KValue one, KType type) {
        KValue last = b.sub(b.length(param), one);
        return b.convert(type, b.load(param, b.convert(KType.I32, b.min(t, last))));
    }

    private static KValue unary(KBuilder b, Unary.Kind u, KValue a) {
        return switch (u) {
            case NEG -> b.neg(a);
            case ABS -> b.abs(a);
            case SQRT -> b.sqrt(a);
            case SQUARE -> b.mul(a, a);
            case RECIPROCAL -> b.unary(KInstr.UnaryKind.RECIPROCAL, a);
            case SIGN -> b.unary(KInstr.UnaryKind.SIGN, a);
            case EXP -> b.convert(a.type(), b.unary(KInstr.UnaryKind.EXP, b.convert(KType.F64, a)));
            case LOG -> b.convert(a.type(), b.unary(KInstr.UnaryKind.LOG, b.convert(KType.F64, a)));
        };
    }

    private static KValue binary(KBuilder b, Binary.Kind k, KValue x, KValue y) {
        return switch (k) {
            case ADD -> b.add(x, y);
            case SUB -> b.sub(x, y);
            case MUL -> b.mul(x, y);
            case DIV -> b.div(x, y);
            case MAX -> b.max(x, y);
            case MIN -> b.min(x, y);
            case POW -> b.convert(x.type(), b.binary(KInstr.BinaryKind.POW, b.convert(KType.F64, x), b.convert(KType.F64, y)));
        };
    }

    /** The Vector API backend's scalar semantics (its {@code scalarUnary}), in float for float32. */
    static double unary(Unary.Kind k, double a, boolean f32) {
        if (f32) {
            float x = (float) a;
            return switch (k) {
                case NEG -> -x;
                case ABS -> Math.abs(x);
                case SQRT -> (float) Math.sqrt(x);
                case SQUARE -> x * x;
                case RECIPROCAL -> 1f / x;
                case SIGN -> Math.signum(x);
                case EXP -> (float) Math.exp(x);
                case LOG -> (float) Math.log(x);
            };
        }
        return switch (k) {
            case NEG -> -a;
            case ABS -> Math.abs(a);
            case SQRT -> Math.sqrt(a);
            case SQUARE -> a * a;
            case RECIPROCAL -> 1.0 / a;
            case SIGN -> Math.signum(a);
            case EXP -> Math.exp(a);
            case LOG -> Math.log(a);
        };
    }

    static double binary(Binary.Kind k, double a, double b, boolean f32) {
        if (f32) {
            float x = (float) a;
            float y = (float) b;
            return switch (k) {
                case ADD -> x + y;
                case SUB -> x - y;
                case MUL -> x * y;
                case DIV -> x / y;
                case MAX -> Math.max(x, y);
                case MIN -> Math.min(x, y);
                case POW -> (float) Math.pow(x, y);
            };
        }
        return switch (k) {
            case ADD -> a + b;
            case SUB -> a - b;
            case MUL -> a * b;
            case DIV -> a / b;
            case MAX -> Math.max(a, b);
            case MIN -> Math.min(a, b);
            case POW -> Math.pow(a, b);
        };
    }

    /** libm's exp, log and pow may differ from Java's in the last place; everything else must match bit for bit. */
    private static void assertMatches(String what, double want, double got, boolean libm, boolean f32) {
        if (Double.isNaN(want) && Double.isNaN(got) || Double.doubleToRawLongBits(want) == Double.doubleToRawLongBits(got)) {
            return;
        }
        if (libm && Math.abs(want - got) <= (f32 ? Math.ulp((float) want) : Math.ulp(want))) {
            return;
        }
        throw new AssertionError(what + ": got " + got + ", expected " + want);
    }

    @ParameterizedTest
    @EnumSource(names = {"F32", "F64"})
    void everyOpMatchesJavaSemantics(DType dtype) {
        boolean f32 = dtype == DType.F32;
        ValueLayout.OfFloat f = ValueLayout.JAVA_FLOAT;
        ValueLayout.OfDouble d = ValueLayout.JAVA_DOUBLE;
        StepKir k = allOps(dtype);
        StepKernel kernel = LlvmHostKernel.compile(new LlvmToolchain(), k, "ops_" + dtype.shortName(), "every op");
        int n = SPECIAL.length * SPECIAL.length;
        double[] as = new double[n];
        double[] bs = new double[n];
        for (int i = 0; i < n; i++) {
            as[i] = f32 ? (float) SPECIAL[i / SPECIAL.length] : SPECIAL[i / SPECIAL.length];
            bs[i] = f32 ? (float) SPECIAL[i % SPECIAL.length] : SPECIAL[i % SPECIAL.length];
        }
        long bytes = f32 ? 4 : 8;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment x = arena.allocate(n * bytes, 64);
            MemorySegment y = arena.allocate(n * bytes, 64);
            MemorySegment[] state = new MemorySegment[k.stateCount()];
            for (int b = 0; b < state.length; b++) {
                state[b] = arena.allocate(n * bytes, 64);
            }
            for (int t = 0; t < n; t++) {
                for (int i = 0; i < n; i++) {
                    if (f32) {
                        x.setAtIndex(f, i, (float) as[i]);
                        state[0].setAtIndex(f, i, (float) bs[i]);
                    } else {
                        x.setAtIndex(d, i, as[i]);
                        state[0].setAtIndex(d, i, bs[i]);
                    }
                }
                // lanes need only one step; scalars are read from element 0 of each later step
                kernel.step(t, new double[][] {as, bs}, x, y, state, n, 0, t == 0 ? n : 1);
                int out = 1;
                for (Unary.Kind u : UNARY) {
                    double got = f32 ? state[out++].getAtIndex(f, 0) : state[out++].getAtIndex(d, 0);
                    assertMatches("scalar " + u + "(" + as[t] + ")", unary(u, as[t], f32), got,
                            u == Unary.Kind.EXP || u == Unary.Kind.LOG, f32);
                }
                for (Binary.Kind b : BINARY) {
                    double got = f32 ? state[out++].getAtIndex(f, 0) : state[out++].getAtIndex(d, 0);
                    assertMatches("scalar " + b + "(" + as[t] + ", " + bs[t] + ")", binary(b, as[t], bs[t], f32), got,
                            b == Binary.Kind.POW, f32);
                }
                if (t > 0) {
                    continue;
                }
                for (int i = 0; i < n; i++) {
                    int o = out;
                    for (Unary.Kind u : UNARY) {
                        double got = f32 ? state[o++].getAtIndex(f, i) : state[o++].getAtIndex(d, i);
                        assertMatches("lane " + u + "(" + as[i] + ")", unary(u, as[i], f32), got,
                                u == Unary.Kind.EXP || u == Unary.Kind.LOG, f32);
                    }
                    for (Binary.Kind b : BINARY) {
                        double got = f32 ? state[o++].getAtIndex(f, i) : state[o++].getAtIndex(d, i);
                        assertMatches("lane " + b + "(" + as[i] + ", " + bs[i] + ")", binary(b, as[i], bs[i], f32), got,
                                b == Binary.Kind.POW, f32);
                    }
                    double got = f32 ? state[o].getAtIndex(f, i) : state[o].getAtIndex(d, i);
                    double want = f32 ? Math.fma((float) as[i], (float) bs[i], (float) as[i])
                            : Math.fma(as[i], bs[i], as[i]);
                    assertMatches("lane fma(" + as[i] + ", " + bs[i] + ")", want, got, false, f32);
                }
            }
        }
    }

    @Test
    void argumentsAreCheckedBeforeNativeCodeRuns() {
        StepKir k = LlvmGoldenTest.kernel("prefix_sum @ diagonal([0.5])", DType.F64);
        StepKernel kernel = LlvmKernels.load(k, "prefix_sum @ diagonal([0.5])");
        assertSame(kernel, LlvmKernels.load(LlvmGoldenTest.kernel("prefix_sum @ diagonal([4])", DType.F64), "other"));
        double[][] params = {{0.5}};
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment x = arena.allocate(8 * 16, 8);
            MemorySegment y = arena.allocate(8 * 16, 8);
            MemorySegment[] state = {arena.allocate(8 * 16, 8)};
            MemorySegment heap = MemorySegment.ofArray(new double[16]);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> kernel.step(0, params, heap, y, state, 16, 0, 16));
            assertTrue(e.getMessage().contains("native segment"), e.getMessage());
            assertThrows(IllegalArgumentException.class,
                    () -> kernel.scan(0, 2, params, x, y, 16, new MemorySegment[] {heap}, 16, 0, 16));
            assertThrows(IllegalArgumentException.class, () -> kernel.step(0, params, x, y, state, 16, 0, 17));
            assertThrows(IllegalArgumentException.class, () -> kernel.scan(0, 2, params, x, y, 16, state, 16, 0, 16));
            assertThrows(IllegalArgumentException.class,
                    () -> kernel.step(0, params, x.asSlice(4), y, state, 16, 0, 8));
            assertThrows(IllegalArgumentException.class,
                    () -> kernel.step(0, params, x, y.asReadOnly(), state, 16, 0, 16));
            assertThrows(IllegalArgumentException.class, () -> kernel.step(0, new double[][] {{}}, x, y, state, 16, 0, 16));
            assertThrows(IllegalArgumentException.class, () -> kernel.step(0, new double[0][], x, y, state, 16, 0, 16));
            for (int i = 0; i < 16; i++) {
                x.setAtIndex(ValueLayout.JAVA_DOUBLE, i, i);
            }
            kernel.scan(0, 1, params, x, y, 16, state, 16, 0, 16);
            kernel.step(1, params, x, x, state, 16, 0, 16);
            for (int i = 0; i < 16; i++) {
                assertEquals(0.5 * i, y.getAtIndex(ValueLayout.JAVA_DOUBLE, i));
                assertEquals(i, x.getAtIndex(ValueLayout.JAVA_DOUBLE, i), "in place: x aliases y");
            }
        }
    }
}
