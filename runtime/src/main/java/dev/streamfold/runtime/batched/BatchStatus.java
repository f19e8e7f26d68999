package dev.streamfold.runtime.batched;

/**
 * Per-item outcome codes of batched linear-algebra kernels, written to their {@code status} buffer (int32,
 * one per item), like LAPACK's {@code info}. A non-zero code means the item's other outputs are not to be
 * used; the runner names the first such items instead of returning silent NaNs.
 */
public enum BatchStatus {
    OK(0, "ok"),
    ZERO_PIVOT(1, "a zero pivot: the matrix is singular"),
    NOT_POSITIVE_DEFINITE(2, "the matrix is not positive definite"),
    NOT_CONVERGED(3, "the iteration did not converge"),
    NON_FINITE_INPUT(4, "a non-finite entry in the input"),
    DERIVATIVE_UNDEFINED(5, "the derivative is undefined here (repeated or zero values, or rank deficiency)"),
    SINGULAR_TRIANGLE(6, "a zero on the diagonal of a triangular system"),
    INDEX_OUT_OF_RANGE(7, "a row index outside the rows it selects from");

    private final int code;
    private final String meaning;

    BatchStatus(int code, String meaning) {
        this.code = code;
        this.meaning = meaning;
    }

    public int code() {
        return code;
    }

    public String meaning() {
        return meaning;
    }

    /** The status with {@code code}; throws for unknown codes. */
    public static BatchStatus of(int code) {
        for (BatchStatus s : values()) {
            if (s.code == code) {
                return s;
            }
        }
        throw new IllegalArgumentException("unknown batch status code " + code);
    }
}
