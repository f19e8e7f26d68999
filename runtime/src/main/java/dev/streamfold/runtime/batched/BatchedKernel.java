package dev.streamfold.runtime.batched;

import java.lang.foreign.MemorySegment;
import java.util.List;

/**
 * The ABI of a compiled batched kernel: a program over a batch axis, one lane (SIMD lane or GPU thread) per
 * item. Kernels are generated ahead of time or in process; a service needs only this runtime to run them.
 * Each item is computed independently of the others and of how the batch is split, so results are
 * bit-identical for any split into ranges and any thread count.
 */
public interface BatchedKernel {
    /** The kernel's name, e.g. {@code lu_f32_8x8}. */
    String name();

    /** The buffers {@link #run} takes, in order. */
    List<BatchedBuffer> buffers();

    /** The number of i64 scalar arguments {@link #run} takes. */
    int argCount();

    /**
     * Computes items {@code [from, to)} of a batch of {@code batch} items. {@code buffers[i]} holds buffer
     * {@code i} for the whole batch (its stride is {@code batch}). The caller has checked every size and
     * {@code 0 <= from <= to <= batch}; the kernel checks nothing per item.
     */
    void run(MemorySegment[] buffers, long[] args, long batch, long from, long to);
}
