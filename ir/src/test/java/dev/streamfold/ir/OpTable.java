package dev.streamfold.ir;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.Function;

/**
 * One-op programs for every op of the IR, over a few shapes and dtypes, with input factories that
 * keep away from the points where an op has no derivative. Drives the JVP finite-difference table
 * and the text round trip.
 */
final class OpTable {
    private OpTable() {}

    /** Draws one input of a given type. */
    @FunctionalInterface
    interface Sampler {
        Tensor draw(Random r, Type t);

        /** Every entry drawn alone. */
        static Sampler each(java.util.function.ToDoubleFunction<Random> f) {
            return (r, t) -> {
                double[] d = new double[Math.toIntExact(t.shape().size())];
                for (int k = 0; k < d.length; k++) {
                    d[k] = t.dtype().round(f.applyAsDouble(r));
                }
                return new Tensor(t.dtype(), t.shape(), d);
            };
        }
    }

    /** |x| in [0.2, 1.2], either sign: away from the kinks of abs, sign and 1/x. */
    static final Sampler ANY = Sampler.each(r -> (0.2 + r.nextDouble()) * (r.nextBoolean() ? 1 : -1));
    /** In [0.5, 2]: the domain of sqrt, log and a pow base. */
    static final Sampler POSITIVE = Sampler.each(r -> 0.5 + 1.5 * r.nextDouble());
    static final Sampler BOOLS = Sampler.each(r -> r.nextBoolean() ? 1 : 0);
    static final Sampler SMALL_INTS = Sampler.each(r -> r.nextInt(11) - 5);

    static Sampler index(int i) {
        return Sampler.each(r -> i);
    }

    /** The same int32 values in every batch entry (the last axis cycles through them). */
    static Sampler indices(int... values) {
        return (r, t) -> {
            double[] d = new double[Math.toIntExact(t.shape().size())];
            for (int k = 0; k < d.length; k++) {
                d[k] = values[k % values.length];
            }
            return new Tensor(t.dtype(), t.shape(), d);
        };
    }

    /** Square matrices with entries in [-1, 1] and 4 added to the diagonal: well-conditioned triangles. */
    static final Sampler DIAGONALLY_DOMINANT = (r, t) -> matrices(r, t, (a, n) -> {
        for (int i = 0; i < n; i++) {
            a[i * n + i] += 4 * Math.signum(a[i * n + i] + 0.5);
        }
    });

