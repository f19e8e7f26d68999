package dev.streamfold.tests;

import dev.streamfold.ir.Cholesky;
import dev.streamfold.ir.Eigh;
import dev.streamfold.ir.Lu;
import dev.streamfold.ir.Op;
import dev.streamfold.ir.Qr;
import dev.streamfold.ir.Svd;
import dev.streamfold.ir.Tensor;
import dev.streamfold.ir.TriangularSolve;
import java.util.List;

/**
 * The defining identities of the decompositions, checked per item in double arithmetic on float32 outputs:
 * {@code |PA - LU|}, {@code |A - QR|} with {@code Q^T Q = I}, {@code |AV - VW|} with {@code V^T V = I}, {@code |A
 * - U S V^T|} with orthonormal factors, {@code |L L^T - A|}, {@code |op(A) X - B|}, each within {@code C n eps}
 * times the Frobenius norms involved; triangles are exactly zero where they must be, orders hold, and integer
 * outputs (pivots and permutations) equal the reference's exactly.
 */
final class LinalgIdentities {
    private LinalgIdentities() {}

    static final double EPS = Math.ulp(1.0f);

    /** Bound factor: {@code C} in {@code C n eps}. */
    static final double C = 8;

    /**
     * Checks every use's outputs ({@code outputs}, in use order) against its inputs ({@code args}, the case's
     * parameters); {@code reference} is the interpreter's outputs of the same program, for integer outputs and
     * singular values without vectors.
     */
    static void check(List<LinalgBatchCases.Use> uses, List<Tensor> args, List<Tensor> outputs, List<Tensor> reference,
            String what) {
        int at = 0;
        for (int u = 0; u < uses.size(); u++) {
            LinalgBatchCases.Use use = uses.get(u);
            int count = use.op().outputs().size();
            List<Tensor> outs = outputs.subList(at, at + count);
            List<Tensor> ref = reference.subList(at, at + count);
            at += count;
            int batch = args.get(0).shape().dim(0);
            for (int b = 0; b < batch; b++) {
                String where = what + ", use " + u + " (" + use.op().op().name() + " " + use.op().op().attributes()
                        + "), item " + b;
                double[][] a = item(args.get(use.params().get(0)), b);
                Op op = use.op().op();
                if (op instanceof Lu) {
                    lu(a, outs, ref, b, where);
                } else if (op instanceof Cholesky) {
                    cholesky(a, item(outs.get(0), b), where);
                } else if (op instanceof Qr) {
                    qr(a, item(outs.get(0), b), item(outs.get(1), b), where);
                } else if (op instanceof Eigh e) {
                    eigh(effective(a, e), vector(outs.get(0), b), item(outs.get(1), b), where);
                } else if (op instanceof Svd s && s.computeUv()) {
                    svd(a, item(outs.get(0), b), vector(outs.get(1), b), item(outs.get(2), b), where);
                } else if (op instanceof Svd) {
                    singularValues(a, vector(outs.get(0), b), vector(ref.get(0), b), where);
                } else if (op instanceof TriangularSolve t) {
                    solve(t, a, item(args.get(use.params().get(1)), b), item(outs.get(0), b), where);
                } else {
                    throw new IllegalArgumentException("no identity for " + op.name());
                }
            }
        }
    }

