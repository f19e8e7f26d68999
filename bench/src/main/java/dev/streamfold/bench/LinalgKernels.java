package dev.streamfold.bench;

import dev.streamfold.runtime.batched.BatchedKernel;
import java.util.Optional;
import java.util.ServiceLoader;

/**
 * Where {@code bench --case linalg} gets its compiled batched kernels from: the rows {@code kernel} and
 * {@code kernel+jvp}. A build that compiles linear-algebra kernels provides one through
 * {@link ServiceLoader} ({@code META-INF/services/dev.streamfold.bench.LinalgKernels}) or hands it to
 * {@link LinalgBench#run(String[], java.io.PrintStream, java.io.PrintStream, Optional)}.
 *
 * <p>How the bench fills a kernel's {@link BatchedKernel#buffers() buffers} for a batch of B items, in
 * structure-of-arrays layout (element e of item b at {@code e * B + b}), in the buffer's own element type:
 * <ul>
 *   <li>{@code IN} buffers named {@code A} and {@code B} (triangular_solve) of {@code n * n} elements: the
 *       op's row-major input matrices, the same that EJML and the interpreter get;</li>
 *   <li>{@code IN} buffers named {@code dA} and {@code dB} (jvp kernels): the tangents;</li>
 *   <li>{@code OUT} and {@code STATE} buffers: zeroed; an {@code OUT} buffer named {@code status}
 *       (int32) is read after the timed runs, and items with a non-zero {@link
 *       dev.streamfold.runtime.batched.BatchStatus status} are reported;</li>
 *   <li>any other buffer (a {@code PARAM}, another input name) is refused: that kernel's row is left out
 *       with a line that says why.</li>
 * </ul>
 * The kernel's i64 arguments are {@link #args}.
 */
public interface LinalgKernels {
    /**
     * The kernel computing {@code op} ({@code lu}, {@code cholesky}, {@code qr}, {@code triangular_solve},
     * {@code eigh}, {@code svd}, with the defaults of {@code dev.streamfold.ir.linalg.Linalg}) on
     * {@code n x n} matrices in {@code dtype} ({@code float32}, {@code float64}), with the outputs'
     * tangents as well when {@code jvp}; empty when this supplier has none.
     */
    Optional<BatchedKernel> kernel(String op, int n, String dtype, boolean jvp);

    /** The i64 arguments to run {@code kernel} with over a batch of {@code batch} items; zeros unless overridden. */
    default long[] args(BatchedKernel kernel, long batch) {
        return new long[kernel.argCount()];
    }

    /** The first supplier {@link ServiceLoader} finds on the class path, if any. */
    static Optional<LinalgKernels> installed() {
        return ServiceLoader.load(LinalgKernels.class).findFirst();
    }
}
