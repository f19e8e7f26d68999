package dev.streamfold.runtime;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;

/**
 * One kernel applied to every leaf of a multi-leaf input (like a pytree of model parameters): each
 * leaf has its own length and its own state, and all leaves advance one step together.
 */
public final class MultiLeafRunner implements AutoCloseable {
    private final List<StreamingRunner> leaves = new ArrayList<>();

    /** @param lengths elements per step of each leaf */
    public MultiLeafRunner(StepKernel kernel, double[][] params, long[] lengths, int threads) {
        if (lengths.length == 0) {
            throw new IllegalArgumentException("a multi-leaf input needs at least one leaf");
        }
        try {
            for (long n : lengths) {
                leaves.add(new StreamingRunner(kernel, params, n, threads));
            }
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    public int leafCount() {
        return leaves.size();
    }

    /** The runner of leaf {@code i} (its state, its step). */
    public StreamingRunner leaf(int i) {
        return leaves.get(i);
    }

    /** The next step of every leaf: {@code ys.get(i)} receives leaf i's output for {@code xs.get(i)}. */
    public void next(List<MemorySegment> xs, List<MemorySegment> ys) {
        check(xs, ys);
        for (int i = 0; i < leaves.size(); i++) {
            leaves.get(i).next(xs.get(i), ys.get(i));
        }
    }

    /** {@code steps} steps of every leaf at once (whole-scan; rows are steps). */
    public void scan(int steps, List<MemorySegment> xs, List<MemorySegment> ys) {
        check(xs, ys);
        for (int i = 0; i < leaves.size(); i++) {
            leaves.get(i).scan(steps, xs.get(i), ys.get(i));
        }
    }

    private void check(List<MemorySegment> xs, List<MemorySegment> ys) {
        if (xs.size() != leaves.size() || ys.size() != leaves.size()) {
            throw new IllegalArgumentException(
                    "expected " + leaves.size() + " leaves, got " + xs.size() + " inputs and " + ys.size() + " outputs");
        }
    }

    @Override
    public void close() {
        for (StreamingRunner r : leaves) {
            r.close();
        }
    }
}
