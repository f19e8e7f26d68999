package dev.streamfold.runtime;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Splits an index range {@code [0, length)} into one contiguous range per thread and runs work on the ranges on a
 * fixed pool of daemon worker threads. The boundaries depend only on the length and the thread count and are
 * aligned to {@link #ALIGNMENT} indices, so no two threads write the same cache line of a buffer of 4- or 8-byte
 * elements. When the work on a range depends only on that range, results are bit-identical for any thread count.
 * Calls may come from several threads at once; {@link #close} stops the pool.
 */
public final class ParallelRanges implements AutoCloseable {
    /** Most worker threads. */
    public static final int MAX_THREADS = 4096;

    /** Most indices of a range to split: 2^40, so that {@code length * threads} fits a long. */
    public static final long MAX_LENGTH = 1L << 40;

    /** Every boundary but the last is a multiple of this. */
    public static final long ALIGNMENT = 64;

    private final int threads;
    private final ExecutorService pool;

    /**
     * @param threads worker threads, in {@code [1, MAX_THREADS]}; with one, all work runs on the calling thread
     * @param threadName the name of the worker threads
     */
    public ParallelRanges(int threads, String threadName) {
        if (threads < 1 || threads > MAX_THREADS) {
            throw new IllegalArgumentException("threads " + threads + " must be in [1, " + MAX_THREADS + "]");
        }
        this.threads = threads;
        this.pool = threads == 1 ? null : Executors.newFixedThreadPool(threads, r -> {
            Thread t = new Thread(r, threadName);
            t.setDaemon(true);
            return t;
        });
    }

    public int threads() {
        return threads;
    }

    /**
     * Boundary {@code i} ({@code 0 <= i <= threads}) of the split of {@code [0, length)} into {@code threads}
     * ranges: range {@code i} is {@code [boundary(i), boundary(i + 1))}. Boundary 0 is 0, boundary {@code threads}
     * is {@code length}, the others are multiples of {@link #ALIGNMENT}; ranges may be empty.
     */
    public static long boundary(long length, int threads, int i) {
        if (length < 0 || length > MAX_LENGTH || threads < 1 || threads > MAX_THREADS || i < 0 || i > threads) {
            throw new IllegalArgumentException("no boundary " + i + " of " + length + " indices over " + threads + " threads");
        }
        if (i == threads) {
            return length;
        }
        return (length * i / threads) & -ALIGNMENT;
    }

    /** Work on indices {@code [from, to)}. */
    @FunctionalInterface
    public interface Work<T> {
        T run(long from, long to);
    }

    /** Work on indices {@code [from, to)} that finds an index, or returns -1. */
    @FunctionalInterface
    public interface Search {
        long run(long from, long to);
    }

    /**
     * Runs {@code work} once on each non-empty range of the split of {@code [0, length)} and returns the results in
     * range order. A length below {@code serialBelow}, one thread, or a split with a single non-empty range runs
     * {@code work} once on {@code [0, length)} on the calling thread (even when {@code length} is 0). Waits for every
     * range before returning or throwing; then rethrows the first range's failure in range order (an unchecked
     * exception as it is, anything else wrapped in an {@link IllegalStateException}).
     */
    public <T> List<T> map(long length, long serialBelow, Work<T> work) {
        if (length < 0 || length > MAX_LENGTH) {
            throw new IllegalArgumentException("length " + length + " must be in [0, 2^40]");
        }
        if (pool == null || length < serialBelow || boundary(length, threads, threads - 1) == 0) {
            List<T> one = new ArrayList<>(1);
            one.add(work.run(0, length));
            return one;
        }
        List<Future<T>> futures = new ArrayList<>(threads);
        for (int i = 0; i < threads; i++) {
            long from = boundary(length, threads, i);
            long to = boundary(length, threads, i + 1);
            if (from < to) {
                futures.add(pool.submit(() -> work.run(from, to)));
            }
        }
        List<T> results = new ArrayList<>(futures.size());
        Throwable failure = null;
        for (int i = 0; i < futures.size(); i++) {
            try {
                results.add(futures.get(i).get());
            } catch (ExecutionException e) {
                results.add(null);
                if (failure == null) {
                    failure = e.getCause();
                }
            } catch (InterruptedException e) {
                for (int j = i; j < futures.size(); j++) {
                    futures.get(j).cancel(true);
                }
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for the worker threads", e);
            }
        }
        if (failure != null) {
            throw failure instanceof RuntimeException re ? re : new IllegalStateException(failure);
        }
        return results;
    }

    /**
     * As {@link #map}, for work that searches its range: returns the smallest index any range found, or -1 when none
     * did.
     */
    public long first(long length, long serialBelow, Search search) {
        long found = -1;
        for (long v : map(length, serialBelow, search::run)) {
            if (v >= 0 && (found < 0 || v < found)) {
                found = v;
            }
        }
        return found;
    }

    @Override
    public void close() {
        if (pool != null) {
            pool.shutdownNow();
        }
    }
}
