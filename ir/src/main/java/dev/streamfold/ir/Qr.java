package dev.streamfold.ir;

import java.util.List;

/**
 * The QR decomposition {@code A = Q R} of {@code [..., m, n]}, by Householder reflectors as LAPACK's
 * {@code geqrf}/{@code orgqr}, with {@code k = min(m, n)}. Outputs: {@code q} {@code [..., m, k]}
 * with orthonormal columns and {@code r} {@code [..., k, n]} upper triangular; with {@code
 * fullMatrices}, {@code q} is {@code [..., m, m]} orthogonal and {@code r} is {@code [..., m, n]}.
 *
 * <p>Sign convention: {@code diag(r) >= 0} (the first {@code k} columns of {@code q} and rows of
 * {@code r} are negated together where needed). Reflector {@code j} is {@code H_j = I - tau v v^T}
 * with {@code v_j = 1}, {@code beta = -sign(alpha) * norm} and {@code sign(0) = 1}; it is applied
 * even when the column below the diagonal is already zero, and skipped only when the whole column
 * is zero or has a single entry. The complement columns {@code k..m-1} of a full {@code q} are those
 * of {@code H_0 H_1 ... H_(k-1)}.
 */
public record Qr(boolean fullMatrices) implements Op {
    @Override
    public String name() {
        return "qr";
    }

    @Override
    public List<Type> outTypes(List<Type> ins) {
        Op.arity(this, ins, 1);
        Type a = ins.get(0);
        Batched.requireFloating(this, a, "matrix [..., m, n]", 2);
        int m = a.shape().dim(a.rank() - 2);
        int n = a.shape().dim(a.rank() - 1);
        int k = fullMatrices ? m : Math.min(m, n);
        return List.of(a.withShape(Batched.withTrailing(a.shape(), 2, m, k)),
                a.withShape(Batched.withTrailing(a.shape(), 2, k, n)));
    }

    /**
     * The QR derivative (Townsend, "Differentiating the QR decomposition"; as JAX's {@code
     * qr_jvp_rule}): for {@code m >= n}, with {@code X = dA R^-1} and {@code C = Q^T X}, {@code dQ = Q
     * (W - C) + X} and {@code dR = (C - W) R}, {@code W = tril(C, -1) - tril(C, -1)^T}. For {@code m <
     * n}, {@code A = [A1 A2]}: the rule above for {@code A1 = Q R1}, and {@code dR2 = dQ^T A2 + Q^T
     * dA2}. With {@code fullMatrices} and {@code m > n}, the first {@code n} columns of {@code q} follow
     * the rule above and the complement columns are differentiated through the Householder
     * construction ({@link HouseholderTangent}). A {@link DerivativeGuard} refuses a zero on the
     * diagonal of {@code r} (a rank-deficient block), where the derivative does not exist.
     */
    @Override
    public List<Tangent> jvp(Jvp.Emitter b, List<Var> ins, List<Var> outs, List<Tangent> t) {
        Var a = ins.get(0);
        Var q = outs.get(0);
        Var r = outs.get(1);
        if (t.get(0).isZero()) {
            return List.of(Tangent.zero(q.type()), Tangent.zero(r.type()));
        }
        int m = SpectralTerms.rowCount(a);
        int n = SpectralTerms.columnCount(a);
        Var da = b.instantiate(t.get(0));
        if (m < n) {
            Var r1 = SpectralTerms.columns(b, r, 0, m);
            Var da1 = SpectralTerms.columns(b, da, 0, m);
            Var[] square = tallRule(b, q, r1, da1);
            Var dr2 = b.add(b.matmul(b.matrixTranspose(square[0]), SpectralTerms.columns(b, a, m, n)),
                    b.matmul(b.matrixTranspose(q), SpectralTerms.columns(b, da, m, n)));
            return List.of(Tangent.of(square[0]), Tangent.of(b.concatenate(r.type().rank() - 1, List.of(square[1], dr2))));
        }
        if (fullMatrices && m > n) {
            return HouseholderTangent.fullTall(b, a, q, r, da);
        }
        Var[] thin = tallRule(b, q, r, da);
        return List.of(Tangent.of(thin[0]), Tangent.of(thin[1]));
    }

