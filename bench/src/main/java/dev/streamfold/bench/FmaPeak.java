package dev.streamfold.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * This machine's measured fused multiply-add peak: each thread runs a Vector API loop over the preferred
 * species with {@value #ACCUMULATORS} independent accumulators ({@code acc = acc * b + c}, which stays
 * finite and normal), enough to cover the FMA latency on two pipes. An FMA counts two flops per lane.
 * The loop is warmed up until its rate stops rising (it is compiled by then); the peak is the best of the
 * timed rounds.
 */
final class FmaPeak {
    private FmaPeak() {}

    static final int ACCUMULATORS = 12;

    /**
     * The best GFLOP/s of {@code rounds} timed rounds of about {@code roundSeconds} each, {@code threads}
     * threads at once, after {@code warmupSeconds} of short calls that get the loop compiled.
     */
    static double gflops(String dtype, int threads, double warmupSeconds, double roundSeconds, int rounds) {
        boolean f64 = switch (dtype) {
            case "float64" -> true;
            case "float32" -> false;
            default -> throw new IllegalArgumentException("unknown dtype " + dtype);
        };
        int lanes = f64 ? DoubleVector.SPECIES_PREFERRED.length() : FloatVector.SPECIES_PREFERRED.length();
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            long iterations = 1 << 12;
            warmUp(pool, threads, f64, iterations, warmupSeconds, roundSeconds);
            // Calibrate: grow the loop until one call takes a tenth of a round.
            while (true) {
                long s = System.nanoTime();
                runAll(pool, threads, f64, iterations);
                double t = (System.nanoTime() - s) / 1e9;
                if (t >= roundSeconds / 10 || iterations > (1L << 40)) {
                    iterations = Math.max(iterations, (long) (iterations * roundSeconds / Math.max(t, 1e-9)));
                    break;
                }
                iterations *= 2;
            }
            double best = 0;
            for (int r = 0; r < rounds; r++) {
                long s = System.nanoTime();
                runAll(pool, threads, f64, iterations);
                double t = (System.nanoTime() - s) / 1e9;
                best = Math.max(best, 2.0 * lanes * ACCUMULATORS * iterations * threads / t / 1e9);
            }
            return best;
        } finally {
            pool.shutdownNow();
        }
    }

    /** The longest warm-up, for a loop whose compilation a loaded machine delays. */
    static final double MAX_WARMUP_SECONDS = 30;

    /**
     * Runs short calls for at least {@code warmupSeconds} and until the rate has stopped rising: three
     * windows of {@code windowSeconds} in a row without a new best (by 10%), or {@link #MAX_WARMUP_SECONDS}.
     */
    private static void warmUp(ExecutorService pool, int threads, boolean f64, long iterations, double warmupSeconds,
            double windowSeconds) {
        long start = System.nanoTime();
        double best = 0;
        int flat = 0;
        while (true) {
            long w0 = System.nanoTime();
            long calls = 0;
            do {
                runAll(pool, threads, f64, iterations);
                calls++;
            } while (System.nanoTime() - w0 < windowSeconds * 1e9);
            double rate = calls / ((System.nanoTime() - w0) / 1e9);
            if (rate > best * 1.1) {
                best = rate;
                flat = 0;
            } else {
                flat++;
            }
            double elapsed = (System.nanoTime() - start) / 1e9;
            if ((elapsed >= warmupSeconds && flat >= 3) || elapsed >= MAX_WARMUP_SECONDS) {
                return;
            }
        }
    }

    /** Keeps the loops' results live. */
    static volatile double sink;

    private static void runAll(ExecutorService pool, int threads, boolean f64, long iterations) {
        List<Future<Double>> fs = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            fs.add(pool.submit(() -> f64 ? loopF64(iterations) : loopF32(iterations)));
        }
        double sum = 0;
        for (Future<Double> f : fs) {
            try {
                sum += f.get();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while measuring the FMA peak", e);
            } catch (ExecutionException e) {
                throw new IllegalStateException("FMA peak loop failed", e.getCause());
            }
        }
        sink = sum;
    }

    static double loopF32(long iterations) {
        VectorSpecies<Float> sp = FloatVector.SPECIES_PREFERRED;
        FloatVector b = FloatVector.broadcast(sp, 0.999f);
        FloatVector c = FloatVector.broadcast(sp, 1e-3f);
        FloatVector a0 = FloatVector.broadcast(sp, 0.1f), a1 = FloatVector.broadcast(sp, 0.2f);
        FloatVector a2 = FloatVector.broadcast(sp, 0.3f), a3 = FloatVector.broadcast(sp, 0.4f);
        FloatVector a4 = FloatVector.broadcast(sp, 0.5f), a5 = FloatVector.broadcast(sp, 0.6f);
        FloatVector a6 = FloatVector.broadcast(sp, 0.7f), a7 = FloatVector.broadcast(sp, 0.8f);
        FloatVector a8 = FloatVector.broadcast(sp, 0.9f), a9 = FloatVector.broadcast(sp, 1.0f);
        FloatVector a10 = FloatVector.broadcast(sp, 1.1f), a11 = FloatVector.broadcast(sp, 1.2f);
        for (long i = 0; i < iterations; i++) {
            a0 = a0.fma(b, c);
            a1 = a1.fma(b, c);
            a2 = a2.fma(b, c);
            a3 = a3.fma(b, c);
            a4 = a4.fma(b, c);
            a5 = a5.fma(b, c);
            a6 = a6.fma(b, c);
            a7 = a7.fma(b, c);
            a8 = a8.fma(b, c);
            a9 = a9.fma(b, c);
            a10 = a10.fma(b, c);
            a11 = a11.fma(b, c);
        }
        return a0.add(a1).add(a2).add(a3).add(a4).add(a5).add(a6).add(a7).add(a8).add(a9).add(a10).add(a11)
                .reduceLanes(jdk.incubator.vector.VectorOperators.ADD);
    }

    static double loopF64(long iterations) {
        VectorSpecies<Double> sp = DoubleVector.SPECIES_PREFERRED;
        DoubleVector b = DoubleVector.broadcast(sp, 0.999);
        DoubleVector c = DoubleVector.broadcast(sp, 1e-3);
        DoubleVector a0 = DoubleVector.broadcast(sp, 0.1), a1 = DoubleVector.broadcast(sp, 0.2);
        DoubleVector a2 = DoubleVector.broadcast(sp, 0.3), a3 = DoubleVector.broadcast(sp, 0.4);
        DoubleVector a4 = DoubleVector.broadcast(sp, 0.5), a5 = DoubleVector.broadcast(sp, 0.6);
        DoubleVector a6 = DoubleVector.broadcast(sp, 0.7), a7 = DoubleVector.broadcast(sp, 0.8);
        DoubleVector a8 = DoubleVector.broadcast(sp, 0.9), a9 = DoubleVector.broadcast(sp, 1.0);
        DoubleVector a10 = DoubleVector.broadcast(sp, 1.1), a11 = DoubleVector.broadcast(sp, 1.2);
        for (long i = 0; i < iterations; i++) {
            a0 = a0.fma(b, c);
            a1 = a1.fma(b, c);
            a2 = a2.fma(b, c);
            a3 = a3.fma(b, c);
            a4 = a4.fma(b, c);
            a5 = a5.fma(b, c);
            a6 = a6.fma(b, c);
            a7 = a7.fma(b, c);
            a8 = a8.fma(b, c);
            a9 = a9.fma(b, c);
            a10 = a10.fma(b, c);
            a11 = a11.fma(b, c);
        }
        return a0.add(a1).add(a2).add(a3).add(a4).add(a5).add(a6).add(a7).add(a8).add(a9).add(a10).add(a11)
                .reduceLanes(jdk.incubator.vector.VectorOperators.ADD);
    }
}
