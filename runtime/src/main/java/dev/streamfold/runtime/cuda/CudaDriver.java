package dev.streamfold.runtime.cuda;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;

/**
 * The CUDA driver API ({@code libcuda.so.1}) bound with {@code java.lang.foreign}. One instance per
 * process, made by {@link #load()}, which also calls {@code cuInit}. Every call that returns a
 * {@code CUresult} other than {@code CUDA_SUCCESS} throws {@link CudaException}.
 *
 * <p>The entry points are package-private and take raw handles; {@link CudaContext}, {@link CudaModule},
 * {@link CudaFunction}, {@link DeviceBuffer}, {@link CudaStream} and {@link CudaEvent} are the API over
 * them that manages lifetimes and checks arguments.
 */
public final class CudaDriver {
    /** The shared library the driver API lives in. */
    public static final String LIBRARY = "libcuda.so.1";

    static final int CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT = 16;
    static final int CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR = 75;
    static final int CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR = 76;
    static final int CU_JIT_ERROR_LOG_BUFFER = 5;
    static final int CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES = 6;
    static final int CU_STREAM_DEFAULT = 0;
    static final int CU_EVENT_DEFAULT = 0;

    private static final int JIT_LOG_BYTES = 16 * 1024;
    private static final int DEVICE_NAME_BYTES = 256;

    private final String library;
    private final MethodHandle cuInit;
    private final MethodHandle cuDriverGetVersion;
    private final MethodHandle cuDeviceGet;
    private final MethodHandle cuDeviceGetCount;
    private final MethodHandle cuDeviceGetName;
    private final MethodHandle cuDeviceGetAttribute;
    private final MethodHandle cuDevicePrimaryCtxRetain;
    private final MethodHandle cuDevicePrimaryCtxRelease;
    private final MethodHandle cuCtxSetCurrent;
    private final MethodHandle cuCtxSynchronize;
    private final MethodHandle cuModuleLoadDataEx;
    private final MethodHandle cuModuleGetFunction;
    private final MethodHandle cuModuleUnload;
    private final MethodHandle cuMemAlloc;
    private final MethodHandle cuMemFree;
    private final MethodHandle cuMemcpyHtoD;
    private final MethodHandle cuMemcpyDtoH;
    private final MethodHandle cuMemcpyDtoD;
    private final MethodHandle cuMemsetD8;
    private final MethodHandle cuLaunchKernel;
    private final MethodHandle cuStreamCreate;
    private final MethodHandle cuStreamSynchronize;
    private final MethodHandle cuStreamDestroy;
    private final MethodHandle cuEventCreate;
    private final MethodHandle cuEventRecord;
    private final MethodHandle cuEventSynchronize;
    private final MethodHandle cuEventElapsedTime;
    private final MethodHandle cuEventDestroy;
    private final MethodHandle cuGetErrorName;
    private final MethodHandle cuGetErrorString;
    private final String eventElapsedTimeName;

    private static final class Loaded {
        static final Object DRIVER_OR_FAILURE = attemptLoad();

        private static Object attemptLoad() {
            try {
                return bind(LIBRARY);
            } catch (CudaUnavailableException e) {
                return e;
            }
        }
    }

    /**
     * The bound and initialized driver.
     *
     * @throws CudaUnavailableException where {@code libcuda.so.1} cannot be loaded, lacks an entry point,
     *     or {@code cuInit} fails; the outcome of the first attempt holds for the life of the process
     */
    public static CudaDriver load() {
        Object outcome = Loaded.DRIVER_OR_FAILURE;
        if (outcome instanceof CudaDriver driver) {
            return driver;
        }
        CudaUnavailableException failure = (CudaUnavailableException) outcome;
        throw new CudaUnavailableException(failure.getMessage(), failure.getCause());
    }

    /** Whether {@link #load()} succeeds. Never throws. */
    public static boolean isAvailable() {
        return Loaded.DRIVER_OR_FAILURE instanceof CudaDriver;
    }

    /** Binds and initializes the driver found under {@code library}. */
    @SuppressWarnings("restricted")
    static CudaDriver bind(String library) {
        SymbolLookup lookup;
        try {
            lookup = SymbolLookup.libraryLookup(library, Arena.global());
        } catch (IllegalArgumentException e) {
            throw new CudaUnavailableException(notFoundMessage(library), e);
        } catch (IllegalCallerException e) {
            throw new CudaUnavailableException("CUDA driver " + library + " cannot be loaded: native access is not"
                    + " enabled; run java with --enable-native-access=ALL-UNNAMED", e);
        }
        CudaDriver driver = new CudaDriver(library, lookup);
        try {
            driver.init();
        } catch (CudaException e) {
            throw new CudaUnavailableException("CUDA driver " + library + " did not initialize: " + e.getMessage()
                    + "; the cuda backend needs a working NVIDIA GPU; use --backend vector or llvm", e);
        }
        return driver;
    }

