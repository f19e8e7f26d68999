package dev.streamfold.runtime.cuda;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_DOUBLE;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.streamfold.runtime.cuda.KernelParams.DevicePointer;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import org.junit.jupiter.api.Test;

class KernelParamsTest {
    private static MemorySegment param(MemorySegment params, int i, long bytes) {
        return params.getAtIndex(ADDRESS, i).reinterpret(bytes);
    }

    @Test
    void packsEachArgumentBehindItsOwnPointer() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment params = KernelParams.pack(arena, new Object[] {
                new DevicePointer(0x7f00_0000_1000L), new DevicePointer(0x7f00_0000_2000L), 2.5f, 1_000_003, -7L, 0.125});
            assertEquals(6 * ADDRESS.byteSize(), params.byteSize());
            assertEquals(0x7f00_0000_1000L, param(params, 0, 8).get(JAVA_LONG, 0));
            assertEquals(0x7f00_0000_2000L, param(params, 1, 8).get(JAVA_LONG, 0));
            assertEquals(2.5f, param(params, 2, 4).get(JAVA_FLOAT, 0));
            assertEquals(1_000_003, param(params, 3, 4).get(JAVA_INT, 0));
            assertEquals(-7L, param(params, 4, 8).get(JAVA_LONG, 0));
            assertEquals(0.125, param(params, 5, 8).get(JAVA_DOUBLE, 0));
        }
    }

    @Test
    void valuesAreAlignedAndDoNotOverlap() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment params = KernelParams.pack(arena, new Object[] {1, 2.0, 3f, 4L});
            long first = params.getAtIndex(ADDRESS, 0).address();
            for (int i = 0; i < 4; i++) {
                long address = params.getAtIndex(ADDRESS, i).address();
                assertEquals(0, address % 8, "argument " + i + " is misaligned");
                assertEquals(first + i * KernelParams.SLOT_BYTES, address, "argument " + i + " is not in its slot");
            }
        }
    }

    @Test
    void noArgumentsPassNull() {
        try (Arena arena = Arena.ofConfined()) {
            assertSame(MemorySegment.NULL, KernelParams.pack(arena, new Object[0]));
        }
    }

    @Test
    void rejectsNullAndUnsupportedArgumentsByPosition() {
        try (Arena arena = Arena.ofConfined()) {
            IllegalArgumentException nul = assertThrows(IllegalArgumentException.class,
                    () -> KernelParams.pack(arena, new Object[] {1, null}));
            assertEquals("kernel argument 1 is null", nul.getMessage());
            IllegalArgumentException string = assertThrows(IllegalArgumentException.class,
                    () -> KernelParams.pack(arena, new Object[] {1, 2, "x"}));
            assertEquals("kernel argument 2 is a java.lang.String; expected DeviceBuffer, Long, Integer, Float or Double",
                    string.getMessage());
            assertThrows(IllegalArgumentException.class, () -> KernelParams.pack(arena, new Object[] {(short) 1}));
            assertThrows(IllegalArgumentException.class, () -> KernelParams.pack(arena, new Object[] {new float[1]}));
        }
    }

    @Test
    void resolvingLeavesValuesAndCopiesTheArray() {
        Object[] args = {1, 2L, 3f, 4.0};
        Object[] resolved = KernelParams.resolveBuffers(args);
        assertArrayEquals(args, resolved);
        resolved[0] = 9;
        assertEquals(1, args[0]);
    }

    @Test
    void checksLaunchConfiguration() {
        KernelParams.checkLaunch(1, 1, 0);
        KernelParams.checkLaunch(Integer.MAX_VALUE, 1024, 48 * 1024);
        assertEquals("grid size must be at least 1 block, got 0",
                assertThrows(IllegalArgumentException.class, () -> KernelParams.checkLaunch(0, 256, 0)).getMessage());
        assertEquals("block size must be at least 1 thread, got -3",
                assertThrows(IllegalArgumentException.class, () -> KernelParams.checkLaunch(1, -3, 0)).getMessage());
        assertEquals("dynamic shared memory must not be negative, got -1 bytes",
                assertThrows(IllegalArgumentException.class, () -> KernelParams.checkLaunch(1, 32, -1)).getMessage());
    }

    @Test
    void copyRangesMustFitTheBuffer() {
        DeviceBuffer.checkRange("copy from host", 4096, 0, 4096);
        DeviceBuffer.checkRange("copy from host", 4096, 4096, 0);
        DeviceBuffer.checkRange("copy to host", 4096, 96, 4000);
        assertEquals("copy from host: 4100 bytes at byte offset 0 do not fit a device buffer of 4096 bytes",
                assertThrows(IllegalArgumentException.class,
                        () -> DeviceBuffer.checkRange("copy from host", 4096, 0, 4100)).getMessage());
        assertEquals("copy to host: 8 bytes at byte offset 4092 do not fit a device buffer of 4096 bytes",
                assertThrows(IllegalArgumentException.class,
                        () -> DeviceBuffer.checkRange("copy to host", 4096, 4092, 8)).getMessage());
        assertEquals("copy to host: 0 bytes at byte offset 4097 do not fit a device buffer of 4096 bytes",
                assertThrows(IllegalArgumentException.class,
                        () -> DeviceBuffer.checkRange("copy to host", 4096, 4097, 0)).getMessage());
        assertEquals("copy from host: byte offset must not be negative, got -4",
                assertThrows(IllegalArgumentException.class,
                        () -> DeviceBuffer.checkRange("copy from host", 4096, -4, 4)).getMessage());
        assertThrows(IllegalArgumentException.class,
                () -> DeviceBuffer.checkRange("copy from host", Long.MAX_VALUE, Long.MAX_VALUE - 1, 2));
    }
}
