package dev.streamfold.runtime.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

class CudaResultTest {
    private static final Path CUDA_HEADER = Path.of("/usr/local/cuda/include/cuda.h");

    @Test
    void namesTheCommonCodes() {
        assertEquals("CUDA_SUCCESS", CudaResult.name(0));
        assertEquals("CUDA_ERROR_INVALID_VALUE", CudaResult.name(CudaResult.INVALID_VALUE));
        assertEquals("CUDA_ERROR_OUT_OF_MEMORY", CudaResult.name(CudaResult.OUT_OF_MEMORY));
        assertEquals("CUDA_ERROR_NO_DEVICE", CudaResult.name(CudaResult.NO_DEVICE));
        assertEquals("CUDA_ERROR_INVALID_PTX", CudaResult.name(CudaResult.INVALID_PTX));
        assertEquals("CUDA_ERROR_UNSUPPORTED_PTX_VERSION", CudaResult.name(CudaResult.UNSUPPORTED_PTX_VERSION));
        assertEquals("CUDA_ERROR_NOT_FOUND", CudaResult.name(CudaResult.NOT_FOUND));
        assertEquals("CUDA_ERROR_ILLEGAL_ADDRESS", CudaResult.name(CudaResult.ILLEGAL_ADDRESS));
        assertEquals("CUDA_ERROR_LAUNCH_FAILED", CudaResult.name(CudaResult.LAUNCH_FAILED));
        assertEquals("CUDA_ERROR_STUB_LIBRARY", CudaResult.name(34));
        assertEquals("CUDA_ERROR_UNKNOWN", CudaResult.name(CudaResult.UNKNOWN));
    }

    @Test
    void unknownCodesAreShownByNumber() {
        assertFalse(CudaResult.isKnown(12345));
        assertEquals("CUresult(12345)", CudaResult.name(12345));
        assertEquals("CUresult(-1)", CudaResult.name(-1));
        assertTrue(CudaResult.isKnown(CudaResult.INVALID_PTX));
    }

    @Test
    void tableMatchesTheInstalledHeader() throws IOException {
        assumeTrue(Files.isReadable(CUDA_HEADER), "no " + CUDA_HEADER);
        String header = Files.readString(CUDA_HEADER);
        int start = header.indexOf("typedef enum cudaError_enum");
        int end = header.indexOf("} CUresult;", start);
        assumeTrue(start >= 0 && end > start, "no CUresult enum in " + CUDA_HEADER);
        Matcher m = Pattern.compile("(?m)^\\s*(CUDA_\\w+)\\s*=\\s*(\\d+)").matcher(header.substring(start, end));
        int count = 0;
        while (m.find()) {
            assertEquals(m.group(1), CudaResult.name(Integer.parseInt(m.group(2))));
            count++;
        }
        assertTrue(count > 90, "parsed only " + count + " codes");
    }

    @Test
    void exceptionMessageNamesCallErrorDescriptionAndDetail() {
        CudaException e = new CudaException("cuModuleLoadDataEx", 218, "CUDA_ERROR_INVALID_PTX",
                "a PTX JIT compilation failed", "ptxas application ptx input, line 6; error   : Unknown symbol '%r1'");
        assertEquals("cuModuleLoadDataEx failed: CUDA_ERROR_INVALID_PTX (a PTX JIT compilation failed):"
                + " ptxas application ptx input, line 6; error   : Unknown symbol '%r1'", e.getMessage());
        assertEquals("cuModuleLoadDataEx", e.call());
        assertEquals(CudaResult.INVALID_PTX, e.result());
        assertEquals("CUDA_ERROR_INVALID_PTX", e.errorName());
        assertEquals("ptxas application ptx input, line 6; error   : Unknown symbol '%r1'", e.detail());
    }

    @Test
    void exceptionMessageOmitsMissingParts() {
        assertEquals("cuMemAlloc_v2 failed: CUDA_ERROR_OUT_OF_MEMORY",
                new CudaException("cuMemAlloc_v2", 2, "CUDA_ERROR_OUT_OF_MEMORY", null, null).getMessage());
        assertEquals("cuMemAlloc_v2 failed: CUDA_ERROR_OUT_OF_MEMORY: 1125899906842624 bytes",
                new CudaException("cuMemAlloc_v2", 2, "CUDA_ERROR_OUT_OF_MEMORY", "", "1125899906842624 bytes").getMessage());
        assertEquals("", new CudaException("cuInit", 100, "CUDA_ERROR_NO_DEVICE", "no CUDA-capable device is detected",
                null).detail());
    }
}
