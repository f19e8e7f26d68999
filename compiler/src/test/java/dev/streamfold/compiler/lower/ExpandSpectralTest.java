package dev.streamfold.compiler.lower;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.streamfold.compiler.kir.KBuffer;
import dev.streamfold.compiler.kir.KBuilder;
import dev.streamfold.compiler.kir.KType;
import dev.streamfold.compiler.kir.Kernel;
import dev.streamfold.compiler.kir.KirEvaluator;
import dev.streamfold.ir.DType;
import dev.streamfold.ir.Eigh;
import dev.streamfold.ir.Eqn;
import dev.streamfold.ir.Op;
import dev.streamfold.ir.Qr;
import dev.streamfold.ir.Shape;
import dev.streamfold.ir.Svd;
import dev.streamfold.ir.Tensor;
import dev.streamfold.ir.Type;
import dev.streamfold.ir.Var;
import dev.streamfold.runtime.batched.BatchStatus;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.function.IntUnaryOperator;
import org.junit.jupiter.api.Test;

/**
 * The kernel expansions of qr, eigh and svd, run by the {@link KirEvaluator}: float64 results match the ops'
 * reference evaluations item by item, float32 results satisfy the factorization identities, and the fixed
 * Jacobi sweeps reach full float64 precision up to n = 32.
 */
class ExpandSpectralTest {
    private static final int[] BATCHES = {1, 7, 33};

    /** The outputs of an expanded kernel, in the IR's row-major layout with the batch axis first, and the statuses. */
    private record Result(List<Tensor> outs, int[] status) {}

    /** Builds the kernel of {@code op} on {@code a} ({@code [B, ...]}), runs it over the batch, and unpacks its outputs. */
    private static Result run(Op op, Tensor a) {
        return run(op, a, ExpandLinalg::sweeps);
    }

    /** As {@link #run(Op, Tensor)}, with {@code sweeps.applyAsInt(n)} Jacobi sweeps at order {@code n}. */
    private static Result run(Op op, Tensor a, IntUnaryOperator sweeps) {
        int batch = a.shape().dim(0);
        List<Type> outTypes = outTypes(op, a.type());
        KType kt = LowerContext.bufferType(a.dtype());
        KBuilder b = new KBuilder("spectral");
        int in = b.buffer("a", KBuffer.Role.IN, kt, perItem(a.type()));
        List<KArray> outs = new ArrayList<>();
        for (int i = 0; i < outTypes.size(); i++) {
            int buf = b.buffer("out" + i, KBuffer.Role.OUT, kt, Math.max(perItem(outTypes.get(i)), 1));
            outs.add(new KArray(buf, 0, outTypes.get(i).shape().dropLeading().dims(), kt));
        }
        int status = b.buffer("status", KBuffer.Role.OUT, KType.I32, 1);
        b.store(status, 0, b.index(0));
        LowerContext cx = new LowerContext(b, status);
        List<Var> outVars = new ArrayList<>();
        for (int i = 0; i < outTypes.size(); i++) {
            outVars.add(new Var(i + 1, outTypes.get(i)));
        }
        Eqn eqn = new Eqn(outVars, op, List.of(new Var(0, a.type())));
        ExpandLinalg.expandSpectral(cx, eqn, List.of(new KArray(in, 0, a.shape().dropLeading().dims(), kt)), outs, sweeps);
        Kernel k = b.build();
        double[][] buffers = new double[k.buffers().size()][];
        buffers[in] = toSoa(a.data(), batch);
        for (int i = 0; i < outTypes.size(); i++) {
            buffers[outs.get(i).buffer()] = new double[Math.max(perItem(outTypes.get(i)), 1) * batch];
        }
        buffers[status] = new double[batch];
        KirEvaluator.run(k, buffers, new double[0], batch);
        List<Tensor> results = new ArrayList<>();
        for (int i = 0; i < outTypes.size(); i++) {
            Type t = outTypes.get(i);
            results.add(new Tensor(t.dtype(), t.shape(), fromSoa(buffers[outs.get(i).buffer()], batch, perItem(t))));
        }
        int[] codes = new int[batch];
        for (int item = 0; item < batch; item++) {
            codes[item] = (int) buffers[status][item];
        }
        return new Result(results, codes);
    }

