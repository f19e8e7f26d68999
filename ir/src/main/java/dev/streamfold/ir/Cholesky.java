package dev.streamfold.ir;

import java.util.List;

/**
 * The Cholesky factor {@code L} (lower triangular, positive diagonal, zeros above) with {@code A = L
 * L^T} of a batch of symmetric positive-definite {@code A [..., m, m]}. With {@code symmetrizeInput}
 * the op factors {@code (A + A^T) / 2}; without it, it reads only the lower triangle of {@code A} and
 * mirrors it (as LAPACK's {@code potrf} with {@code uplo = 'L'}).
 */
public record Cholesky(boolean symmetrizeInput) implements Op {
    @Override
    public String name() {
        return "cholesky";
    }

    @Override
    public List<Type> outTypes(List<Type> ins) {
        Op.arity(this, ins, 1);
        Type a = ins.get(0);
        Batched.requireFloating(this, a, "matrix", 2);
        if (a.shape().dim(a.rank() - 2) != a.shape().dim(a.rank() - 1)) {
            throw new IllegalArgumentException("cholesky needs square matrices, got " + a);
        }
        return List.of(a);
    }

    // Murray 2016 (arXiv:1602.07527): dL = L Phi(L^-1 dS L^-T), Phi = lower triangle with half the
    // diagonal, where dS is the tangent of the matrix factored: (dA + dA^T) / 2 with
    // symmetrize_input, else tril(dA) + tril(dA, -1)^T (only the lower triangle is read).
    @Override
    public List<Tangent> jvp(Jvp.Emitter b, List<Var> ins, List<Var> outs, List<Tangent> t) {
        Var l = outs.get(0);
        if (t.get(0).isZero()) {
            return List.of(Tangent.zero(l.type()));
        }
        Var da = b.instantiate(t.get(0));
        Var half = b.full(l.type(), 0.5);
        Var ds = symmetrizeInput
                ? b.mul(b.add(da, b.matrixTranspose(da)), half)
                : b.add(b.tril(da, 0), b.matrixTranspose(b.tril(da, -1)));
        Var right = b.triangularSolve(l, ds, false, true, true, false); // dS L^-T
        Var inner = b.triangularSolve(l, right, true, true, false, false); // L^-1 dS L^-T
        Var phi = b.sub(b.tril(inner, 0), b.mul(b.diagEmbed(b.diagPart(inner)), half));
        return List.of(Tangent.of(b.matmul(l, phi)));
    }

    /**
     * The reference evaluation: the column-by-column Cholesky algorithm in float64.
     *
     * @throws StreamfoldException naming the batch entry, the 0-based pivot and its value when a
     *     pivot is not positive (the matrix is not positive definite)
     */
    public List<Tensor> evaluate(List<Tensor> ins) {
        Tensor a = ins.get(0);
        Type out = outTypes(List.of(a.type())).get(0);
        int r = a.shape().rank();
        int m = a.shape().dim(r - 1);
        int batch = Batched.count(a.shape(), 2);
        double[] av = a.raw();
        double[] l = new double[av.length];
        for (int q = 0; q < batch; q++) {
            // Without symmetrize_input only the lower triangle is read.
            BatchedMatrix.requireFinite(name(), "matrix", av, q, batch, m, m, (i, j) -> symmetrizeInput || j <= i);
            int base = q * m * m;
            for (int j = 0; j < m; j++) {
                double d = input(av, base, m, j, j);
                for (int k = 0; k < j; k++) {
                    d -= l[base + j * m + k] * l[base + j * m + k];
                }
                if (!(d > 0)) {
                    throw new StreamfoldException("cholesky: " + BatchedMatrix.which(q, batch)
                            + " is not positive definite (pivot " + j + " is " + d + ")");
                }
                double diagonal = Math.sqrt(d);
                l[base + j * m + j] = diagonal;
                for (int i = j + 1; i < m; i++) {
                    double s = input(av, base, m, i, j);
                    for (int k = 0; k < j; k++) {
                        s -= l[base + i * m + k] * l[base + j * m + k];
                    }
                    l[base + i * m + j] = s / diagonal;
                }
            }
        }
        return List.of(Batched.rounded(out.dtype(), out.shape(), l));
    }

    /** Entry {@code (i, j)}, {@code i >= j}, of the matrix factored. */
    private double input(double[] av, int base, int m, int i, int j) {
        double lower = av[base + i * m + j];
        return symmetrizeInput ? (lower + av[base + j * m + i]) / 2 : lower;
    }

    @Override
    public String attributes() {
        return "symmetrize_input=" + symmetrizeInput;
    }
}
