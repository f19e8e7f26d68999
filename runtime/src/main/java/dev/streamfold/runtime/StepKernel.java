package dev.streamfold.runtime;

import java.lang.foreign.MemorySegment;
import java.util.List;

/**
 * The ABI a generated streaming kernel implements. Buffers are flat, native-order arrays of {@link
 * #elementType()}; state buffers are updated in place. Elements are independent, so any split of
 * {@code [from, to)} across calls or threads gives the same bits. Parameter values arrive as
 * float64 arrays, one per parameter slot; per-step arrays are clip-indexed by the kernel.
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

    /** Number of state buffers, each as long as one step's slice. */
    int stateCount();

    /** Step {@code t} on elements {@code [from, to)}: reads x and state, writes y and state. */
    void step(long t, double[][] params, MemorySegment x, MemorySegment y, MemorySegment[] state, long from, long to);

    /**
     * Steps {@code t0 .. t0+steps-1} on elements {@code [from, to)}, the state kept in cache: row
     * {@code k} of x and y starts at element {@code k * rowStride}. Equal, bit for bit, to {@code
     * steps} calls of {@link #step}.
     */
    void scan(long t0, int steps, double[][] params, MemorySegment x, MemorySegment y, long rowStride,
            MemorySegment[] state, long from, long to);
}
