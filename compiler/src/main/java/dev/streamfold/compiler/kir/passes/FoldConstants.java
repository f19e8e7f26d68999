package dev.streamfold.compiler.kir.passes;

import dev.streamfold.compiler.kir.KInstr;
import dev.streamfold.compiler.kir.KType;
import dev.streamfold.compiler.kir.KValue;
import dev.streamfold.compiler.kir.Kernel;
import java.util.ArrayList;
import java.util.List;

/**
 * Folds instructions over constants into constants, with the {@link dev.streamfold.compiler.kir.KirEvaluator}'s
 * arithmetic: integer and bool arithmetic, comparisons, selects and conversions of every kind; floating
 * arithmetic only where it is correctly rounded (add, sub, mul, div, rem, min, max, neg, abs, sqrt, reciprocal,
 * sign, fma, comparisons, conversions), never exp, log or pow. A select on a constant condition or of one value
 * twice becomes that value, a loop of no trips its initial values, and exact identities are applied: for
 * integers x+0, x-0, x*1, x*0, x/1, x/0 (0), x%1, x%-1, x%0 (0), x-x, x&0, x&-1, x|0, x|-1, x^0, x^x, x&x, x|x, min and
 * max of x and x, and comparisons of x with itself; for floats only those exact on every value, -0.0 and NaN
 * included: x+(-0.0), x-0.0, x*1.0, x/1.0, min and max of x and x (never x+0.0, since -0.0+0.0 is 0.0). A folded
 * instruction keeps its id as a uniform constant.
 */
public final class FoldConstants implements KirPass {
    @Override
    public String name() {
        return "fold";
    }

    @Override
    public Kernel run(Kernel k) {
        Fold f = new Fold(new ValueMap(), new boolean[k.nextId()], new long[k.nextId()], new double[k.nextId()]);
        return k.withBody(f.block(k.body()), k.nextId());
    }

    /** {@code known[id]}: the value is a constant, {@code ints[id]} (integers, bools) or {@code floats[id]}, as the evaluator holds it. */
    private record Fold(ValueMap map, boolean[] known, long[] ints, double[] floats) {
        List<KInstr> block(List<KInstr> body) {
            List<KInstr> out = new ArrayList<>(body.size());
            for (KInstr i : body) {
                if (i instanceof KInstr.Loop l) {
                    if (l.trips() == 0) {
                        for (int j = 0; j < l.results().size(); j++) {
                            map.put(l.results().get(j), map.get(l.inits().get(j)));
                        }
                    } else {
                        List<KInstr> inner = block(l.body());
                        out.add(map.loop(l, inner));
                    }
                    continue;
                }
                KInstr r = fold(map.rewrite(i), i.dst());
                if (r != null) {
                    out.add(r);
                    if (r instanceof KInstr.ConstI c) {
                        known[c.dst().id()] = true;
                        ints[c.dst().id()] = wrap(c.dst().type(), c.value());
                    } else if (r instanceof KInstr.ConstF c) {
                        known[c.dst().id()] = true;
                        floats[c.dst().id()] = round(c.dst().type(), c.value());
                    }
                }
            }
            return out;
        }

        /** The instruction to emit for {@code r} (rewritten from one defining {@code old}), or null when a value replaces it. */
        private KInstr fold(KInstr r, KValue old) {
            return switch (r) {
                case KInstr.ConstF c -> c;
                case KInstr.ConstI c -> c;
                case KInstr.Arg a -> a;
                case KInstr.Length n -> n;
                case KInstr.Load l -> l;
                case KInstr.Store s -> s;
                case KInstr.Loop l -> l;
                case KInstr.Unary u -> known(u.a()) ? unary(u, old) : u;
                case KInstr.Binary b -> binary(b, old);
                case KInstr.Fma f -> known(f.a()) && known(f.b()) && known(f.c())
                        ? constF(old, f.dst().type() == KType.F32
                                ? Math.fma((float) floats[f.a().id()], (float) floats[f.b().id()], (float) floats[f.c().id()])
                                : Math.fma(floats[f.a().id()], floats[f.b().id()], floats[f.c().id()]))
                        : f;
                case KInstr.Compare c -> compare(c, old);
                case KInstr.Select s -> {
                    if (known(s.cond())) {
                        yield replace(old, ints[s.cond().id()] != 0 ? s.a() : s.b());
                    }
                    yield s.a().equals(s.b()) ? replace(old, s.a()) : s;
                }
                case KInstr.Convert c -> known(c.a()) ? convert(c, old) : c;
            };
        }

