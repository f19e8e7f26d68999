package dev.streamfold.ir.linalg;

import dev.streamfold.ir.Cholesky;
import dev.streamfold.ir.Eigh;
import dev.streamfold.ir.Lu;
import dev.streamfold.ir.Op;
import dev.streamfold.ir.Qr;
import dev.streamfold.ir.Svd;
import dev.streamfold.ir.TriangularSolve;
import java.util.List;

/**
 * A decomposition or solve with its parameters, as {@link Linalg} applies it: the IR op, the names
 * of its inputs ({@code A}, and {@code B} for triangular_solve) and of its outputs.
 */
public record LinalgOp(Op op, List<String> inputs, List<String> outputs) {
    public LinalgOp {
        java.util.Objects.requireNonNull(op);
        inputs = List.copyOf(inputs);
        outputs = List.copyOf(outputs);
    }

    /** The op's name, e.g. {@code qr}. */
    public String name() {
        return op.name();
    }

    /** LU with partial pivoting: {@code lu} (L and U packed), {@code pivots}, {@code permutation} with A[perm] = L U. */
    public static LinalgOp lu() {
        return new LinalgOp(new Lu(), List.of("A"), List.of("lu", "pivots", "permutation"));
    }

    /** Householder QR: {@code q}, {@code r}; reduced ({@code diag(r) >= 0}) unless {@code fullMatrices}. */
    public static LinalgOp qr(boolean fullMatrices) {
        return new LinalgOp(new Qr(fullMatrices), List.of("A"), List.of("q", "r"));
    }

    /** SVD: {@code u}, {@code s} (descending), {@code vt}; {@code s} alone without {@code computeUv}. */
    public static LinalgOp svd(boolean fullMatrices, boolean computeUv) {
        return new LinalgOp(new Svd(fullMatrices, computeUv), List.of("A"),
                computeUv ? List.of("u", "s", "vt") : List.of("s"));
    }

    /** Symmetric eigendecomposition: {@code w} (ascending), {@code v} (orthonormal columns). */
    public static LinalgOp eigh(boolean lower, boolean symmetrizeInput) {
        return new LinalgOp(new Eigh(lower, symmetrizeInput), List.of("A"), List.of("w", "v"));
    }

    /** Cholesky: the lower {@code l} with A = L L^T. */
    public static LinalgOp cholesky(boolean symmetrizeInput) {
        return new LinalgOp(new Cholesky(symmetrizeInput), List.of("A"), List.of("l"));
    }

    /** {@code x} solving op(A) X = B ({@code leftSide}) or X op(A) = B, A triangular. */
    public static LinalgOp triangularSolve(boolean leftSide, boolean lower, boolean transposeA, boolean unitDiagonal) {
        return new LinalgOp(new TriangularSolve(leftSide, lower, transposeA, unitDiagonal), List.of("A", "B"), List.of("x"));
    }
}
