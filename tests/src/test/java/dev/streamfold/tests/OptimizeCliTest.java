package dev.streamfold.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.streamfold.tests.CliTest.Result;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** {@code optimize} and {@code mechanism}: their JSON, their progress lines, and every bad input. */
class OptimizeCliTest {
    static final String ONE_BUFFER = "blt(buf_decay=[0.5], output_scale=[0.5])";

    @Test
    void mechanismOfAOneBufferBltByHand() {
        Map<String, Object> o = CliTest.json(CliTest.run("mechanism", "--expr", ONE_BUFFER, "--steps", "3", "--min-sep", "2",
                "--max-participations", "2"));
        assertEquals("blt", o.get("strategy"));
        assertEquals(Math.sqrt(1.3125), (Double) o.get("sensitivity_single_participation"), 1e-15);
        assertEquals(Math.sqrt(2.8125), (Double) o.get("sensitivity_min_sep"), 1e-15);
        assertEquals(false, o.get("sensitivity_min_sep_is_upper_bound"));
        assertEquals(List.of(1.0, 1.25, 1.5), o.get("per_query_error"));
        assertEquals(1.5, (Double) o.get("max_error"), 0);
        assertEquals(2.8125 * 1.5, (Double) o.get("max_loss"), 1e-14);
        assertEquals(2.8125 * 1.25, (Double) o.get("mean_loss"), 1e-14);
    }

    @Test
    void mechanismWithoutMinSepIsSingleParticipation() {
        Map<String, Object> o = CliTest.json(CliTest.run("mechanism", "--expr", ONE_BUFFER, "--steps", "3"));
        assertFalse(o.containsKey("sensitivity_min_sep"));
        assertEquals(1.3125 * 1.5, (Double) o.get("max_loss"), 1e-14);
    }

    @Test
    void mechanismBoundsToeplitzWithNegativeCoefficients() {
        Map<String, Object> o = CliTest.json(CliTest.run("mechanism", "--expr", "toeplitz(coef=[1, -0.5, 0.3])", "--steps", "6",
                "--min-sep", "2"));
        assertEquals(true, o.get("sensitivity_min_sep_is_upper_bound"));
        assertEquals(3, ((Double) o.get("max_participations")).intValue());
    }

    @Test
    void optimizeBltReportsProgressAndAReadyExpression() {
        Result r = CliTest.run("optimize", "--strategy", "blt", "--buffers", "2", "--steps", "64", "--min-sep", "8",
                "--max-participations", "4");
        Map<String, Object> o = CliTest.json(r);
        List<String> lines = r.err().lines().toList();
        assertFalse(lines.isEmpty());
        assertTrue(lines.stream().allMatch(l -> l.matches("optimize: iteration \\d+: objective \\S+, gradient norm \\S+")),
                r.err());
        assertEquals(r.out(), CliTest.run("optimize", "--strategy", "blt", "--buffers", "2", "--steps", "64", "--min-sep", "8",
                "--max-participations", "4", "--quiet").out(), "deterministic");
        assertEquals(2, ((List<?>) o.get("buf_decay")).size());
        Map<String, Object> m = CliTest.json(CliTest.run("mechanism", "--expr", (String) o.get("strategy_expr"), "--steps", "64",
                "--min-sep", "8", "--max-participations", "4"));
        assertEquals((Double) m.get("max_loss"), (Double) o.get("loss"), 1e-12 * (Double) o.get("loss"));
        Map<String, Object> noise = CliTest.json(CliTest.run("eval", "--expr", (String) o.get("noise_expr"), "--materialize", "3",
                "--backend", "interpreter"));
        List<?> first = (List<?>) ((List<?>) noise.get("materialized")).get(1);
        double omegaSum = ((List<?>) o.get("output_scale")).stream().mapToDouble(v -> (Double) v).sum();
        assertEquals(-omegaSum, (Double) first.get(0), 1e-15, "C^-1[1][0] = -sum(output_scale)");
    }

    @Test
    void closedFormToeplitzGivesTheCoefficientsOfInverseSquareRoot() {
        Map<String, Object> o = CliTest.json(CliTest.run("optimize", "--strategy", "toeplitz", "--closed-form", "--steps", "4"));
        assertEquals(List.of(1.0, 0.5, 0.375, 0.3125), o.get("coef"));
        assertEquals(List.of(1.0, -0.5, -0.125, -0.0625), o.get("noising_coef"));
        assertEquals("toeplitz(coef=[1.0,0.5,0.375,0.3125])", o.get("strategy_expr"));
    }

    @Test
    void optimizeToeplitzAndBandedQuietly() {
        Result t = CliTest.run("optimize", "--strategy", "toeplitz", "--bands", "3", "--steps", "20", "--quiet");
        assertEquals("", t.err());
        assertEquals(3, ((List<?>) CliTest.json(t).get("coef")).size());
        Result b = CliTest.run("optimize", "--strategy", "banded", "--bands", "2", "--steps", "6", "--error", "mean", "--quiet");
        Map<String, Object> o = CliTest.json(b);
        assertEquals(6, ((List<?>) o.get("params")).size());
        assertTrue(((String) o.get("noise_expr")).startsWith("inverse(column_normalized_banded(params=[["));
    }

