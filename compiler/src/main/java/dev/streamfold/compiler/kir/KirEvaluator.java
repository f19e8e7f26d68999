package dev.streamfold.compiler.kir;

import java.util.List;

/**
 * The reference semantics of kernel IR v2: runs the body once per batch item, in program order, with
 * float32 values rounded to float32 after every operation (fma rounded once), integers wrapped to their
 * width and conversions as {@link KInstr.Convert} states. Buffers are {@code double[]} arrays (integers held
 * exactly), batched ones in structure-of-arrays layout with stride {@code batch}; scratch buffers are
 * private to the evaluator. Every pass and every backend is tested against this.
 */
public final class KirEvaluator {
    private KirEvaluator() {}

    /**
     * Runs {@code k} over items {@code [0, batch)}. {@code buffers[i]} is buffer {@code i}'s storage
     * ({@code elements * batch} values when batched, its whole content for params; ignored for scratch);
     * {@code args[i]} is argument {@code i} (integers given exactly).
     */
    public static void run(Kernel k, double[][] buffers, double[] args, int batch) {
        KirVerifier.verify(k);
        if (buffers.length != k.buffers().size() || args.length != k.args().size()) {
            throw new IllegalArgumentException("kernel " + k.name() + " takes " + k.buffers().size() + " buffers and "
                    + k.args().size() + " arguments, got " + buffers.length + " and " + args.length);
        }
        for (int i = 0; i < buffers.length; i++) {
            KBuffer b = k.buffers().get(i);
            if (b.role() == KBuffer.Role.SCRATCH) {
                continue;
            }
            long need = b.role().batched() ? (long) b.elements() * batch : Math.max(b.elements(), 0);
            if (buffers[i] == null || buffers[i].length < need) {
                throw new IllegalArgumentException("buffer " + b.name() + " needs " + need + " values");
            }
        }
        for (int item = 0; item < batch; item++) {
            Item it = new Item(k, buffers, args, batch, item);
            it.block(k.body());
        }
    }

    private static final class Item {
        private final Kernel k;
        private final double[][] buffers;
        private final double[] args;
        private final int batch;
        private final int item;
        private final double[] f;
        private final long[] n;
        private final double[][] scratch;

        Item(Kernel k, double[][] buffers, double[] args, int batch, int item) {
            this.k = k;
            this.buffers = buffers;
            this.args = args;
            this.batch = batch;
            this.item = item;
            this.f = new double[k.nextId()];
            this.n = new long[k.nextId()];
            this.scratch = new double[k.buffers().size()][];
            for (int i = 0; i < scratch.length; i++) {
                if (k.buffers().get(i).role() == KBuffer.Role.SCRATCH) {
                    scratch[i] = new double[k.buffers().get(i).elements()];
                }
            }
        }

        void block(List<KInstr> body) {
            for (KInstr i : body) {
                switch (i) {
                    case KInstr.ConstF c -> setF(c.dst(), c.value());
                    case KInstr.ConstI c -> setI(c.dst(), c.value());
                    case KInstr.Arg a -> set(a.dst(), args[a.index()]);
                    case KInstr.Length l -> setI(l.dst(), buffers[l.buffer()].length);
                    case KInstr.Load l -> set(l.dst(), storage(l.buffer())[address(l.buffer(), l.index())]);
                    case KInstr.Store s -> storage(s.buffer())[address(s.buffer(), s.index())] = get(s.value());
                    case KInstr.Unary u -> unary(u);
                    case KInstr.Binary b -> binary(b);
                    case KInstr.Fma m -> setF(m.dst(), m.dst().type() == KType.F32
                            ? Math.fma((float) f[m.a().id()], (float) f[m.b().id()], (float) f[m.c().id()])
                            : Math.fma(f[m.a().id()], f[m.b().id()], f[m.c().id()]));
                    case KInstr.Compare c -> setI(c.dst(), compare(c) ? 1 : 0);
                    case KInstr.Select s -> copy(s.dst(), n[s.cond().id()] != 0 ? s.a() : s.b());
                    case KInstr.Convert c -> convert(c);
                    case KInstr.Loop l -> loop(l);
                }
            }
        }

        private void loop(KInstr.Loop l) {
            int carries = l.params().size();
            double[] carriedF = new double[carries];
            long[] carriedN = new long[carries];
            for (int j = 0; j < carries; j++) {
                carriedF[j] = f[l.inits().get(j).id()];
                carriedN[j] = n[l.inits().get(j).id()];
            }
            for (int at = l.start(); at < l.end(); at++) {
                setI(l.index(), at);
                for (int j = 0; j < carries; j++) {
                    f[l.params().get(j).id()] = carriedF[j];
                    n[l.params().get(j).id()] = carriedN[j];
                }
                block(l.body());
                for (int j = 0; j < carries; j++) {
                    carriedF[j] = f[l.yields().get(j).id()];
                    carriedN[j] = n[l.yields().get(j).id()];
                }
            }
            for (int j = 0; j < carries; j++) {
                f[l.results().get(j).id()] = carriedF[j];
                n[l.results().get(j).id()] = carriedN[j];
            }
        }

