package dev.streamfold.runtime.cuda;

import java.io.PrintStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;

/**
 * Checks the CUDA binding on the device of this machine, without a test framework:
 * {@code java --enable-native-access=ALL-UNNAMED -cp runtime/target/classes dev.streamfold.runtime.cuda.CudaSelfCheck}.
 * Prints one line per check. Exits 0 when every check passes, 1 when one fails, 3 when there is no
 * usable CUDA driver.
 */
public final class CudaSelfCheck {
    /**
     * Two kernels, {@code y[i] = a * x[i] + y[i]} for {@code i < n}, rounded once (fused multiply-add):
     * {@code saxpy(float *x, float *y, float a, unsigned n)} and
     * {@code daxpy(double *x, double *y, double a, unsigned long n)}.
     */
    static final String AXPY_PTX = """
            .version 7.8
            .target sm_80
            .address_size 64

            .visible .entry saxpy(
                .param .u64 saxpy_x,
                .param .u64 saxpy_y,
                .param .f32 saxpy_a,
                .param .u32 saxpy_n
            )
            {
                .reg .pred %p<2>;
                .reg .b32 %r<5>;
                .reg .f32 %f<5>;
                .reg .b64 %rd<8>;

                ld.param.u64 %rd1, [saxpy_x];
                ld.param.u64 %rd2, [saxpy_y];
                ld.param.f32 %f1, [saxpy_a];
                ld.param.u32 %r1, [saxpy_n];
                mov.u32 %r2, %ctaid.x;
                mov.u32 %r3, %ntid.x;
                mov.u32 %r4, %tid.x;
                mad.lo.s32 %r2, %r2, %r3, %r4;
                setp.ge.u32 %p1, %r2, %r1;
                @%p1 bra SAXPY_DONE;
                cvta.to.global.u64 %rd3, %rd1;
                cvta.to.global.u64 %rd4, %rd2;
                mul.wide.u32 %rd5, %r2, 4;
                add.s64 %rd6, %rd3, %rd5;
                add.s64 %rd7, %rd4, %rd5;
                ld.global.f32 %f2, [%rd6];
                ld.global.f32 %f3, [%rd7];
                fma.rn.f32 %f4, %f1, %f2, %f3;
                st.global.f32 [%rd7], %f4;
            SAXPY_DONE:
                ret;
            }

            .visible .entry daxpy(
                .param .u64 daxpy_x,
                .param .u64 daxpy_y,
                .param .f64 daxpy_a,
                .param .u64 daxpy_n
            )
            {
                .reg .pred %p<2>;
                .reg .b32 %r<4>;
                .reg .f64 %fd<5>;
                .reg .b64 %rd<10>;

                ld.param.u64 %rd1, [daxpy_x];
                ld.param.u64 %rd2, [daxpy_y];
                ld.param.f64 %fd1, [daxpy_a];
                ld.param.u64 %rd3, [daxpy_n];
                mov.u32 %r1, %ctaid.x;
                mov.u32 %r2, %ntid.x;
                mov.u32 %r3, %tid.x;
                mul.wide.u32 %rd4, %r1, %r2;
                cvt.u64.u32 %rd5, %r3;
                add.s64 %rd4, %rd4, %rd5;
                setp.ge.u64 %p1, %rd4, %rd3;
                @%p1 bra DAXPY_DONE;
                cvta.to.global.u64 %rd6, %rd1;
                cvta.to.global.u64 %rd7, %rd2;
                shl.b64 %rd8, %rd4, 3;
                add.s64 %rd6, %rd6, %rd8;
                add.s64 %rd7, %rd7, %rd8;
                ld.global.f64 %fd2, [%rd6];
                ld.global.f64 %fd3, [%rd7];
                fma.rn.f64 %fd4, %fd1, %fd2, %fd3;
                st.global.f64 [%rd7], %fd4;
            DAXPY_DONE:
                ret;
            }
            """;

    /** PTX that does not assemble: an unknown instruction on line 6. */
    static final String BROKEN_PTX = """
            .version 7.8
            .target sm_80
            .address_size 64
            .visible .entry broken()
            {
                bogus.instruction %r1;
                ret;
            }
            """;

    /** More memory than any device has: 1 PiB. */
    static final long IMPOSSIBLE_ALLOCATION_BYTES = 1L << 50;

    static final int BLOCK = 256;

    private CudaSelfCheck() {}

    public static void main(String[] args) {
        System.exit(selfCheck(System.out, System.err));
    }

