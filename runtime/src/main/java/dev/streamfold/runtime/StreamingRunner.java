package dev.streamfold.runtime;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;

/**
 * Runs a {@link StepKernel} over one slice of {@code length} elements: owns the state buffers
 * (off-heap, zero at step 0), the step counter, and the threads. The slice is split into one
 * contiguous range per thread by {@link ParallelRanges}, each range called in chunks, so results are
 * bit-identical for any thread count. Parameters are checked against the kernel's {@link StepKernel#paramSlots()} once, when the runner
 * is made; buffers' sizes and, with more than one thread, that worker threads may access them (a segment of a
 * confined arena may not) are checked once per call, whatever the size. Not thread-safe: one caller at a time.
 */
public final class StreamingRunner implements AutoCloseable {
    /** Elements per kernel call within a thread's range. */
    public static final int CHUNK = 1 << 16;

    /** Most worker threads a runner starts (the command line refuses more). */
    public static final int MAX_THREADS = ParallelRanges.MAX_THREADS;

    /** Most elements of a slice: 2^40, so that every byte size of a buffer of it fits a long many times over. */
    public static final long MAX_LENGTH = ParallelRanges.MAX_LENGTH;

    private final StepKernel kernel;
    private final double[][] params;
    private final long length;
    private final int threads;
    private final Arena arena = Arena.ofShared();
    private final MemorySegment[] state;
    private final ParallelRanges ranges;
    private final long serialBelow;
    private long step;

    /** A thread that is not any arena's owner: a segment it cannot access belongs to a confined arena. */
    private static final Thread OTHER_THREAD = Thread.ofPlatform().unstarted(() -> {});

    /**
     * @param params one array per parameter slot, as {@link StepKernel} reads them (copied), each satisfying its
     *     {@link ParamSlot}
     * @param length elements per step's slice
     * @param threads worker threads, at least 1
     * @throws IllegalArgumentException naming the slot whose value does not fit the kernel
     */
    public StreamingRunner(StepKernel kernel, double[][] params, long length, int threads) {
        checkParams(kernel, params);
        if (length < 0 || length > MAX_LENGTH || threads < 1 || threads > MAX_THREADS) {
            throw new IllegalArgumentException("length " + length + " and threads " + threads + " must be in [0, 2^40] and [1, "
                    + MAX_THREADS + "]");
        }
        this.kernel = kernel;
        this.params = new double[params.length][];
        for (int i = 0; i < params.length; i++) {
            this.params[i] = params[i].clone();
        }
        this.length = length;
        this.threads = threads;
        this.state = new MemorySegment[kernel.stateCount()];
        long bytes = length * kernel.elementType().bytes();
        int maxRows = 1;
        for (int i = 0; i < state.length; i++) {
            int rows = kernel.stateRows(i);
            maxRows = Math.max(maxRows, Math.max(rows, 1));
            if (rows < 1) {
                throw new IllegalArgumentException("the kernel's state buffer " + i + " has " + rows + " rows");
            }
            state[i] = StreamBuffers.allocate(arena, Math.multiplyExact(bytes, rows));
        }
        this.ranges = new ParallelRanges(threads, "streamfold-worker");
        this.serialBelow = Math.max(64, 2L * CHUNK / maxRows);
    }

    /**
     * Checks {@code params} against {@code kernel}'s slots: their number, each one's length, finiteness and rule.
     *
     * @throws IllegalArgumentException naming the first slot that does not fit
     */
    public static void checkParams(StepKernel kernel, double[][] params) {
        List<ParamSlot> slots = kernel.paramSlots();
        if (params.length != slots.size()) {
            throw new IllegalArgumentException("the kernel takes " + slots.size() + " parameter slots, got " + params.length);
        }
        for (int i = 0; i < params.length; i++) {
            slots.get(i).check(params[i]);
        }
    }

    public StepKernel kernel() {
        return kernel;
    }

    public long length() {
        return length;
    }

    public int threads() {
        return threads;
    }

    /** The index of the next step. */
    public long step() {
        return step;
    }

