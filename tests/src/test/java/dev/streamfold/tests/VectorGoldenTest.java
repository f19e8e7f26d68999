package dev.streamfold.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.streamfold.compiler.lower.StepKir;
import dev.streamfold.compiler.vector.InProcessCompiler;
import dev.streamfold.compiler.vector.VectorKernels;
import dev.streamfold.ir.DType;
import dev.streamfold.ir.stream.Bindings;
import dev.streamfold.ir.stream.ParamLayout;
import dev.streamfold.ir.stream.StreamingMatrix;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The emitted Vector API source, compared whole with checked-in goldens. A change to the emitted
 * code shows here; regenerate with {@code -Dstreamfold.updateGoldens=true} and say so in the commit.
 */
class VectorGoldenTest {
    static final Path GOLDEN = Path.of("src/test/resources/golden/vector");

    @ParameterizedTest(name = "{0} {1}")
    @CsvSource(delimiter = ';', value = {
        "compose3;float32;prefix_sum @ momentum_sgd(momentum=0.9, learning_rates=[1.0, 0.5]) @ diagonal([2.0, 0.5])",
        "scaled-prefix-sum;float64;scale_rows_and_columns(prefix_sum, row=[1, 2], col=[3]) * 0.5"
    })
    void emittedSourceMatchesGolden(String name, String dtype, String expr) throws IOException {
        String src = source(expr, DType.parseFloating(dtype));
        Path file = GOLDEN.resolve(name + ".java.txt");
        if (Boolean.getBoolean("streamfold.updateGoldens")) {
            Files.createDirectories(GOLDEN);
            Files.writeString(file, src);
        }
        assertEquals(Files.readString(file), src, "emitted source of " + expr + " (golden " + file + ")");
    }

    static List<StreamingMatrix> kernels() {
        return OperatorTable.all();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("kernels")
    void everyGeneratedClassCompilesWithoutWarnings(StreamingMatrix m) {
        for (DType dtype : new DType[] {DType.F32, DType.F64}) {
            StepKir k = VectorKernels.lowerKir(m, ParamLayout.of(m).bind(m, Bindings.NONE, dtype), dtype);
            String name = VectorKernels.PACKAGE + "." + VectorKernels.className(k);
            InProcessCompiler.Compiled c = InProcessCompiler.compile(name, VectorKernels.source(k, m.describe()).toString());
            assertEquals(List.of(), c.diagnostics(), "javac -Xlint:all diagnostics for " + m.describe());
        }
    }

    static String source(String expr, DType dtype) {
        StreamingMatrix m = OperatorTable.parse(expr);
        StepKir k = VectorKernels.lowerKir(m, ParamLayout.of(m).bind(m, Bindings.NONE, dtype), dtype);
        return VectorKernels.source(k, m.describe()).toString();
    }
}