    /** Runs the checks where there is a driver; returns the exit status {@link #main} ends with. */
    static int selfCheck(PrintStream out, PrintStream err) {
        try {
            CudaDriver.load();
        } catch (CudaUnavailableException e) {
            err.println(e.getMessage());
            return 3;
        }
        return run(out) == 0 ? 0 : 1;
    }

    @FunctionalInterface
    private interface Check {
        String run(CudaContext context) throws Exception;
    }

    /** Runs every check on device 0, printing a line each; returns the number that failed. */
    static int run(PrintStream out) {
        CudaDriver driver = CudaDriver.load();
        out.println("driver: " + driver.library() + ", CUDA " + driver.version() / 1000 + "." + driver.version() % 1000 / 10
                + ", " + CudaContext.deviceCount() + " device(s)");
        int failures = 0;
        try (CudaContext context = CudaContext.open()) {
            out.println("device 0: " + context.deviceName() + ", compute capability " + context.computeCapability()
                    + ", " + context.smCount() + " SMs");
            failures += check(out, context, "saxpy float32", CudaSelfCheck::saxpy);
            failures += check(out, context, "daxpy float64", CudaSelfCheck::daxpy);
            failures += check(out, context, "stream and event timing", CudaSelfCheck::timedLaunch);
            failures += check(out, context, "device copies and fill", CudaSelfCheck::deviceCopies);
            failures += check(out, context, "bad PTX reports JIT log", CudaSelfCheck::badPtx);
            failures += check(out, context, "missing kernel", CudaSelfCheck::missingKernel);
            failures += check(out, context, "over-large allocation", CudaSelfCheck::outOfMemory);
            failures += check(out, context, "use after close", CudaSelfCheck::useAfterClose);
        } catch (RuntimeException e) {
            out.println("FAIL context: " + e);
            failures++;
        }
        out.println(failures == 0 ? "all checks passed" : failures + " check(s) failed");
        return failures;
    }

    private static int check(PrintStream out, CudaContext context, String name, Check check) {
        try {
            out.println("ok   " + name + ": " + check.run(context));
            return 0;
        } catch (Exception | AssertionError e) {
            out.println("FAIL " + name + ": " + e);
            return 1;
        }
    }

    private static void require(boolean condition, String message) {
        if (!condition) {
            throw new AssertionError(message);
        }
    }

