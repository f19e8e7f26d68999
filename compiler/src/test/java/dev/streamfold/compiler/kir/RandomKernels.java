package dev.streamfold.compiler.kir;

import static org.junit.jupiter.api.Assertions.fail;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Random kernels for testing passes against the evaluator: nested loops (some of no trip) with carried values,
 * loads and stores at constant and loop-dependent indices in every kind of buffer, selects, conversions and
 * f32/f64/i32/bool arithmetic over uniform and lane values. Every index stays inside its buffer, so the kernels
 * run without error; the same seed gives the same kernel.
 */
public final class RandomKernels {
    /** Elements of each buffer (and the length given to the variable-length param). */
    public static final int ELEMENTS = 4;

    private static final KType[] NUMBERS = {KType.F32, KType.F64, KType.I32};

    private final Random r;
    private final KBuilder b = new KBuilder("random");
    private final int inF32;
    private final int inF64;
    private final int inI32;
    private final int parF32;
    private final int parI32;
    private final int outF32;
    private final int outF64;
    private final int outI32;
    private final int state;
    private final int scratchF32;
    private final int scratchF64;
    private final int scratchI32;
    private int budget;

    /** Enclosing loops: their index values and ranges. */
    private record Enclosing(KValue index, int start, int end) {}

    /** Values visible at a point, by type, and the loops around it. */
    private record Scope(Map<KType, List<KValue>> values, List<Enclosing> loops) {
        Scope inner(Enclosing loop) {
            Map<KType, List<KValue>> copy = new EnumMap<>(KType.class);
            values.forEach((t, vs) -> copy.put(t, new ArrayList<>(vs)));
            List<Enclosing> ls = new ArrayList<>(loops);
            ls.add(loop);
            return new Scope(copy, ls);
        }

        List<KValue> of(KType t) {
            return values.computeIfAbsent(t, x -> new ArrayList<>());
        }
    }

    private RandomKernels(long seed, int size) {
        r = new Random(seed);
        budget = size;
        inF32 = b.buffer("in_f32", KBuffer.Role.IN, KType.F32, ELEMENTS);
        inF64 = b.buffer("in_f64", KBuffer.Role.IN, KType.F64, ELEMENTS);
        inI32 = b.buffer("in_i32", KBuffer.Role.IN, KType.I32, ELEMENTS);
        parF32 = b.buffer("par_f32", KBuffer.Role.PARAM, KType.F32, ELEMENTS);
        parI32 = b.buffer("par_i32", KBuffer.Role.PARAM, KType.I32, -1);
        outF32 = b.buffer("out_f32", KBuffer.Role.OUT, KType.F32, ELEMENTS);
        outF64 = b.buffer("out_f64", KBuffer.Role.OUT, KType.F64, ELEMENTS);
        outI32 = b.buffer("out_i32", KBuffer.Role.OUT, KType.I32, ELEMENTS);
        state = b.buffer("state_f64", KBuffer.Role.STATE, KType.F64, ELEMENTS);
        scratchF32 = b.buffer("scratch_f32", KBuffer.Role.SCRATCH, KType.F32, ELEMENTS);
        scratchF64 = b.buffer("scratch_f64", KBuffer.Role.SCRATCH, KType.F64, ELEMENTS);
        scratchI32 = b.buffer("scratch_i32", KBuffer.Role.SCRATCH, KType.I32, ELEMENTS);
        b.declareArg(KType.F32);
        b.declareArg(KType.I32);
    }

    /** A random kernel of about {@code size} statements. */
    public static Kernel generate(long seed, int size) {
        RandomKernels g = new RandomKernels(seed, size);
        Scope top = new Scope(new EnumMap<>(KType.class), List.of());
        top.of(KType.F32).add(g.b.arg(0));
        top.of(KType.I32).add(g.b.arg(1));
        top.of(KType.F32).add(g.b.load(g.inF32, g.b.index(g.r.nextInt(ELEMENTS))));
        top.of(KType.F64).add(g.b.load(g.inF64, g.b.index(g.r.nextInt(ELEMENTS))));
        top.of(KType.I32).add(g.b.load(g.inI32, g.b.index(g.r.nextInt(ELEMENTS))));
        g.statements(top, size);
        for (KType t : NUMBERS) {
            for (int n = 0; n < 2; n++) {
                g.b.store(g.out(t), g.b.index(g.r.nextInt(ELEMENTS)), g.value(top, t));
            }
        }
        return g.b.build();
    }

