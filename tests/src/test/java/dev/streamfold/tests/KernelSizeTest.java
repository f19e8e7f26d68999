package dev.streamfold.tests;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.streamfold.compiler.KernelEval;
import dev.streamfold.compiler.kernel.KernelSize;
import dev.streamfold.compiler.vector.VectorKernels;
import dev.streamfold.ir.DType;
import dev.streamfold.ir.StreamfoldException;
import dev.streamfold.ir.Tensor;
import dev.streamfold.ir.expr.ExprParser;
import dev.streamfold.ir.expr.MatrixBinder;
import dev.streamfold.ir.stream.Bindings;
import dev.streamfold.ir.stream.ParamLayout;
import dev.streamfold.ir.stream.StreamingEval;
import dev.streamfold.ir.stream.StreamingEval.Query;
import dev.streamfold.ir.stream.StreamingMatrix;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.IntFunction;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The compiled backends' size limit: for each family of growing expressions, the largest kernel
 * within {@link KernelSize#MAX} compiles on the Vector API backend (javac's 64 KiB method limit and
 * 255-parameter limit included) and matches the interpreter, and the next larger one is refused
 * before rendering with the limit in the message.
 */
class KernelSizeTest {
    static String list(int n, IntFunction<String> entry) {
        return IntStream.range(0, n).mapToObj(entry).collect(Collectors.joining(", ", "[", "]"));
    }

    static Stream<Arguments> families() {
        IntFunction<String> inverseBlt = n -> "inverse(blt(buf_decay=" + list(n, i -> Double.toString(0.9 - 0.001 * i))
                + ", output_scale=" + list(n, i -> "0.01") + "))";
        IntFunction<String> momentum = n -> "momentum_sgd(0.5, [1, 0.5]) @ ".repeat(n) + "identity";
        return Stream.of(Arguments.of("inverse(blt)", inverseBlt), Arguments.of("momentum_sgd chain", momentum));
    }

    /** Toeplitz kernels keep past the shift form's bands in one ring and one loop: their size does not grow with the bands. */
    @Test
    void toeplitzKernelsDoNotGrowWithTheBands() {
        IntFunction<String> toeplitz = n -> "toeplitz(coef=" + list(n, i -> "0.5") + ")";
        IntFunction<String> inverseToeplitz = n -> "inverse(toeplitz(coef=" + list(n, i -> i == 0 ? "1" : "0.01") + "))";
        for (IntFunction<String> family : List.of(toeplitz, inverseToeplitz)) {
            int ring = size(family.apply(18));
            assertTrue(ring < 100, family.apply(3) + ": " + ring);
            assertEquals(ring, size(family.apply(4096)));
            assertTrue(size(family.apply(17)) > ring, "16 past values are kept one buffer each");
        }
    }

    static int size(String expr) {
        StreamingMatrix m = MatrixBinder.parse(expr);
        List<Tensor> values = ParamLayout.of(m).bind(m, Bindings.NONE, DType.F64);
        try {
            return KernelSize.of(VectorKernels.lowerKir(m, values, DType.F64));
        } catch (StreamfoldException e) {
            return Integer.MAX_VALUE;
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("families")
    void largestKernelWithinTheLimitCompilesAndTheNextIsRefused(String family, IntFunction<String> expr) {
        int lo = 1;
        int hi = ExprParser.MAX_OPERATORS - 1;
        assertTrue(size(expr.apply(hi)) > KernelSize.MAX, family + " reaches the limit within the operator limit");
        while (hi - lo > 1) {
            int mid = (lo + hi) / 2;
            if (size(expr.apply(mid)) <= KernelSize.MAX) {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        assertTrue(size(expr.apply(lo)) > KernelSize.MAX * 9 / 10, family + " at " + lo + " is near the limit");
        assertMatchesInterpreter(expr.apply(lo));
        StreamingMatrix over = MatrixBinder.parse(expr.apply(hi));
        StreamfoldException e = assertThrows(StreamfoldException.class, () -> KernelEval.bind(over, Bindings.NONE, DType.F32));
        assertTrue(e.getMessage().startsWith("the expression's step kernel has "), e.getMessage());
        assertTrue(e.getMessage().endsWith(" in all), more than the 1500 a compiled backend takes"
                + " (eval --backend interpreter has no such limit)"), e.getMessage());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("longestChains")
    void longestChainsCompile(String expr) {
        assertMatchesInterpreter(expr);
    }

    static Stream<String> longestChains() {
        int n = ExprParser.MAX_OPERATORS;
        return Stream.of("prefix_sum" + " * 1.01".repeat(n - 1), "identity" + " @ prefix_sum".repeat(n - 1),
                "diagonal([1, 0.5])" + " @ diagonal([2, 1])".repeat(n - 1));
    }

    @Test
    void longestChainRunsThroughEveryCommandAndBackend(@TempDir Path dir) throws IOException {
        String chain = "prefix_sum" + " @ diagonal([1, 0.5]) * 1.01".repeat((ExprParser.MAX_OPERATORS - 1) / 2);
        List<?> want = (List<?>) CliTest.json(CliTest.run("eval", "--expr", chain, "--materialize", "3", "--backend",
                "interpreter")).get("materialized");
        for (String backend : List.of("vector", "llvm")) {
            List<?> got = (List<?>) CliTest.json(CliTest.run("eval", "--expr", chain, "--materialize", "3", "--backend", backend))
                    .get("materialized");
            for (int i = 0; i < 3; i++) {
                for (int j = 0; j < 3; j++) {
                    double w = (Double) ((List<?>) want.get(i)).get(j);
                    double g = (Double) ((List<?>) got.get(i)).get(j);
                    assertEquals(w, g, 1e-9 * Math.max(1, Math.abs(w)), backend + " [" + i + "][" + j + "]");
                }
            }
            assertTrue((Double) ((List<?>) want.get(2)).get(0) > 1, "the chain's factors all act");
        }
        CliTest.Result tangent = CliTest.run("eval", "--expr", chain.replace("diagonal([1, 0.5])", "diagonal($d)"), "--param",
                "d=[1, 0.5]", "--tangent", "d=[1, 0]", "--row-norms", "3");
        assertEquals(0, tangent.status(), tangent.err());
        Path vector = dir.resolve("vector.bin");
        Path llvm = dir.resolve("llvm.bin");
        for (Path out : List.of(vector, llvm)) {
            CliTest.Result r = CliTest.run("noise", "--expr", chain, "--dim", "100", "--steps", "3", "--seed", "7", "--dtype",
                    "float64", "--backend", out == vector ? "vector" : "llvm", "--out", out.toString());
            assertEquals(0, r.status(), r.err());
        }
        assertArrayEquals(Files.readAllBytes(vector), Files.readAllBytes(llvm));
        CliTest.Result compiled = CliTest.run("compile", "--expr", chain, "--backend", "vector", "--out", dir.resolve("k").toString());
        assertEquals(0, compiled.status(), compiled.err());
    }

    static void assertMatchesInterpreter(String expr) {
        StreamingMatrix m = MatrixBinder.parse(expr);
        double[] want = StreamingEval.run(m, Bindings.NONE, Query.MATERIALIZE, null, 5, DType.F64).raw();
        double[] got = KernelEval.run(m, Bindings.NONE, Query.MATERIALIZE, null, 5, DType.F64, 1).raw();
        assertEquals(want.length, got.length);
        for (int i = 0; i < want.length; i++) {
            assertEquals(want[i], got[i], 1e-9 * Math.max(1, Math.abs(want[i])), expr.substring(0, 40) + "... entry " + i);
        }
    }
}