    static String notFoundMessage(String library) {
        return "CUDA driver " + library + " not found: the cuda backend needs an NVIDIA driver; use --backend vector or llvm";
    }

    private CudaDriver(String library, SymbolLookup lookup) {
        this.library = library;
        Binder b = new Binder(library, lookup);
        cuInit = b.bind("cuInit", JAVA_INT);
        cuDriverGetVersion = b.bind("cuDriverGetVersion", ADDRESS);
        cuDeviceGet = b.bind("cuDeviceGet", ADDRESS, JAVA_INT);
        cuDeviceGetCount = b.bind("cuDeviceGetCount", ADDRESS);
        cuDeviceGetName = b.bind("cuDeviceGetName", ADDRESS, JAVA_INT, JAVA_INT);
        cuDeviceGetAttribute = b.bind("cuDeviceGetAttribute", ADDRESS, JAVA_INT, JAVA_INT);
        cuDevicePrimaryCtxRetain = b.bind("cuDevicePrimaryCtxRetain", ADDRESS, JAVA_INT);
        cuDevicePrimaryCtxRelease = b.bind("cuDevicePrimaryCtxRelease_v2", JAVA_INT);
        cuCtxSetCurrent = b.bind("cuCtxSetCurrent", ADDRESS);
        cuCtxSynchronize = b.bind("cuCtxSynchronize");
        cuModuleLoadDataEx = b.bind("cuModuleLoadDataEx", ADDRESS, ADDRESS, JAVA_INT, ADDRESS, ADDRESS);
        cuModuleGetFunction = b.bind("cuModuleGetFunction", ADDRESS, ADDRESS, ADDRESS);
        cuModuleUnload = b.bind("cuModuleUnload", ADDRESS);
        cuMemAlloc = b.bind("cuMemAlloc_v2", ADDRESS, JAVA_LONG);
        cuMemFree = b.bind("cuMemFree_v2", JAVA_LONG);
        cuMemcpyHtoD = b.bind("cuMemcpyHtoD_v2", JAVA_LONG, ADDRESS, JAVA_LONG);
        cuMemcpyDtoH = b.bind("cuMemcpyDtoH_v2", ADDRESS, JAVA_LONG, JAVA_LONG);
        cuMemcpyDtoD = b.bind("cuMemcpyDtoD_v2", JAVA_LONG, JAVA_LONG, JAVA_LONG);
        cuMemsetD8 = b.bind("cuMemsetD8_v2", JAVA_LONG, JAVA_BYTE, JAVA_LONG);
        cuLaunchKernel = b.bind("cuLaunchKernel", ADDRESS, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT,
                JAVA_INT, ADDRESS, ADDRESS, ADDRESS);
        cuStreamCreate = b.bind("cuStreamCreate", ADDRESS, JAVA_INT);
        cuStreamSynchronize = b.bind("cuStreamSynchronize", ADDRESS);
        cuStreamDestroy = b.bind("cuStreamDestroy_v2", ADDRESS);
        cuEventCreate = b.bind("cuEventCreate", ADDRESS, JAVA_INT);
        cuEventRecord = b.bind("cuEventRecord", ADDRESS, ADDRESS);
        cuEventSynchronize = b.bind("cuEventSynchronize", ADDRESS);
        eventElapsedTimeName = lookup.find("cuEventElapsedTime_v2").isPresent() ? "cuEventElapsedTime_v2" : "cuEventElapsedTime";
        cuEventElapsedTime = b.bind(eventElapsedTimeName, ADDRESS, ADDRESS, ADDRESS);
        cuEventDestroy = b.bind("cuEventDestroy_v2", ADDRESS);
        cuGetErrorName = b.bind("cuGetErrorName", JAVA_INT, ADDRESS);
        cuGetErrorString = b.bind("cuGetErrorString", JAVA_INT, ADDRESS);
    }

