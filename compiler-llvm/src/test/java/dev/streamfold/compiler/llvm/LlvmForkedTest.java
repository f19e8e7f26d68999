package dev.streamfold.compiler.llvm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class LlvmForkedTest {
    private final ForkedLlvm forked = new ForkedLlvm();

    @Test
    void childEmitsTheSamePtxAsThisProcess() {
        long start = System.nanoTime();
        String ptx = forked.emitPtx(LlvmTestModules.AXPY_NVPTX, "sm_90");
        System.out.printf("forked emitPtx: %.1f ms%n", (System.nanoTime() - start) / 1e6);
        assertEquals(new LlvmToolchain().emitPtx(LlvmTestModules.AXPY_NVPTX, "sm_90"), ptx);
    }

    @Test
    void childRejectionCarriesLlvmsMessage() {
        LlvmException e = assertThrows(LlvmException.class,
                () -> forked.emitPtx("; ModuleID = 'broken.ll'\ndefine void @f( {\n", "sm_80"));
        assertTrue(e.getMessage().contains("exit " + ForkedLlvm.EXIT_REJECTED), e.getMessage());
        assertTrue(e.getMessage().contains("'broken.ll' does not parse"), e.getMessage());
    }

    @Test
    void llvmAbortEndsOnlyTheChild() {
        LlvmException e = assertThrows(LlvmException.class,
                () -> forked.emitPtx(LlvmTestModules.NVPTX_ABORTS, "sm_80"));
        assertTrue(e.getMessage().contains("'x86_intrinsic_on_gpu.ll'"), e.getMessage());
        assertTrue(e.getMessage().contains("LLVM ERROR: Cannot select"), e.getMessage());
    }
}
