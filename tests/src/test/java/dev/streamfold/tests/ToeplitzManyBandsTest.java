package dev.streamfold.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.streamfold.ir.strategy.ToeplitzOptimizer;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * The optimal Toeplitz strategy of BandMF with as many bands as steps (100), forward and inverse,
 * on the compiled backends against the interpreter; far more bands are refused with one error line.
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
            List<?> want = (List<?>) CliTest.json(CliTest.run("eval", "--expr", expr, "--row-norms", "100", "--backend",
                    "interpreter")).get("row_norms_squared");
            for (String backend : List.of("vector", "llvm")) {
                Map<String, Object> o = CliTest.json(CliTest.run("eval", "--expr", expr, "--row-norms", "100", "--backend", backend));
                List<?> got = (List<?>) o.get("row_norms_squared");
                for (int i = 0; i < 100; i++) {
                    double w = (Double) want.get(i);
                    assertEquals(w, (Double) got.get(i), 1e-12 * Math.max(1, w), backend + " " + expr.substring(0, 8) + " row " + i);
                }
            }
        }
    }

    @Test
    void fourThousandBandsAreRefusedWithOneLine() {
        CliTest.Result r = CliTest.run("eval", "--expr", "inverse(toeplitz(coef=" + coefficients(4096) + "))", "--row-norms", "3",
                "--backend", "vector");
        assertEquals(2, r.status());
        assertEquals("", r.out());
        assertTrue(r.err().startsWith("error: the expression's step kernel has 4096 per-step statements"), r.err());
        assertEquals(1, r.err().lines().count());
    }
}