    private record Binder(String library, SymbolLookup lookup) {
        @SuppressWarnings("restricted")
        MethodHandle bind(String name, MemoryLayout... args) {
            MemorySegment symbol = lookup.find(name).orElseThrow(() -> new CudaUnavailableException("CUDA driver "
                    + library + " lacks " + name + ": the cuda backend needs a newer NVIDIA driver;"
                    + " use --backend vector or llvm"));
            return Linker.nativeLinker().downcallHandle(symbol, FunctionDescriptor.of(JAVA_INT, args));
        }
    }

    @FunctionalInterface
    private interface NativeCall {
        int invoke() throws Throwable;
    }

    private void call(String name, NativeCall call) {
        int result = invoke(call);
        if (result != CudaResult.SUCCESS) {
            throw failure(name, result, "");
        }
    }

    private static int invoke(NativeCall call) {
        try {
            return call.invoke();
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException("driver call threw " + t, t);
        }
    }

    CudaException failure(String name, int result, String detail) {
        return new CudaException(name, result, errorName(result), errorDescription(result), detail);
    }

    /** The driver's name for {@code result}, or this runtime's where the driver has none. */
    String errorName(int result) {
        String name = errorText(cuGetErrorName, result);
        return name != null ? name : CudaResult.name(result);
    }

    /** The driver's description of {@code result}, or {@code null} where it has none. */
    String errorDescription(int result) {
        return errorText(cuGetErrorString, result);
    }

