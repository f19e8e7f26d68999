package dev.streamfold.runtime;

import dev.streamfold.runtime.noise.GaussianNoiseVector;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * Correlated noise: each step applies a streaming kernel (e.g. C^-1) to fresh iid N(0, stddev^2)
 * noise drawn inside the step, block by block, from the counter-based generator. No noise array is
 * written to main memory, and the output depends only on (seed, step, coordinate): it is the same
 * for every thread count and after a checkpoint and resume. A {@link NoiseKernel} draws the noise
 * itself, element by element; other kernels get it in blocks through a per-thread scratch buffer.
 * Both give the same bits.
 */
public final class NoiseGenerator implements AutoCloseable {
    private final StreamingRunner runner;
    private final long seed;
    private final double stddev;
    private final long coordBase;
    private final StreamingRunner.InputSource source;

    /**
     * @param coordBase the noise coordinate of element 0 (leaves of one model take disjoint ranges)
     */
    public NoiseGenerator(StepKernel kernel, double[][] params, long dim, int threads, long seed, double stddev,
            long coordBase) {
        if (!Double.isFinite(stddev) || stddev < 0) {
            throw new IllegalArgumentException("stddev must be finite and >= 0, got " + stddev);
        }
        if (!(kernel instanceof NoiseKernel)) {
            VectorApi.require("the noise generator");
        }
        this.runner = new StreamingRunner(kernel, params, dim, threads);
        this.seed = seed;
        this.stddev = stddev;
        this.coordBase = coordBase;
        this.source = switch (kernel.elementType()) {
            case FLOAT32 -> (step, from, dst, count) ->
                    GaussianNoiseVector.fillF32(seed, step, coordBase + from, dst, 0, count, (float) stddev);
            case FLOAT64 -> (step, from, dst, count) ->
                    GaussianNoiseVector.fillF64(seed, step, coordBase + from, dst, 0, count, stddev);
            case INT32, INT64 -> throw new IllegalArgumentException("noise needs a floating kernel, got " + kernel.elementType());
        };
    }

    /** Writes the next step's correlated noise (dim elements) to {@code y}. */
    public void next(MemorySegment y) {
        if (runner.kernel() instanceof NoiseKernel) {
            runner.nextNoise(seed, stddev, coordBase, y);
        } else {
            runner.next(source, y);
        }
    }

    /**
     * Writes the next step's correlated noise to {@code y} and returns the index of its first
     * element that is not finite, or -1; blocks are checked as they are written, while in cache.
     * After a non-negative return the state is only partly stepped: discard the generator (or
     * restore a checkpoint) instead of stepping or checkpointing it again.
     */
    public long nextCheckingFinite(MemorySegment y) {
        if (runner.kernel() instanceof NoiseKernel) {
            return runner.nextNoiseCheckingFinite(seed, stddev, coordBase, y);
        }
        return runner.nextCheckingFinite(source, y);
    }

    /** The index of the next step. */
    public long step() {
        return runner.step();
    }

    public long seed() {
        return seed;
    }

    public double stddev() {
        return stddev;
    }

    public long coordBase() {
        return coordBase;
    }

    public StreamingRunner runner() {
        return runner;
    }

    /** This generator's state: step, buffers, seed and stddev; {@code identity} names the mechanism. */
    public Checkpoint checkpoint(String identity, Arena arena) {
        return Checkpoint.of(runner, seed, stddev, identity, arena);
    }

    /**
     * Continues from {@code c}, which must hold this generator's mechanism, seed and stddev.
     *
     * @throws Checkpoint.CheckpointException naming what does not match
     */
    public void resume(Checkpoint c, String identity) {
        if (c.seed() != seed || Double.doubleToLongBits(c.stddev()) != Double.doubleToLongBits(stddev)) {
            throw new Checkpoint.CheckpointException("state file holds seed " + Long.toUnsignedString(c.seed()) + " and stddev "
                    + c.stddev() + "; this run has seed " + Long.toUnsignedString(seed) + " and stddev " + stddev);
        }
        c.restoreInto(runner, identity);
    }

    @Override
    public void close() {
        runner.close();
    }
}
