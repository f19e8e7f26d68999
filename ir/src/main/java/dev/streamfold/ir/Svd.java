package dev.streamfold.ir;

import java.util.List;

/**
 * The singular value decomposition {@code A = U diag(s) V^T} of {@code [..., m, n]}, by one-sided
 * (Hestenes) Jacobi rotations in float64 on the columns of {@code A} (of {@code A^T} when {@code m <
 * n}), with {@code k = min(m, n)}. Outputs {@code u} {@code [..., m, k]}, {@code s} {@code [..., k]}
 * descending and {@code vt} {@code [..., k, n]}; with {@code fullMatrices}, {@code u} is {@code [...,
 * m, m]} and {@code vt} {@code [..., n, n]}; with {@code computeUv = false}, {@code s} alone.
 *
 * <p>Sign convention: the largest-magnitude entry (the first on ties) of each column of {@code u} is
 * positive, the matching row of {@code vt} negated with it. Singular vectors of zero singular values
 * and the complement columns of a full factor are the standard basis vectors farthest from the
 * columns before them, orthonormalized, with the same sign rule.
 */
public record Svd(boolean fullMatrices, boolean computeUv) implements Op {
    private static final int MAX_SWEEPS = 100;

    @Override
    public String name() {
        return "svd";
    }

    @Override
    public List<Type> outTypes(List<Type> ins) {
        Op.arity(this, ins, 1);
        Type a = ins.get(0);
        Batched.requireFloating(this, a, "matrix [..., m, n]", 2);
        int m = a.shape().dim(a.rank() - 2);
        int n = a.shape().dim(a.rank() - 1);
        int k = Math.min(m, n);
        Type s = a.withShape(Batched.withTrailing(a.shape(), 2, k));
        if (!computeUv) {
            return List.of(s);
        }
        return List.of(a.withShape(Batched.withTrailing(a.shape(), 2, m, fullMatrices ? m : k)), s,
                a.withShape(Batched.withTrailing(a.shape(), 2, fullMatrices ? n : k, n)));
    }

    /**
     * The SVD perturbation rule (Townsend, "Differentiating the singular value decomposition"): with
     * {@code P = U^T dA V}, {@code ds = diag(P)}, {@code dU = U (F o (P S + S P^T))} and {@code dV = V
     * (F o (S P + P^T S))}, {@code F_ij = 1 / (s_j^2 - s_i^2)} off the diagonal; a tall matrix adds
     * {@code (I - U U^T) dA V S^-1} to {@code dU}, a wide one {@code (I - V V^T) dA^T U S^-1} to {@code
     * dV}. A {@link DerivativeGuard} refuses repeated and zero singular values; full factors of a
     * non-square matrix are refused while building the rule (their complement is not unique).
     */
    @Override
    public List<Tangent> jvp(Jvp.Emitter b, List<Var> ins, List<Var> outs, List<Tangent> t) {
        Var a = ins.get(0);
        int m = SpectralTerms.rowCount(a);
        int n = SpectralTerms.columnCount(a);
        if (t.get(0).isZero()) {
            return outs.stream().map(o -> (Tangent) Tangent.zero(o.type())).toList();
        }
        if (computeUv && fullMatrices && m != n) {
            throw new StreamfoldException("svd: the derivative with full_matrices=true of a non-square matrix ("
                    + m + "x" + n + ") does not exist: the complement singular vectors are not unique;"
                    + " use full_matrices=false");
        }
        List<Var> factors = computeUv ? outs : b.emit(new Svd(false, true), List.of(a));
        Var u = factors.get(0);
        Var s = factors.get(1);
        Var v = b.matrixTranspose(factors.get(2));
        Var da = b.instantiate(t.get(0));
        Var p = b.matmul(b.matrixTranspose(u), b.matmul(da, v));
        p = b.emit1(new DerivativeGuard(DerivativeGuard.Condition.DISTINCT_NONZERO_SINGULAR_VALUES), s, p);
        Var ds = b.diagPart(p);
        if (!computeUv) {
            return List.of(Tangent.of(ds));
        }
        int k = Math.min(m, n);
        Var f = SpectralTerms.inverseGaps(b, b.mul(s, s));
        Var ps = b.mul(p, SpectralTerms.alongColumns(b, s, k));
        Var sp = b.mul(SpectralTerms.alongRows(b, s, k), p);
        Var du = b.matmul(u, b.mul(f, b.add(ps, b.matrixTranspose(ps))));
        Var dv = b.matmul(v, b.mul(f, b.add(sp, b.matrixTranspose(sp))));
        if (m > n) {
            Var rest = b.sub(b.matmul(da, v), b.matmul(u, p));
            du = b.add(du, b.mul(rest, SpectralTerms.alongColumns(b, b.unary(Unary.Kind.RECIPROCAL, s), m)));
        } else if (n > m) {
            Var rest = b.sub(b.matmul(b.matrixTranspose(da), u), b.matmul(v, b.matrixTranspose(p)));
            dv = b.add(dv, b.mul(rest, SpectralTerms.alongColumns(b, b.unary(Unary.Kind.RECIPROCAL, s), n)));
        }
        return List.of(Tangent.of(du), Tangent.of(ds), Tangent.of(b.matrixTranspose(dv)));
    }