        private KInstr unary(KInstr.Unary u, KValue old) {
            KType t = u.dst().type();
            if (!t.isFloat()) {
                long a = ints[u.a().id()];
                return constI(old, switch (u.kind()) {
                    case NEG -> -a;
                    case ABS -> Math.abs(a);
                    case SIGN -> Long.signum(a);
                    case NOT -> t == KType.BOOL ? 1 - a : ~a;
                    case SQRT, EXP, LOG, RECIPROCAL -> throw new IllegalStateException(u.kind() + " of an integer");
                });
            }
            double a = floats[u.a().id()];
            return switch (u.kind()) {
                case NEG -> constF(old, -a);
                case ABS -> constF(old, Math.abs(a));
                case SQRT -> constF(old, Math.sqrt(a));
                case RECIPROCAL -> constF(old, 1.0 / a);
                case SIGN -> constF(old, Math.signum(a));
                case EXP, LOG -> u;
                case NOT -> throw new IllegalStateException("not of a float");
            };
        }

        private KInstr binary(KInstr.Binary b, KValue old) {
            KType t = b.dst().type();
            boolean ka = known(b.a());
            boolean kb = known(b.b());
            boolean same = b.a().equals(b.b());
            if (!t.isFloat()) {
                long x = ints[b.a().id()];
                long y = ints[b.b().id()];
                long ones = t == KType.BOOL ? 1 : -1;
                if (ka && kb) {
                    return constI(old, switch (b.kind()) {
                        case ADD -> x + y;
                        case SUB -> x - y;
                        case MUL -> x * y;
                        case DIV -> y == 0 ? 0 : x / y;
                        case REM -> y == 0 ? 0 : x % y;
                        case MIN -> Math.min(x, y);
                        case MAX -> Math.max(x, y);
                        case AND -> x & y;
                        case OR -> x | y;
                        case XOR -> x ^ y;
                        case POW -> throw new IllegalStateException("pow of integers");
                    });
                }
                return switch (b.kind()) {
                    case ADD -> kb && y == 0 ? replace(old, b.a()) : ka && x == 0 ? replace(old, b.b()) : b;
                    case SUB -> kb && y == 0 ? replace(old, b.a()) : same ? constI(old, 0) : b;
                    case MUL -> kb && y == 1 ? replace(old, b.a()) : ka && x == 1 ? replace(old, b.b())
                            : (kb && y == 0) || (ka && x == 0) ? constI(old, 0) : b;
                    case DIV -> kb && y == 1 ? replace(old, b.a()) : kb && y == 0 ? constI(old, 0) : b;
                    case REM -> kb && (y == 1 || y == 0 || y == -1) ? constI(old, 0) : b;
                    case MIN, MAX -> same ? replace(old, b.a()) : b;
                    case AND -> same || (kb && y == ones) ? replace(old, b.a()) : ka && x == ones ? replace(old, b.b())
                            : (kb && y == 0) || (ka && x == 0) ? constI(old, 0) : b;
                    case OR -> same || (kb && y == 0) ? replace(old, b.a()) : ka && x == 0 ? replace(old, b.b())
                            : (kb && y == ones) || (ka && x == ones) ? constI(old, ones) : b;
                    case XOR -> same ? constI(old, 0) : kb && y == 0 ? replace(old, b.a()) : ka && x == 0 ? replace(old, b.b()) : b;
                    case POW -> throw new IllegalStateException("pow of integers");
                };
            }
            double x = floats[b.a().id()];
            double y = floats[b.b().id()];
            if (ka && kb) {
                return switch (b.kind()) {
                    case ADD -> constF(old, x + y);
                    case SUB -> constF(old, x - y);
                    case MUL -> constF(old, x * y);
                    case DIV -> constF(old, x / y);
                    case REM -> constF(old, t == KType.F32 ? (float) x % (float) y : x % y);
                    case MIN -> constF(old, Math.min(x, y));
                    case MAX -> constF(old, Math.max(x, y));
                    case POW -> b;
                    case AND, OR, XOR -> throw new IllegalStateException(b.kind() + " of floats");
                };
            }
            return switch (b.kind()) {
                case ADD -> kb && isNegativeZero(y) ? replace(old, b.a()) : ka && isNegativeZero(x) ? replace(old, b.b()) : b;
                case SUB -> kb && isPositiveZero(y) ? replace(old, b.a()) : b;
                case MUL -> kb && y == 1.0 ? replace(old, b.a()) : ka && x == 1.0 ? replace(old, b.b()) : b;
                case DIV -> kb && y == 1.0 ? replace(old, b.a()) : b;
                case MIN, MAX -> same ? replace(old, b.a()) : b;
                case REM, POW -> b;
                case AND, OR, XOR -> throw new IllegalStateException(b.kind() + " of floats");
            };
        }

