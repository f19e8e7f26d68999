package dev.streamfold.ir;

import java.util.List;

/**
 * The eigendecomposition {@code A = V diag(w) V^T} of symmetric {@code [..., n, n]}, by cyclic
 * Jacobi rotations in float64. Outputs {@code w} {@code [..., n]} ascending and {@code v} {@code
 * [..., n, n]} orthogonal. The matrix decomposed is {@code (A + A^T) / 2} with {@code
 * symmetrizeInput}, otherwise the lower ({@code lower}) or upper triangle of {@code A} mirrored; the
 * other triangle is never read.
 *
 * <p>Sign convention: the largest-magnitude entry (the first on ties) of each column of {@code v}
 * is positive.
 */
public record Eigh(boolean lower, boolean symmetrizeInput) implements Op {
    private static final int MAX_SWEEPS = 100;

    @Override
    public String name() {
        return "eigh";
    }

    @Override
    public List<Type> outTypes(List<Type> ins) {
        Op.arity(this, ins, 1);
        Type a = ins.get(0);
        Batched.requireFloating(this, a, "matrix [..., m, n]", 2);
        int n = a.shape().dim(a.shape().rank() - 1);
        if (a.shape().dim(a.rank() - 2) != n) {
            throw new IllegalArgumentException("eigh needs square matrices [..., n, n], got " + a);
        }
        return List.of(a.withShape(Batched.withTrailing(a.shape(), 2, n)), a);
    }

    /**
     * First-order perturbation of distinct eigenpairs (Giles, NA-08-01): with {@code dA} the tangent
     * of the matrix decomposed and {@code P = V^T dA V}, {@code dw = diag(P)} and {@code dV = V (F o
     * P)}, {@code F_ij = 1 / (w_j - w_i)} off the diagonal and zero on it. {@code dA} is the tangent
     * symmetrized, or its read triangle mirrored, as the primal reads {@code A}. A {@link
     * DerivativeGuard} refuses repeated eigenvalues.
     */
    @Override
    public List<Tangent> jvp(Jvp.Emitter b, List<Var> ins, List<Var> outs, List<Tangent> t) {
        Var w = outs.get(0);
        Var v = outs.get(1);
        if (t.get(0).isZero()) {
            return List.of(Tangent.zero(w.type()), Tangent.zero(v.type()));
        }
        Var da = b.instantiate(t.get(0));
        Var decomposed;
        if (symmetrizeInput) {
            decomposed = b.mul(b.add(da, b.matrixTranspose(da)), b.full(da.type(), 0.5));
        } else if (lower) {
            decomposed = b.add(b.tril(da, 0), b.matrixTranspose(b.tril(da, -1)));
        } else {
            decomposed = b.add(b.triu(da, 0), b.matrixTranspose(b.triu(da, 1)));
        }
        Var p = b.matmul(b.matrixTranspose(v), b.matmul(decomposed, v));
        p = b.emit1(new DerivativeGuard(DerivativeGuard.Condition.DISTINCT_EIGENVALUES), w, p);
        Var dw = b.diagPart(p);
        Var dv = b.matmul(v, b.mul(SpectralTerms.inverseGaps(b, w), p));
        return List.of(Tangent.of(dw), Tangent.of(dv));
    }

    @Override
    public String attributes() {
        return "lower=" + lower + " symmetrize_input=" + symmetrizeInput;
    }

    /** The reference evaluation: {@code w} and {@code v} of every matrix of the batch. */
    public List<Tensor> evaluate(List<Tensor> ins) {
        Tensor a = ins.get(0);
        List<Type> types = outTypes(List.of(a.type()));
        int n = a.shape().dim(a.shape().rank() - 1);
        int count = Batched.count(a.shape(), 2);
        double[] w = new double[Math.toIntExact(types.get(0).shape().size())];
        double[] v = new double[Math.toIntExact(types.get(1).shape().size())];
        for (int i = 0; i < count; i++) {
            double[][] x = BatchedMatrix.read(a.raw(), i, n, n);
            for (int r = 0; r < n; r++) {
                for (int c = 0; c < n; c++) {
                    if (reads(r, c) && !Double.isFinite(x[r][c])) {
                        throw new StreamfoldException(name() + ": " + BatchedMatrix.which(i, count)
                                + " has the non-finite entry " + x[r][c] + " at [" + r + ", " + c + "]");
                    }
                }
            }
            x = symmetric(x);
            Factors f = factor(x, i, count);
            BatchedMatrix.write(f.w(), w, i, a.dtype());
            BatchedMatrix.write(f.v(), v, i, a.dtype());
        }
        return List.of(new Tensor(a.dtype(), types.get(0).shape(), w), new Tensor(a.dtype(), types.get(1).shape(), v));
    }

