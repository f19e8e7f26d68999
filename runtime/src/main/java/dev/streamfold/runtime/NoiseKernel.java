package dev.streamfold.runtime;

import java.lang.foreign.MemorySegment;

/**
 * A step kernel that also draws its own input from the counter-based generator, so that no noise is written to
 * memory even in blocks. {@link #noiseStep} computes, bit for bit, what {@link #step} computes with element
 * {@code i} of x equal to {@code stddev * GaussianNoise.gaussianF64(seed, t, coordBase + i)}; float32 kernels use
 * {@code (float) stddev * GaussianNoise.gaussianF32(seed, t, coordBase + i)} in float32, as
 * {@code GaussianNoise.fillF32} does.
 */
public interface NoiseKernel extends StepKernel {
    /**
     * Step {@code t} on elements {@code [from, to)} of drawn noise: reads state, writes y and state; row {@code r}
     * of each state buffer starts at element {@code r * stateStride}.
     */
    void noiseStep(long t, double[][] params, long seed, double stddev, long coordBase, MemorySegment y,
            MemorySegment[] state, long stateStride, long from, long to);
}