    private void statements(Scope s, int count) {
        for (int n = 0; n < count && budget > 0; n++) {
            budget--;
            int pick = r.nextInt(100);
            if (pick < 55) {
                KType t = NUMBERS[r.nextInt(NUMBERS.length)];
                KValue v = op(s, t);
                s.of(t).add(v);
                if (r.nextInt(4) == 0) {
                    b.store(out(t), index(s), v);
                }
            } else if (pick < 62) {
                s.of(KType.BOOL).add(bool(s));
            } else if (pick < 75) {
                load(s);
            } else if (pick < 90) {
                store(s);
            } else if (s.loops().size() < 3) {
                loop(s);
            }
        }
    }

    private void loop(Scope s) {
        int start = r.nextInt(2);
        int end = Math.min(ELEMENTS, start + r.nextInt(6) - (r.nextInt(4) == 0 ? 1 : 0));
        int carries = r.nextInt(3);
        List<KValue> inits = new ArrayList<>();
        List<KType> types = new ArrayList<>();
        for (int j = 0; j < carries; j++) {
            KType t = NUMBERS[r.nextInt(NUMBERS.length)];
            types.add(t);
            inits.add(value(s, t));
        }
        int count = 1 + r.nextInt(6);
        List<KValue> results = b.loop(start, end, inits, (index, carried) -> {
            Scope in = s.inner(new Enclosing(index, start, Math.max(start, end)));
            in.of(KType.I32).add(index);
            for (int j = 0; j < carried.size(); j++) {
                in.of(types.get(j)).add(carried.get(j));
            }
            statements(in, count);
            List<KValue> yields = new ArrayList<>();
            for (int j = 0; j < carried.size(); j++) {
                KValue p = carried.get(j);
                yields.add(r.nextInt(4) == 0 ? p : r.nextBoolean() ? combine(in, p) : value(in, types.get(j)));
            }
            return yields;
        });
        for (int j = 0; j < results.size(); j++) {
            s.of(types.get(j)).add(results.get(j));
        }
    }

    /** A value of {@code p}'s type computed from {@code p} and another value. */
    private KValue combine(Scope s, KValue p) {
        KValue other = value(s, p.type());
        return p.type().isFloat() ? b.add(p, other) : b.binary(r.nextBoolean() ? KInstr.BinaryKind.ADD : KInstr.BinaryKind.XOR, p, other);
    }

    private void load(Scope s) {
        switch (r.nextInt(4) == 0 ? r.nextInt(6) : 5 + r.nextInt(4)) {
            case 0 -> s.of(KType.F32).add(b.load(inF32, index(s)));
            case 1 -> s.of(KType.F64).add(b.load(inF64, index(s)));
            case 2 -> s.of(KType.I32).add(b.load(inI32, index(s)));
            case 3 -> s.of(KType.F32).add(b.load(parF32, index(s)));
            case 4 -> s.of(KType.I32).add(r.nextBoolean() ? b.load(parI32, index(s))
                    : b.load(parI32, b.sub(b.length(parI32), b.constI(KType.I64, 1 + r.nextInt(ELEMENTS)))));
            case 5 -> s.of(KType.F64).add(b.load(state, index(s)));
            case 6 -> s.of(KType.F32).add(b.load(r.nextBoolean() ? scratchF32 : outF32, index(s)));
            case 7 -> s.of(KType.F64).add(b.load(r.nextBoolean() ? scratchF64 : outF64, index(s)));
            default -> s.of(KType.I32).add(b.load(r.nextBoolean() ? scratchI32 : outI32, index(s)));
        }
    }

    private void store(Scope s) {
        KType t = NUMBERS[r.nextInt(NUMBERS.length)];
        int buffer = switch (r.nextInt(4)) {
            case 0 -> out(t);
            case 1 -> t == KType.F64 ? state : out(t);
            default -> scratch(t);
        };
        b.store(buffer, index(s), value(s, t));
    }

    private int out(KType t) {
        return t == KType.F32 ? outF32 : t == KType.F64 ? outF64 : outI32;
    }

    private int scratch(KType t) {
        return t == KType.F32 ? scratchF32 : t == KType.F64 ? scratchF64 : scratchI32;
    }

    /**
     * A uniform i32 index inside every buffer: a constant, a sum of constants, an element of the i32 param
     * (which holds indices), or an expression of an enclosing loop's index.
     */
    private KValue index(Scope s) {
        if (r.nextInt(8) == 0) {
            return b.load(parI32, b.index(r.nextInt(ELEMENTS)));
        }
        List<Enclosing> loops = s.loops();
        int pick = r.nextInt(loops.isEmpty() ? 2 : 5);
        if (pick == 0 || (pick >= 2 && loops.isEmpty())) {
            return b.index(r.nextInt(ELEMENTS));
        }
        if (pick == 1) {
            int x = r.nextInt(ELEMENTS);
            int y = r.nextInt(ELEMENTS - x);
            return b.add(b.index(x), b.index(y));
        }
        Enclosing e = loops.get(r.nextInt(loops.size()));
        return switch (pick) {
            case 2 -> e.index();
            case 3 -> b.add(e.index(), b.index(r.nextInt(ELEMENTS - Math.max(e.end(), 1) + 1)));
            default -> b.sub(b.index(ELEMENTS - 1), e.index());
        };
    }

