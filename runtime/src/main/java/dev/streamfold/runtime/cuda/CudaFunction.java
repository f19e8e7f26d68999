package dev.streamfold.runtime.cuda;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Objects;

/** A kernel of a loaded {@link CudaModule}; valid while the module is open. */
public final class CudaFunction {
    private final CudaModule module;
    private final String name;
    private final MemorySegment handle;

    CudaFunction(CudaModule module, String name, MemorySegment handle) {
        this.module = module;
        this.name = name;
        this.handle = handle;
    }

    public String name() {
        return name;
    }

    public CudaModule module() {
        return module;
    }

    /**
     * Queues a one-dimensional launch of {@code gridX} blocks of {@code blockX} threads on {@code stream}
     * ({@code null}: the default stream). {@code args} are the kernel's parameters in order: a
     * {@link DeviceBuffer} passes its device address (a {@code .u64} parameter), {@link Long},
     * {@link Integer}, {@link Float} and {@link Double} their value ({@code .u64}/{@code .s64},
     * {@code .u32}/{@code .s32}, {@code .f32}, {@code .f64}). Their number and types must match the
     * kernel's; the driver cannot check that. Errors raised while the kernel runs are reported by a later
     * synchronizing call.
     *
     * @throws IllegalArgumentException for a non-positive grid or block size, negative shared memory, or
     *     an argument of another type
     * @throws IllegalStateException where the module, the stream or a buffer is closed
     * @throws CudaException where the driver rejects the launch
     */
    public void launch(int gridX, int blockX, int sharedBytes, CudaStream stream, Object... args) {
        Objects.requireNonNull(args, "args");
        module.ensureOpen();
        KernelParams.checkLaunch(gridX, blockX, sharedBytes);
        MemorySegment streamHandle = CudaStream.handleOf(stream);
        Object[] resolved = KernelParams.resolveBuffers(args);
        CudaContext context = module.context();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment params = KernelParams.pack(arena, resolved);
            context.makeCurrent();
            context.driver().launchKernel(handle, gridX, 1, 1, blockX, 1, 1, sharedBytes, streamHandle, params);
        }
    }

    @Override
    public String toString() {
        return "CudaFunction[" + name + "]";
    }
}
