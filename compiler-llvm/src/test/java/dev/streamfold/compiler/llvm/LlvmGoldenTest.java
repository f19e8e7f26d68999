package dev.streamfold.compiler.llvm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.streamfold.compiler.lower.StepKir;
import dev.streamfold.compiler.vector.VectorKernels;
import dev.streamfold.ir.DType;
import dev.streamfold.ir.expr.MatrixBinder;
import dev.streamfold.ir.stream.Bindings;
import dev.streamfold.ir.stream.ParamLayout;
import dev.streamfold.ir.stream.StreamingMatrix;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The emitted LLVM IR, compared whole with files under {@code src/test/resources/golden}. Run with
 * {@code -Dstreamfold.updateGoldens=true} to rewrite them after an intended change, then review the diff.
 */
class LlvmGoldenTest {
    private static final Path GOLDEN = Path.of("src/test/resources/golden");
    private static final boolean UPDATE = Boolean.getBoolean("streamfold.updateGoldens");
    private static final LlvmToolchain LLVM = new LlvmToolchain();

    static StepKir kernel(String expr, DType dtype) {
        StreamingMatrix m = MatrixBinder.parse(expr);
        return VectorKernels.lowerKir(m, ParamLayout.of(m).bind(m, Bindings.NONE, dtype), dtype);
    }

    @ParameterizedTest(name = "{0} {1} {2}")
    @CsvSource(delimiter = '|', value = {
            "prefix_sum @ momentum_sgd(momentum=0.9, learning_rates=[1.0, 0.5]) @ diagonal([2.0, 0.5]) | f32 | host"
                    + " | compose3.f32.host.ll",
            "prefix_sum @ momentum_sgd(momentum=0.9, learning_rates=[1.0, 0.5]) @ diagonal([2.0, 0.5]) | f32 | ptx"
                    + " | compose3.f32.ptx.ll",
            "prefix_sum | f64 | host | prefix_sum.f64.host.ll",
            "prefix_sum | f64 | ptx | prefix_sum.f64.ptx.ll",
            "prefix_sum | f64 | host-noise | prefix_sum.f64.host-noise.ll",
            "prefix_sum @ momentum_sgd(momentum=0.9, learning_rates=[1.0, 0.5]) @ diagonal([2.0, 0.5]) | f32 | ptx-noise"
                    + " | compose3.f32.ptx-noise.ll"})
    void emittedIrMatchesGolden(String expr, String dtype, String form, String file) throws IOException {
        StepKir k = kernel(expr, DType.parseFloating(dtype));
        String name = LlvmKernels.kernelName(k);
        String description = MatrixBinder.parse(expr).describe();
        String ll = switch (form) {
            case "host" -> LlvmEmitter.host(k, name, description);
            case "ptx" -> LlvmEmitter.ptx(k, name, description);
            case "host-noise" -> LlvmEmitter.hostNoise(k, name, description);
            case "ptx-noise" -> LlvmEmitter.ptxNoise(k, name, description);
            default -> throw new IllegalArgumentException(form);
        };
        String module = form.endsWith("-noise") ? name + "_noise" : name;
        assertTrue(ll.startsWith("; ModuleID = '" + module + ".ll'\n" + LlvmEmitter.GENERATED + "\n"), ll);
        LLVM.verify(ll);
        Path golden = GOLDEN.resolve(file);
        if (UPDATE) {
            Files.createDirectories(GOLDEN);
            Files.writeString(golden, ll, StandardCharsets.UTF_8);
            System.out.println("rewrote " + golden.toAbsolutePath());
            return;
        }
        if (!Files.exists(golden)) {
            fail(golden + " is missing; run with -Dstreamfold.updateGoldens=true to write it");
        }
        String want = Files.readString(golden, StandardCharsets.UTF_8);
        if (!want.equals(ll)) {
            String[] a = want.split("\n", -1);
            String[] b = ll.split("\n", -1);
            int line = 0;
            while (line < Math.min(a.length, b.length) && a[line].equals(b[line])) {
                line++;
            }
            assertEquals(line < a.length ? a[line] : "<end of file>", line < b.length ? b[line] : "<end of file>",
                    file + " differs at line " + (line + 1)
                            + " (rerun with -Dstreamfold.updateGoldens=true if the change is intended)");
            fail(file + " differs");
        }
    }
}
