package dev.streamfold.compiler.llvm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class LlvmPtxTest {
    private static final LlvmToolchain LLVM = new LlvmToolchain();

    @ParameterizedTest
    @CsvSource({"sm_80, 7.0", "sm_90, 7.8"})
    void axpyKernelsCompileToPtxThatAssembles(String arch, String ptxVersion) {
        long start = System.nanoTime();
        String ptx = LLVM.emitPtx(LlvmTestModules.AXPY_NVPTX, arch);
        System.out.printf("emitPtx %s: %.1f ms%n", arch, (System.nanoTime() - start) / 1e6);
        assertTrue(ptx.contains(".version " + ptxVersion + "\n"), ptx);
        assertTrue(ptx.contains(".target " + arch + "\n"), ptx);
        assertTrue(ptx.contains(".entry axpy("), ptx);
        assertTrue(ptx.contains(".entry axpy_f64("), ptx);
        assertTrue(ptx.contains("%ctaid.x") && ptx.contains("%ntid.x") && ptx.contains("%tid.x"), ptx);
        assertTrue(ptx.contains("ld.global.nc.f32"), ptx);
        if (!PtxAssembler.available()) {
            System.out.println("skipped: ptxas not on PATH");
        }
        Assumptions.assumeTrue(PtxAssembler.available(), "ptxas not on PATH");
        new PtxAssembler().check(ptx, arch);
    }

    @Test
    void ptxasRejectionCarriesItsMessage() {
        Assumptions.assumeTrue(PtxAssembler.available(), "ptxas not on PATH");
        String ptx = LLVM.emitPtx(LlvmTestModules.AXPY_NVPTX, "sm_80").replace("ret;", "retx;");
        LlvmException e = assertThrows(LlvmException.class, () -> new PtxAssembler().check(ptx, "sm_80"));
        assertTrue(e.getMessage().contains("retx"), e.getMessage());
    }

    @Test
    void unsupportedArchIsRejected() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> LLVM.emitPtx(LlvmTestModules.AXPY_NVPTX, "sm_75"));
        assertTrue(e.getMessage().contains("sm_75") && e.getMessage().contains("sm_80"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new PtxAssembler().check("", "sm_80 -O0"));
    }

    @Test
    void hostModuleIsNotCompiledForTheGpu() {
        String x86 = "target triple = \"x86_64-unknown-linux-gnu\"\n" + LlvmTestModules.AXPY_HOST;
        LlvmException e = assertThrows(LlvmException.class, () -> LLVM.emitPtx(x86, "sm_90"));
        assertTrue(e.getMessage().contains("x86_64-unknown-linux-gnu"), e.getMessage());
    }

    @Test
    void concurrentCompilationsAgree() throws Exception {
        String expected = LLVM.emitPtx(LlvmTestModules.AXPY_NVPTX, "sm_90");
        try (ExecutorService pool = Executors.newFixedThreadPool(4)) {
            List<Future<String>> results = IntStream.range(0, 8)
                    .mapToObj(i -> pool.submit(() -> LLVM.emitPtx(LlvmTestModules.AXPY_NVPTX, "sm_90")))
                    .toList();
            for (Future<String> result : results) {
                assertEquals(expected, result.get());
            }
        }
    }
}