    @Override
    public String attributes() {
        return "full_matrices=" + fullMatrices + " compute_uv=" + computeUv;
    }

    /** The reference evaluation: {@code u, s, vt} (or {@code s} alone) of every matrix of the batch. */
    public List<Tensor> evaluate(List<Tensor> ins) {
        Tensor a = ins.get(0);
        List<Type> types = outTypes(List.of(a.type()));
        Shape sh = a.shape();
        int m = sh.dim(sh.rank() - 2);
        int n = sh.dim(sh.rank() - 1);
        int count = Batched.count(sh, 2);
        double[][] out = new double[types.size()][];
        for (int i = 0; i < out.length; i++) {
            out[i] = new double[Math.toIntExact(types.get(i).shape().size())];
        }
        for (int i = 0; i < count; i++) {
            double[][] x = BatchedMatrix.read(a.raw(), i, m, n);
            BatchedMatrix.requireFinite(name(), x, i, count);
            Factors f = factor(x, fullMatrices, i, count);
            if (computeUv) {
                BatchedMatrix.write(f.u(), out[0], i, a.dtype());
                BatchedMatrix.write(f.s(), out[1], i, a.dtype());
                BatchedMatrix.write(BatchedMatrix.transpose(f.v()), out[2], i, a.dtype());
            } else {
                BatchedMatrix.write(f.s(), out[0], i, a.dtype());
            }
        }
        return java.util.stream.IntStream.range(0, types.size())
                .mapToObj(i -> new Tensor(a.dtype(), types.get(i).shape(), out[i]))
                .toList();
    }

    /** The factors of one matrix: {@code A = U diag(s) V^T}. */
    record Factors(double[][] u, double[] s, double[][] v) {}

    /** The SVD of one {@code m x n} matrix with the documented conventions. */
    static Factors factor(double[][] a, boolean full, int index, int batchSize) {
        int m = a.length;
        int n = m == 0 ? 0 : a[0].length;
        int e = BatchedMatrix.exponent(a);
        double[][] x = BatchedMatrix.scaled(a, -e);
        Factors f;
        if (m < n) {
            Factors t = tall(BatchedMatrix.transpose(x), full, index, batchSize);
            f = new Factors(t.v(), t.s(), t.u());
        } else {
            f = tall(x, full, index, batchSize);
        }
        for (int j = 0; j < f.s().length; j++) {
            f.s()[j] = Math.scalb(f.s()[j], e);
        }
        normalizeSigns(f);
        return f;
    }

