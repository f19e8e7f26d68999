package dev.streamfold.runtime.batched;

import java.util.List;
import java.util.Objects;

/**
 * The outcome of one {@link BatchedRunner} call: how many items of the batch failed, as the kernel's int32
 * {@code status} output reports, and the first failed items in item order (at most {@link #FIRST_FAILURES}).
 * A kernel without a {@code status} buffer reports no failures ({@code hasStatus} is false). The failed items'
 * other outputs are not to be used.
 */
public record BatchResult(String kernel, long batch, boolean hasStatus, long failedCount, List<Failure> firstFailures) {
    /** Most failed items a result names. */
    public static final int FIRST_FAILURES = 8;

    /** Item {@code item} of the batch ended with {@code status}, which is not {@link BatchStatus#OK}. */
    public record Failure(long item, BatchStatus status) {
        public Failure {
            Objects.requireNonNull(status);
            if (item < 0 || status == BatchStatus.OK) {
                throw new IllegalArgumentException("not a failure: item " + item + " with " + status);
            }
        }
    }

    public BatchResult {
        Objects.requireNonNull(kernel);
        firstFailures = List.copyOf(firstFailures);
        if (batch < 1 || failedCount < 0 || failedCount > batch || (!hasStatus && failedCount > 0)
                || firstFailures.size() != Math.min(failedCount, FIRST_FAILURES)) {
            throw new IllegalArgumentException("inconsistent result: " + failedCount + " of " + batch + " items failed, "
                    + firstFailures.size() + " named, status " + (hasStatus ? "read" : "absent"));
        }
        for (int i = 1; i < firstFailures.size(); i++) {
            if (firstFailures.get(i).item() <= firstFailures.get(i - 1).item()) {
                throw new IllegalArgumentException("failures must be named in increasing item order: " + firstFailures);
            }
        }
    }

    /** True when no item failed. */
    public boolean ok() {
        return failedCount == 0;
    }

    /**
     * Returns this result when no item failed.
     *
     * @throws BatchFailureException naming the kernel, the first failed item and its status, and how many more failed
     */
    public BatchResult throwIfFailed() {
        if (!ok()) {
            throw new BatchFailureException(this);
        }
        return this;
    }
}