    /** {@code dQ, dR} of {@code A = Q R} with {@code R} square, by the rule for {@code m >= n}. */
    static Var[] tallRule(Jvp.Emitter b, Var q, Var r, Var da) {
        Var guarded = b.emit1(new DerivativeGuard(DerivativeGuard.Condition.NONZERO_R_DIAGONAL), b.diagPart(r), da);
        Var x = b.triangularSolve(r, guarded, false, false, false, false);
        Var c = b.matmul(b.matrixTranspose(q), x);
        Var lowerPart = b.tril(c, -1);
        Var w = b.sub(lowerPart, b.matrixTranspose(lowerPart));
        Var dq = b.add(b.matmul(q, b.sub(w, c)), x);
        Var dr = b.matmul(b.sub(c, w), r);
        return new Var[] {dq, dr};
    }

    @Override
    public String attributes() {
        return "full_matrices=" + fullMatrices;
    }

    /** The reference evaluation: {@code q} and {@code r} of every matrix of the batch. */
    public List<Tensor> evaluate(List<Tensor> ins) {
        Tensor a = ins.get(0);
        List<Type> types = outTypes(List.of(a.type()));
        Shape s = a.shape();
        int m = s.dim(s.rank() - 2);
        int n = s.dim(s.rank() - 1);
        int count = Batched.count(s, 2);
        double[] q = new double[Math.toIntExact(types.get(0).shape().size())];
        double[] r = new double[Math.toIntExact(types.get(1).shape().size())];
        for (int i = 0; i < count; i++) {
            double[][] x = BatchedMatrix.read(a.raw(), i, m, n);
            BatchedMatrix.requireFinite(name(), x, i, count);
            Factors f = factor(x, fullMatrices);
            BatchedMatrix.write(f.q(), q, i, a.dtype());
            BatchedMatrix.write(f.r(), r, i, a.dtype());
        }
        return List.of(new Tensor(a.dtype(), types.get(0).shape(), q), new Tensor(a.dtype(), types.get(1).shape(), r));
    }

    /** The factors of one matrix. */
    record Factors(double[][] q, double[][] r) {}

    /** Householder QR of one {@code m x n} matrix, with the documented sign convention. */
    static Factors factor(double[][] a, boolean full) {
        int m = a.length;
        int n = m == 0 ? 0 : a[0].length;
        int k = Math.min(m, n);
        double[][] r = new double[m][];
        for (int i = 0; i < m; i++) {
            r[i] = a[i].clone();
        }
        double[][] v = new double[k][];
        double[] tau = new double[k];
        for (int j = 0; j < k; j++) {
            double alpha = r[j][j];
            double below = 0;
            for (int i = j + 1; i < m; i++) {
                below = Math.hypot(below, r[i][j]);
            }
            double norm = Math.hypot(alpha, below);
            if (j == m - 1 || norm == 0) {
                continue;
            }
            double beta = alpha >= 0 ? -norm : norm;
            double[] vj = new double[m];
            vj[j] = 1;
            for (int i = j + 1; i < m; i++) {
                vj[i] = r[i][j] / (alpha - beta);
            }
            v[j] = vj;
            tau[j] = (beta - alpha) / beta;
            r[j][j] = beta;
            for (int i = j + 1; i < m; i++) {
                r[i][j] = 0;
            }
            for (int c = j + 1; c < n; c++) {
                reflect(r, vj, tau[j], j, c);
            }
        }
        int qCols = full ? m : k;
        double[][] q = new double[m][qCols];
        for (int i = 0; i < Math.min(m, qCols); i++) {
            q[i][i] = 1;
        }
        for (int j = k - 1; j >= 0; j--) {
            if (v[j] != null) {
                for (int c = 0; c < qCols; c++) {
                    reflect(q, v[j], tau[j], j, c);
                }
            }
        }
        for (int i = 0; i < k; i++) {
            if (r[i][i] < 0) {
                for (int c = i; c < n; c++) {
                    r[i][c] = -r[i][c];
                }
                BatchedMatrix.negateColumn(q, i);
            }
        }
        int rRows = full ? m : k;
        double[][] rOut = new double[rRows][];
        for (int i = 0; i < rRows; i++) {
            rOut[i] = r[i].clone();
        }
        return new Factors(q, rOut);
    }

    /** Applies {@code I - tau v v^T} (with {@code v} zero above {@code from}) to column {@code c} of {@code x}. */
    private static void reflect(double[][] x, double[] v, double tau, int from, int c) {
        double w = 0;
        for (int i = from; i < x.length; i++) {
            w += v[i] * x[i][c];
        }
        w *= tau;
        for (int i = from; i < x.length; i++) {
            x[i][c] -= w * v[i];
        }
    }
}