    private static List<Type> outTypes(Op op, Type a) {
        return switch (op) {
            case Qr q -> q.outTypes(List.of(a));
            case Eigh e -> e.outTypes(List.of(a));
            case Svd s -> s.outTypes(List.of(a));
            default -> throw new IllegalArgumentException(op.name());
        };
    }

    private static List<Tensor> reference(Op op, Tensor a) {
        return switch (op) {
            case Qr q -> q.evaluate(List.of(a));
            case Eigh e -> e.evaluate(List.of(a));
            case Svd s -> s.evaluate(List.of(a));
            default -> throw new IllegalArgumentException(op.name());
        };
    }

    private static int perItem(Type t) {
        return Math.toIntExact(t.shape().size() / t.shape().dim(0));
    }

    private static double[] toSoa(double[] rowMajor, int batch) {
        int per = rowMajor.length / batch;
        double[] soa = new double[Math.max(per, 1) * batch];
        for (int item = 0; item < batch; item++) {
            for (int e = 0; e < per; e++) {
                soa[e * batch + item] = rowMajor[item * per + e];
            }
        }
        return soa;
    }

    private static double[] fromSoa(double[] soa, int batch, int per) {
        double[] rowMajor = new double[per * batch];
        for (int item = 0; item < batch; item++) {
            for (int e = 0; e < per; e++) {
                rowMajor[item * per + e] = soa[e * batch + item];
            }
        }
        return rowMajor;
    }

    private static Tensor random(DType dtype, Random rnd, int... dims) {
        Shape s = new Shape(dims);
        double[] d = new double[Math.toIntExact(s.size())];
        for (int i = 0; i < d.length; i++) {
            d[i] = dtype.round(rnd.nextGaussian());
        }
        return new Tensor(dtype, s, d);
    }

    /** Compares every output with the reference, per item and output, within {@code 1e-10} of the item's largest entry. */
    private static void assertMatchesReference(Op op, Tensor a) {
        Result got = run(op, a);
        List<Tensor> want = reference(op, a);
        int batch = a.shape().dim(0);
        for (int item = 0; item < batch; item++) {
            assertEquals(0, got.status()[item], op + " " + a.shape() + ": status of item " + item);
        }
        for (int o = 0; o < want.size(); o++) {
            double[] w = want.get(o).raw();
            double[] g = got.outs().get(o).raw();
            int per = w.length / batch;
            for (int item = 0; item < batch; item++) {
                double largest = 0;
                for (int e = 0; e < per; e++) {
                    largest = Math.max(largest, Math.abs(w[item * per + e]));
                }
                for (int e = 0; e < per; e++) {
                    int at = item * per + e;
                    assertTrue(Math.abs(g[at] - w[at]) <= 1e-10 * Math.max(largest, 1e-300),
                            op + " " + a.shape() + " output " + o + " item " + item + " element " + e + ": " + g[at]
                                    + " vs reference " + w[at]);
                }
            }
        }
    }

    private static final int[] ORDERS = {1, 2, 3, 4, 5, 6, 7, 8, 16};

    @Test
    void qrMatchesTheReferenceInFloat64() {
        Random rnd = new Random(11);
        int[][] shapes = {{1, 1}, {2, 2}, {3, 3}, {4, 4}, {5, 5}, {6, 6}, {7, 7}, {8, 8}, {16, 16}, {5, 3}, {8, 2}, {6, 1},
                {3, 5}, {2, 8}, {1, 4}, {16, 5}};
        for (int[] mn : shapes) {
            for (boolean full : new boolean[] {false, true}) {
                for (int batch : mn[0] <= 8 ? BATCHES : new int[] {7}) {
                    assertMatchesReference(new Qr(full), random(DType.F64, rnd, batch, mn[0], mn[1]));
                }
            }
        }
        assertMatchesReference(new Qr(false), random(DType.F64, rnd, 7, 2, 5, 3));
        assertMatchesReference(new Qr(true), random(DType.F64, rnd, 7, 2, 3, 4));
    }