    static Stream<Arguments> badInputs() {
        String blt = "blt";
        return Stream.of(
                Arguments.of(List.of("mechanism", "--steps", "4"), "mechanism: option --expr is required"),
                Arguments.of(List.of("mechanism", "--expr", ONE_BUFFER), "mechanism: option --steps is required"),
                Arguments.of(List.of("mechanism", "--expr", ONE_BUFFER, "--steps", "0"), "mechanism: --steps must be an integer in [1, 2^24], got '0'"),
                Arguments.of(List.of("mechanism", "--expr", ONE_BUFFER, "--steps", "x"), "mechanism: --steps must be an integer in [1, 2^24], got 'x'"),
                Arguments.of(List.of("mechanism", "--expr", ONE_BUFFER, "--steps", "4", "--min-sep", "0"),
                        "mechanism: --min-sep must be an integer in [1, 4], got '0'"),
                Arguments.of(List.of("mechanism", "--expr", ONE_BUFFER, "--steps", "4", "--min-sep", "5"),
                        "mechanism: --min-sep must be an integer in [1, 4], got '5'"),
                Arguments.of(List.of("mechanism", "--expr", ONE_BUFFER, "--steps", "4", "--max-participations", "0"),
                        "mechanism: --max-participations must be an integer in [1, 2147483647], got '0'"),
                Arguments.of(List.of("mechanism", "--expr", ONE_BUFFER, "--steps", "4", "--bogus", "1"),
                        "mechanism: unknown option '--bogus'"),
                Arguments.of(List.of("mechanism", "--expr", "blt(buf_decay=$t, output_scale=$w)", "--steps", "4"),
                        "the strategy has named parameters ($t, $w); write their values in the expression"),
                Arguments.of(List.of("mechanism", "--expr", "diagonal([1, 0])", "--steps", "3"), "the strategy is singular: C[1][1] = 0.0"),
                Arguments.of(List.of("mechanism", "--expr", "toeplitz(coef=[0, 1])", "--steps", "3"),
                        "toeplitz: coef[0] = 0.0 must not be 0 for C to be invertible"),
                Arguments.of(List.of("mechanism", "--expr", "blt(buf_decay=[0.5]", "--steps", "3"), "1:20: expected ')' after argument list"),
                Arguments.of(List.of("optimize", "--steps", "4"), "optimize: option --strategy is required"),
                Arguments.of(List.of("optimize", "--strategy", "dense", "--steps", "4"),
                        "optimize: unknown strategy 'dense' (expected blt, banded or toeplitz)"),
                Arguments.of(List.of("optimize", "--strategy", blt, "--buffers", "2"), "optimize: option --steps is required"),
                Arguments.of(List.of("optimize", "--strategy", blt, "--steps", "10"), "optimize: option --buffers is required"),
                Arguments.of(List.of("optimize", "--strategy", blt, "--buffers", "0", "--steps", "10"),
                        "optimize: --buffers must be an integer in [1, 15], got '0'"),
                Arguments.of(List.of("optimize", "--strategy", blt, "--buffers", "16", "--steps", "10"),
                        "optimize: --buffers must be an integer in [1, 15], got '16'"),
                Arguments.of(List.of("optimize", "--strategy", blt, "--buffers", "2", "--steps", "0"), "optimize: --steps must be an integer in [1, 2^24], got '0'"),
                Arguments.of(List.of("optimize", "--strategy", blt, "--buffers", "2", "--steps", "10", "--min-sep", "11"),
                        "optimize: --min-sep must be an integer in [1, 10], got '11'"),
                Arguments.of(List.of("optimize", "--strategy", blt, "--buffers", "2", "--steps", "10", "--max-participations", "-1"),
                        "optimize: --max-participations must be an integer in [1, 2147483647], got '-1'"),
                Arguments.of(List.of("optimize", "--strategy", blt, "--buffers", "2", "--steps", "10", "--error", "median"),
                        "optimize: --error must be max or mean, got 'median'"),
                Arguments.of(List.of("optimize", "--strategy", blt, "--buffers", "2", "--steps", "10", "--max-iterations", "0"),
                        "optimize: --max-iterations must be an integer in [1, 1000000], got '0'"),
                Arguments.of(List.of("optimize", "--strategy", blt, "--bands", "2", "--steps", "10"),
                        "optimize: --bands applies to banded and toeplitz strategies; blt takes --buffers"),
                Arguments.of(List.of("optimize", "--strategy", "toeplitz", "--buffers", "2", "--steps", "10"),
                        "optimize: --buffers applies to the blt strategy; toeplitz takes --bands"),
                Arguments.of(List.of("optimize", "--strategy", blt, "--buffers", "2", "--steps", "10", "--closed-form"),
                        "optimize: --closed-form applies to the toeplitz strategy only"),
                Arguments.of(List.of("optimize", "--strategy", "toeplitz", "--steps", "10"), "optimize: option --bands is required"),
                Arguments.of(List.of("optimize", "--strategy", "toeplitz", "--bands", "11", "--steps", "10"),
                        "optimize: --bands must be an integer in [1, 10], got '11'"),
                Arguments.of(List.of("optimize", "--strategy", "toeplitz", "--bands", "0", "--steps", "10"),
                        "optimize: --bands must be an integer in [1, 10], got '0'"),
                Arguments.of(List.of("optimize", "--strategy", "banded", "--bands", "2", "--steps", "10"),
                        "optimize: the banded strategy optimizes --error mean only (the max over its per-query errors is not differentiable)"),
                Arguments.of(List.of("optimize", "--strategy", "banded", "--bands", "4", "--steps", "10", "--min-sep", "3", "--error", "mean"),
                        "banded: min_sep = 3 must be >= bands = 4 for the sensitivity of a column-normalized banded strategy to be"
                                + " sqrt(participations)"));
    }

    @ParameterizedTest(name = "{1}")
    @MethodSource("badInputs")
    void badInputIsRejectedWithOneExactErrorLine(List<String> args, String message) {
        Result r = CliTest.run(args.toArray(String[]::new));
        assertEquals(2, r.status(), r.err());
        assertEquals("", r.out(), "nothing on stdout");
        assertEquals("error: " + message + System.lineSeparator(), r.err());
    }
}
