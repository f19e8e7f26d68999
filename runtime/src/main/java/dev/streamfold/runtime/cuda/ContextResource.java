package dev.streamfold.runtime.cuda;

/**
 * The lifetime of one driver object owned by a {@link CudaContext}: released once, by its owner's
 * {@code close()} or by the context's, whichever comes first.
 */
final class ContextResource {
    private final CudaContext context;
    private final String description;
    private final Runnable release;
    private boolean closed;

    private ContextResource(CudaContext context, String description, Runnable release) {
        this.context = context;
        this.description = description;
        this.release = release;
    }

    /**
     * Registers a driver object just created in {@code context}; where the context has been closed
     * meanwhile, releases it and throws {@link IllegalStateException}.
     */
    static ContextResource register(CudaContext context, String description, Runnable release) {
        ContextResource resource = new ContextResource(context, description, release);
        if (!context.adopt(resource)) {
            release.run();
            throw new IllegalStateException("CUDA context of device " + context.ordinal() + " is closed");
        }
        return resource;
    }

    CudaContext context() {
        return context;
    }

    synchronized boolean isClosed() {
        return closed;
    }

    /** Throws {@link IllegalStateException} where the object has been closed. */
    void ensureOpen() {
        if (isClosed()) {
            throw new IllegalStateException(description + " is closed");
        }
    }

    private synchronized boolean markClosed() {
        boolean wasOpen = !closed;
        closed = true;
        return wasOpen;
    }

    /** Releases the object unless already released. */
    void close() {
        if (markClosed()) {
            context.disown(this);
            context.bindToThread();
            release.run();
        }
    }

    /** Releases the object as part of closing its context, which is current on this thread. */
    void closeWithContext() {
        if (markClosed()) {
            release.run();
        }
    }
}
