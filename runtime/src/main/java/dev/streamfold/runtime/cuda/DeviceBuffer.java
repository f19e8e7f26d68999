package dev.streamfold.runtime.cuda;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Objects;

/**
 * A block of device memory ({@code cuMemAlloc}), freed by {@link #close()} or by closing its context.
 * Copies are synchronous with the host and ordered after work queued on the default stream and on
 * {@link CudaStream}s (which are blocking streams). Host copies start at a byte offset into the buffer
 * and must fit it; native host segments are copied directly, heap segments and arrays through a
 * temporary native buffer. Any use after close throws {@link IllegalStateException}.
 */
public final class DeviceBuffer implements AutoCloseable {
    static final long STAGING_CHUNK_BYTES = 8L << 20;

    private final CudaContext context;
    private final ContextResource resource;
    private final long address;
    private final long byteSize;

    private DeviceBuffer(CudaContext context, long address, long byteSize) {
        this.context = context;
        this.address = address;
        this.byteSize = byteSize;
        this.resource = ContextResource.register(context, "DeviceBuffer of " + byteSize + " bytes",
                () -> context.driver().memFree(address));
    }

    /**
     * Allocates {@code byteSize} bytes of uninitialized device memory.
     *
     * @throws IllegalArgumentException where {@code byteSize} is not positive
     * @throws CudaException where the device cannot supply it ({@code CUDA_ERROR_OUT_OF_MEMORY})
     */
    public static DeviceBuffer alloc(CudaContext context, long byteSize) {
        Objects.requireNonNull(context, "context");
        if (byteSize <= 0) {
            throw new IllegalArgumentException("device buffer size must be positive, got " + byteSize + " bytes");
        }
        context.makeCurrent();
        long address = context.driver().memAlloc(byteSize);
        return new DeviceBuffer(context, address, byteSize);
    }

    public long byteSize() {
        return byteSize;
    }

    public CudaContext context() {
        return context;
    }

    public boolean isClosed() {
        return resource.isClosed();
    }

    /** The device address ({@code CUdeviceptr}) of the first byte; throws if closed. */
    long address() {
        resource.ensureOpen();
        return address;
    }

    /** Copies all of {@code host} to the start of this buffer. */
    public void copyFrom(MemorySegment host) {
        copyFrom(host, 0);
    }

    /** Copies all of {@code host} into this buffer from {@code byteOffset} on. */
    public void copyFrom(MemorySegment host, long byteOffset) {
        Objects.requireNonNull(host, "host");
        resource.ensureOpen();
        long length = host.byteSize();
        checkRange("copy from host", byteSize, byteOffset, length);
        if (length == 0) {
            return;
        }
        context.makeCurrent();
        CudaDriver driver = context.driver();
        long dst = address + byteOffset;
        if (host.isNative()) {
            driver.memcpyHtoD(dst, host, length);
            return;
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment staging = arena.allocate(Math.min(length, STAGING_CHUNK_BYTES), 64);
            for (long done = 0; done < length; ) {
                long n = Math.min(staging.byteSize(), length - done);
                MemorySegment.copy(host, done, staging, 0, n);
                driver.memcpyHtoD(dst + done, staging, n);
                done += n;
            }
        }
    }

    /** Fills all of {@code host} from the start of this buffer. */
    public void copyTo(MemorySegment host) {
        copyTo(host, 0);
    }

    /** Fills all of {@code host} from this buffer's bytes at {@code byteOffset} on. */
    public void copyTo(MemorySegment host, long byteOffset) {
        Objects.requireNonNull(host, "host");
        resource.ensureOpen();
        if (host.isReadOnly()) {
            throw new IllegalArgumentException("cannot copy a device buffer into a read-only host segment");
        }
        long length = host.byteSize();
        checkRange("copy to host", byteSize, byteOffset, length);
        if (length == 0) {
            return;
        }
        context.makeCurrent();
        CudaDriver driver = context.driver();
        long src = address + byteOffset;
        if (host.isNative()) {
            driver.memcpyDtoH(host, src, length);
            return;
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment staging = arena.allocate(Math.min(length, STAGING_CHUNK_BYTES), 64);
            for (long done = 0; done < length; ) {
                long n = Math.min(staging.byteSize(), length - done);
                driver.memcpyDtoH(staging, src + done, n);
                MemorySegment.copy(staging, 0, host, done, n);
                done += n;
            }
        }
    }

    /** Copies {@code src} to the start of this buffer. */
    public void copyFrom(float[] src) {
        copyFrom(MemorySegment.ofArray(Objects.requireNonNull(src, "src")), 0);
    }

    /** Fills {@code dst} from the start of this buffer. */
    public void copyTo(float[] dst) {
        copyTo(MemorySegment.ofArray(Objects.requireNonNull(dst, "dst")), 0);
    }

    /** Copies {@code src} to the start of this buffer. */
    public void copyFrom(double[] src) {
        copyFrom(MemorySegment.ofArray(Objects.requireNonNull(src, "src")), 0);
    }

    /** Fills {@code dst} from the start of this buffer. */
    public void copyTo(double[] dst) {
        copyTo(MemorySegment.ofArray(Objects.requireNonNull(dst, "dst")), 0);
    }

    /** Copies all of {@code src} (device to device) to the start of this buffer. */
    public void copyFrom(DeviceBuffer src) {
        Objects.requireNonNull(src, "src");
        resource.ensureOpen();
        long srcAddress = src.address();
        checkRange("copy from device buffer", byteSize, 0, src.byteSize);
        context.makeCurrent();
        context.driver().memcpyDtoD(address, srcAddress, src.byteSize);
    }

    /** Sets every byte of this buffer to {@code value}. */
    public void fill(byte value) {
        resource.ensureOpen();
        context.makeCurrent();
        context.driver().memsetD8(address, value, byteSize);
    }

    /** Frees the memory; later calls do nothing. */
    @Override
    public void close() {
        resource.close();
    }

    @Override
    public String toString() {
        return "DeviceBuffer[" + byteSize + " bytes" + (isClosed() ? ", closed" : "") + "]";
    }

    /**
     * Checks that {@code length} bytes at {@code byteOffset} lie within a buffer of {@code bufferBytes}.
     *
     * @throws IllegalArgumentException naming the operation and the sizes where they do not
     */
    static void checkRange(String operation, long bufferBytes, long byteOffset, long length) {
        if (byteOffset < 0) {
            throw new IllegalArgumentException(operation + ": byte offset must not be negative, got " + byteOffset);
        }
        if (byteOffset > bufferBytes || length > bufferBytes - byteOffset) {
            throw new IllegalArgumentException(operation + ": " + length + " bytes at byte offset " + byteOffset
                    + " do not fit a device buffer of " + bufferBytes + " bytes");
        }
    }
}
