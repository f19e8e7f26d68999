package dev.streamfold.runtime.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.lang.foreign.Arena;
import java.lang.foreign.SymbolLookup;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class CudaDriverTest {
    private static final String NOT_FOUND =
            "CUDA driver libcuda.so.1 not found: the cuda backend needs an NVIDIA driver; use --backend vector or llvm";

    private static boolean libcudaLoads() {
        try (Arena arena = Arena.ofConfined()) {
            SymbolLookup.libraryLookup(CudaDriver.LIBRARY, arena);
            return true;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    @Test
    void withoutLibcudaLoadFailsWithOneClearMessage() {
        assumeFalse(libcudaLoads(), "libcuda.so.1 is installed here");
        assertFalse(CudaDriver.isAvailable());
        CudaUnavailableException e = assertThrows(CudaUnavailableException.class, CudaDriver::load);
        assertEquals(NOT_FOUND, e.getMessage());
        CudaUnavailableException again = assertThrows(CudaUnavailableException.class, CudaDriver::load);
        assertEquals(NOT_FOUND, again.getMessage());
    }

    @Test
    void withoutDriverTheSafeApiFailsWithTheSameMessage() {
        assumeFalse(CudaDriver.isAvailable(), "a CUDA driver is available");
        String message = assertThrows(CudaUnavailableException.class, CudaDriver::load).getMessage();
        assertEquals(message, assertThrows(CudaUnavailableException.class, CudaContext::open).getMessage());
        assertEquals(message, assertThrows(CudaUnavailableException.class, CudaContext::deviceCount).getMessage());
    }

    @Test
    void isAvailableNeverThrowsAndAgreesWithLoad() {
        boolean available = CudaDriver.isAvailable();
        assertEquals(available, CudaDriver.isAvailable());
        if (available) {
            assertEquals(CudaDriver.LIBRARY, CudaDriver.load().library());
        } else {
            assertThrows(CudaUnavailableException.class, CudaDriver::load);
        }
    }

    @Test
    void missingLibraryIsNamedInTheMessage() {
        CudaUnavailableException e = assertThrows(CudaUnavailableException.class,
                () -> CudaDriver.bind("libstreamfold-absent-driver.so.1"));
        assertEquals("CUDA driver libstreamfold-absent-driver.so.1 not found: the cuda backend needs an NVIDIA driver;"
                + " use --backend vector or llvm", e.getMessage());
        assertInstanceOf(IllegalArgumentException.class, e.getCause());
    }

    @Test
    void libraryWithoutDriverEntryPointsIsRejected() {
        CudaUnavailableException e = assertThrows(CudaUnavailableException.class, () -> CudaDriver.bind("libc.so.6"));
        assertEquals("CUDA driver libc.so.6 lacks cuInit: the cuda backend needs a newer NVIDIA driver;"
                + " use --backend vector or llvm", e.getMessage());
    }

    @Test
    void selfCheckExitsWithThreeAndTheMessageWithoutDriver() {
        assumeFalse(CudaDriver.isAvailable(), "a CUDA driver is available");
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int status = CudaSelfCheck.selfCheck(new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        assertEquals(3, status);
        assertEquals("", out.toString(StandardCharsets.UTF_8));
        String printed = err.toString(StandardCharsets.UTF_8).strip();
        assertEquals(assertThrows(CudaUnavailableException.class, CudaDriver::load).getMessage(), printed);
        assertTrue(printed.contains("--backend vector or llvm"), printed);
    }
}