    /** Whether entry {@code [row, col]} of the input is read. */
    private boolean reads(int row, int col) {
        return symmetrizeInput || (lower ? row >= col : row <= col);
    }

    /** The symmetric matrix this op decomposes for the input {@code a}. */
    double[][] symmetric(double[][] a) {
        int n = a.length;
        double[][] s = new double[n][n];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                double x;
                if (symmetrizeInput) {
                    x = (a[i][j] + a[j][i]) / 2;
                } else if (lower) {
                    x = i >= j ? a[i][j] : a[j][i];
                } else {
                    x = i <= j ? a[i][j] : a[j][i];
                }
                s[i][j] = x;
            }
        }
        return s;
    }

    /** The eigenpairs of one symmetric matrix: {@code A = V diag(w) V^T}. */
    record Factors(double[] w, double[][] v) {}

    /** Cyclic Jacobi on one symmetric matrix, with the documented order and signs. */
    static Factors factor(double[][] sym, int index, int batchSize) {
        int n = sym.length;
        int e = BatchedMatrix.exponent(sym);
        double[][] a = BatchedMatrix.scaled(sym, -e);
        double scale = 0;
        for (int i = 0; i < n; i++) {
            for (double x : a[i]) {
                scale = Math.hypot(scale, x);
            }
        }
        double[][] v = new double[n][n];
        for (int i = 0; i < n; i++) {
            v[i][i] = 1;
        }
        double eps = Math.ulp(1.0);
        double negligible = scale * 1e-300;
        boolean rotated = true;
        for (int sweep = 0; rotated; sweep++) {
            if (sweep == MAX_SWEEPS) {
                throw new StreamfoldException("eigh: " + BatchedMatrix.which(index, batchSize)
                        + " did not converge in " + MAX_SWEEPS + " Jacobi sweeps");
            }
            rotated = false;
            for (int p = 0; p < n - 1; p++) {
                for (int q = p + 1; q < n; q++) {
                    double apq = a[p][q];
                    if (Math.abs(apq) <= negligible
                            || Math.abs(apq) <= eps * Math.sqrt(Math.abs(a[p][p])) * Math.sqrt(Math.abs(a[q][q]))
                                    && Math.abs(apq) <= eps * scale) {
                        continue;
                    }
                    rotated = true;
                    double theta = (a[q][q] - a[p][p]) / (2 * apq);
                    double t = theta == 0 ? 1 : Math.signum(theta) / (Math.abs(theta) + Math.hypot(1, theta));
                    double c = 1 / Math.hypot(1, t);
                    double s = c * t;
                    for (int r = 0; r < n; r++) {
                        double arp = a[r][p];
                        double arq = a[r][q];
                        a[r][p] = c * arp - s * arq;
                        a[r][q] = s * arp + c * arq;
                    }
                    for (int r = 0; r < n; r++) {
                        double apr = a[p][r];
                        double aqr = a[q][r];
                        a[p][r] = c * apr - s * aqr;
                        a[q][r] = s * apr + c * aqr;
                    }
                    a[p][q] = 0;
                    a[q][p] = 0;
                    for (int r = 0; r < n; r++) {
                        double vrp = v[r][p];
                        double vrq = v[r][q];
                        v[r][p] = c * vrp - s * vrq;
                        v[r][q] = s * vrp + c * vrq;
                    }
                }
            }
        }
        Integer[] order = new Integer[n];
        for (int j = 0; j < n; j++) {
            order[j] = j;
        }
        java.util.Arrays.sort(order, (x, y) -> Double.compare(a[x][x], a[y][y]));
        double[] w = new double[n];
        double[][] vs = new double[n][n];
        for (int j = 0; j < n; j++) {
            w[j] = Math.scalb(a[order[j]][order[j]], e);
            for (int r = 0; r < n; r++) {
                vs[r][j] = v[r][order[j]];
            }
            if (BatchedMatrix.largestEntryNegative(vs, j)) {
                BatchedMatrix.negateColumn(vs, j);
            }
        }
        return new Factors(w, vs);
    }
}