    /** A value of type {@code t}: one in scope, or a fresh constant. */
    private KValue value(Scope s, KType t) {
        List<KValue> vs = s.of(t);
        if (vs.isEmpty() || r.nextInt(6) == 0) {
            return constant(t);
        }
        return vs.get(vs.size() - 1 - r.nextInt(Math.min(vs.size(), 6)));
    }

    private KValue constant(KType t) {
        return switch (t) {
            case F32, F64 -> b.constF(t, specialFloat(r));
            case I32 -> b.constI(t, specialInt(r));
            case I64 -> b.constI(t, r.nextLong());
            case BOOL -> b.bool(r.nextBoolean());
        };
    }

    private KValue bool(Scope s) {
        List<KValue> bs = s.of(KType.BOOL);
        int pick = r.nextInt(bs.isEmpty() ? 1 : 4);
        return switch (pick) {
            case 0 -> {
                KType t = NUMBERS[r.nextInt(NUMBERS.length)];
                KValue a = value(s, t);
                yield b.compare(KInstr.CompareKind.values()[r.nextInt(6)], a, r.nextInt(5) == 0 ? a : value(s, t));
            }
            case 1 -> b.not(bs.get(r.nextInt(bs.size())));
            case 2 -> b.and(bs.get(r.nextInt(bs.size())), r.nextBoolean() ? b.bool(r.nextBoolean()) : bs.get(r.nextInt(bs.size())));
            default -> b.or(bs.get(r.nextInt(bs.size())), r.nextBoolean() ? b.bool(r.nextBoolean()) : bs.get(r.nextInt(bs.size())));
        };
    }

    private KValue op(Scope s, KType t) {
        int pick = r.nextInt(10);
        return switch (pick) {
            case 0 -> constant(t);
            case 1, 2, 3 -> {
                KInstr.BinaryKind kind = binaryKind(t);
                KValue a = value(s, t);
                int other = r.nextInt(6);
                KValue y = other == 0 ? a : other <= 2 ? identityConstant(t) : value(s, t);
                yield r.nextBoolean() ? b.binary(kind, a, y) : b.binary(kind, y, a);
            }
            case 4 -> b.unary(unaryKind(t), value(s, t));
            case 5 -> t.isFloat() ? b.fma(value(s, t), value(s, t), value(s, t)) : b.mul(value(s, t), value(s, t));
            case 6, 7 -> {
                List<KValue> bs = s.of(KType.BOOL);
                KValue c = bs.isEmpty() || r.nextInt(4) == 0 ? (r.nextBoolean() ? b.bool(r.nextBoolean()) : bool(s))
                        : bs.get(r.nextInt(bs.size()));
                KValue a = value(s, t);
                yield b.select(c, a, r.nextInt(5) == 0 ? a : value(s, t));
            }
            default -> {
                KType from = r.nextInt(5) == 0 ? KType.BOOL : NUMBERS[r.nextInt(NUMBERS.length)];
                KValue a = from == KType.BOOL ? (s.of(KType.BOOL).isEmpty() ? b.bool(true) : value(s, KType.BOOL)) : value(s, from);
                KValue c = b.convert(t, a);
                yield c == a ? b.neg(a) : c;
            }
        };
    }

    /** A constant that is an identity or absorbing element of some operation of {@code t}. */
    private KValue identityConstant(KType t) {
        if (t.isFloat()) {
            double[] xs = {0.0, -0.0, 1.0, -1.0, 2.0};
            return b.constF(t, xs[r.nextInt(xs.length)]);
        }
        long[] xs = {0, 1, -1, 2, Integer.MIN_VALUE};
        return b.constI(t, xs[r.nextInt(xs.length)]);
    }

    private KInstr.BinaryKind binaryKind(KType t) {
        KInstr.BinaryKind[] floats = {KInstr.BinaryKind.ADD, KInstr.BinaryKind.SUB, KInstr.BinaryKind.MUL, KInstr.BinaryKind.DIV,
            KInstr.BinaryKind.MIN, KInstr.BinaryKind.MAX, KInstr.BinaryKind.REM, KInstr.BinaryKind.POW};
        KInstr.BinaryKind[] ints = {KInstr.BinaryKind.ADD, KInstr.BinaryKind.SUB, KInstr.BinaryKind.MUL, KInstr.BinaryKind.DIV,
            KInstr.BinaryKind.MIN, KInstr.BinaryKind.MAX, KInstr.BinaryKind.REM, KInstr.BinaryKind.AND, KInstr.BinaryKind.OR,
            KInstr.BinaryKind.XOR};
        return t.isFloat() ? floats[r.nextInt(floats.length)] : ints[r.nextInt(ints.length)];
    }

