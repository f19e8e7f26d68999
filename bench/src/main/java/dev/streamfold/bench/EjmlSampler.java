package dev.streamfold.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * EJML on {@code threads} threads, each with its own {@link EjmlBaseline} (decomposition objects and
 * matrices) over the batch's first {@code distinct} items; a repetition is one pass of every thread over
 * its items.
 */
final class EjmlSampler implements LinalgBench.Sampler {
    private final List<EjmlBaseline> perThread = new ArrayList<>();
    private final int distinct;
    private final ExecutorService pool;

    EjmlSampler(String op, int n, String dtype, int threads, int distinct) {
        this.distinct = distinct;
        List<List<double[]>> inputs = new ArrayList<>();
        for (int i = 0; i < distinct; i++) {
            inputs.add(LinalgInputs.inputs(op, n, i));
        }
        for (int t = 0; t < threads; t++) {
            perThread.add(EjmlBaseline.create(op, n, dtype, inputs));
        }
        pool = threads > 1 ? Executors.newFixedThreadPool(threads) : null;
    }

    @Override
    public String variant() {
        return "ejml";
    }

    @Override
    public long batch() {
        return distinct;
    }

    @Override
    public long run(long reps) {
        if (pool == null) {
            pass(perThread.get(0), reps);
        } else {
            List<Future<?>> fs = new ArrayList<>();
            for (EjmlBaseline e : perThread) {
                fs.add(pool.submit(() -> pass(e, reps)));
            }
            for (Future<?> f : fs) {
                try {
                    f.get();
                } catch (InterruptedException ex) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException("interrupted", ex);
                } catch (ExecutionException ex) {
                    throw new IllegalStateException("EJML run failed: " + ex.getCause().getMessage(), ex.getCause());
                }
            }
        }
        return reps * distinct * perThread.size();
    }

    private void pass(EjmlBaseline e, long reps) {
        for (long r = 0; r < reps; r++) {
            for (int i = 0; i < distinct; i++) {
                e.run(i);
            }
        }
    }

    @Override
    public void close() {
        if (pool != null) {
            pool.shutdownNow();
        }
    }
}