        private double[] storage(int buffer) {
            return scratch[buffer] != null ? scratch[buffer] : buffers[buffer];
        }

        private int address(int buffer, KValue index) {
            KBuffer b = k.buffers().get(buffer);
            long e = n[index.id()];
            long length = b.role() == KBuffer.Role.PARAM ? buffers[buffer].length : b.elements();
            if (e < 0 || e >= length) {
                throw new IndexOutOfBoundsException("kernel " + k.name() + ": index " + e + " outside buffer " + b.name()
                        + " of " + length + " elements");
            }
            if (b.role() == KBuffer.Role.PARAM || b.role() == KBuffer.Role.SCRATCH) {
                return (int) e;
            }
            return Math.toIntExact(e * batch + item);
        }

        private void unary(KInstr.Unary u) {
            KType t = u.dst().type();
            if (!t.isFloat()) {
                long a = n[u.a().id()];
                setI(u.dst(), switch (u.kind()) {
                    case NEG -> -a;
                    case ABS -> Math.abs(a);
                    case SIGN -> Long.signum(a);
                    case NOT -> t == KType.BOOL ? 1 - a : ~a;
                    case SQRT, EXP, LOG, RECIPROCAL -> throw new IllegalStateException(u.kind() + " of an integer");
                });
                return;
            }
            double a = f[u.a().id()];
            boolean f32 = t == KType.F32;
            setF(u.dst(), switch (u.kind()) {
                case NEG -> -a;
                case ABS -> Math.abs(a);
                case SQRT -> Math.sqrt(a);
                case EXP -> f32 ? (double) (float) Math.exp(a) : Math.exp(a);
                case LOG -> f32 ? (double) (float) Math.log(a) : Math.log(a);
                case RECIPROCAL -> 1.0 / a;
                case SIGN -> Math.signum(a);
                case NOT -> throw new IllegalStateException("not of a float");
            });
        }

        private void binary(KInstr.Binary b) {
            KType t = b.dst().type();
            if (!t.isFloat()) {
                long x = n[b.a().id()];
                long y = n[b.b().id()];
                setI(b.dst(), switch (b.kind()) {
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
                return;
            }
            double x = f[b.a().id()];
            double y = f[b.b().id()];
            setF(b.dst(), switch (b.kind()) {
                case ADD -> x + y;
                case SUB -> x - y;
                case MUL -> x * y;
                case DIV -> x / y;
                case REM -> t == KType.F32 ? (float) x % (float) y : x % y;
                case MIN -> Math.min(x, y);
                case MAX -> Math.max(x, y);
                case POW -> Math.pow(x, y);
                case AND, OR, XOR -> throw new IllegalStateException(b.kind() + " of floats");
            });
        }

        private boolean compare(KInstr.Compare c) {
            if (c.a().type().isFloat()) {
                double x = f[c.a().id()];
                double y = f[c.b().id()];
                return switch (c.kind()) {
                    case LT -> x < y;
                    case LE -> x <= y;
                    case GT -> x > y;
                    case GE -> x >= y;
                    case EQ -> x == y;
                    case NE -> x != y;
                };
            }
            long x = n[c.a().id()];
            long y = n[c.b().id()];
            return switch (c.kind()) {
                case LT -> x < y;
                case LE -> x <= y;
                case GT -> x > y;
                case GE -> x >= y;
                case EQ -> x == y;
                case NE -> x != y;
            };
        }

        private void convert(KInstr.Convert c) {
            KType from = c.a().type();
            KType to = c.dst().type();
            if (to == KType.BOOL) {
                setI(c.dst(), from.isFloat() ? (f[c.a().id()] != 0 ? 1 : 0) : (n[c.a().id()] != 0 ? 1 : 0));
            } else if (to.isFloat()) {
                setF(c.dst(), from.isFloat() ? f[c.a().id()] : to == KType.F32 ? (double) (float) n[c.a().id()] : (double) n[c.a().id()]);
            } else if (from.isFloat()) {
                double x = f[c.a().id()];
                setI(c.dst(), to == KType.I32 ? (long) (int) x : (long) x);
            } else {
                setI(c.dst(), n[c.a().id()]);
            }
        }

        /** Copies {@code src}'s value to {@code dst} of the same type, exactly (an i64 does not pass through a double). */
        private void copy(KValue dst, KValue src) {
            f[dst.id()] = f[src.id()];
            n[dst.id()] = n[src.id()];
        }

        private double get(KValue v) {
            return v.type().isFloat() ? f[v.id()] : (double) n[v.id()];
        }

        private void set(KValue v, double x) {
            if (v.type().isFloat()) {
                setF(v, x);
            } else {
                setI(v, (long) x);
            }
        }

        private void setF(KValue v, double x) {
            f[v.id()] = v.type() == KType.F32 ? (double) (float) x : x;
        }

        private void setI(KValue v, long x) {
            n[v.id()] = switch (v.type()) {
                case I32 -> (int) x;
                case BOOL -> x != 0 ? 1 : 0;
                case I64, F32, F64 -> x;
            };
        }
    }
}