        private KInstr compare(KInstr.Compare c, KValue old) {
            boolean floating = c.a().type().isFloat();
            if (known(c.a()) && known(c.b())) {
                boolean r;
                if (floating) {
                    double x = floats[c.a().id()];
                    double y = floats[c.b().id()];
                    r = switch (c.kind()) {
                        case LT -> x < y;
                        case LE -> x <= y;
                        case GT -> x > y;
                        case GE -> x >= y;
                        case EQ -> x == y;
                        case NE -> x != y;
                    };
                } else {
                    long x = ints[c.a().id()];
                    long y = ints[c.b().id()];
                    r = switch (c.kind()) {
                        case LT -> x < y;
                        case LE -> x <= y;
                        case GT -> x > y;
                        case GE -> x >= y;
                        case EQ -> x == y;
                        case NE -> x != y;
                    };
                }
                return constI(old, r ? 1 : 0);
            }
            if (!floating && c.a().equals(c.b())) {
                return constI(old, switch (c.kind()) {
                    case EQ, LE, GE -> 1;
                    case NE, LT, GT -> 0;
                });
            }
            return c;
        }

        private KInstr convert(KInstr.Convert c, KValue old) {
            KType from = c.a().type();
            KType to = c.dst().type();
            if (to == KType.BOOL) {
                return constI(old, from.isFloat() ? (floats[c.a().id()] != 0 ? 1 : 0) : (ints[c.a().id()] != 0 ? 1 : 0));
            }
            if (to.isFloat()) {
                long n = ints[c.a().id()];
                return constF(old, from.isFloat() ? floats[c.a().id()] : to == KType.F32 ? (double) (float) n : (double) n);
            }
            if (from.isFloat()) {
                double x = floats[c.a().id()];
                return constI(old, to == KType.I32 ? (long) (int) x : (long) x);
            }
            return constI(old, ints[c.a().id()]);
        }

        private boolean known(KValue v) {
            return known[v.id()];
        }

        private KInstr replace(KValue old, KValue by) {
            map.put(old, by);
            return null;
        }

        private KInstr constI(KValue old, long value) {
            KValue d = new KValue(old.id(), old.type(), false);
            map.put(old, d);
            return new KInstr.ConstI(d, wrap(old.type(), value));
        }

        private KInstr constF(KValue old, double value) {
            KValue d = new KValue(old.id(), old.type(), false);
            map.put(old, d);
            return new KInstr.ConstF(d, round(old.type(), value));
        }
    }

    /** {@code x} as the evaluator holds a value of integer or bool type {@code t}. */
    private static long wrap(KType t, long x) {
        return switch (t) {
            case I32 -> (int) x;
            case BOOL -> x != 0 ? 1 : 0;
            case I64, F32, F64 -> x;
        };
    }

    /** {@code x} as the evaluator holds a value of floating type {@code t}. */
    private static double round(KType t, double x) {
        return t == KType.F32 ? (double) (float) x : x;
    }

    private static boolean isNegativeZero(double x) {
        return Double.doubleToRawLongBits(x) == Long.MIN_VALUE;
    }

    private static boolean isPositiveZero(double x) {
        return Double.doubleToRawLongBits(x) == 0L;
    }
}
