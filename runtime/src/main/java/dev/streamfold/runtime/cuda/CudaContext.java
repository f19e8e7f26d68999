package dev.streamfold.runtime.cuda;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The primary context of one CUDA device, retained while this object is open. Every operation of this
 * package makes the context current on the calling thread first, so objects may be used from any thread
 * (though not closed while another thread uses them).
 *
 * <p>Closing the context first closes every module, buffer, stream and event made from it, newest first,
 * then releases the primary context. Closing twice is harmless.
 */
public final class CudaContext implements AutoCloseable {
    /** A device's compute capability, e.g. 9.0 for an H100. */
    public record ComputeCapability(int major, int minor) {
        /** The PTX target of this capability, e.g. {@code sm_90}. */
        public String smTarget() {
            return "sm_" + major + minor;
        }

        @Override
        public String toString() {
            return major + "." + minor;
        }
    }

    private final CudaDriver driver;
    private final int ordinal;
    private final int device;
    private final MemorySegment handle;
    private final String deviceName;
    private final ComputeCapability computeCapability;
    private final int smCount;
    private final Set<ContextResource> resources = new LinkedHashSet<>();
    private boolean closed;

    private CudaContext(CudaDriver driver, int ordinal, int device, MemorySegment handle) {
        this.driver = driver;
        this.ordinal = ordinal;
        this.device = device;
        this.handle = handle;
        driver.contextSetCurrent(handle);
        this.deviceName = driver.deviceName(device);
        this.computeCapability = new ComputeCapability(
                driver.deviceAttribute(CudaDriver.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR, device),
                driver.deviceAttribute(CudaDriver.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR, device));
        this.smCount = driver.deviceAttribute(CudaDriver.CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT, device);
    }

    /**
     * Opens the primary context of device 0.
     *
     * @throws CudaUnavailableException where there is no usable driver
     */
    public static CudaContext open() {
        return open(0);
    }

    /**
     * Opens the primary context of the device with the given ordinal.
     *
     * @throws IllegalArgumentException where no device has that ordinal
     * @throws CudaUnavailableException where there is no usable driver
     */
    public static CudaContext open(int ordinal) {
        CudaDriver driver = CudaDriver.load();
        int count = driver.deviceCount();
        if (ordinal < 0 || ordinal >= count) {
            throw new IllegalArgumentException("CUDA device " + ordinal + " does not exist: " + count + " device(s)");
        }
        int device = driver.device(ordinal);
        MemorySegment handle = driver.primaryContextRetain(device);
        try {
            return new CudaContext(driver, ordinal, device, handle);
        } catch (RuntimeException e) {
            try {
                driver.primaryContextRelease(device);
            } catch (RuntimeException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
    }

    /**
     * The number of CUDA devices.
     *
     * @throws CudaUnavailableException where there is no usable driver
     */
    public static int deviceCount() {
        return CudaDriver.load().deviceCount();
    }

    /** The device's ordinal, as passed to {@link #open(int)}. */
    public int ordinal() {
        return ordinal;
    }

    /** The device's marketing name, e.g. {@code NVIDIA H100 80GB HBM3}. */
    public String deviceName() {
        return deviceName;
    }

    public ComputeCapability computeCapability() {
        return computeCapability;
    }

    /** The number of streaming multiprocessors. */
    public int smCount() {
        return smCount;
    }

    /** Waits until all work queued in this context has finished; reports the first asynchronous error. */
    public void synchronize() {
        makeCurrent();
        driver.contextSynchronize();
    }

    public synchronized boolean isClosed() {
        return closed;
    }

    /**
     * Closes every object made from this context, then releases the primary context. Every release is
     * attempted; the first failure is thrown after, with the others suppressed.
     */
    @Override
    public void close() {
        List<ContextResource> open;
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            open = new ArrayList<>(resources);
            resources.clear();
        }
        RuntimeException failure = null;
        try {
            bindToThread();
        } catch (RuntimeException e) {
            failure = e;
        }
        for (ContextResource resource : open.reversed()) {
            try {
                resource.closeWithContext();
            } catch (RuntimeException e) {
                failure = collect(failure, e);
            }
        }
        try {
            driver.primaryContextRelease(device);
            driver.contextSetCurrent(MemorySegment.NULL);
        } catch (RuntimeException e) {
            failure = collect(failure, e);
        }
        if (failure != null) {
            throw failure;
        }
    }

    private static RuntimeException collect(RuntimeException first, RuntimeException next) {
        if (first == null) {
            return next;
        }
        first.addSuppressed(next);
        return first;
    }

    @Override
    public String toString() {
        return "CudaContext[device " + ordinal + ": " + deviceName + ", " + computeCapability.smTarget() + ", "
                + smCount + " SMs" + (isClosed() ? ", closed" : "") + "]";
    }

    CudaDriver driver() {
        return driver;
    }

    /** Makes this context current on the calling thread; throws {@link IllegalStateException} if closed. */
    void makeCurrent() {
        if (isClosed()) {
            throw new IllegalStateException("CUDA context of device " + ordinal + " is closed");
        }
        bindToThread();
    }

    /** Makes this context current on the calling thread, closed or not (for releasing its objects). */
    void bindToThread() {
        driver.contextSetCurrent(handle);
    }

    synchronized boolean adopt(ContextResource resource) {
        if (closed) {
            return false;
        }
        resources.add(resource);
        return true;
    }

    synchronized void disown(ContextResource resource) {
        resources.remove(resource);
    }
}