    /**
     * The state, one slice-long segment per row of each state buffer in buffer order ({@link
     * StepKernel#totalStateRows} of them; live views: the next step reads them).
     */
    public List<MemorySegment> state() {
        long rowBytes = length * kernel.elementType().bytes();
        List<MemorySegment> rows = new ArrayList<>();
        for (int i = 0; i < state.length; i++) {
            for (int r = 0; r < kernel.stateRows(i); r++) {
                rows.add(state[i].asSlice(r * rowBytes, rowBytes));
            }
        }
        return List.copyOf(rows);
    }

    /** Sets the step counter and the state rows' contents (as {@link #state()} lists them), e.g. from a checkpoint. */
    public void restore(long step, List<MemorySegment> rows) {
        List<MemorySegment> mine = state();
        if (rows.size() != mine.size() || step < 0) {
            throw new IllegalArgumentException("restore needs " + mine.size() + " state rows and a step >= 0");
        }
        for (int i = 0; i < mine.size(); i++) {
            if (rows.get(i).byteSize() != mine.get(i).byteSize()) {
                throw new IllegalArgumentException("state row " + i + " has " + rows.get(i).byteSize()
                        + " bytes, expected " + mine.get(i).byteSize());
            }
            mine.get(i).copyFrom(rows.get(i));
        }
        this.step = step;
    }

    /** Runs the next step: y = the step's output for input x (both {@code length} elements; may alias). */
    public void next(MemorySegment x, MemorySegment y) {
        check("x", x, 1);
        check("y", y, 1);
        long t = stepToRun();
        parallel((from, to) -> {
            for (long c = from; c < to; c += CHUNK) {
                kernel.step(t, params, x, y, state, length, c, Math.min(to, c + CHUNK));
            }
            return -1;
        });
        step++;
    }

    /** The index of the step about to run; refuses to run past the last one (the counter would wrap). */
    private long stepToRun() {
        if (step == Long.MAX_VALUE) {
            throw new IllegalStateException("the step counter is at its end (2^63 - 1): no step can follow");
        }
        return step;
    }

    /**
     * Produces a step's input instead of reading it from memory: writes elements {@code [from,
     * from + count)} of step {@code step}'s input to {@code dst} (native order, from offset 0).
     * Must be a pure function of its arguments, so that results do not depend on threads.
     */
    public interface InputSource {
        void fill(long step, long from, MemorySegment dst, int count);
    }

    /** Elements per block when the input is generated: the block's input stays in L1/L2. */
    public static final int SOURCE_BLOCK = 4096;

    private final ThreadLocal<MemorySegment> scratch = new ThreadLocal<>();

    /**
     * Runs the next step on an input drawn block by block from {@code source} into a per-thread
     * scratch buffer and consumed at once, so the input never travels to or from main memory.
     */
    public void next(InputSource source, MemorySegment y) {
        next(source, y, false);
    }

    /**
     * As {@link #next(InputSource, MemorySegment)}, and returns the index of the first element of
     * {@code y} that is not finite, or -1: each block is checked right after it is written, while it
     * is in cache. After a non-negative return the state is only partly stepped: discard the
     * runner (or restore a checkpoint) instead of stepping or checkpointing it again.
     */
    public long nextCheckingFinite(InputSource source, MemorySegment y) {
        return next(source, y, true);
    }

    private long next(InputSource source, MemorySegment y, boolean checkFinite) {
        check("y", y, 1);
        long t = stepToRun();
        ElementType type = kernel.elementType();
        int bytes = type.bytes();
        long bad = parallel((from, to) -> {
            MemorySegment buf = scratch.get();
            if (buf == null) {
                buf = arena.allocate((long) SOURCE_BLOCK * bytes, 64);
                scratch.set(buf);
            }
            MemorySegment[] st = new MemorySegment[state.length];
            for (long c = from; c < to; c += SOURCE_BLOCK) {
                int n = (int) Math.min(SOURCE_BLOCK, to - c);
                source.fill(t, c, buf, n);
                for (int k = 0; k < st.length; k++) {
                    st[k] = state[k].asSlice(c * bytes, ((kernel.stateRows(k) - 1) * length + n) * bytes);
                }
                kernel.step(t, params, buf, y.asSlice(c * bytes, (long) n * bytes), st, length, 0, n);
                if (checkFinite) {
                    long found = NonFinite.first(y, type, c, n);
                    if (found >= 0) {
                        return found;
                    }
                }
            }
            return -1;
        });
        step++;
        return bad;
    }