    private KInstr.UnaryKind unaryKind(KType t) {
        KInstr.UnaryKind[] floats = {KInstr.UnaryKind.NEG, KInstr.UnaryKind.ABS, KInstr.UnaryKind.SQRT, KInstr.UnaryKind.EXP,
            KInstr.UnaryKind.LOG, KInstr.UnaryKind.RECIPROCAL, KInstr.UnaryKind.SIGN};
        KInstr.UnaryKind[] ints = {KInstr.UnaryKind.NEG, KInstr.UnaryKind.ABS, KInstr.UnaryKind.SIGN, KInstr.UnaryKind.NOT};
        return t.isFloat() ? floats[r.nextInt(floats.length)] : ints[r.nextInt(ints.length)];
    }

    private static double specialFloat(Random r) {
        double[] xs = {0.0, -0.0, -0.0, 1.0, -1.0, 0.5, 2.0, 3.0, 0.1, 1e-40, 1e30, Double.NaN, Double.POSITIVE_INFINITY,
            Double.NEGATIVE_INFINITY, 16777217.0};
        return r.nextInt(4) == 0 ? (r.nextDouble() - 0.5) * 100 : xs[r.nextInt(xs.length)];
    }

    private static long specialInt(Random r) {
        long[] xs = {0, 1, -1, 2, 3, 7, Integer.MAX_VALUE, Integer.MIN_VALUE, 65536, -3};
        return r.nextInt(3) == 0 ? r.nextInt() : xs[r.nextInt(xs.length)];
    }

    /**
     * Storage for every buffer of {@code k} for {@code batch} items, filled from {@code seed} (scratch: null); an i32
     * param holds indices below {@link #ELEMENTS}.
     */
    public static double[][] inputs(Kernel k, long seed, int batch) {
        Random r = new Random(seed);
        double[][] buffers = new double[k.buffers().size()][];
        for (int i = 0; i < buffers.length; i++) {
            KBuffer buf = k.buffers().get(i);
            if (buf.role() == KBuffer.Role.SCRATCH) {
                continue;
            }
            int n = buf.role().batched() ? buf.elements() * batch : buf.elements() < 0 ? ELEMENTS : buf.elements();
            buffers[i] = new double[n];
            for (int e = 0; e < n; e++) {
                if (buf.role() == KBuffer.Role.PARAM && buf.type() == KType.I32) {
                    buffers[i][e] = r.nextInt(ELEMENTS);
                    continue;
                }
                buffers[i][e] = switch (buf.type()) {
                    case F32 -> (float) specialFloat(r);
                    case F64 -> specialFloat(r);
                    case I32 -> specialInt(r);
                    case I64 -> r.nextInt();
                    case BOOL -> throw new IllegalStateException("bool buffer");
                };
            }
        }
        return buffers;
    }

    /** Arguments of {@code k} filled from {@code seed}. */
    public static double[] args(Kernel k, long seed) {
        Random r = new Random(seed ^ 0x5DEECE66DL);
        double[] args = new double[k.args().size()];
        for (int i = 0; i < args.length; i++) {
            args[i] = switch (k.args().get(i)) {
                case F32 -> (float) specialFloat(r);
                case F64 -> specialFloat(r);
                case I32, I64, BOOL -> specialInt(r);
            };
        }
        return args;
    }

    /** Runs both kernels on the inputs of {@code seed} and fails unless every buffer ends bit for bit the same. */
    public static void assertSameResults(Kernel expected, Kernel actual, long seed, int batch) {
        double[][] a = inputs(expected, seed, batch);
        double[][] b = inputs(actual, seed, batch);
        KirEvaluator.run(expected, a, args(expected, seed), batch);
        KirEvaluator.run(actual, b, args(actual, seed), batch);
        for (int i = 0; i < a.length; i++) {
            if (a[i] == null) {
                continue;
            }
            for (int e = 0; e < a[i].length; e++) {
                if (Double.doubleToLongBits(a[i][e]) != Double.doubleToLongBits(b[i][e])) {
                    fail("seed " + seed + ": buffer " + expected.buffers().get(i).name() + "[" + e + "] is " + b[i][e] + ", expected "
                            + a[i][e] + "\nbefore:\n" + expected + "\nafter:\n" + actual);
                }
            }
        }
    }
}
