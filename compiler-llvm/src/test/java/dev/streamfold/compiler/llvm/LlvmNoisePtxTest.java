package dev.streamfold.compiler.llvm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.streamfold.compiler.kir.KInstr;
import dev.streamfold.compiler.lower.StepKir;
import dev.streamfold.ir.DType;
import dev.streamfold.ir.expr.MatrixBinder;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@code NAME_noise_step} for NVIDIA GPUs: the PTX assembles with ptxas, and the generator's arithmetic is IEEE
 * round-to-nearest throughout: no fused multiply-add beyond the kernel's own, no approximate division or square root,
 * no flush to zero.
 */
class LlvmNoisePtxTest {
    static final List<String> EXPRESSIONS = List.of("identity", LlvmNoiseStepTest.MECHANISM, "prefix_sum",
            "prefix_sum @ momentum_sgd(momentum=0.9, learning_rates=[1.0, 0.5]) @ diagonal([2.0, 0.5])");
    private static final Pattern FLOAT_OP =
            Pattern.compile("\\b(add|sub|mul|div|sqrt|fma)(\\.[a-z0-9]+)*\\.f(32|64)\\b");

    @ParameterizedTest
    @ValueSource(strings = {"sm_80", "sm_90"})
    void everyNoiseEntryAssemblesAndRoundsToNearestWithoutContraction(String arch) {
        PtxAssembler ptxas = PtxAssembler.available() ? new PtxAssembler() : null;
        if (ptxas == null) {
            System.out.println("ptxas check skipped: ptxas is not on PATH");
        }
        int checked = 0;
        for (String e : EXPRESSIONS) {
            for (DType d : new DType[] {DType.F32, DType.F64}) {
                StepKir k = LlvmGoldenTest.kernel(e, d);
                String name = LlvmKernels.kernelName(k);
                String ptx = PtxCompiler.noisePtx(k, e, arch);
                assertTrue(ptx.contains(".entry " + name + "_noise_step("), ptx);
                String where = e + " " + d.shortName() + " " + arch;
                long kernelFmas = k.kernel().body().stream().filter(i -> i instanceof KInstr.Fma).count();
                List<String> ops = floatOps(ptx);
                long fmas = ops.stream().filter(op -> op.startsWith("fma")).count();
                assertEquals(kernelFmas, fmas, where + ": fused multiply-adds other than the kernel's in " + ops);
                for (String op : ops) {
                    assertTrue(op.startsWith("fma.rn.") || op.matches("(add|sub|mul|div|sqrt)\\.rn\\.f(32|64)"),
                            where + ": " + op + " is not an IEEE round-to-nearest operation");
                }
                assertTrue(ops.contains("div.rn.f" + d.shortName().substring(1)), where + ": " + ops);
                assertTrue(ops.contains("sqrt.rn.f" + d.shortName().substring(1)), where + ": " + ops);
                assertFalse(ptx.contains(".ftz"), where + ": flush to zero");
                assertFalse(ptx.contains(".approx"), where + ": approximate operation");
                if (ptxas != null) {
                    ptxas.check(ptx, arch);
                    checked++;
                }
            }
        }
        if (ptxas != null) {
            System.out.printf("ptxas -arch=%s accepted %d noise entries%n", arch, checked);
        }
    }

    /** The floating-point arithmetic instructions of {@code ptx}, such as {@code mul.rn.f32}. */
    static List<String> floatOps(String ptx) {
        List<String> ops = new ArrayList<>();
        for (String line : ptx.split("\n")) {
            String code = line.strip();
            if (code.startsWith("//") || code.startsWith(".")) {
                continue;
            }
            Matcher m = FLOAT_OP.matcher(code);
            if (m.lookingAt()) {
                ops.add(m.group());
            }
        }
        return ops;
    }
}
