package dev.streamfold.compiler;

import dev.streamfold.compiler.lower.StepKir;
import dev.streamfold.compiler.vector.VectorKernels;
import dev.streamfold.ir.DType;
import dev.streamfold.ir.Shape;
import dev.streamfold.ir.StreamfoldException;
import dev.streamfold.ir.Tensor;
import dev.streamfold.ir.stream.Bindings;
import dev.streamfold.ir.stream.ParamLayout;
import dev.streamfold.ir.stream.StreamingEval.Query;
import dev.streamfold.ir.stream.StreamingMatrix;
import dev.streamfold.runtime.StepKernel;
import dev.streamfold.runtime.StreamBuffers;
import dev.streamfold.runtime.StreamingRunner;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;

/**
 * Runs streaming queries on compiled step kernels (whole-scan: one pass over x and y), whichever
 * backend loaded them.
 */
public final class KernelEval {
    private KernelEval() {}

    /** Turns a step kernel of kernel IR v2 into a runnable kernel (a backend's compile-and-load path). */
    @FunctionalInterface
    public interface KernelLoader {
        StepKernel load(StepKir k, String description);

        /** The runnable kernel of {@code m}'s step for the prepared {@code values}, lowered by {@link VectorKernels#lowerKir}. */
        default StepKernel load(StreamingMatrix m, List<Tensor> values, DType dtype) {
            return load(VectorKernels.lowerKir(m, values, dtype), m.describe());
        }
    }

    /** The Vector API backend's loader ({@link VectorKernels#load}). */
    public static final KernelLoader VECTOR = VectorKernels::load;

    /** The loaded kernel of {@code m} and its bound parameter values. */
    public record Bound(StepKernel kernel, double[][] params) {}

    public static Bound bind(StreamingMatrix m, Bindings bindings, DType dtype) {
        return bind(VECTOR, m, bindings, dtype);
    }

    public static Bound bind(KernelLoader loader, StreamingMatrix m, Bindings bindings, DType dtype) {
        List<Tensor> values = ParamLayout.of(m).bind(m, bindings, dtype);
        StepKernel k = loader.load(m, values, dtype);
        double[][] p = new double[values.size()][];
        for (int i = 0; i < p.length; i++) {
            p[i] = values.get(i).data();
        }
        // The values were validated in float64; rounding to float32 can still make one zero or infinite.
        try {
            StreamingRunner.checkParams(k, p);
        } catch (IllegalArgumentException e) {
            throw new StreamfoldException(e.getMessage() + " (as bound for a " + dtype.longName() + " kernel)");
        }
        return new Bound(k, p);
    }

    /** A query as {@link dev.streamfold.ir.stream.StreamingEval#run} defines it, on the vector backend. */
    public static Tensor run(StreamingMatrix m, Bindings bindings, Query q, Tensor x, int n, DType dtype, int threads) {
        return run(VECTOR, m, bindings, q, x, n, dtype, threads);
    }

    public static Tensor run(KernelLoader loader, StreamingMatrix m, Bindings bindings, Query q, Tensor x, int n,
            DType dtype, int threads) {
        Bound b = bind(loader, m, bindings, dtype);
        return switch (q) {
            case MULTIPLY -> multiply(b, x, dtype, threads);
            case MATERIALIZE -> multiply(b, eye(n, dtype), dtype, threads);
            case ROW_NORMS_SQUARED -> rowNormsSquared(multiply(b, eye(n, dtype), dtype, threads), dtype);
        };
    }

    /** Squared norms of the rows of an n x n matrix, summed in float64, rounded to {@code dtype}. */
    public static Tensor rowNormsSquared(Tensor a, DType dtype) {
        int n = a.shape().dim(0);
        double[] r = new double[n];
        double[] d = a.raw();
        for (int i = 0; i < n; i++) {
            double s = 0;
            for (int j = 0; j < n; j++) {
                double v = d[i * n + j];
                s += v * v;
            }
            r[i] = dtype.round(s);
        }
        return new Tensor(dtype, new Shape(n), r);
    }

    /**
     * Applies the bound kernel to x of shape {@code [n, slice...]} with a fresh state. x and y live in a shared
     * arena, since the runner's worker threads read and write them.
     */
    public static Tensor multiply(Bound b, Tensor x, DType dtype, int threads) {
        if (x.shape().rank() < 1) {
            throw new StreamfoldException("input must have a leading step axis, got shape " + x.shape());
        }
        int n = x.shape().dim(0);
        long d = n == 0 ? 0 : x.size() / n;
        ValueLayout.OfFloat f = ValueLayout.JAVA_FLOAT;
        ValueLayout.OfDouble g = ValueLayout.JAVA_DOUBLE;
        try (Arena arena = Arena.ofShared();
                StreamingRunner r = new StreamingRunner(b.kernel(), b.params(), d, threads)) {
            long bytes = (long) x.size() * (dtype == DType.F32 ? 4 : 8);
            MemorySegment xs = StreamBuffers.allocate(arena, bytes);
            MemorySegment ys = StreamBuffers.allocate(arena, bytes);
            double[] src = x.raw();
            for (int i = 0; i < src.length; i++) {
                if (dtype == DType.F32) {
                    xs.setAtIndex(f, i, (float) src[i]);
                } else {
                    xs.setAtIndex(g, i, src[i]);
                }
            }
            r.scan(n, xs, ys);
            double[] out = new double[src.length];
            for (int i = 0; i < out.length; i++) {
                out[i] = dtype == DType.F32 ? ys.getAtIndex(f, i) : ys.getAtIndex(g, i);
            }
            return new Tensor(dtype, x.shape(), out);
        }
    }

    /** The n x n identity: the input whose image is the materialized matrix. */
    public static Tensor eye(int n, DType dtype) {
        double[] d = new double[n * n];
        for (int i = 0; i < n; i++) {
            d[i * n + i] = 1;
        }
        return new Tensor(dtype, new Shape(n, n), d);
    }
}
