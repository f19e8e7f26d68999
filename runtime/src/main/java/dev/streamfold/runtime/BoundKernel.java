package dev.streamfold.runtime;

import java.util.List;
import java.util.Map;

/**
 * An ahead-of-time kernel with its parameter slots filled and checked: what {@link KernelSignature#prepare} made of
 * the named values. It knows its parameter names, their lengths and the slot order; runners made from it cannot
 * run another mechanism than the one bound.
 */
public final class BoundKernel {
    private final KernelSignature signature;
    private final StepKernel kernel;
    private final double[][] params;

    /**
     * @throws IllegalArgumentException as {@link KernelSignature#prepare} does
     */
    public BoundKernel(KernelSignature signature, StepKernel kernel, Map<String, double[]> values) {
        this.signature = signature;
        this.kernel = kernel;
        this.params = signature.prepare(kernel, values);
    }

    /** The kernel's name in its spec. */
    public String name() {
        return signature.name();
    }

    /** The parameter names, lengths and order the values were checked against. */
    public KernelSignature signature() {
        return signature;
    }

    /** The loaded kernel, to run with {@link #params()}. */
    public StepKernel kernel() {
        return kernel;
    }

    /** The named parameters, in first-use order. */
    public List<String> parameterNames() {
        return signature.parameterNames();
    }

    /** Entries of named parameter {@code name} ({@link ParamSlot#PER_STEP} for a per-step array). */
    public int parameterLength(String name) {
        Integer n = signature.length(name);
        if (n == null) {
            throw new IllegalArgumentException("kernel " + signature.name() + " has no parameter $" + name);
        }
        return n;
    }

    /** A fresh copy of the prepared slot values, in the kernel's slot order. */
    public double[][] params() {
        double[][] copy = new double[params.length][];
        for (int i = 0; i < copy.length; i++) {
            copy[i] = params[i].clone();
        }
        return copy;
    }

    /** A runner of this kernel over slices of {@code length} elements. */
    public StreamingRunner runner(long length, int threads) {
        return new StreamingRunner(kernel, params, length, threads);
    }

    /** A generator of this kernel's correlated noise (see {@link NoiseGenerator}). */
    public NoiseGenerator noise(long dim, int threads, long seed, double stddev, long coordBase) {
        return new NoiseGenerator(kernel, params, dim, threads, seed, stddev, coordBase);
    }
}
