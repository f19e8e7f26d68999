package dev.streamfold.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.streamfold.ir.strategy.ToeplitzOptimizer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Toeplitz strategies with as many bands as steps (BandMF and the optimal Toeplitz strategy), forward and inverse, on
 * the compiled backends against the interpreter: 100 bands over their row norms, and 4096 bands (a ring of 4095
 * past rows) over more steps than the ring holds, so every row is overwritten and read again.
 */
class ToeplitzManyBandsTest {
    static String coefficients(int n) {
        return Arrays.stream(ToeplitzOptimizer.optimalMaxErrorStrategy(n)).mapToObj(Double::toString)
                .collect(Collectors.joining(", ", "[", "]"));
    }

    @Test
    void hundredBandsRunOnEveryCpuBackend() {
        String c = coefficients(100);
        for (String expr : List.of("toeplitz(coef=" + c + ")", "inverse(toeplitz(coef=" + c + "))")) {
            assertSameOnCompiledBackends(expr, List.of("--row-norms", "100"), "row_norms_squared", 1e-12);
        }
    }

    @Test
    void fourThousandNinetySixBandsRunOnEveryCpuBackend(@TempDir Path dir) throws IOException {
        int steps = 4100;
        SplittableRandom r = new SplittableRandom(4096);
        String rows = IntStream.range(0, steps).mapToObj(t -> "[" + r.nextDouble(-1, 1) + ", " + r.nextDouble(-1, 1) + "]")
                .collect(Collectors.joining(",\n", "[", "]"));
        Path input = Files.writeString(dir.resolve("x.json"), rows);
        String c = coefficients(4096);
        for (String expr : List.of("toeplitz(coef=" + c + ")", "inverse(toeplitz(coef=" + c + "))")) {
            assertSameOnCompiledBackends(expr, List.of("--input", input.toString()), "Ax", 1e-9);
        }
    }

    /** {@code key} of {@code eval} on the vector and LLVM backends equals the interpreter's within {@code tol} relative. */
    private static void assertSameOnCompiledBackends(String expr, List<String> query, String key, double tol) {
        List<Double> want = flatten(CliTest.json(eval(expr, query, "interpreter")).get(key));
        for (String backend : List.of("vector", "llvm")) {
            List<Double> got = flatten(CliTest.json(eval(expr, query, backend)).get(key));
            assertEquals(want.size(), got.size(), backend);
            double scale = want.stream().mapToDouble(Math::abs).max().orElseThrow();
            for (int i = 0; i < want.size(); i++) {
                assertEquals(want.get(i), got.get(i), tol * Math.max(1, scale),
                        backend + " " + expr.substring(0, 12) + " " + key + " entry " + i);
            }
        }
    }

    private static CliTest.Result eval(String expr, List<String> query, String backend) {
        List<String> args = new java.util.ArrayList<>(List.of("eval", "--expr", expr, "--backend", backend));
        args.addAll(query);
        CliTest.Result r = CliTest.run(args.toArray(String[]::new));
        assertEquals(0, r.status(), backend + ": " + r.err());
        return r;
    }

    private static List<Double> flatten(Object v) {
        if (v instanceof List<?> l) {
            return l.stream().flatMap(e -> flatten(e).stream()).toList();
        }
        return List.of((Double) v);
    }
}
