package dev.streamfold.compiler.llvm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class LlvmErrorTest {
    private static final LlvmToolchain LLVM = new LlvmToolchain();

    @Test
    void verifyReturnsTheModuleAsLlvmPrintsIt() {
        String printed = LLVM.verify(LlvmTestModules.AXPY_HOST);
        assertTrue(printed.contains("define void @axpy(i64 %n, float %a, ptr noalias %x, ptr noalias %y)"), printed);
        assertEquals(printed, LLVM.verify(printed));
    }

    @Test
    void malformedTextIsAParseError() {
        String text = """
                ; ModuleID = 'typo.ll'
                define void @f() {
                  ret voidd
                }
                """;
        LlvmException e = assertThrows(LlvmException.class, () -> LLVM.verify(text));
        assertTrue(e.getMessage().contains("'typo.ll' does not parse"), e.getMessage());
        assertTrue(e.getMessage().contains("typo.ll:3:"), e.getMessage());
    }

    @Test
    void useOfAnUndefinedValueIsAParseError() {
        String text = """
                define i32 @f(i32 %x) {
                  %y = add i32 %x, %z
                  ret i32 %y
                }
                """;
        LlvmException e = assertThrows(LlvmException.class, () -> LLVM.emitPtx(text, "sm_80"));
        assertTrue(e.getMessage().contains("use of undefined value '%z'"), e.getMessage());
        assertTrue(e.getMessage().contains("'" + LlvmToolchain.ANONYMOUS_MODULE + "'"), e.getMessage());
    }

    @Test
    void useNotDominatedByItsDefinitionFailsVerification() {
        String text = """
                source_filename = "dominance.ll"
                define i32 @f(i1 %c) {
                entry:
                  br i1 %c, label %then, label %join
                then:
                  %v = add i32 1, 2
                  br label %join
                join:
                  ret i32 %v
                }
                """;
        LlvmException e = assertThrows(LlvmException.class, () -> LLVM.jitHost(text));
        assertTrue(e.getMessage().contains("'dominance.ll' does not verify"), e.getMessage());
        assertTrue(e.getMessage().contains("does not dominate all uses"), e.getMessage());
    }
}
