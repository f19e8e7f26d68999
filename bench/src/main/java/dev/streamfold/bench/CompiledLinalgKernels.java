package dev.streamfold.bench;

import dev.streamfold.compiler.batched.BatchedBackend;
import dev.streamfold.compiler.batched.BatchedCompiler;
import dev.streamfold.compiler.batched.LinalgKernel;
import dev.streamfold.ir.DType;
import dev.streamfold.runtime.batched.BatchedKernel;
import java.util.Optional;

/**
 * The bench's kernels, compiled by this build: {@link LinalgKernel} at {@code n x n} through {@link
 * BatchedCompiler} and loaded on the Vector API backend (or the one named by system property {@code
 * streamfold.bench.backend}: {@code vector}, {@code llvm}).
 */
public final class CompiledLinalgKernels implements LinalgKernels {
    private final BatchedBackend backend;

    public CompiledLinalgKernels() {
        String name = System.getProperty("streamfold.bench.backend", "vector");
        BatchedBackend b = BatchedBackend.parse(name);
        if (b == null) {
            throw new IllegalArgumentException("streamfold.bench.backend: unknown backend '" + name + "' (expected vector or llvm)");
        }
        this.backend = b;
    }

    @Override
    public Optional<BatchedKernel> kernel(String op, int n, String dtype, boolean jvp) {
        LinalgKernel spec = LinalgKernel.of(LinalgBench.linalgOp(op), n, n, DType.parseFloating(dtype), jvp);
        return Optional.of(backend.load(BatchedCompiler.compile(spec).kernel()));
    }
}