    @Test
    void eighMatchesTheReferenceInFloat64() {
        Random rnd = new Random(12);
        for (int n : ORDERS) {
            for (boolean[] mode : new boolean[][] {{true, false}, {false, false}, {true, true}}) {
                for (int batch : n <= 8 ? BATCHES : new int[] {7}) {
                    assertMatchesReference(new Eigh(mode[0], mode[1]), random(DType.F64, rnd, batch, n, n));
                }
            }
        }
        assertMatchesReference(new Eigh(true, false), random(DType.F64, rnd, 7, 2, 4, 4));
    }

    @Test
    void svdMatchesTheReferenceInFloat64() {
        Random rnd = new Random(13);
        int[][] shapes = {{1, 1}, {2, 2}, {3, 3}, {4, 4}, {5, 5}, {6, 6}, {7, 7}, {8, 8}, {16, 16}, {5, 3}, {8, 2}, {6, 1},
                {3, 5}, {2, 8}, {1, 4}};
        for (int[] mn : shapes) {
            for (boolean[] mode : new boolean[][] {{false, true}, {false, false}, {true, true}}) {
                for (int batch : mn[0] <= 8 ? BATCHES : new int[] {7}) {
                    assertMatchesReference(new Svd(mode[0], mode[1]), random(DType.F64, rnd, batch, mn[0], mn[1]));
                }
            }
        }
        assertMatchesReference(new Svd(false, true), random(DType.F64, rnd, 7, 2, 4, 3));
        assertMatchesReference(new Svd(false, true), random(DType.F64, rnd, 7, 2, 3, 4));
    }

    @Test
    void order32MatchesTheReferenceOnTwoItems() {
        Random rnd = new Random(14);
        assertMatchesReference(new Eigh(true, false), random(DType.F64, rnd, 2, 32, 32));
        assertMatchesReference(new Svd(false, true), random(DType.F64, rnd, 2, 32, 32));
        assertMatchesReference(new Qr(false), random(DType.F64, rnd, 2, 32, 32));
    }

    /** Runs {@code ExpandLinalg.eighSweeps} or {@code svdSweeps} on every matrix {@code [m, n]} of {@code mats}. */
    private static double[][] sweeps(boolean eigh, double[][][] mats, int sweeps) {
        int batch = mats.length;
        int m = mats[0].length;
        int n = mats[0][0].length;
        KBuilder b = new KBuilder("sweeps");
        int in = b.buffer("a", KBuffer.Role.IN, KType.F64, m * n);
        int out = b.buffer("out", KBuffer.Role.OUT, KType.F64, m * n);
        int status = b.buffer("status", KBuffer.Role.OUT, KType.I32, 1);
        b.store(status, 0, b.index(0));
        LowerContext cx = new LowerContext(b, status);
        KArray a = new KArray(in, 0, new int[] {m, n}, KType.F64);
        KArray o = new KArray(out, 0, new int[] {m, n}, KType.F64);
        if (eigh) {
            ExpandLinalg.eighSweeps(cx, a, o, sweeps);
        } else {
            ExpandLinalg.svdSweeps(cx, a, o, sweeps);
        }
        Kernel k = b.build();
        double[] rowMajor = new double[batch * m * n];
        for (int item = 0; item < batch; item++) {
            for (int i = 0; i < m; i++) {
                System.arraycopy(mats[item][i], 0, rowMajor, (item * m + i) * n, n);
            }
        }
        double[][] buffers = new double[k.buffers().size()][];
        buffers[in] = toSoa(rowMajor, batch);
        buffers[out] = new double[m * n * batch];
        buffers[status] = new double[batch];
        KirEvaluator.run(k, buffers, new double[0], batch);
        double[] result = fromSoa(buffers[out], batch, m * n);
        double[][] items = new double[batch][];
        for (int item = 0; item < batch; item++) {
            items[item] = Arrays.copyOfRange(result, item * m * n, (item + 1) * m * n);
        }
        return items;
    }

    /** A random orthogonal matrix, by Gram-Schmidt (twice) on a Gaussian one. */
    private static double[][] orthogonal(Random rnd, int n) {
        double[][] q = new double[n][n];
        for (double[] row : q) {
            for (int j = 0; j < n; j++) {
                row[j] = rnd.nextGaussian();
            }
        }
        for (int j = 0; j < n; j++) {
            for (int pass = 0; pass < 2; pass++) {
                for (int c = 0; c < j; c++) {
                    double dot = 0;
                    for (int i = 0; i < n; i++) {
                        dot += q[i][c] * q[i][j];
                    }
                    for (int i = 0; i < n; i++) {
                        q[i][j] -= dot * q[i][c];
                    }
                }
            }
            double norm = 0;
            for (int i = 0; i < n; i++) {
                norm += q[i][j] * q[i][j];
            }
            norm = Math.sqrt(norm);
            for (int i = 0; i < n; i++) {
                q[i][j] /= norm;
            }
        }
        return q;
    }

