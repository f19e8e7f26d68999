package dev.streamfold.runtime.cuda;

import java.lang.foreign.MemorySegment;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;

/**
 * A module loaded from PTX text and JIT-compiled by the driver for the context's device. Unloaded by
 * {@link #close()} or by closing its context; its functions cannot be launched after that.
 */
public final class CudaModule implements AutoCloseable {
    private final CudaContext context;
    private final ContextResource resource;
    private final MemorySegment handle;
    private final Map<String, CudaFunction> functions = new HashMap<>();

    private CudaModule(CudaContext context, MemorySegment handle) {
        this.context = context;
        this.handle = handle;
        this.resource = ContextResource.register(context, "CudaModule", () -> context.driver().moduleUnload(handle));
    }

    /**
     * Loads {@code ptx} into {@code context}.
     *
     * @throws CudaException where the driver rejects it; for PTX that does not compile the message ends
     *     with the JIT error log, e.g. {@code cuModuleLoadDataEx failed: CUDA_ERROR_INVALID_PTX (a PTX JIT
     *     compilation failed): ptxas application ptx input, line 6; error : ...}
     */
    public static CudaModule load(CudaContext context, String ptx) {
        Objects.requireNonNull(context, "context");
        Objects.requireNonNull(ptx, "ptx");
        context.makeCurrent();
        return new CudaModule(context, context.driver().moduleLoadData(ptx));
    }

    /**
     * The kernel (an {@code .entry}) named {@code name}.
     *
     * @throws CudaException with {@code CUDA_ERROR_NOT_FOUND} where the module has no such kernel
     */
    public CudaFunction function(String name) {
        Objects.requireNonNull(name, "name");
        resource.ensureOpen();
        synchronized (functions) {
            CudaFunction function = functions.get(name);
            if (function == null) {
                context.makeCurrent();
                function = new CudaFunction(this, name, context.driver().moduleFunction(handle, name));
                functions.put(name, function);
            }
            return function;
        }
    }

    public CudaContext context() {
        return context;
    }

    public boolean isClosed() {
        return resource.isClosed();
    }

    void ensureOpen() {
        resource.ensureOpen();
    }

    /** Unloads the module; later calls do nothing. */
    @Override
    public void close() {
        resource.close();
    }
}