    /** One-sided Jacobi on the columns of a tall (or square) matrix. */
    private static Factors tall(double[][] a, boolean full, int index, int batchSize) {
        int m = a.length;
        int n = m == 0 ? 0 : a[0].length;
        double[][] g = new double[m][];
        for (int i = 0; i < m; i++) {
            g[i] = a[i].clone();
        }
        double[][] v = new double[n][n];
        for (int i = 0; i < n; i++) {
            v[i][i] = 1;
        }
        double eps = Math.ulp(1.0);
        boolean rotated = true;
        for (int sweep = 0; rotated; sweep++) {
            if (sweep == MAX_SWEEPS) {
                throw new StreamfoldException("svd: " + BatchedMatrix.which(index, batchSize)
                        + " did not converge in " + MAX_SWEEPS + " Jacobi sweeps");
            }
            rotated = false;
            for (int p = 0; p < n - 1; p++) {
                for (int q = p + 1; q < n; q++) {
                    double alpha = 0;
                    double beta = 0;
                    double gamma = 0;
                    for (int i = 0; i < m; i++) {
                        alpha += g[i][p] * g[i][p];
                        beta += g[i][q] * g[i][q];
                        gamma += g[i][p] * g[i][q];
                    }
                    if (gamma == 0 || Math.abs(gamma) <= eps * Math.sqrt(alpha) * Math.sqrt(beta)) {
                        continue;
                    }
                    rotated = true;
                    double zeta = (beta - alpha) / (2 * gamma);
                    double t = Math.signum(zeta) / (Math.abs(zeta) + Math.hypot(1, zeta));
                    if (zeta == 0) {
                        t = 1;
                    }
                    double c = 1 / Math.hypot(1, t);
                    double s = c * t;
                    rotate(g, p, q, c, s);
                    rotate(v, p, q, c, s);
                }
            }
        }
        double[] norms = new double[n];
        for (int j = 0; j < n; j++) {
            double acc = 0;
            for (int i = 0; i < m; i++) {
                acc = Math.hypot(acc, g[i][j]);
            }
            norms[j] = acc;
        }
        Integer[] order = new Integer[n];
        for (int j = 0; j < n; j++) {
            order[j] = j;
        }
        java.util.Arrays.sort(order, (x, y) -> Double.compare(norms[y], norms[x]));
        int uCols = full ? m : n;
        double[][] u = new double[m][uCols];
        double[][] vs = new double[n][n];
        double[] s = new double[n];
        boolean[] done = new boolean[uCols];
        for (int j = 0; j < n; j++) {
            int src = order[j];
            s[j] = norms[src];
            for (int i = 0; i < n; i++) {
                vs[i][j] = v[i][src];
            }
            if (s[j] > 0) {
                for (int i = 0; i < m; i++) {
                    u[i][j] = g[i][src] / s[j];
                }
                done[j] = true;
            }
        }
        BatchedMatrix.completeOrthonormal(u, done);
        return new Factors(u, s, vs);
    }

    /** Columns {@code p, q} of {@code x} become {@code c x_p - s x_q} and {@code s x_p + c x_q}. */
    private static void rotate(double[][] x, int p, int q, double c, double s) {
        for (double[] row : x) {
            double xp = row[p];
            double xq = row[q];
            row[p] = c * xp - s * xq;
            row[q] = s * xp + c * xq;
        }
    }

    /** Applies the sign rule: the largest entry of each column of {@code u} positive, {@code v} along. */
    private static void normalizeSigns(Factors f) {
        int uCols = f.u().length == 0 ? 0 : f.u()[0].length;
        int vCols = f.v().length == 0 ? 0 : f.v()[0].length;
        int k = f.s().length;
        for (int j = 0; j < uCols; j++) {
            if (BatchedMatrix.largestEntryNegative(f.u(), j)) {
                BatchedMatrix.negateColumn(f.u(), j);
                if (j < k) {
                    BatchedMatrix.negateColumn(f.v(), j);
                }
            }
        }
        for (int j = k; j < vCols; j++) {
            if (BatchedMatrix.largestEntryNegative(f.v(), j)) {
                BatchedMatrix.negateColumn(f.v(), j);
            }
        }
    }
}
