package dev.streamfold.compiler.batched;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.streamfold.compiler.kir.KInstr;
import dev.streamfold.compiler.kir.Kernel;
import dev.streamfold.compiler.kir.KirWalk;
import dev.streamfold.ir.DType;
import dev.streamfold.ir.linalg.LinalgOp;
import org.junit.jupiter.api.Test;

/** The unroll budget {@link BatchedCompiler#compile} chooses when none is given. */
class BatchedCompilerUnrollTest {
    private static Kernel compile(LinalgOp op, int n, boolean jvp, int budget) {
        LinalgKernel spec = LinalgKernel.of(op, n, n, DType.F32, jvp);
        LinalgKernel.Named p = spec.program();
        return BatchedCompiler.compile(spec.name(), p.program(), p.inputs(), p.outputs(), budget).kernel();
    }

    private static boolean hasLoops(Kernel k) {
        boolean[] found = {false};
        KirWalk.forEach(k.body(), i -> found[0] |= i instanceof KInstr.Loop);
        return found[0];
    }

    @Test
    void smallKernelsAreFullyUnrolled() {
        Kernel chosen = compile(LinalgOp.lu(), 8, true, -1);
        assertFalse(hasLoops(chosen), "lu 8x8 with its JVP fits the limit, so no loop is left");
        assertTrue(KirWalk.size(chosen.body()) <= BatchedCompiler.MAX_UNROLLED_INSTRUCTIONS);
        assertEquals(KirWalk.size(compile(LinalgOp.lu(), 8, true, BatchedCompiler.UNROLL_BUDGET).body()),
                KirWalk.size(chosen.body()));
    }

    @Test
    void largeKernelsKeepTheirLoops() {
        Kernel full = compile(LinalgOp.lu(), 16, true, BatchedCompiler.UNROLL_BUDGET);
        assertTrue(KirWalk.size(full.body()) > BatchedCompiler.MAX_UNROLLED_INSTRUCTIONS,
                "lu 16x16 with its JVP unrolls past the limit: " + KirWalk.size(full.body()));
        Kernel chosen = compile(LinalgOp.lu(), 16, true, -1);
        assertTrue(hasLoops(chosen));
        assertEquals(KirWalk.size(compile(LinalgOp.lu(), 16, true, BatchedCompiler.LOOP_BUDGET).body()),
                KirWalk.size(chosen.body()));
    }
}
