package dev.streamfold.runtime;

import java.lang.foreign.MemorySegment;
import java.util.List;

/**
 * The ABI a generated streaming kernel implements. Buffers are flat, native-order arrays of {@link
 * #elementType()}; state buffers are updated in place. Elements are independent, so any split of
 * {@code [from, to)} across calls or threads gives the same bits. Parameter values arrive as
 * float64 arrays, one per parameter slot; per-step arrays are clip-indexed by the kernel. A state
 * buffer holds {@link #stateRows} rows of one slice each (a ring of past values has many): element
 * {@code i} of row {@code r} is at {@code r * stateStride + i}, so a range {@code [from, to)} covers
 * the same elements of every row.
 * Implementations are stateless and thread-safe. Bounds are the caller's contract (checked once by
 * {@link StreamingRunner}).
 */
public interface StepKernel {
    ElementType elementType();

    /** Number of parameter slots. */
    int paramCount();

    /**
     * What each parameter slot must hold, in slot order ({@code paramCount()} entries): checked by {@link
     * StreamingRunner} before the first step.
     */
    List<ParamSlot> paramSlots();

    /** Number of state buffers. */
    int stateCount();

    /** Rows of state buffer {@code k} ({@code 0 <= k < stateCount()}), each as long as one step's slice; at least 1. */
    int stateRows(int k);

    /**
     * Step {@code t} on elements {@code [from, to)}: reads x and state, writes y and state; row {@code r} of
     * each state buffer starts at element {@code r * stateStride}.
     */
    void step(long t, double[][] params, MemorySegment x, MemorySegment y, MemorySegment[] state, long stateStride,
            long from, long to);

    /**
     * Steps {@code t0 .. t0+steps-1} on elements {@code [from, to)}, the state kept in cache: row
     * {@code k} of x and y starts at element {@code k * rowStride}; row {@code r} of each state buffer at
     * element {@code r * stateStride}. Equal, bit for bit, to {@code steps} calls of {@link #step}.
     */
    void scan(long t0, int steps, double[][] params, MemorySegment x, MemorySegment y, long rowStride,
            MemorySegment[] state, long stateStride, long from, long to);

    /**
     * Slice-long rows of state a step moves to or from memory: a one-row buffer is read and written, a ring
     * of past values has every row read and one written.
     */
    static long stateRowsMoved(StepKernel k) {
        long n = 0;
        for (int i = 0; i < k.stateCount(); i++) {
            n += k.stateRows(i) + 1;
        }
        return n;
    }

    /** The total number of state rows, over every buffer: what a checkpoint holds, one slice each. */
    static int totalStateRows(StepKernel k) {
        int n = 0;
        for (int i = 0; i < k.stateCount(); i++) {
            n = Math.addExact(n, k.stateRows(i));
        }
        return n;
    }
}
