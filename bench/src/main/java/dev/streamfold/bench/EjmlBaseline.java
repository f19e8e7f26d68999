package dev.streamfold.bench;

import java.util.List;
import java.util.Map;

/**
 * One linear-algebra op on EJML's dense row-major API for small matrices: its decomposition object
 * ({@code DecompositionFactory_DDRM/FDRM}: lu, chol, Householder qr, symmetric eig, svd) or
 * {@code TriangularSolver_DDRM/FDRM} for triangular_solve, with its working matrices, made once and
 * reused by every {@link #run}. An instance belongs to one thread. What a run computes:
 * <ul>
 *   <li>lu: the packed factors and pivots (the decomposition);</li>
 *   <li>cholesky: the lower factor;</li>
 *   <li>qr: the decomposition, then Q and R as matrices (the kernel's outputs);</li>
 *   <li>eigh: eigenvalues and eigenvectors;</li>
 *   <li>svd: U, the singular values and V (compact, not ordered);</li>
 *   <li>triangular_solve: X with L X = B for n right-hand sides.</li>
 * </ul>
 * Where EJML's decomposition would overwrite its input, the input is copied to a working matrix first.
 */
interface EjmlBaseline {
    /** Computes the op on input {@code i}; throws {@link IllegalStateException} where EJML reports failure. */
    void run(int i);

    /**
     * The results of the last {@link #run} as row-major arrays by name: lu {@code l}, {@code u},
     * {@code p} (the pivot matrix EJML returns); cholesky {@code l}; qr {@code q}, {@code r}; eigh
     * {@code w} and {@code v} (eigenvector j in column j); svd {@code u}, {@code s}, {@code v};
     * triangular_solve {@code x}.
     */
    Map<String, double[]> outputs();

    /**
     * An instance of {@code op} on {@code n x n} matrices in {@code dtype} ({@code float32} or
     * {@code float64}) over {@code inputs}: per item, A (and B for triangular_solve) row-major.
     */
    static EjmlBaseline create(String op, int n, String dtype, List<List<double[]>> inputs) {
        return switch (dtype) {
            case "float64" -> new EjmlF64(op, n, inputs);
            case "float32" -> new EjmlF32(op, n, inputs);
            default -> throw new IllegalArgumentException("unknown dtype " + dtype);
        };
    }
}