    /** Symmetric positive definite matrices {@code M M^T + n I}. */
    static final Sampler SPD = (r, t) -> matrices(r, t, (a, n) -> {
        double[] m = a.clone();
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                double s = i == j ? n : 0;
                for (int k = 0; k < n; k++) {
                    s += m[i * n + k] * m[j * n + k];
                }
                a[i * n + j] = s;
            }
        }
    });

    /** Symmetric matrices {@code (M + M^T) / 2}: distinct eigenvalues with probability one. */
    static final Sampler SYMMETRIC = (r, t) -> matrices(r, t, (a, n) -> {
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < i; j++) {
                double s = (a[i * n + j] + a[j * n + i]) / 2;
                a[i * n + j] = s;
                a[j * n + i] = s;
            }
        }
    });

    /** Draws entries in [-1, 1], then lets {@code shape} change each square matrix of the batch in place. */
    private static Tensor matrices(Random r, Type t, java.util.function.ObjIntConsumer<double[]> shape) {
        int n = t.shape().dim(t.rank() - 1);
        double[] d = new double[Math.toIntExact(t.shape().size())];
        for (int q = 0; q < d.length / (n * n); q++) {
            double[] a = new double[n * n];
            for (int k = 0; k < a.length; k++) {
                a[k] = 2 * r.nextDouble() - 1;
            }
            shape.accept(a, n);
            for (int k = 0; k < a.length; k++) {
                d[q * n * n + k] = t.dtype().round(a[k]);
            }
        }
        return new Tensor(t.dtype(), t.shape(), d);
    }

    /** An op applied to parameters of {@code inTypes}, each drawn by its sampler. */
    record Case(Op op, List<Type> inTypes, List<Sampler> samplers) {
        Case {
            inTypes = List.copyOf(inTypes);
            samplers = List.copyOf(samplers);
            if (inTypes.size() != samplers.size()) {
                throw new IllegalArgumentException(inTypes.size() + " inputs, " + samplers.size() + " samplers");
            }
        }

        /** {@code op(params...)} as a program returning all of the op's outputs. */
        Program program() {
            ProgramBuilder b = new ProgramBuilder();
            List<Var> ps = inTypes.stream().map(b::param).toList();
            return b.build(b.emit(op, ps));
        }

        List<Tensor> sample(Random r) {
            List<Tensor> out = new ArrayList<>();
            for (int i = 0; i < inTypes.size(); i++) {
                out.add(samplers.get(i).draw(r, inTypes.get(i)));
            }
            return out;
        }
    }

    /**
     * A table row: the case for a floating dtype, and the float64 case finite differences are taken
     * on (the same op unless rounding to another type would blur the differences).
     */
    record Row(String label, DType dtype, Case testCase, Case reference) {
        @Override
        public String toString() {
            return label + " " + dtype.shortName();
        }
    }

    static List<Row> rows() {
        List<Row> rows = new ArrayList<>();
        List<DType> floats = List.of(DType.F64, DType.F32);
        for (DType d : List.of(DType.F64, DType.F32, DType.I32, DType.BOOL)) {
            double[] v = d == DType.BOOL ? new double[] {1, 0, 0, 1, 1, 0} : new double[] {1, -2, 3, 0.5, -0.25, 8};
            if (d == DType.I32) {
                v = new double[] {1, -2, 3, 0, -7, 8};
            }
            Tensor t = new Tensor(d, new Shape(2, 3), d == DType.F32 ? Tensor.vector(DType.F64, v).astype(DType.F32).data() : v);
            add(rows, "constant f[2,3]", d, x -> new Case(new Constant(t), List.of(), List.of()));
        }
        add(rows, "constant scalar", DType.F64, x -> new Case(new Constant(Tensor.scalar(DType.F64, 2.5)), List.of(), List.of()));
        for (Unary.Kind k : Unary.Kind.values()) {
            Sampler s = k == Unary.Kind.SQRT || k == Unary.Kind.LOG ? POSITIVE : ANY;
            for (int[] shape : List.of(new int[] {}, new int[] {4}, new int[] {2, 3})) {
                for (DType d : floats) {
                    add(rows, k.name().toLowerCase() + " " + new Shape(shape), d,
                            x -> new Case(new Unary(k), List.of(Type.of(x, shape)), List.of(s)));
                }
            }
        }
        for (Binary.Kind k : Binary.Kind.values()) {
            Sampler left = k == Binary.Kind.POW ? POSITIVE : ANY;
            for (int[] shape : List.of(new int[] {}, new int[] {2, 3})) {
                for (DType d : floats) {
                    add(rows, k.name().toLowerCase() + " " + new Shape(shape), d,
                            x -> new Case(new Binary(k), List.of(Type.of(x, shape), Type.of(x, shape)), List.of(left, ANY)));
                }
            }
        }
        add(rows, "add i32", DType.I32,
                x -> new Case(new Binary(Binary.Kind.ADD), List.of(Type.of(x, 3), Type.of(x, 3)), List.of(SMALL_INTS, SMALL_INTS)));
        for (Compare.Kind k : Compare.Kind.values()) {
            for (DType d : floats) {
                add(rows, k.name().toLowerCase() + " [2,3]", d,
                        x -> new Case(new Compare(k), List.of(Type.of(x, 2, 3), Type.of(x, 2, 3)), List.of(SMALL_INTS, SMALL_INTS)));
            }
        }
        for (DType d : List.of(DType.F64, DType.F32, DType.I32)) {
            Sampler s = d == DType.I32 ? SMALL_INTS : ANY;
            add(rows, "select [2,3]", d, x -> new Case(new Select(),
                    List.of(Type.of(DType.BOOL, 2, 3), Type.of(x, 2, 3), Type.of(x, 2, 3)), List.of(BOOLS, s, s)));
        }
        rows.add(new Row("convert to f32", DType.F64,
                new Case(new Convert(DType.F32), List.of(Type.of(DType.F64, 2, 2)), List.of(ANY)),
                new Case(new Convert(DType.F64), List.of(Type.of(DType.F64, 2, 2)), List.of(ANY))));
        rows.add(new Row("convert to f64", DType.F32,
                new Case(new Convert(DType.F64), List.of(Type.of(DType.F32, 2, 2)), List.of(ANY)),
                new Case(new Convert(DType.F64), List.of(Type.of(DType.F64, 2, 2)), List.of(ANY))));
        for (DType d : floats) {
            add(rows, "convert to i32", d, x -> new Case(new Convert(DType.I32), List.of(Type.of(x, 3)), List.of(SMALL_INTS)));
            add(rows, "convert to bool", d, x -> new Case(new Convert(DType.BOOL), List.of(Type.of(x, 3)), List.of(SMALL_INTS)));
            add(rows, "convert from i32", d, x -> new Case(new Convert(x), List.of(Type.of(DType.I32, 3)), List.of(SMALL_INTS)));
            add(rows, "convert from bool", d, x -> new Case(new Convert(x), List.of(Type.of(DType.BOOL, 3)), List.of(BOOLS)));
        }
        for (DType d : List.of(DType.F64, DType.F32, DType.I32)) {
            Sampler s = d == DType.I32 ? SMALL_INTS : ANY;
            add(rows, "broadcast scalar", d,
                    x -> new Case(Broadcast.scalarTo(new Shape(2, 3)), List.of(Type.scalar(x)), List.of(s)));
            add(rows, "broadcast [3] -> [2,3]", d,
                    x -> new Case(new Broadcast(new Shape(2, 3), new int[] {1}), List.of(Type.of(x, 3)), List.of(s)));
            add(rows, "broadcast [2,1] -> [2,4,3]", d,
                    x -> new Case(new Broadcast(new Shape(2, 4, 3), new int[] {0, 2}), List.of(Type.of(x, 2, 1)), List.of(s)));
            add(rows, "reshape [2,3] -> [3,2]", d,
                    x -> new Case(new Reshape(new Shape(3, 2)), List.of(Type.of(x, 2, 3)), List.of(s)));
            add(rows, "reshape [] -> [1,1]", d, x -> new Case(new Reshape(new Shape(1, 1)), List.of(Type.scalar(x)), List.of(s)));
            add(rows, "transpose [2,3]", d, x -> new Case(new Transpose(new int[] {1, 0}), List.of(Type.of(x, 2, 3)), List.of(s)));
            add(rows, "transpose [2,3,4]", d,
                    x -> new Case(new Transpose(new int[] {2, 0, 1}), List.of(Type.of(x, 2, 3, 4)), List.of(s)));
            add(rows, "slice [4,5]", d, x -> new Case(new Slice(new int[] {1, 0}, new int[] {3, 4}), List.of(Type.of(x, 4, 5)),
                    List.of(s)));
            add(rows, "slice to empty", d, x -> new Case(new Slice(new int[] {2}, new int[] {2}), List.of(Type.of(x, 5)), List.of(s)));
            add(rows, "concatenate axis 0", d, x -> new Case(new Concatenate(0), List.of(Type.of(x, 2, 3), Type.of(x, 1, 3)),
                    List.of(s, s)));
            add(rows, "concatenate axis 1", d, x -> new Case(new Concatenate(1),
                    List.of(Type.of(x, 2, 3), Type.of(x, 2, 2), Type.of(x, 2, 1)), List.of(s, s, s)));
            for (int idx : new int[] {-1, 2, 7}) {
                add(rows, "take_clipped at " + idx, d, x -> new Case(new TakeClipped(),
                        List.of(Type.of(x, 4, 3), Type.scalar(DType.I32)), List.of(s, index(idx))));
            }
            for (int t : d.isFloating() ? new int[] {0, 2, 9} : new int[0]) {
                add(rows, "ring_dot of 3 rows at step " + t, d, x -> new Case(new RingDot(1),
                        List.of(Type.of(x, 3, 2), Type.of(x, 5), Type.scalar(DType.I32)), List.of(s, s, index(t))));
                add(rows, "ring_dot of 3 rows by writer at step " + t, d, x -> new Case(new RingDot(1),
                        List.of(Type.of(x, 3, 2), Type.of(x, 4, 5), Type.scalar(DType.I32)), List.of(s, s, index(t))));
                add(rows, "ring_push into 3 rows at step " + t, d, x -> new Case(new RingPush(),
                        List.of(Type.of(x, 3, 2), Type.scalar(DType.I32), Type.of(x, 2)), List.of(s, index(t), s)));
            }
        }
        for (Reduce.Kind k : Reduce.Kind.values()) {
            for (int[] axes : List.of(new int[] {0}, new int[] {1}, new int[] {0, 1}, new int[] {})) {
                for (DType d : floats) {
                    add(rows, "reduce_" + k.name().toLowerCase() + " [3,4] axes " + java.util.Arrays.toString(axes), d,
                            x -> new Case(new Reduce(k, axes), List.of(Type.of(x, 3, 4)), List.of(ANY)));
                }
            }
            add(rows, "reduce_" + k.name().toLowerCase() + " [2,3,4] axes [0, 2]", DType.F64,
                    x -> new Case(new Reduce(k, new int[] {0, 2}), List.of(Type.of(x, 2, 3, 4)), List.of(ANY)));
        }
        for (DType d : List.of(DType.F64, DType.F32, DType.I32)) {
            add(rows, "iota [2,3] dim 1", d, x -> new Case(new Iota(Type.of(x, 2, 3), 1), List.of(), List.of()));
        }
        for (DType d : floats) {
            add(rows, "matmul [2,3] x [3,4]", d,
                    x -> new Case(new MatMul(), List.of(Type.of(x, 2, 3), Type.of(x, 3, 4)), List.of(ANY, ANY)));
            add(rows, "matmul [2,2,3] x [2,3,2]", d,
                    x -> new Case(new MatMul(), List.of(Type.of(x, 2, 2, 3), Type.of(x, 2, 3, 2)), List.of(ANY, ANY)));
            add(rows, "matmul [2,0] x [0,3]", d,
                    x -> new Case(new MatMul(), List.of(Type.of(x, 2, 0), Type.of(x, 0, 3)), List.of(ANY, ANY)));
            add(rows, "matmul [2,0,2] x [2,2,3]", d,
                    x -> new Case(new MatMul(), List.of(Type.of(x, 2, 0, 2), Type.of(x, 2, 2, 3)), List.of(ANY, ANY)));
            add(rows, "matmul [1,1] x [1,1]", d,
                    x -> new Case(new MatMul(), List.of(Type.of(x, 1, 1), Type.of(x, 1, 1)), List.of(ANY, ANY)));
            add(rows, "scan of a damped sum", d, x -> dampedSum(x, false));
            add(rows, "scan of a damped sum, reversed", d, x -> dampedSum(x, true));
            add(rows, "scan with an int32 counter", d, OpTable::counterScan);
            add(rows, "scan without xs", d, OpTable::powerScan);
        }
        linalgRows(rows);
        return rows;
    }

    /** The linear-algebra ops and their helpers, over square, tall, wide and batched shapes. */
    private static void linalgRows(List<Row> rows) {
        List<DType> floats = List.of(DType.F64, DType.F32);
        for (DType d : floats) {
            add(rows, "gather_rows [4,3] by [2,0,3]", d, x -> new Case(new GatherRows(),
                    List.of(Type.of(x, 4, 3), Type.of(DType.I32, 3)), List.of(ANY, indices(2, 0, 3))));
            add(rows, "gather_rows [2,4,3] by [2,2]", d, x -> new Case(new GatherRows(),
                    List.of(Type.of(x, 2, 4, 3), Type.of(DType.I32, 2, 2)), List.of(ANY, indices(3, 1))));
            for (boolean lower : new boolean[] {true, false}) {
                for (int offset : new int[] {-1, 0, 2}) {
                    add(rows, "triangle lower=" + lower + " offset=" + offset + " [3,4]", d,
                            x -> new Case(new Triangle(lower, offset), List.of(Type.of(x, 3, 4)), List.of(ANY)));
                }
            }
            add(rows, "triangle [2,3,3]", d, x -> new Case(new Triangle(true, 0), List.of(Type.of(x, 2, 3, 3)), List.of(ANY)));
            add(rows, "diag_part [3,4]", d, x -> new Case(new DiagPart(), List.of(Type.of(x, 3, 4)), List.of(ANY)));
            add(rows, "diag_part [2,3,2]", d, x -> new Case(new DiagPart(), List.of(Type.of(x, 2, 3, 2)), List.of(ANY)));
            add(rows, "diag_embed [3]", d, x -> new Case(new DiagEmbed(), List.of(Type.of(x, 3)), List.of(ANY)));
            add(rows, "diag_embed [2,3]", d, x -> new Case(new DiagEmbed(), List.of(Type.of(x, 2, 3)), List.of(ANY)));
            add(rows, "derivative_guard", d, x -> new Case(new DerivativeGuard(DerivativeGuard.Condition.DISTINCT_EIGENVALUES),
                    List.of(Type.of(x, 2, 3), Type.of(x, 2, 3, 3)), List.of(ANY, ANY)));
            for (int flags = 0; flags < 16; flags++) {
                boolean left = (flags & 1) != 0;
                boolean lower = (flags & 2) != 0;
                boolean trans = (flags & 4) != 0;
                boolean unit = (flags & 8) != 0;
                String label = "triangular_solve left_side=" + left + " lower=" + lower + " transpose_a=" + trans
                        + " unit_diagonal=" + unit;
                add(rows, label, d, x -> new Case(new TriangularSolve(left, lower, trans, unit),
                        List.of(Type.of(x, 3, 3), left ? Type.of(x, 3, 2) : Type.of(x, 2, 3)), List.of(DIAGONALLY_DOMINANT, ANY)));
            }
            add(rows, "triangular_solve [2,4,4] batch", d, x -> new Case(new TriangularSolve(true, true, false, false),
                    List.of(Type.of(x, 2, 4, 4), Type.of(x, 2, 4, 3)), List.of(DIAGONALLY_DOMINANT, ANY)));
            for (boolean sym : new boolean[] {true, false}) {
                add(rows, "cholesky symmetrize_input=" + sym + " [4,4]", d,
                        x -> new Case(new Cholesky(sym), List.of(Type.of(x, 4, 4)), List.of(SPD)));
            }
            add(rows, "cholesky [3,3,3] batch", d, x -> new Case(new Cholesky(true), List.of(Type.of(x, 3, 3, 3)), List.of(SPD)));
            for (int[] shape : List.of(new int[] {1, 1}, new int[] {4, 4}, new int[] {5, 3}, new int[] {3, 5}, new int[] {3, 3, 3})) {
                add(rows, "lu " + new Shape(shape), d, x -> new Case(new Lu(), List.of(Type.of(x, shape)), List.of(ANY)));
                add(rows, "qr " + new Shape(shape), d, x -> new Case(new Qr(false), List.of(Type.of(x, shape)), List.of(ANY)));
                add(rows, "svd " + new Shape(shape), d, x -> new Case(new Svd(false, true), List.of(Type.of(x, shape)), List.of(ANY)));
                add(rows, "svd values only " + new Shape(shape), d,
                        x -> new Case(new Svd(false, false), List.of(Type.of(x, shape)), List.of(ANY)));
            }
            add(rows, "qr full_matrices [5,3]", d, x -> new Case(new Qr(true), List.of(Type.of(x, 5, 3)), List.of(ANY)));
            add(rows, "qr full_matrices [3,3]", d, x -> new Case(new Qr(true), List.of(Type.of(x, 3, 3)), List.of(ANY)));
            add(rows, "svd full_matrices [3,3]", d, x -> new Case(new Svd(true, true), List.of(Type.of(x, 3, 3)), List.of(ANY)));
            for (boolean lower : new boolean[] {true, false}) {
                for (boolean sym : new boolean[] {true, false}) {
                    add(rows, "eigh lower=" + lower + " symmetrize_input=" + sym + " [4,4]", d,
                            x -> new Case(new Eigh(lower, sym), List.of(Type.of(x, 4, 4)), List.of(SYMMETRIC)));
                }
            }
            add(rows, "eigh [2,3,3] batch", d, x -> new Case(new Eigh(true, true), List.of(Type.of(x, 2, 3, 3)), List.of(SYMMETRIC)));
        }
    }

    private static void add(List<Row> rows, String label, DType d, Function<DType, Case> make) {
        rows.add(new Row(label, d, make.apply(d), make.apply(d.isFloating() ? DType.F64 : d)));
    }

    /** consts a[3]; carry c[3]; xs x[5,3]: c' = a c + x_t, y_t = c' * c'. */
    private static Case dampedSum(DType d, boolean reverse) {
        ProgramBuilder b = new ProgramBuilder();
        Type row = Type.of(d, 3);
        Var a = b.param(row);
        Var c = b.param(row);
        Var x = b.param(row);
        Var next = b.add(b.mul(a, c), x);
        Program body = b.build(next, b.mul(next, next));
        return new Case(new Scan(body, 1, 1, 5, reverse), List.of(row, row, Type.of(d, 5, 3)), List.of(ANY, ANY, ANY));
    }

    /** carries k (i32) and s[2]; xs x[4,2]: s' = s + k x_t, k' = k + 1; y_t = k (i32). */
    private static Case counterScan(DType d) {
        ProgramBuilder b = new ProgramBuilder();
        Var k = b.param(Type.scalar(DType.I32));
        Var s = b.param(Type.of(d, 2));
        Var x = b.param(Type.of(d, 2));
        Var kf = b.broadcastScalar(b.convert(k, d), new Shape(2));
        Var k1 = b.add(k, b.scalar(DType.I32, 1));
        Program body = b.build(k1, b.add(s, b.mul(kf, x)), k);
        return new Case(new Scan(body, 0, 2, 4, false), List.of(Type.scalar(DType.I32), Type.of(d, 2), Type.of(d, 4, 2)),
                List.of(index(1), ANY, ANY));
    }

    /** carry p[2,2]; no xs: p' = p p / 2 three times, y_t = sum(p'). */
    private static Case powerScan(DType d) {
        ProgramBuilder b = new ProgramBuilder();
        Var p = b.param(Type.of(d, 2, 2));
        Var next = b.mul(b.matmul(p, p), b.full(Type.of(d, 2, 2), 0.5));
        Program body = b.build(next, b.sumAll(next));
        return new Case(new Scan(body, 0, 1, 3, false), List.of(Type.of(d, 2, 2)), List.of(ANY));
    }
}