    private enum Kind { RANDOM, CLUSTERED, GRADED }

    /** A symmetric matrix of the kind: Gaussian; eigenvalues 1 + 1e-9 z clustered; entries graded over 8 decades. */
    private static double[][] symmetric(Kind kind, Random rnd, int n) {
        double[][] a = new double[n][n];
        switch (kind) {
            case RANDOM, GRADED -> {
                for (int i = 0; i < n; i++) {
                    for (int j = 0; j <= i; j++) {
                        double x = rnd.nextGaussian() * (kind == Kind.GRADED ? Math.pow(10, -(i + j) * 8.0 / n) : 1);
                        a[i][j] = x;
                        a[j][i] = x;
                    }
                }
            }
            case CLUSTERED -> {
                double[][] q = orthogonal(rnd, n);
                double[] w = new double[n];
                for (int i = 0; i < n; i++) {
                    w[i] = 1 + 1e-9 * rnd.nextGaussian() * (i % 3);
                }
                for (int i = 0; i < n; i++) {
                    for (int j = 0; j <= i; j++) {
                        double x = 0;
                        for (int c = 0; c < n; c++) {
                            x += q[i][c] * w[c] * q[j][c];
                        }
                        a[i][j] = x;
                        a[j][i] = x;
                    }
                }
            }
        }
        return a;
    }

