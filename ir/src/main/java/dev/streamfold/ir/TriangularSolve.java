package dev.streamfold.ir;

import java.util.List;

/**
 * Solves {@code op(A) X = B} ({@code leftSide}) or {@code X op(A) = B} for a batch of triangular
 * {@code A [..., m, m]} and {@code B [..., m, n]} (left) or {@code [..., n, m]} (right), where {@code
 * op(A)} is {@code A} or, with {@code transposeA}, {@code A^T}. Only the triangle named by {@code
 * lower} is read; with {@code unitDiagonal} the diagonal is taken as ones and not read either.
 */
public record TriangularSolve(boolean leftSide, boolean lower, boolean transposeA, boolean unitDiagonal)
        implements Op {
    @Override
    public String name() {
        return "triangular_solve";
    }

    @Override
    public List<Type> outTypes(List<Type> ins) {
        Op.arity(this, ins, 2);
        Type a = ins.get(0);
        Type rhs = ins.get(1);
        Batched.requireFloating(this, a, "matrix A", 2);
        Batched.requireFloating(this, rhs, "right-hand side B", 2);
        int r = a.rank();
        int m = a.shape().dim(r - 1);
        if (a.shape().dim(r - 2) != m) {
            throw new IllegalArgumentException("triangular_solve needs square matrices A, got " + a);
        }
        if (rhs.rank() != r || rhs.dtype() != a.dtype()) {
            throw new IllegalArgumentException(
                    "triangular_solve needs A and B of one rank and dtype, got " + a + " and " + rhs);
        }
        Batched.requireSameBatch(this, a, rhs, r - 2);
        int shared = rhs.shape().dim(leftSide ? r - 2 : r - 1);
        if (shared != m) {
            throw new IllegalArgumentException("triangular_solve with left_side=" + leftSide + " needs B with "
                    + (leftSide ? "rows" : "columns") + " of size " + m + ", got " + a + " and " + rhs);
        }
        return List.of(rhs);
    }

    // op(A) X = B gives op(dA) X + op(A) dX = dB, so dX = solve(op(A), dB - op(dA) X) (right side:
    // dX = solve_right(op(A), dB - X op(dA))), with dA masked to the triangle the solve reads.
    @Override
    public List<Tangent> jvp(Jvp.Emitter b, List<Var> ins, List<Var> outs, List<Tangent> t) {
        Var a = ins.get(0);
        Var x = outs.get(0);
        Tangent rhs = t.get(1);
        if (!t.get(0).isZero()) {
            Var da = b.instantiate(t.get(0));
            int diagonal = unitDiagonal ? 1 : 0;
            Var masked = lower ? b.tril(da, -diagonal) : b.triu(da, diagonal);
            Var opDa = transposeA ? b.matrixTranspose(masked) : masked;
            Var product = leftSide ? b.matmul(opDa, x) : b.matmul(x, opDa);
            rhs = b.addTangents(rhs, b.negTangent(Tangent.of(product)));
        }
        if (rhs.isZero()) {
            return List.of(Tangent.zero(x.type()));
        }
        return List.of(Tangent.of(b.emit1(this, a, b.instantiate(rhs))));
    }

    /**
     * The reference evaluation, by forward or back substitution.
     *
     * @throws StreamfoldException naming the batch entry when a diagonal entry read is zero (the
     *     system is singular)
     */
    public List<Tensor> evaluate(List<Tensor> ins) {
        Tensor a = ins.get(0);
        Tensor rhs = ins.get(1);
        Type out = outTypes(List.of(a.type(), rhs.type())).get(0);
        int r = a.shape().rank();
        int m = a.shape().dim(r - 1);
        int rows = rhs.shape().dim(r - 2);
        int cols = rhs.shape().dim(r - 1);
        int batch = Batched.count(a.shape(), 2);
        double[] av = a.raw();
        double[] x = rhs.data();
        // The effective matrix M = op(A) is lower triangular when exactly one of lower, transposeA holds.
        boolean lowerM = lower != transposeA;
        for (int q = 0; q < batch; q++) {
            // A is read in its triangle only, without the diagonal when unit_diagonal.
            BatchedMatrix.requireFinite(name(), "matrix", av, q, batch, m, m,
                    (i, j) -> (lower ? j <= i : j >= i) && !(unitDiagonal && i == j));
            BatchedMatrix.requireFinite(name(), "right-hand side", x, q, batch, rows, cols, (i, j) -> true);
            int base = q * m * m;
            if (!unitDiagonal) {
                for (int i = 0; i < m; i++) {
                    if (av[base + i * m + i] == 0) {
                        throw new StreamfoldException("triangular_solve: " + BatchedMatrix.which(q, batch)
                                + " is singular (diagonal entry " + i + " is zero)");
                    }
                }
            }
            int xb = q * rows * cols;
            if (leftSide) {
                // Column c of X solves M x = b.
                for (int c = 0; c < cols; c++) {
                    for (int s = 0; s < m; s++) {
                        int i = lowerM ? s : m - 1 - s;
                        double v = x[xb + i * cols + c];
                        for (int u = 0; u < s; u++) {
                            int j = lowerM ? u : m - 1 - u;
                            v -= entry(av, base, m, i, j) * x[xb + j * cols + c];
                        }
                        x[xb + i * cols + c] = unitDiagonal ? v : v / av[base + i * m + i];
                    }
                }
            } else {
                // Row w of X solves x M = b, that is M^T x^T = b^T: M^T is lower when M is upper.
                for (int w = 0; w < rows; w++) {
                    for (int s = 0; s < m; s++) {
                        int j = lowerM ? m - 1 - s : s;
                        double v = x[xb + w * cols + j];
                        for (int u = 0; u < s; u++) {
                            int i = lowerM ? m - 1 - u : u;
                            v -= x[xb + w * cols + i] * entry(av, base, m, i, j);
                        }
                        x[xb + w * cols + j] = unitDiagonal ? v : v / av[base + j * m + j];
                    }
                }
            }
        }
        return List.of(Batched.rounded(out.dtype(), out.shape(), x));
    }

    /** Entry {@code (i, j)} of {@code op(A)} off the diagonal, inside the triangle that is read. */
    private double entry(double[] av, int base, int m, int i, int j) {
        return transposeA ? av[base + j * m + i] : av[base + i * m + j];
    }

    @Override
    public String attributes() {
        return "left_side=" + leftSide + " lower=" + lower + " transpose_a=" + transposeA + " unit_diagonal="
                + unitDiagonal;
    }
}
