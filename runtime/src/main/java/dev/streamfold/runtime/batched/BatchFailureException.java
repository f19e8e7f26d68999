package dev.streamfold.runtime.batched;

import java.util.List;

/**
 * Some items of a batch failed ({@link BatchResult#throwIfFailed}). The message names the kernel, the first failed
 * item and what its status means, and how many more items failed; {@link #result} has the rest.
 */
public final class BatchFailureException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final transient BatchResult result;

    /** @param result a result with at least one failed item */
    public BatchFailureException(BatchResult result) {
        super(message(result));
        this.result = result;
    }

    public BatchResult result() {
        return result;
    }

    private static String message(BatchResult r) {
        if (r.ok()) {
            throw new IllegalArgumentException("no item of the batch failed");
        }
        List<BatchResult.Failure> first = r.firstFailures();
        BatchResult.Failure f = first.getFirst();
        StringBuilder m = new StringBuilder("kernel ").append(r.kernel()).append(": item ").append(f.item()).append(" of ")
                .append(r.batch()).append(" failed with ").append(f.status()).append(" (").append(f.status().meaning())
                .append(")");
        long more = r.failedCount() - 1;
        if (more > 0) {
            m.append("; ").append(more).append(more == 1 ? " more item" : " more items").append(" failed (");
            for (int i = 1; i < first.size(); i++) {
                m.append(i > 1 ? ", " : "").append("item ").append(first.get(i).item()).append(' ').append(first.get(i).status());
            }
            m.append(more > first.size() - 1 ? ", ...)" : ")");
        }
        return m.toString();
    }
}