    /**
     * Runs the next step on noise the kernel draws itself ({@link NoiseKernel#noiseStep}), element i's coordinate
     * being {@code coordBase + i}.
     *
     * @throws UnsupportedOperationException if the kernel is not a {@link NoiseKernel}
     */
    public void nextNoise(long seed, double stddev, long coordBase, MemorySegment y) {
        nextNoise(seed, stddev, coordBase, y, false);
    }

    /**
     * As {@link #nextNoise(long, double, long, MemorySegment)}, and returns the index of the first
     * element of {@code y} that is not finite, or -1: each chunk is checked right after it is written.
     */
    public long nextNoiseCheckingFinite(long seed, double stddev, long coordBase, MemorySegment y) {
        return nextNoise(seed, stddev, coordBase, y, true);
    }

    private long nextNoise(long seed, double stddev, long coordBase, MemorySegment y, boolean checkFinite) {
        if (!(kernel instanceof NoiseKernel noise)) {
            throw new UnsupportedOperationException("the kernel does not draw noise itself: " + kernel);
        }
        check("y", y, 1);
        long t = stepToRun();
        ElementType type = kernel.elementType();
        long bad = parallel((from, to) -> {
            for (long c = from; c < to; c += CHUNK) {
                long end = Math.min(to, c + CHUNK);
                noise.noiseStep(t, params, seed, stddev, coordBase, y, state, length, c, end);
                if (checkFinite) {
                    long found = NonFinite.first(y, type, c, (int) (end - c));
                    if (found >= 0) {
                        return found;
                    }
                }
            }
            return -1;
        });
        step++;
        return bad;
    }

    /** Runs {@code steps} steps at once; row k of x and y holds step k (whole-scan, state kept in cache). */
    public void scan(int steps, MemorySegment x, MemorySegment y) {
        if (steps < 0) {
            throw new IllegalArgumentException("steps must be >= 0, got " + steps);
        }
        check("x", x, steps);
        check("y", y, steps);
        if (step > Long.MAX_VALUE - steps) {
            throw new IllegalStateException("step " + step + " + " + steps + " steps pass the end of the step counter (2^63 - 1)");
        }
        long t0 = step;
        parallel((from, to) -> {
            kernel.scan(t0, steps, params, x, y, length, state, length, from, to);
            return -1;
        });
        step += steps;
    }

    private void check(String what, MemorySegment s, long rows) {
        if (threads > 1 && !s.isAccessibleBy(OTHER_THREAD)) {
            throw new IllegalArgumentException(what + " belongs to a confined arena, which only its owner thread may "
                    + "access, but this runner steps on " + threads + " worker threads: allocate it from Arena.ofShared(), "
                    + "Arena.global() or Arena.ofAuto(), or run with one thread");
        }
        long need = rows * length * kernel.elementType().bytes();
        if (s.byteSize() < need) {
            throw new IllegalArgumentException(what + " has " + s.byteSize() + " bytes, the step needs " + need + " ("
                    + rows + " x " + length + " " + kernel.elementType() + ")");
        }
    }

    /**
     * Runs {@code r} on each thread's range of {@code [0, length)} (on the calling thread when the slice is under two
     * chunks, divided by the rows of the kernel's largest state buffer: a ring of R rows makes an element's step R times
     * the work); returns the smallest element index a range found, or -1.
     */
    private long parallel(ParallelRanges.Search r) {
        return ranges.first(length, serialBelow, r);
    }

    @Override
    public void close() {
        ranges.close();
        arena.close();
    }
}