    /** A general matrix of the kind: Gaussian; singular values clustered at 1; entries graded over 8 decades. */
    private static double[][] general(Kind kind, Random rnd, int m, int n) {
        double[][] a = new double[m][n];
        if (kind == Kind.CLUSTERED) {
            double[][] u = orthogonal(rnd, m);
            double[][] v = orthogonal(rnd, n);
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < n; j++) {
                    for (int c = 0; c < n; c++) {
                        a[i][j] += u[i][c] * (1 + 1e-9 * rnd.nextGaussian() * (c % 3)) * v[j][c];
                    }
                }
            }
            return a;
        }
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                a[i][j] = rnd.nextGaussian() * (kind == Kind.GRADED ? Math.pow(10, -(i + j) * 8.0 / Math.max(m, n)) : 1);
            }
        }
        return a;
    }

    private static double frobenius(double[][] a) {
        double s = 0;
        for (double[] row : a) {
            for (double x : row) {
                s += x * x;
            }
        }
        return Math.sqrt(s);
    }

    @Test
    void fixedEighSweepsReachFullPrecisionUpToOrder32() {
        Random rnd = new Random(21);
        for (int n : new int[] {2, 3, 4, 5, 6, 7, 8, 12, 16, 24, 32}) {
            int batch = n <= 16 ? 6 : 2;
            for (Kind kind : Kind.values()) {
                double[][][] mats = new double[batch][][];
                for (int item = 0; item < batch; item++) {
                    mats[item] = symmetric(kind, rnd, n);
                }
                double[][] after = sweeps(true, mats, ExpandLinalg.sweeps(n));
                for (int item = 0; item < batch; item++) {
                    double relative = offDiagonal(after[item], n) / frobenius(mats[item]);
                    assertTrue(relative < 1e-14, kind + " n=" + n + " item " + item + ": off-diagonal " + relative
                            + " after " + ExpandLinalg.sweeps(n) + " sweeps");
                }
            }
        }
    }

    private static double offDiagonal(double[] x, int n) {
        double off = 0;
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                if (i != j) {
                    off += x[i * n + j] * x[i * n + j];
                }
            }
        }
        return Math.sqrt(off);
    }

    @Test
    void fewerSweepsLeaveTheOffDiagonalAboveFullPrecision() {
        Random rnd = new Random(23);
        int n = 32;
        double[][][] mats = {symmetric(Kind.RANDOM, rnd, n)};
        double[][] after = sweeps(true, mats, 4);
        assertTrue(offDiagonal(after[0], n) / frobenius(mats[0]) > 1e-14, "4 sweeps at n = 32");
    }

    @Test
    void tooFewSweepsFlagNotConverged() {
        Random rnd = new Random(24);
        Tensor a = random(DType.F64, rnd, 5, 8, 8);
        int code = BatchStatus.NOT_CONVERGED.code();
        assertEquals(List.of(code, code, code, code, code), statuses(run(new Eigh(true, false), a, n -> 1)));
        assertEquals(List.of(code, code, code, code, code), statuses(run(new Svd(false, true), a, n -> 1)));
        assertEquals(List.of(code, code, code, code, code), statuses(run(new Svd(false, false), a, n -> 1)));
        assertEquals(List.of(0, 0, 0, 0, 0), statuses(run(new Eigh(true, false), a)));
    }

    @Test
    void fixedSvdSweepsReachFullPrecisionUpToOrder32() {
        Random rnd = new Random(22);
        for (int n : new int[] {2, 3, 4, 5, 6, 7, 8, 12, 16, 24, 32}) {
            int batch = n <= 16 ? 6 : 2;
            for (Kind kind : Kind.values()) {
                for (int m : new int[] {n, n + 3}) {
                    double[][][] mats = new double[batch][][];
                    for (int item = 0; item < batch; item++) {
                        mats[item] = general(kind, rnd, m, n);
                    }
                    double[][] after = sweeps(false, mats, ExpandLinalg.sweeps(n));
                    for (int item = 0; item < batch; item++) {
                        double off = 0;
                        for (int p = 0; p < n; p++) {
                            for (int q = 0; q < n; q++) {
                                if (p != q) {
                                    double dot = 0;
                                    for (int i = 0; i < m; i++) {
                                        dot += after[item][i * n + p] * after[item][i * n + q];
                                    }
                                    off += dot * dot;
                                }
                            }
                        }
                        double norm = frobenius(mats[item]);
                        double relative = Math.sqrt(off) / (norm * norm);
                        assertTrue(relative < 1e-14, kind + " " + m + "x" + n + " item " + item + ": columns off-orthogonal by "
                                + relative + " after " + ExpandLinalg.sweeps(n) + " sweeps");
                    }
                }
            }
        }
    }

    @Test
    void sweepCountGrowsWithTheLogarithmOfTheOrder() {
        assertEquals(0, ExpandLinalg.sweeps(1));
        assertEquals(5, ExpandLinalg.sweeps(2));
        assertEquals(9, ExpandLinalg.sweeps(8));
        assertEquals(13, ExpandLinalg.sweeps(32));
    }

    private static final double EPS32 = Math.ulp(1.0f);

    /** Matrix {@code index} (leading axes flattened) of {@code t}'s {@code rows x cols} matrices. */
    private static double[][] matrix(Tensor t, int index, int rows, int cols) {
        double[][] a = new double[rows][cols];
        for (int i = 0; i < rows; i++) {
            System.arraycopy(t.raw(), (index * rows + i) * cols, a[i], 0, cols);
        }
        return a;
    }

    private static double[] vector(Tensor t, int index, int length) {
        return Arrays.copyOfRange(t.raw(), index * length, (index + 1) * length);
    }

    private static double[][] times(double[][] a, double[][] b) {
        int inner = b.length;
        int cols = inner == 0 ? 0 : b[0].length;
        double[][] c = new double[a.length][cols];
        for (int i = 0; i < a.length; i++) {
            for (int j = 0; j < cols; j++) {
                for (int k = 0; k < inner; k++) {
                    c[i][j] += a[i][k] * b[k][j];
                }
            }
        }
        return c;
    }

    private static double[][] transpose(double[][] a) {
        int cols = a.length == 0 ? 0 : a[0].length;
        double[][] t = new double[cols][a.length];
        for (int i = 0; i < a.length; i++) {
            for (int j = 0; j < cols; j++) {
                t[j][i] = a[i][j];
            }
        }
        return t;
    }

    private static double maxDifference(double[][] a, double[][] b) {
        double d = 0;
        for (int i = 0; i < a.length; i++) {
            for (int j = 0; j < a[i].length; j++) {
                d = Math.max(d, Math.abs(a[i][j] - b[i][j]));
            }
        }
        return d;
    }

    /** Asserts {@code x^T x = I} (orthonormal columns) within {@code 16 rows eps}. */
    private static void assertOrthonormalColumns(double[][] x, String what) {
        double[][] g = times(transpose(x), x);
        double[][] eye = new double[g.length][g.length];
        for (int i = 0; i < g.length; i++) {
            eye[i][i] = 1;
        }
        double d = maxDifference(g, eye);
        assertTrue(d <= 16 * Math.max(x.length, 1) * EPS32, what + ": columns off orthonormal by " + d);
    }

    private static double[][] diag(double[] d, int rows, int cols) {
        double[][] x = new double[rows][cols];
        for (int i = 0; i < d.length; i++) {
            x[i][i] = d[i];
        }
        return x;
    }

    /** The float32 tolerance for a residual of an order-{@code n} factorization of {@code a}. */
    private static double tolerance(double[][] a, int n) {
        return 16 * Math.max(n, 1) * EPS32 * Math.max(frobenius(a), Double.MIN_NORMAL);
    }

    private static void assertAllOk(Result r, String what) {
        for (int item = 0; item < r.status().length; item++) {
            assertEquals(0, r.status()[item], what + ": status of item " + item);
        }
    }

    @Test
    void qrSatisfiesItsIdentitiesInFloat32() {
        Random rnd = new Random(31);
        int[][] shapes = {{1, 1}, {2, 2}, {3, 3}, {4, 4}, {5, 5}, {6, 6}, {7, 7}, {8, 8}, {16, 16}, {5, 3}, {8, 2}, {3, 5}, {2, 8}};
        for (int[] mn : shapes) {
            int m = mn[0];
            int n = mn[1];
            for (boolean full : new boolean[] {false, true}) {
                Tensor a = random(DType.F32, rnd, 7, m, n);
                Result r = run(new Qr(full), a);
                String what = "qr " + m + "x" + n + " full=" + full;
                assertAllOk(r, what);
                int k = full ? m : Math.min(m, n);
                for (int item = 0; item < 7; item++) {
                    double[][] x = matrix(a, item, m, n);
                    double[][] q = matrix(r.outs().get(0), item, m, k);
                    double[][] rr = matrix(r.outs().get(1), item, k, n);
                    assertTrue(maxDifference(x, times(q, rr)) <= tolerance(x, Math.max(m, n)), what + ": |A - QR| item " + item);
                    assertOrthonormalColumns(q, what + " item " + item);
                    for (int i = 0; i < k; i++) {
                        for (int j = 0; j < Math.min(i, n); j++) {
                            assertEquals(0.0, rr[i][j], what + ": r below the diagonal");
                        }
                        if (i < n) {
                            assertTrue(rr[i][i] >= 0, what + ": diag(r) >= 0");
                        }
                    }
                }
            }
        }
    }

    @Test
    void eighSatisfiesItsIdentitiesInFloat32() {
        Random rnd = new Random(32);
        for (int n : ORDERS) {
            for (boolean[] mode : new boolean[][] {{true, false}, {false, false}, {true, true}}) {
                Eigh op = new Eigh(mode[0], mode[1]);
                Tensor a = random(DType.F32, rnd, 7, n, n);
                Result r = run(op, a);
                List<Tensor> ref = op.evaluate(List.of(a.astype(DType.F64)));
                String what = "eigh n=" + n + " " + op.attributes();
                assertAllOk(r, what);
                for (int item = 0; item < 7; item++) {
                    double[][] x = matrix(a, item, n, n);
                    double[][] sym = new double[n][n];
                    for (int i = 0; i < n; i++) {
                        for (int j = 0; j < n; j++) {
                            sym[i][j] = op.symmetrizeInput() ? (x[i][j] + x[j][i]) / 2
                                    : (op.lower() == (i >= j)) || i == j ? x[i][j] : x[j][i];
                        }
                    }
                    double[] w = vector(r.outs().get(0), item, n);
                    double[][] v = matrix(r.outs().get(1), item, n, n);
                    double tol = tolerance(sym, n);
                    assertTrue(maxDifference(times(sym, v), times(v, diag(w, n, n))) <= tol, what + ": |AV - VW| item " + item);
                    assertOrthonormalColumns(v, what + " item " + item);
                    double[] want = vector(ref.get(0), item, n);
                    for (int j = 0; j < n; j++) {
                        assertTrue(Math.abs(w[j] - want[j]) <= tol, what + ": eigenvalue " + j + " item " + item);
                        if (j > 0) {
                            assertTrue(w[j - 1] <= w[j], what + ": ascending");
                        }
                    }
                }
            }
        }
    }

    @Test
    void svdSatisfiesItsIdentitiesInFloat32() {
        Random rnd = new Random(33);
        int[][] shapes = {{1, 1}, {2, 2}, {3, 3}, {4, 4}, {5, 5}, {6, 6}, {7, 7}, {8, 8}, {16, 16}, {5, 3}, {8, 2}, {3, 5}, {2, 8}};
        for (int[] mn : shapes) {
            int m = mn[0];
            int n = mn[1];
            int k = Math.min(m, n);
            for (boolean[] mode : new boolean[][] {{false, true}, {false, false}, {true, true}}) {
                Svd op = new Svd(mode[0], mode[1]);
                Tensor a = random(DType.F32, rnd, 7, m, n);
                Result r = run(op, a);
                List<Tensor> ref = op.evaluate(List.of(a.astype(DType.F64)));
                String what = "svd " + m + "x" + n + " " + op.attributes();
                assertAllOk(r, what);
                for (int item = 0; item < 7; item++) {
                    double[][] x = matrix(a, item, m, n);
                    double tol = tolerance(x, Math.max(m, n));
                    double[] s = vector(r.outs().get(op.computeUv() ? 1 : 0), item, k);
                    double[] want = vector(ref.get(op.computeUv() ? 1 : 0), item, k);
                    for (int j = 0; j < k; j++) {
                        assertTrue(Math.abs(s[j] - want[j]) <= tol, what + ": singular value " + j + " item " + item);
                        assertTrue(s[j] >= 0 && (j == 0 || s[j - 1] >= s[j]), what + ": descending, non-negative");
                    }
                    if (!op.computeUv()) {
                        continue;
                    }
                    int uCols = op.fullMatrices() ? m : k;
                    int vtRows = op.fullMatrices() ? n : k;
                    double[][] u = matrix(r.outs().get(0), item, m, uCols);
                    double[][] vt = matrix(r.outs().get(2), item, vtRows, n);
                    double[][] us = times(u, diag(s, uCols, vtRows));
                    assertTrue(maxDifference(x, times(us, vt)) <= tol, what + ": |A - U S Vt| item " + item);
                    assertOrthonormalColumns(u, what + " u item " + item);
                    assertOrthonormalColumns(transpose(vt), what + " vt item " + item);
                }
            }
        }
    }

    @Test
    void extraLeadingAxesAreLoopedInsideAnItem() {
        Random rnd = new Random(34);
        for (int batch : BATCHES) {
            assertMatchesReference(new Eigh(false, true), random(DType.F64, rnd, batch, 2, 3, 3));
            assertMatchesReference(new Svd(true, true), random(DType.F64, rnd, batch, 2, 2, 4));
            assertMatchesReference(new Qr(true), random(DType.F64, rnd, batch, 2, 4, 2));
        }
    }

    @Test
    void rankDeficientSvdCompletesTheSingularVectorsAsTheReference() {
        Random rnd = new Random(35);
        for (int[] mn : new int[][] {{4, 4}, {5, 3}, {3, 5}}) {
            double[] d = random(DType.F64, rnd, 7, mn[0], mn[1]).data();
            int per = mn[0] * mn[1];
            for (int item = 0; item < 7; item++) {
                for (int i = 0; i < mn[0]; i++) {
                    for (int j = 0; j < mn[1]; j++) {
                        boolean zero = item == 0 || (mn[0] >= mn[1] ? j >= mn[1] - 1 - item % 2 : i >= mn[0] - 1 - item % 2);
                        if (zero) {
                            d[item * per + i * mn[1] + j] = 0;
                        }
                    }
                }
            }
            Tensor a = new Tensor(DType.F64, new Shape(7, mn[0], mn[1]), d);
            for (boolean full : new boolean[] {false, true}) {
                assertMatchesReference(new Svd(full, true), a);
            }
        }
    }

    @Test
    void hardMatricesDecomposeWithoutFailure() {
        Random rnd = new Random(36);
        for (int n : new int[] {4, 8, 16}) {
            for (Kind kind : Kind.values()) {
                int batch = 3;
                double[] data = new double[batch * n * n];
                double[] general = new double[batch * n * n];
                for (int item = 0; item < batch; item++) {
                    double[][] x = symmetric(kind, rnd, n);
                    double[][] g = general(kind, rnd, n, n);
                    for (int i = 0; i < n; i++) {
                        System.arraycopy(x[i], 0, data, (item * n + i) * n, n);
                        System.arraycopy(g[i], 0, general, (item * n + i) * n, n);
                    }
                }
                Tensor sym = new Tensor(DType.F64, new Shape(batch, n, n), data);
                Tensor a = new Tensor(DType.F64, new Shape(batch, n, n), general);
                Eigh eigh = new Eigh(true, false);
                Result e = run(eigh, sym);
                assertAllOk(e, "eigh " + kind + " n=" + n);
                Svd svd = new Svd(false, true);
                Result s = run(svd, a);
                assertAllOk(s, "svd " + kind + " n=" + n);
                List<Tensor> wantW = eigh.evaluate(List.of(sym));
                List<Tensor> wantS = svd.evaluate(List.of(a));
                for (int item = 0; item < batch; item++) {
                    double[][] x = matrix(sym, item, n, n);
                    double[] w = vector(e.outs().get(0), item, n);
                    double[][] v = matrix(e.outs().get(1), item, n, n);
                    double norm = frobenius(x);
                    assertTrue(maxDifference(times(x, v), times(v, diag(w, n, n))) <= 1e-13 * norm, "eigh " + kind + ": |AV - VW|");
                    double[] want = vector(wantW.get(0), item, n);
                    for (int j = 0; j < n; j++) {
                        assertTrue(Math.abs(w[j] - want[j]) <= 1e-13 * norm, "eigh " + kind + ": eigenvalue " + j);
                    }
                    double[][] g = matrix(a, item, n, n);
                    double[] sv = vector(s.outs().get(1), item, n);
                    double[] wantSv = vector(wantS.get(1), item, n);
                    double gNorm = frobenius(g);
                    for (int j = 0; j < n; j++) {
                        assertTrue(Math.abs(sv[j] - wantSv[j]) <= 1e-13 * gNorm, "svd " + kind + ": singular value " + j);
                    }
                    double[][] u = matrix(s.outs().get(0), item, n, n);
                    double[][] vt = matrix(s.outs().get(2), item, n, n);
                    assertTrue(maxDifference(g, times(times(u, diag(sv, n, n)), vt)) <= 1e-13 * gNorm, "svd " + kind + ": |A - USVt|");
                }
            }
        }
    }

    @Test
    void nonFiniteEntriesFlagTheirItemOnly() {
        Random rnd = new Random(37);
        int n = 3;
        double[] d = random(DType.F64, rnd, 4, n, n).data();
        d[1 * n * n + 2 * n + 0] = Double.NaN;
        d[3 * n * n + 0 * n + 2] = Double.POSITIVE_INFINITY;
        Tensor a = new Tensor(DType.F64, new Shape(4, n, n), d);
        int bad = BatchStatus.NON_FINITE_INPUT.code();
        assertEquals(List.of(0, bad, 0, bad), statuses(run(new Qr(false), a)));
        assertEquals(List.of(0, bad, 0, bad), statuses(run(new Svd(false, true), a)));
        assertEquals(List.of(0, bad, 0, bad), statuses(run(new Svd(false, false), a)));
        assertEquals(List.of(0, bad, 0, bad), statuses(run(new Eigh(true, true), a)));
        // lower reads [2, 0] (item 1) but not [0, 2] (item 3); upper the other way round
        assertEquals(List.of(0, bad, 0, 0), statuses(run(new Eigh(true, false), a)));
        assertEquals(List.of(0, 0, 0, bad), statuses(run(new Eigh(false, false), a)));
    }

    private static List<Integer> statuses(Result r) {
        return Arrays.stream(r.status()).boxed().toList();
    }
}