    @SuppressWarnings("restricted")
    private static String errorText(MethodHandle handle, int result) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment out = arena.allocate(ADDRESS);
            int status = invoke(() -> (int) handle.invokeExact(result, out));
            MemorySegment text = out.get(ADDRESS, 0);
            if (status != CudaResult.SUCCESS || text.equals(MemorySegment.NULL)) {
                return null;
            }
            return text.reinterpret(Integer.MAX_VALUE).getString(0);
        }
    }

    /** The library this driver was bound from. */
    public String library() {
        return library;
    }

    /** The CUDA version the driver supports, as {@code 1000 * major + 10 * minor}, e.g. 13000. */
    public int version() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment out = arena.allocate(JAVA_INT);
            call("cuDriverGetVersion", () -> (int) cuDriverGetVersion.invokeExact(out));
            return out.get(JAVA_INT, 0);
        }
    }

    private void init() {
        call("cuInit", () -> (int) cuInit.invokeExact(0));
    }

    int deviceCount() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment out = arena.allocate(JAVA_INT);
            call("cuDeviceGetCount", () -> (int) cuDeviceGetCount.invokeExact(out));
            return out.get(JAVA_INT, 0);
        }
    }

    int device(int ordinal) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment out = arena.allocate(JAVA_INT);
            call("cuDeviceGet", () -> (int) cuDeviceGet.invokeExact(out, ordinal));
            return out.get(JAVA_INT, 0);
        }
    }

    String deviceName(int device) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment out = arena.allocate(DEVICE_NAME_BYTES + 1);
            call("cuDeviceGetName", () -> (int) cuDeviceGetName.invokeExact(out, DEVICE_NAME_BYTES, device));
            return out.getString(0);
        }
    }

    int deviceAttribute(int attribute, int device) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment out = arena.allocate(JAVA_INT);
            call("cuDeviceGetAttribute", () -> (int) cuDeviceGetAttribute.invokeExact(out, attribute, device));
            return out.get(JAVA_INT, 0);
        }
    }

    MemorySegment primaryContextRetain(int device) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment out = arena.allocate(ADDRESS);
            call("cuDevicePrimaryCtxRetain", () -> (int) cuDevicePrimaryCtxRetain.invokeExact(out, device));
            return out.get(ADDRESS, 0);
        }
    }

    void primaryContextRelease(int device) {
        call("cuDevicePrimaryCtxRelease_v2", () -> (int) cuDevicePrimaryCtxRelease.invokeExact(device));
    }

    void contextSetCurrent(MemorySegment context) {
        call("cuCtxSetCurrent", () -> (int) cuCtxSetCurrent.invokeExact(context));
    }

    void contextSynchronize() {
        call("cuCtxSynchronize", () -> (int) cuCtxSynchronize.invokeExact());
    }

    /** Loads a PTX module into the current context; a failure's detail is the JIT error log. */
    MemorySegment moduleLoadData(String ptx) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment image = arena.allocateFrom(ptx);
            MemorySegment log = arena.allocate(JIT_LOG_BYTES + 1);
            MemorySegment options = arena.allocateFrom(JAVA_INT, CU_JIT_ERROR_LOG_BUFFER,
                    CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES);
            MemorySegment values = arena.allocate(ADDRESS, 2);
            values.setAtIndex(ADDRESS, 0, log);
            values.setAtIndex(ADDRESS, 1, MemorySegment.ofAddress(JIT_LOG_BYTES));
            MemorySegment out = arena.allocate(ADDRESS);
            int result = invoke(() -> (int) cuModuleLoadDataEx.invokeExact(out, image, 2, options, values));
            if (result != CudaResult.SUCCESS) {
                throw failure("cuModuleLoadDataEx", result, log.getString(0).strip());
            }
            return out.get(ADDRESS, 0);
        }
    }

    MemorySegment moduleFunction(MemorySegment module, String name) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment out = arena.allocate(ADDRESS);
            MemorySegment cName = arena.allocateFrom(name);
            int result = invoke(() -> (int) cuModuleGetFunction.invokeExact(out, module, cName));
            if (result != CudaResult.SUCCESS) {
                throw failure("cuModuleGetFunction", result, "function " + name);
            }
            return out.get(ADDRESS, 0);
        }
    }

    void moduleUnload(MemorySegment module) {
        call("cuModuleUnload", () -> (int) cuModuleUnload.invokeExact(module));
    }

    long memAlloc(long bytes) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment out = arena.allocate(JAVA_LONG);
            int result = invoke(() -> (int) cuMemAlloc.invokeExact(out, bytes));
            if (result != CudaResult.SUCCESS) {
                throw failure("cuMemAlloc_v2", result, bytes + " bytes");
            }
            return out.get(JAVA_LONG, 0);
        }
    }

    void memFree(long devicePointer) {
        call("cuMemFree_v2", () -> (int) cuMemFree.invokeExact(devicePointer));
    }

    void memcpyHtoD(long dst, MemorySegment src, long bytes) {
        call("cuMemcpyHtoD_v2", () -> (int) cuMemcpyHtoD.invokeExact(dst, src, bytes));
    }

    void memcpyDtoH(MemorySegment dst, long src, long bytes) {
        call("cuMemcpyDtoH_v2", () -> (int) cuMemcpyDtoH.invokeExact(dst, src, bytes));
    }

    void memcpyDtoD(long dst, long src, long bytes) {
        call("cuMemcpyDtoD_v2", () -> (int) cuMemcpyDtoD.invokeExact(dst, src, bytes));
    }

    void memsetD8(long dst, byte value, long count) {
        call("cuMemsetD8_v2", () -> (int) cuMemsetD8.invokeExact(dst, value, count));
    }

    void launchKernel(MemorySegment function, int gridX, int gridY, int gridZ, int blockX, int blockY, int blockZ,
            int sharedBytes, MemorySegment stream, MemorySegment kernelParams) {
        call("cuLaunchKernel", () -> (int) cuLaunchKernel.invokeExact(function, gridX, gridY, gridZ, blockX, blockY,
                blockZ, sharedBytes, stream, kernelParams, MemorySegment.NULL));
    }

    MemorySegment streamCreate(int flags) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment out = arena.allocate(ADDRESS);
            call("cuStreamCreate", () -> (int) cuStreamCreate.invokeExact(out, flags));
            return out.get(ADDRESS, 0);
        }
    }

    void streamSynchronize(MemorySegment stream) {
        call("cuStreamSynchronize", () -> (int) cuStreamSynchronize.invokeExact(stream));
    }

    void streamDestroy(MemorySegment stream) {
        call("cuStreamDestroy_v2", () -> (int) cuStreamDestroy.invokeExact(stream));
    }

    MemorySegment eventCreate(int flags) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment out = arena.allocate(ADDRESS);
            call("cuEventCreate", () -> (int) cuEventCreate.invokeExact(out, flags));
            return out.get(ADDRESS, 0);
        }
    }

    void eventRecord(MemorySegment event, MemorySegment stream) {
        call("cuEventRecord", () -> (int) cuEventRecord.invokeExact(event, stream));
    }

    void eventSynchronize(MemorySegment event) {
        call("cuEventSynchronize", () -> (int) cuEventSynchronize.invokeExact(event));
    }

    float eventElapsedTime(MemorySegment start, MemorySegment end) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment out = arena.allocate(JAVA_FLOAT);
            call(eventElapsedTimeName, () -> (int) cuEventElapsedTime.invokeExact(out, start, end));
            return out.get(JAVA_FLOAT, 0);
        }
    }

    void eventDestroy(MemorySegment event) {
        call("cuEventDestroy_v2", () -> (int) cuEventDestroy.invokeExact(event));
    }
}
