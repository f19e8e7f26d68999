package dev.streamfold.runtime.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Runs kernels on device 0; skipped where there is no CUDA driver. */
class CudaDeviceTest {
    private static final int BLOCK = CudaSelfCheck.BLOCK;
    private static final String SKIP_REASON = "skipped: no CUDA driver (libcuda.so.1)";
    private static CudaContext context;

    @BeforeAll
    static void openContext() {
        if (CudaDriver.isAvailable()) {
            context = CudaContext.open();
        } else {
            System.out.println("CudaDeviceTest " + SKIP_REASON);
        }
    }

    @BeforeEach
    void requireDriver() {
        assumeTrue(context != null, SKIP_REASON);
    }

    @AfterAll
    static void closeContext() {
        if (context != null) {
            context.close();
        }
    }

    @Test
    void describesTheDevice() {
        assertFalse(context.deviceName().isBlank());
        assertTrue(context.computeCapability().major() >= 5, context.computeCapability().toString());
        assertTrue(context.smCount() > 0);
        assertTrue(CudaContext.deviceCount() >= 1);
        assertTrue(CudaDriver.load().version() >= 11000);
    }

    @Test
    void saxpyComputesFusedMultiplyAdd() {
        int n = 10_007;
        float a = 3.75f;
        float[] x = new float[n];
        float[] y = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) Math.sin(i);
            y[i] = i * 0.25f;
        }
        float[] expected = new float[n];
        for (int i = 0; i < n; i++) {
            expected[i] = Math.fma(a, x[i], y[i]);
        }
        float[] result = new float[n];
        try (CudaModule module = CudaModule.load(context, CudaSelfCheck.AXPY_PTX);
                DeviceBuffer dx = DeviceBuffer.alloc(context, 4L * n);
                DeviceBuffer dy = DeviceBuffer.alloc(context, 4L * n)) {
            dx.copyFrom(x);
            dy.copyFrom(y);
            module.function("saxpy").launch((n + BLOCK - 1) / BLOCK, BLOCK, 0, null, dx, dy, a, n);
            dy.copyTo(result);
        }
        assertArrayEquals(expected, result);
    }

    @Test
    void daxpyOnAStreamTimedByEvents() {
        int n = 1 << 20;
        double a = -0.5;
        double[] x = new double[n];
        double[] y = new double[n];
        for (int i = 0; i < n; i++) {
            x[i] = Math.sqrt(i);
            y[i] = 1.0 / (i + 1);
        }
        double[] expected = new double[n];
        for (int i = 0; i < n; i++) {
            expected[i] = Math.fma(a, x[i], y[i]);
        }
        double[] result = new double[n];
        try (CudaModule module = CudaModule.load(context, CudaSelfCheck.AXPY_PTX);
                DeviceBuffer dx = DeviceBuffer.alloc(context, 8L * n);
                DeviceBuffer dy = DeviceBuffer.alloc(context, 8L * n);
                CudaStream stream = CudaStream.create(context);
                CudaEvent start = CudaEvent.create(context);
                CudaEvent end = CudaEvent.create(context)) {
            dx.copyFrom(x);
            dy.copyFrom(y);
            start.record(stream);
            module.function("daxpy").launch(n / BLOCK, BLOCK, 0, stream, dx, dy, a, (long) n);
            end.record(stream);
            end.synchronize();
            assertTrue(CudaEvent.elapsedMillis(start, end) >= 0);
            stream.synchronize();
            dy.copyTo(result);
        }
        assertArrayEquals(expected, result);
    }

    @Test
    void nativeSegmentsOffsetsDeviceCopiesAndFill() {
        try (Arena arena = Arena.ofConfined();
                DeviceBuffer a = DeviceBuffer.alloc(context, 64);
                DeviceBuffer b = DeviceBuffer.alloc(context, 128)) {
            MemorySegment host = arena.allocate(64);
            for (int i = 0; i < 16; i++) {
                host.setAtIndex(ValueLayout.JAVA_INT, i, i * i);
            }
            a.copyFrom(host);
            b.fill((byte) 0x7F);
            b.copyFrom(a);
            MemorySegment back = arena.allocate(128);
            b.copyTo(back);
            assertEquals(-1L, back.asSlice(0, 64).mismatch(host));
            assertEquals(0x7F7F7F7F, back.get(ValueLayout.JAVA_INT, 124));
            int[] middle = new int[4];
            a.copyTo(MemorySegment.ofArray(middle), 16);
            assertArrayEquals(new int[] {16, 25, 36, 49}, middle);
        }
    }

    @Test
    void badPtxReportsTheJitLog() {
        CudaException e = assertThrows(CudaException.class, () -> CudaModule.load(context, CudaSelfCheck.BROKEN_PTX));
        assertEquals(CudaResult.INVALID_PTX, e.result());
        assertEquals("CUDA_ERROR_INVALID_PTX", e.errorName());
        assertEquals("cuModuleLoadDataEx", e.call());
        assertFalse(e.detail().isBlank(), "no JIT log");
        assertTrue(e.getMessage().startsWith("cuModuleLoadDataEx failed: CUDA_ERROR_INVALID_PTX ("), e.getMessage());
        assertTrue(e.getMessage().endsWith(": " + e.detail()), e.getMessage());
        assertTrue(e.detail().toLowerCase().contains("error"), e.detail());
    }

    @Test
    void missingKernelIsNotFound() {
        try (CudaModule module = CudaModule.load(context, CudaSelfCheck.AXPY_PTX)) {
            CudaException e = assertThrows(CudaException.class, () -> module.function("no_such_kernel"));
            assertEquals(CudaResult.NOT_FOUND, e.result());
            assertTrue(e.getMessage().endsWith("function no_such_kernel"), e.getMessage());
        }
    }

    @Test
    void overLargeAllocationIsOutOfMemory() {
        CudaException e = assertThrows(CudaException.class,
                () -> DeviceBuffer.alloc(context, CudaSelfCheck.IMPOSSIBLE_ALLOCATION_BYTES));
        assertEquals(CudaResult.OUT_OF_MEMORY, e.result());
        assertEquals("CUDA_ERROR_OUT_OF_MEMORY", e.errorName());
        assertTrue(e.getMessage().startsWith("cuMemAlloc_v2 failed: CUDA_ERROR_OUT_OF_MEMORY"), e.getMessage());
        try (DeviceBuffer small = DeviceBuffer.alloc(context, 16)) {
            small.fill((byte) 0);
        }
    }

    @Test
    void sizesAreCheckedBeforeTheDriverIsCalled() {
        try (DeviceBuffer buffer = DeviceBuffer.alloc(context, 16);
                DeviceBuffer larger = DeviceBuffer.alloc(context, 32)) {
            assertThrows(IllegalArgumentException.class, () -> buffer.copyFrom(new float[5]));
            assertThrows(IllegalArgumentException.class, () -> buffer.copyTo(new double[3]));
            assertThrows(IllegalArgumentException.class, () -> buffer.copyFrom(larger));
            assertThrows(IllegalArgumentException.class, () -> DeviceBuffer.alloc(context, 0));
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment readOnly = arena.allocate(16).asReadOnly();
                assertThrows(IllegalArgumentException.class, () -> buffer.copyTo(readOnly));
            }
        }
    }

    @Test
    void closedObjectsRefuseUseAndCloseTwiceHarmlessly() {
        DeviceBuffer buffer = DeviceBuffer.alloc(context, 16);
        CudaModule module = CudaModule.load(context, CudaSelfCheck.AXPY_PTX);
        CudaFunction saxpy = module.function("saxpy");
        buffer.close();
        buffer.close();
        assertTrue(buffer.isClosed());
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> buffer.copyFrom(new float[4]));
        assertEquals("DeviceBuffer of 16 bytes is closed", e.getMessage());
        try (DeviceBuffer open = DeviceBuffer.alloc(context, 16)) {
            assertThrows(IllegalStateException.class, () -> saxpy.launch(1, 4, 0, null, buffer, open, 1f, 4));
        }
        module.close();
        assertThrows(IllegalStateException.class, () -> saxpy.launch(1, 1, 0, null));
    }

    @Test
    void closingAContextClosesWhatWasMadeFromIt() {
        DeviceBuffer buffer;
        CudaStream stream;
        CudaEvent event;
        CudaModule module;
        try (CudaContext second = CudaContext.open()) {
            buffer = DeviceBuffer.alloc(second, 1024);
            stream = CudaStream.create(second);
            event = CudaEvent.create(second);
            module = CudaModule.load(second, CudaSelfCheck.AXPY_PTX);
        }
        assertTrue(buffer.isClosed());
        assertTrue(stream.isClosed());
        assertTrue(event.isClosed());
        assertTrue(module.isClosed());
        assertThrows(IllegalStateException.class, () -> buffer.fill((byte) 0));
        buffer.close();
        try (DeviceBuffer stillUsable = DeviceBuffer.alloc(context, 64)) {
            stillUsable.fill((byte) 1);
        }
    }

    @Test
    void selfCheckPasses() {
        assertEquals(0, CudaSelfCheck.run(System.out));
    }
}
