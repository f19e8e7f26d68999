package dev.streamfold.tests;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.streamfold.compiler.batched.BatchedCompiler;
import dev.streamfold.compiler.batched.LinalgKernel;
import dev.streamfold.compiler.kir.Kernel;
import dev.streamfold.compiler.llvm.PtxAssembler;
import dev.streamfold.compiler.llvm.PtxKirCompiler;
import dev.streamfold.ir.DType;
import dev.streamfold.ir.linalg.LinalgOp;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The PTX of every batched decomposition kernel, primal and JVP, at n = 4 and 8 in float32 and float64, assembles
 * with ptxas for sm_80 and sm_90 (skipped, with the reason printed, where ptxas is not on PATH). The unrolled
 * kernels at n = 8 take LLVM up to tens of seconds each, so by default n = 8 covers lu, cholesky and
 * triangular_solve primal in both dtypes and JVP in float32, and qr, eigh and svd primal in float32; system property
 * {@value #ALL} set to true runs every combination.
 */
class BatchedLinalgPtxTest {
    /** The system property that asks for every op, dtype and derivative at n = 8. */
    static final String ALL = "streamfold.tests.ptx.all";

    static Stream<LinalgKernel> kernels() {
        boolean all = Boolean.getBoolean(ALL);
        List<LinalgKernel> k = new ArrayList<>();
        for (int n : new int[] {4, 8}) {
            for (DType dtype : new DType[] {DType.F32, DType.F64}) {
                for (boolean jvp : new boolean[] {false, true}) {
                    if (all || n == 4 || !jvp || dtype == DType.F32) {
                        k.add(LinalgKernel.of(LinalgOp.lu(), n, n, dtype, jvp));
                        k.add(LinalgKernel.of(LinalgOp.cholesky(true), n, n, dtype, jvp));
                        k.add(new LinalgKernel(LinalgOp.triangularSolve(true, true, false, false), n, n, 2, dtype, jvp));
                    }
                    if (all || n == 4 || (dtype == DType.F32 && !jvp)) {
                        k.add(LinalgKernel.of(LinalgOp.qr(false), n, n, dtype, jvp));
                        k.add(LinalgKernel.of(LinalgOp.eigh(true, true), n, n, dtype, jvp));
                        k.add(LinalgKernel.of(LinalgOp.svd(false, true), n, n, dtype, jvp));
                    }
                }
            }
        }
        return k.stream();
    }

    @BeforeAll
    static void needsPtxas() {
        if (!PtxAssembler.available()) {
            System.out.println("BatchedLinalgPtxTest skipped: ptxas is not on PATH");
        }
        Assumptions.assumeTrue(PtxAssembler.available(), "ptxas is not on PATH");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("kernels")
    void ptxAssemblesForSm80AndSm90(LinalgKernel spec) {
        Kernel k = BatchedCompiler.compile(spec).kernel();
        for (String arch : new String[] {"sm_80", "sm_90"}) {
            String ptx = PtxKirCompiler.ptx(k, arch);
            assertTrue(ptx.contains(".target " + arch), spec.name() + ": PTX for " + arch);
            assertTrue(ptx.contains(".entry " + PtxKirCompiler.entry(k)), spec.name() + ": entry " + PtxKirCompiler.entry(k));
            new PtxAssembler().check(ptx, arch);
        }
    }
}
