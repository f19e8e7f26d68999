package dev.streamfold.compiler.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.streamfold.ir.Binary;
import dev.streamfold.ir.DType;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Kernels that break the kernel IR's rules are refused, naming the statement. */
class KernelVerifierTest {
    static StepKernelIr kernel(int params, int state, List<KStmt> prologue, List<KStmt> body) {
        return new StepKernelIr(DType.F32, params, state, prologue, body);
    }

    static String error(StepKernelIr k) {
        return assertThrows(IllegalStateException.class, () -> KernelVerifier.verify(k)).getMessage();
    }

    @Test
    void acceptsAWellFormedKernel() {
        StepKernelIr k = kernel(1, 1, List.of(new KStmt(0, new KOp.ParamAtStep(0))), List.of(
                new KStmt(1, new KOp.Splat(0)), new KStmt(2, new KOp.LoadX()), new KStmt(3, new KOp.LoadState(0)),
                new KStmt(4, new KOp.Fma(1, 2, 3)), new KStmt(5, new KOp.StoreState(0, 4)), new KStmt(6, new KOp.StoreY(4))));
        assertEquals(k, KernelVerifier.verify(k));
    }

    @Test
    void refusesBrokenKernels() {
        assertEquals("parameter out of range: v0 = param_at_step 0",
                error(kernel(0, 0, List.of(new KStmt(0, new KOp.ParamAtStep(0))), List.of(
                        new KStmt(1, new KOp.LoadX()), new KStmt(2, new KOp.StoreY(1))))));
        assertEquals("y is stored 0 times, expected once", error(kernel(0, 0, List.of(), List.of(new KStmt(0, new KOp.LoadX())))));
        assertEquals("v7 used before it is defined: v1 = add v0, v7", error(kernel(0, 0, List.of(), List.of(
                new KStmt(0, new KOp.LoadX()), new KStmt(1, new KOp.LaneBinary(Binary.Kind.ADD, 0, 7)),
                new KStmt(2, new KOp.StoreY(1))))));
        assertEquals("state0 is loaded 0 and stored 0 times (at most once, exactly once)", error(kernel(0, 1, List.of(),
                List.of(new KStmt(0, new KOp.LoadX()), new KStmt(1, new KOp.StoreY(0))))));
        assertEquals("lane op in the per-step prologue: v0 = load x", error(kernel(0, 0,
                List.of(new KStmt(0, new KOp.LoadX())), List.of(new KStmt(1, new KOp.StoreY(0))))));
        assertEquals("mixes lane and scalar values: v2 = add v0, v1", error(kernel(1, 0,
                List.of(new KStmt(0, new KOp.ParamScalar(0))),
                List.of(new KStmt(1, new KOp.LoadX()), new KStmt(2, new KOp.LaneBinary(Binary.Kind.ADD, 0, 1)),
                        new KStmt(3, new KOp.StoreY(2))))));
    }
}