    private static void lu(double[][] a, List<Tensor> outs, List<Tensor> ref, int b, String where) {
        for (int i = 1; i < 3; i++) {
            double[] got = vector(outs.get(i), b);
            double[] want = vector(ref.get(i), b);
            if (!java.util.Arrays.equals(got, want)) {
                throw new AssertionError(where + ": " + (i == 1 ? "pivots " : "permutation ")
                        + java.util.Arrays.toString(got) + ", the interpreter's " + java.util.Arrays.toString(want));
            }
        }
        double[][] lu = item(outs.get(0), b);
        double[] perm = vector(outs.get(2), b);
        int m = a.length;
        int n = a[0].length;
        int k = Math.min(m, n);
        double[][] l = new double[m][k];
        double[][] u = new double[k][n];
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                if (j < i && j < k) {
                    l[i][j] = lu[i][j];
                } else if (i < k && j >= i) {
                    u[i][j] = lu[i][j];
                }
            }
            if (i < k) {
                l[i][i] = 1;
            }
        }
        double[][] pa = new double[m][];
        for (int i = 0; i < m; i++) {
            pa[i] = a[(int) perm[i]];
        }
        within(sub(pa, mul(l, u)), bound(Math.max(m, n), norm(a)), where + ": |PA - LU|");
    }

    private static void cholesky(double[][] a, double[][] l, String where) {
        int n = a.length;
        for (int i = 0; i < n; i++) {
            for (int j = i + 1; j < n; j++) {
                if (l[i][j] != 0) {
                    throw new AssertionError(where + ": L[" + i + "][" + j + "] = " + l[i][j] + " above the diagonal");
                }
            }
        }
        within(sub(mul(l, transpose(l)), a), bound(n, norm(a)), where + ": |L L^T - A|");
    }

    private static void qr(double[][] a, double[][] q, double[][] r, String where) {
        int m = a.length;
        int n = a[0].length;
        for (int i = 0; i < r.length; i++) {
            for (int j = 0; j < Math.min(i, n); j++) {
                if (r[i][j] != 0) {
                    throw new AssertionError(where + ": R[" + i + "][" + j + "] = " + r[i][j] + " below the diagonal");
                }
            }
        }
        within(sub(a, mul(q, r)), bound(Math.max(m, n), norm(a)), where + ": |A - QR|");
        orthonormalColumns(q, where + ": Q^T Q - I");
    }

    private static void eigh(double[][] s, double[] w, double[][] v, String where) {
        int n = s.length;
        for (int i = 1; i < n; i++) {
            if (!(w[i - 1] <= w[i])) {
                throw new AssertionError(where + ": eigenvalues not ascending: " + java.util.Arrays.toString(w));
            }
        }
        double[][] vw = new double[n][n];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                vw[i][j] = v[i][j] * w[j];
            }
        }
        within(sub(mul(s, v), vw), bound(n, norm(s)), where + ": |AV - VW|");
        orthonormalColumns(v, where + ": V^T V - I");
    }

    /** The symmetric matrix eigh decomposes: symmetrized, or mirrored from the triangle it reads. */
    private static double[][] effective(double[][] a, Eigh e) {
        int n = a.length;
        double[][] s = new double[n][n];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                boolean inLower = i >= j;
                s[i][j] = e.symmetrizeInput() ? (a[i][j] + a[j][i]) / 2
                        : (e.lower() == inLower ? a[i][j] : a[j][i]);
            }
        }
        return s;
    }

    private static void svd(double[][] a, double[][] u, double[] s, double[][] vt, String where) {
        int m = a.length;
        int n = a[0].length;
        int k = Math.min(m, n);
        descendingNonNegative(s, where);
        double[][] us = new double[m][k];
        double[][] v = new double[k][n];
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < k; j++) {
                us[i][j] = u[i][j] * s[j];
            }
        }
        for (int i = 0; i < k; i++) {
            v[i] = vt[i].clone();
        }
        within(sub(a, mul(us, v)), bound(Math.max(m, n), norm(a)), where + ": |A - U S V^T|");
        orthonormalColumns(u, where + ": U^T U - I");
        orthonormalColumns(transpose(vt), where + ": V^T V - I");
    }

    private static void singularValues(double[][] a, double[] s, double[] want, String where) {
        descendingNonNegative(s, where);
        double[][] d = {new double[s.length]};
        for (int i = 0; i < s.length; i++) {
            d[0][i] = s[i] - want[i];
        }
        within(d, bound(Math.max(a.length, a[0].length), norm(a)), where + ": s - the interpreter's s");
    }

    private static void solve(TriangularSolve t, double[][] a, double[][] b, double[][] x, String where) {
        int n = a.length;
        double[][] tri = new double[n][n];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                boolean kept = t.lower() ? j <= i : j >= i;
                tri[i][j] = i == j && t.unitDiagonal() ? 1 : kept ? a[i][j] : 0;
            }
        }
        double[][] op = t.transposeA() ? transpose(tri) : tri;
        double[][] lhs = t.leftSide() ? mul(op, x) : mul(x, op);
        within(sub(lhs, b), bound(n, norm(op) * norm(x)), where + ": |op(A) X - B|");
    }

    private static void descendingNonNegative(double[] s, String where) {
        for (int i = 0; i < s.length; i++) {
            if (!(s[i] >= 0) || (i > 0 && !(s[i - 1] >= s[i]))) {
                throw new AssertionError(where + ": singular values not descending and non-negative: "
                        + java.util.Arrays.toString(s));
            }
        }
    }

    private static void orthonormalColumns(double[][] q, String what) {
        double[][] g = mul(transpose(q), q);
        for (int i = 0; i < g.length; i++) {
            g[i][i] -= 1;
        }
        within(g, bound(q.length, Math.sqrt(q[0].length)), what);
    }

    private static double bound(int n, double norm) {
        return C * n * EPS * norm;
    }

    private static void within(double[][] d, double bound, String what) {
        double worst = norm(d);
        if (!(worst <= bound)) {
            throw new AssertionError(what + " = " + worst + ", more than " + bound);
        }
    }

    static double[][] item(Tensor t, int b) {
        int r = t.shape().dim(1);
        int c = t.shape().dim(2);
        double[][] m = new double[r][c];
        for (int i = 0; i < r; i++) {
            System.arraycopy(t.raw(), (b * r + i) * c, m[i], 0, c);
        }
        return m;
    }

    static double[] vector(Tensor t, int b) {
        int n = t.shape().dim(1);
        double[] v = new double[n];
        System.arraycopy(t.raw(), b * n, v, 0, n);
        return v;
    }

    static double norm(double[][] a) {
        double s = 0;
        for (double[] row : a) {
            for (double x : row) {
                s += x * x;
            }
        }
        return Math.sqrt(s);
    }

    static double[][] mul(double[][] a, double[][] b) {
        double[][] c = new double[a.length][b[0].length];
        for (int i = 0; i < a.length; i++) {
            for (int k = 0; k < b.length; k++) {
                for (int j = 0; j < b[0].length; j++) {
                    c[i][j] += a[i][k] * b[k][j];
                }
            }
        }
        return c;
    }

    static double[][] sub(double[][] a, double[][] b) {
        double[][] c = new double[a.length][a[0].length];
        for (int i = 0; i < a.length; i++) {
            for (int j = 0; j < a[0].length; j++) {
                c[i][j] = a[i][j] - b[i][j];
            }
        }
        return c;
    }

    static double[][] transpose(double[][] a) {
        double[][] t = new double[a[0].length][a.length];
        for (int i = 0; i < a.length; i++) {
            for (int j = 0; j < a[0].length; j++) {
                t[j][i] = a[i][j];
            }
        }
        return t;
    }
}
