package dev.streamfold.runtime.cuda;

import java.lang.foreign.MemorySegment;
import java.util.Objects;

/**
 * A CUDA stream ({@code cuStreamCreate} with default flags): work on it runs in order, and it is a
 * blocking stream, so it is ordered with the default stream that {@link DeviceBuffer}'s copies use.
 * Destroyed by {@link #close()} or by closing its context.
 */
public final class CudaStream implements AutoCloseable {
    private final CudaContext context;
    private final ContextResource resource;
    private final MemorySegment handle;

    private CudaStream(CudaContext context, MemorySegment handle) {
        this.context = context;
        this.handle = handle;
        this.resource = ContextResource.register(context, "CudaStream", () -> context.driver().streamDestroy(handle));
    }

    /** Creates a stream in {@code context}. */
    public static CudaStream create(CudaContext context) {
        Objects.requireNonNull(context, "context");
        context.makeCurrent();
        return new CudaStream(context, context.driver().streamCreate(CudaDriver.CU_STREAM_DEFAULT));
    }

    public CudaContext context() {
        return context;
    }

    /** Waits until all work queued on this stream has finished. */
    public void synchronize() {
        resource.ensureOpen();
        context.makeCurrent();
        context.driver().streamSynchronize(handle);
    }

    public boolean isClosed() {
        return resource.isClosed();
    }

    /** The {@code CUstream} handle; throws if closed. */
    MemorySegment handle() {
        resource.ensureOpen();
        return handle;
    }

    /** The handle to pass the driver for {@code stream}, where {@code null} means the default stream. */
    static MemorySegment handleOf(CudaStream stream) {
        return stream == null ? MemorySegment.NULL : stream.handle();
    }

    /** Destroys the stream once its queued work is done; later calls do nothing. */
    @Override
    public void close() {
        resource.close();
    }
}
