package dev.streamfold.bench;

import dev.streamfold.runtime.ElementType;
import dev.streamfold.runtime.StreamBuffers;
import dev.streamfold.runtime.batched.BatchedBuffer;
import dev.streamfold.runtime.batched.BatchedKernel;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * A compiled batched kernel over the whole batch, its buffers filled as {@link LinalgKernels} describes;
 * a repetition is one run over the batch, split into {@code threads} ranges of whole 64-item blocks
 * calling {@link BatchedKernel#run} directly.
 */
final class KernelSampler implements LinalgBench.Sampler {
    /** A kernel buffer the bench cannot fill. */
    static final class Unfillable extends Exception {
        Unfillable(String message) {
            super(message);
        }
    }

    static final int BLOCK = 64;

    private final String variant;
    private final BatchedKernel kernel;
    private final long[] args;
    private final long batch;
    private final Arena arena = Arena.ofShared();
    private final MemorySegment[] segments;
    private final long[][] ranges;
    private final ExecutorService pool;
    private final int statusIndex;

    KernelSampler(String variant, String op, int n, BatchedKernel kernel, long[] args, long batch, int threads) throws Unfillable {
        this.variant = variant;
        this.kernel = kernel;
        this.args = args.clone();
        this.batch = batch;
        if (args.length != kernel.argCount()) {
            arena.close();
            throw new Unfillable(kernel.name() + " takes " + kernel.argCount() + " arguments, the supplier gave " + args.length);
        }
        List<BatchedBuffer> buffers = kernel.buffers();
        segments = new MemorySegment[buffers.size()];
        int status = -1;
        try {
            for (int i = 0; i < buffers.size(); i++) {
                BatchedBuffer buf = buffers.get(i);
                segments[i] = StreamBuffers.allocate(arena, Math.max(buf.bytes(batch), 1));
                switch (buf.role()) {
                    case IN -> fill(buf, segments[i], op, n);
                    case OUT, STATE -> {
                        if (buf.name().equals("status")) {
                            if (buf.type() != ElementType.INT32) {
                                throw new Unfillable("buffer status is " + buf.type() + ", not INT32");
                            }
                            status = i;
                        }
                    }
                    case PARAM -> throw new Unfillable("buffer " + buf.name() + " is a PARAM, which the bench cannot fill");
                }
            }
        } catch (Unfillable | RuntimeException e) {
            arena.close();
            throw e;
        }
        statusIndex = status;
        long per = (batch + threads - 1) / threads;
        per = (per + BLOCK - 1) / BLOCK * BLOCK;
        List<long[]> rs = new ArrayList<>();
        for (long from = 0; from < batch; from += per) {
            rs.add(new long[] {from, Math.min(batch, from + per)});
        }
        ranges = rs.toArray(long[][]::new);
        pool = ranges.length > 1 ? Executors.newFixedThreadPool(ranges.length) : null;
    }

    private void fill(BatchedBuffer buf, MemorySegment seg, String op, int n) throws Unfillable {
        int input = switch (buf.name()) {
            case "A", "dA" -> 0;
            case "B", "dB" -> 1;
            default -> throw new Unfillable("input buffer " + buf.name() + " is none of A, B, dA, dB");
        };
        if (input == 1 && !op.equals("triangular_solve")) {
            throw new Unfillable(op + " has no input B");
        }
        if (buf.elements() != n * n) {
            throw new Unfillable("input buffer " + buf.name() + " has " + buf.elements() + " elements, not " + n * n);
        }
        boolean tangent = buf.name().startsWith("d");
        for (long b = 0; b < batch; b++) {
            double[] x = tangent ? LinalgInputs.tangent(op, n, b, input) : LinalgInputs.inputs(op, n, b).get(input);
            for (int e = 0; e < x.length; e++) {
                long at = e * batch + b;
                switch (buf.type()) {
                    case FLOAT32 -> seg.setAtIndex(ValueLayout.JAVA_FLOAT, at, (float) x[e]);
                    case FLOAT64 -> seg.setAtIndex(ValueLayout.JAVA_DOUBLE, at, x[e]);
                    case INT32, INT64 -> throw new Unfillable("input buffer " + buf.name() + " is " + buf.type() + ", not floating");
                }
            }
        }
    }

    @Override
    public String variant() {
        return variant;
    }

    @Override
    public long batch() {
        return batch;
    }

    @Override
    public long run(long reps) {
        for (long r = 0; r < reps; r++) {
            if (pool == null) {
                kernel.run(segments, args, batch, 0, batch);
                continue;
            }
            List<Future<?>> fs = new ArrayList<>();
            for (long[] range : ranges) {
                fs.add(pool.submit(() -> kernel.run(segments, args, batch, range[0], range[1])));
            }
            for (Future<?> f : fs) {
                try {
                    f.get();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException("interrupted", e);
                } catch (ExecutionException e) {
                    throw new IllegalStateException(kernel.name() + " failed: " + e.getCause().getMessage(), e.getCause());
                }
            }
        }
        return reps * batch;
    }

    /** Items whose status is non-zero after the last run; 0 when the kernel has no status buffer. */
    long failedItems() {
        if (statusIndex < 0) {
            return 0;
        }
        long failed = 0;
        for (long b = 0; b < batch; b++) {
            if (segments[statusIndex].getAtIndex(ValueLayout.JAVA_INT, b) != 0) {
                failed++;
            }
        }
        return failed;
    }

    @Override
    public void close() {
        if (pool != null) {
            pool.shutdownNow();
        }
        arena.close();
    }
}