    private static String saxpy(CudaContext context) {
        int n = 1_000_003;
        float a = 2.5f;
        float[] x = new float[n];
        float[] y = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = i * 0.5f;
            y[i] = 1 - i;
        }
        float[] result = new float[n];
        try (CudaModule module = CudaModule.load(context, AXPY_PTX);
                DeviceBuffer dx = DeviceBuffer.alloc(context, 4L * n);
                DeviceBuffer dy = DeviceBuffer.alloc(context, 4L * n)) {
            dx.copyFrom(x);
            dy.copyFrom(y);
            module.function("saxpy").launch((n + BLOCK - 1) / BLOCK, BLOCK, 0, null, dx, dy, a, n);
            dy.copyTo(result);
        }
        for (int i = 0; i < n; i++) {
            float expected = Math.fma(a, x[i], y[i]);
            require(result[i] == expected, "y[" + i + "] = " + result[i] + ", expected " + expected);
        }
        return n + " elements exact";
    }

    private static String daxpy(CudaContext context) {
        int n = 4099;
        double a = -1.25;
        double[] x = new double[n];
        double[] y = new double[n];
        for (int i = 0; i < n; i++) {
            x[i] = Math.sqrt(i);
            y[i] = 1.0 / (i + 1);
        }
        double[] result = new double[n];
        try (CudaModule module = CudaModule.load(context, AXPY_PTX);
                DeviceBuffer dx = DeviceBuffer.alloc(context, 8L * n);
                DeviceBuffer dy = DeviceBuffer.alloc(context, 8L * n)) {
            dx.copyFrom(x);
            dy.copyFrom(y);
            module.function("daxpy").launch((n + BLOCK - 1) / BLOCK, BLOCK, 0, null, dx, dy, a, (long) n);
            dy.copyTo(result);
        }
        for (int i = 0; i < n; i++) {
            double expected = Math.fma(a, x[i], y[i]);
            require(result[i] == expected, "y[" + i + "] = " + result[i] + ", expected " + expected);
        }
        return n + " elements exact";
    }

    private static String timedLaunch(CudaContext context) {
        int n = 1 << 24;
        try (CudaModule module = CudaModule.load(context, AXPY_PTX);
                DeviceBuffer dx = DeviceBuffer.alloc(context, 4L * n);
                DeviceBuffer dy = DeviceBuffer.alloc(context, 4L * n);
                CudaStream stream = CudaStream.create(context);
                CudaEvent start = CudaEvent.create(context);
                CudaEvent end = CudaEvent.create(context)) {
            dx.fill((byte) 0);
            dy.fill((byte) 0);
            CudaFunction saxpy = module.function("saxpy");
            start.record(stream);
            for (int rep = 0; rep < 10; rep++) {
                saxpy.launch(n / BLOCK, BLOCK, 0, stream, dx, dy, 1.0f, n);
            }
            end.record(stream);
            end.synchronize();
            stream.synchronize();
            float ms = CudaEvent.elapsedMillis(start, end);
            require(ms > 0, "elapsed time " + ms + " ms");
            double gbPerSecond = 10 * 3.0 * 4 * n / (ms * 1e-3) / 1e9;
            return String.format("10 launches of saxpy over 2^24 floats in %.3f ms (%.0f GB/s)", ms, gbPerSecond);
        }
    }

    private static String deviceCopies(CudaContext context) {
        double[] values = {1.5, -2.25, 3.0, 4.125};
        try (Arena arena = Arena.ofConfined();
                DeviceBuffer a = DeviceBuffer.alloc(context, 64);
                DeviceBuffer b = DeviceBuffer.alloc(context, 64)) {
            a.fill((byte) 0);
            a.copyFrom(MemorySegment.ofArray(values), 16);
            b.copyFrom(a);
            MemorySegment host = arena.allocate(64);
            b.copyTo(host);
            require(host.get(ValueLayout.JAVA_DOUBLE, 0) == 0.0 && host.get(ValueLayout.JAVA_DOUBLE, 8) == 0.0,
                    "bytes before the offset copy are not zero");
            double[] back = host.asSlice(16, 32).toArray(ValueLayout.JAVA_DOUBLE);
            require(Arrays.equals(back, values), "read back " + Arrays.toString(back));
            double[] tail = new double[2];
            b.copyTo(MemorySegment.ofArray(tail), 32);
            require(tail[0] == 3.0 && tail[1] == 4.125, "offset read gave " + Arrays.toString(tail));
            b.fill((byte) 0xFF);
            b.copyTo(host);
            require(host.get(ValueLayout.JAVA_LONG, 56) == -1L, "fill did not set every byte");
            return "host/device offsets, device to device, memset";
        }
    }

    private static String badPtx(CudaContext context) {
        try (CudaModule _ = CudaModule.load(context, BROKEN_PTX)) {
            throw new AssertionError("broken PTX loaded");
        } catch (CudaException e) {
            require(e.result() == CudaResult.INVALID_PTX, "expected CUDA_ERROR_INVALID_PTX, got " + e.getMessage());
            require(!e.detail().isBlank() && e.getMessage().endsWith(e.detail()), "no JIT log in " + e.getMessage());
            return e.getMessage().lines().findFirst().orElse("");
        }
    }

    private static String missingKernel(CudaContext context) {
        try (CudaModule module = CudaModule.load(context, AXPY_PTX)) {
            module.function("no_such_kernel");
            throw new AssertionError("found a kernel that does not exist");
        } catch (CudaException e) {
            require(e.result() == CudaResult.NOT_FOUND, "expected CUDA_ERROR_NOT_FOUND, got " + e.getMessage());
            return e.getMessage();
        }
    }

    private static String outOfMemory(CudaContext context) {
        try (DeviceBuffer _ = DeviceBuffer.alloc(context, IMPOSSIBLE_ALLOCATION_BYTES)) {
            throw new AssertionError("allocated 1 PiB");
        } catch (CudaException e) {
            require(e.result() == CudaResult.OUT_OF_MEMORY, "expected CUDA_ERROR_OUT_OF_MEMORY, got " + e.getMessage());
            return e.getMessage();
        }
    }

    private static String useAfterClose(CudaContext context) {
        DeviceBuffer buffer = DeviceBuffer.alloc(context, 16);
        buffer.close();
        buffer.close();
        try {
            buffer.copyFrom(new float[4]);
            throw new AssertionError("copy into a closed buffer succeeded");
        } catch (IllegalStateException e) {
            return e.getMessage();
        }
    }
}
