package dev.streamfold.ir;

import java.util.List;

/**
 * LU decomposition with partial pivoting (LAPACK {@code getrf}) of a batch of {@code A [..., m, n]},
 * {@code k = min(m, n)}. Outputs: {@code lu [..., m, n]} packing the unit lower-triangular {@code L
 * [..., m, k]} below the diagonal and the upper-triangular {@code U [..., k, n]} on and above it;
 * {@code pivots} (int32 {@code [..., k]}): step {@code j} swapped rows {@code j} and {@code
 * pivots[j]}, 0-based; {@code permutation} (int32 {@code [..., m]}) with {@code A[permutation] = L U}.
 * Each step pivots on the first entry of largest magnitude in its column.
 *
 * <p>The factorization of a singular matrix is defined (a zero pivot column is left as it is, as
 * LAPACK does), but its derivative is not: the JVP program solves with the leading {@code k x k}
 * block of {@code U}, and that {@link TriangularSolve} refuses a zero on its diagonal, naming the
 * batch entry and the diagonal index. A single row ({@code m = 1}) is its own {@code U}, so its
 * tangent is {@code dA} whatever its entries.
 */
public record Lu() implements Op {
    @Override
    public String name() {
        return "lu";
    }

    @Override
    public List<Type> outTypes(List<Type> ins) {
        Op.arity(this, ins, 1);
        Type a = ins.get(0);
        Batched.requireFloating(this, a, "matrix", 2);
        int m = a.shape().dim(a.rank() - 2);
        int n = a.shape().dim(a.rank() - 1);
        if (m < 1 || n < 1) {
            throw new IllegalArgumentException("lu needs matrices of at least one row and one column, got " + a);
        }
        return List.of(
                a,
                new Type(DType.I32, Batched.withTrailing(a.shape(), 2, Math.min(m, n))),
                new Type(DType.I32, Batched.withTrailing(a.shape(), 2, m)));
    }

    // de Hoog, Anderssen and Lukas: from P dA = dL U + L dU, with L padded to [L1 0; L2 I] (tall)
    // and U to [U1 U2; 0 I] (wide), X = L^-1 P dA U^-1 gives dL = L tril(X, -1), dU = triu(X) U.
    @Override
    public List<Tangent> jvp(Jvp.Emitter b, List<Var> ins, List<Var> outs, List<Tangent> t) {
        Var lu = outs.get(0);
        List<Tangent> zeroIntegers = List.of(Tangent.zero(outs.get(1).type()), Tangent.zero(outs.get(2).type()));
        if (t.get(0).isZero()) {
            return List.of(Tangent.zero(lu.type()), zeroIntegers.get(0), zeroIntegers.get(1));
        }
        Type type = lu.type();
        int r = type.rank();
        int m = type.shape().dim(r - 2);
        int n = type.shape().dim(r - 1);
        int k = Math.min(m, n);
        if (m == 1) {
            // One row is its own U (L = [1], no swaps): d lu = dA, even where dA's pivot is zero.
            return List.of(t.get(0), zeroIntegers.get(0), zeroIntegers.get(1));
        }
        Var permuted = b.gatherRows(b.instantiate(t.get(0)), outs.get(2));
        Var lower = b.tril(block(b, lu, 0, m, 0, k), -1);
        if (m > k) {
            Var zeros = b.full(type.withShape(Batched.withTrailing(type.shape(), 2, m, m - k)), 0);
            lower = b.concatenate(r - 1, List.of(lower, zeros));
        }
        lower = b.add(lower, b.eye(type.withShape(Batched.withTrailing(type.shape(), 2, m, m))));
        Var upper = b.triu(block(b, lu, 0, k, 0, n), 0);
        if (n > k) {
            Var zeros = b.full(type.withShape(Batched.withTrailing(type.shape(), 2, n - k, k)), 0);
            Var identity = b.eye(type.withShape(Batched.withTrailing(type.shape(), 2, n - k, n - k)));
            upper = b.concatenate(r - 2, List.of(upper, b.concatenate(r - 1, List.of(zeros, identity))));
        }
        Var left = b.triangularSolve(lower, permuted, true, true, false, true); // L^-1 P dA
        Var x = b.triangularSolve(upper, left, false, false, false, false); // L^-1 P dA U^-1
        Var dl = b.matmul(lower, b.tril(x, -1));
        Var du = b.matmul(b.triu(x, 0), upper);
        return List.of(Tangent.of(b.add(dl, du)), zeroIntegers.get(0), zeroIntegers.get(1));
    }

    /** Rows {@code [r0, r1)} and columns {@code [c0, c1)} of every matrix of {@code x}. */
    private static Var block(ProgramBuilder b, Var x, int r0, int r1, int c0, int c1) {
        int r = x.type().rank();
        int[] start = new int[r];
        int[] limit = x.type().shape().dims();
        if (r0 == 0 && c0 == 0 && r1 == limit[r - 2] && c1 == limit[r - 1]) {
            return x;
        }
        start[r - 2] = r0;
        limit[r - 2] = r1;
        start[r - 1] = c0;
        limit[r - 1] = c1;
        return b.slice(x, start, limit);
    }

    /** The reference evaluation: unblocked right-looking elimination with row interchanges, in float64. */
    public List<Tensor> evaluate(List<Tensor> ins) {
        Tensor a = ins.get(0);
        List<Type> types = outTypes(List.of(a.type()));
        int r = a.shape().rank();
        int m = a.shape().dim(r - 2);
        int n = a.shape().dim(r - 1);
        int k = Math.min(m, n);
        int batch = Batched.count(a.shape(), 2);
        double[] lu = a.data();
        double[] pivots = new double[batch * k];
        double[] permutation = new double[batch * m];
        for (int q = 0; q < batch; q++) {
            BatchedMatrix.requireFinite(name(), "matrix", lu, q, batch, m, n, (i, j) -> true);
            int base = q * m * n;
            int[] perm = new int[m];
            for (int i = 0; i < m; i++) {
                perm[i] = i;
            }
            for (int j = 0; j < k; j++) {
                int p = j;
                double largest = Math.abs(lu[base + j * n + j]);
                for (int i = j + 1; i < m; i++) {
                    double v = Math.abs(lu[base + i * n + j]);
                    if (v > largest) {
                        largest = v;
                        p = i;
                    }
                }
                pivots[q * k + j] = p;
                if (p != j) {
                    for (int c = 0; c < n; c++) {
                        double s = lu[base + j * n + c];
                        lu[base + j * n + c] = lu[base + p * n + c];
                        lu[base + p * n + c] = s;
                    }
                    int s = perm[j];
                    perm[j] = perm[p];
                    perm[p] = s;
                }
                double pivot = lu[base + j * n + j];
                if (pivot != 0) {
                    for (int i = j + 1; i < m; i++) {
                        lu[base + i * n + j] /= pivot;
                    }
                }
                for (int i = j + 1; i < m; i++) {
                    double multiplier = lu[base + i * n + j];
                    for (int c = j + 1; c < n; c++) {
                        lu[base + i * n + c] -= multiplier * lu[base + j * n + c];
                    }
                }
            }
            for (int i = 0; i < m; i++) {
                permutation[q * m + i] = perm[i];
            }
        }
        return List.of(
                Batched.rounded(types.get(0).dtype(), types.get(0).shape(), lu),
                new Tensor(DType.I32, types.get(1).shape(), pivots),
                new Tensor(DType.I32, types.get(2).shape(), permutation));
    }
}
