package dev.streamfold.runtime.cuda;

import java.lang.foreign.MemorySegment;
import java.util.Objects;

/**
 * A CUDA event with timing ({@code cuEventCreate} with default flags), for ordering and for measuring
 * device time between two points of a stream. Destroyed by {@link #close()} or by closing its context.
 */
public final class CudaEvent implements AutoCloseable {
    private final CudaContext context;
    private final ContextResource resource;
    private final MemorySegment handle;

    private CudaEvent(CudaContext context, MemorySegment handle) {
        this.context = context;
        this.handle = handle;
        this.resource = ContextResource.register(context, "CudaEvent", () -> context.driver().eventDestroy(handle));
    }

    /** Creates an event in {@code context}. */
    public static CudaEvent create(CudaContext context) {
        Objects.requireNonNull(context, "context");
        context.makeCurrent();
        return new CudaEvent(context, context.driver().eventCreate(CudaDriver.CU_EVENT_DEFAULT));
    }

    public CudaContext context() {
        return context;
    }

    /** Records this event after the work queued so far on {@code stream} ({@code null}: the default stream). */
    public void record(CudaStream stream) {
        resource.ensureOpen();
        MemorySegment streamHandle = CudaStream.handleOf(stream);
        context.makeCurrent();
        context.driver().eventRecord(handle, streamHandle);
    }

    /** Waits until the work before the last {@link #record} has finished. */
    public void synchronize() {
        resource.ensureOpen();
        context.makeCurrent();
        context.driver().eventSynchronize(handle);
    }

    /**
     * Milliseconds of device time from {@code start} to {@code end}, both recorded and completed
     * (call {@link #synchronize()} on {@code end} first); resolution about half a microsecond.
     */
    public static float elapsedMillis(CudaEvent start, CudaEvent end) {
        Objects.requireNonNull(start, "start");
        Objects.requireNonNull(end, "end");
        start.resource.ensureOpen();
        end.resource.ensureOpen();
        end.context.makeCurrent();
        return end.context.driver().eventElapsedTime(start.handle, end.handle);
    }

    public boolean isClosed() {
        return resource.isClosed();
    }

    /** Destroys the event; later calls do nothing. */
    @Override
    public void close() {
        resource.close();
    }
}
