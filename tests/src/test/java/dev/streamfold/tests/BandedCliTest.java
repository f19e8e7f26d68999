package dev.streamfold.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The CLI contract for the BLT and banded operators: outputs and exact error lines. */
class BandedCliTest {
    static final String BLT = "blt(buf_decay=[0.5, 0.99, 0.9], output_scale=[0.2, 0.05, 0.1])";

    @Test
    void streamedInverseEqualsClosedFormOnBothBackends() {
        for (String backend : List.of("interpreter", "vector")) {
            List<?> streamed = (List<?>) CliTest.json(CliTest.run("eval", "--expr", "inverse(" + BLT + ")", "--materialize", "12",
                    "--backend", backend)).get("materialized");
            List<?> closed = (List<?>) CliTest.json(CliTest.run("eval", "--expr", "inverse_params(" + BLT + ")", "--materialize",
                    "12", "--backend", backend)).get("materialized");
            for (int i = 0; i < 12; i++) {
                for (int j = 0; j < 12; j++) {
                    double a = (Double) ((List<?>) streamed.get(i)).get(j);
                    double b = (Double) ((List<?>) closed.get(i)).get(j);
                    assertEquals(a, b, 1e-12, backend + " [" + i + "][" + j + "]");
                }
            }
        }
    }

    @Test
    void zeroBuffersIsTheIdentity() {
        Map<String, Object> o = CliTest.json(CliTest.run("eval", "--expr", "blt(buf_decay=[], output_scale=[]) @ prefix_sum",
                "--materialize", "2"));
        assertEquals(List.of(List.of(1.0, 0.0), List.of(1.0, 1.0)), o.get("materialized"));
    }

    @Test
    void namedBltParametersWithTangents() {
        Map<String, Object> o = CliTest.json(CliTest.run("eval", "--expr", "blt(buf_decay=$t, output_scale=$w)", "--param",
                "t=[0.5, 0.9]", "--param", "w=[1, 2]", "--tangent", "w=[1, 0]", "--materialize", "3"));
        // C[1][0] = w0 + w1, C[2][0] = w0 t0 + w1 t1; d/dw0 along (1, 0) (w0 goes with t0 = 0.5 after sorting)
        assertEquals(List.of(0.0, 0.0, 0.0), ((List<?>) o.get("materialized_dot")).get(0));
        assertEquals(List.of(1.0, 0.0, 0.0), ((List<?>) o.get("materialized_dot")).get(1));
        assertEquals(List.of(0.5, 1.0, 0.0), ((List<?>) o.get("materialized_dot")).get(2));
    }

    @Test
    void compileNeedsTheBufferCount(@TempDir Path dir) {
        CliTest.Result r = CliTest.run("compile", "--expr", "blt(buf_decay=$t, output_scale=$w)", "--backend", "vector", "--out",
                dir.resolve("k").toString());
        assertEquals(2, r.status());
        assertEquals("error: $t (blt buf_decay) sets the number of state buffers of the kernel: pass --param t=[...]\n", r.err());
        CliTest.Result ok = CliTest.run("compile", "--expr", "blt(buf_decay=$t, output_scale=$w)", "--param", "t=[0.9, 0.1]",
                "--param", "w=[1, 1]", "--backend", "vector", "--out", dir.resolve("k").toString());
        assertEquals(0, ok.status(), ok.err());
    }

    static Stream<Arguments> badInputs() {
        return Stream.of(
                bad("blt(buf_decay=[0.9, 0.5, 0.1], output_scale=[1, 2])", "1:1: blt: buf_decay has 3 entries but output_scale has 2"),
                bad("blt(buf_decay=[[0.9], [0.5]], output_scale=[1, 2])", "1:1: blt: buf_decay must be a 1-D array, got an array of shape [2,1]"),
                bad("blt(buf_decay=0.9, output_scale=[1])", "1:1: blt: buf_decay must be a 1-D array, got a number"),
                bad("blt(buf_decay=[0.9])", "1:1: blt needs output_scale (parameters: buf_decay, output_scale)"),
                bad("inverse_params(blt(buf_decay=[0.9, 0.9], output_scale=[1, 2]))",
                        "1:1: inverse_params: buf_decay[0] = 0.9 and buf_decay[1] = 0.9 are closer than 1.0E-9;"
                                + " the closed-form inverse needs distinct buf_decay"),
                bad("inverse_params(toeplitz(coef=[1]))", "1:1: inverse_params is defined for blt and inverse_params(...), got toeplitz"),
                bad("inverse(prefix_sum)", "1:1: inverse is defined for blt, inverse_params, toeplitz, toeplitz_inverse, column_normalized_banded and"
                        + " inverse(...) of these, got prefix_sum"),
                bad("inverse([1, 2])", "1:9: inverse: matrix must be an operator expression, got a value"),
                bad("toeplitz_inverse(coef=[0, 1])", "1:1: toeplitz_inverse: coef[0] = 0.0 must not be 0"),
                bad("inverse(toeplitz(coef=[0, 1]))", "1:1: toeplitz: coef[0] = 0.0 must not be 0 to invert the matrix"),
                bad("column_normalized_banded(params=[[1, 0.5], [0, 1]])",
                        "1:1: column_normalized_banded: params[1][0] = 0.0 must not be 0"),
                bad("column_normalized_banded(params=[1, 0.5])",
                        "1:1: column_normalized_banded: params must be a non-empty 2-D array, got an array of shape [2]"),
                bad("column_normalized_banded(params=$p)",
                        "1:1: column_normalized_banded: params sets the number of bands and must be a literal 2-D array, not $p"),
                bad("toeplitz(coef=[])", "1:1: toeplitz: coef must not be empty"),
                bad("toeplitz_inverse(coef=[1], column_normalize_for_n=2.5)",
                        "1:1: toeplitz_inverse: column_normalize_for_n must be a positive integer, got 2.5"),
                bad("toeplitz_inverse(coef=[1], column_normalize_for_n=0)",
                        "1:1: toeplitz_inverse: column_normalize_for_n must be a positive integer, got 0.0"),
                bad("toeplitz_inverse(coef=[1], column_normalize_for_n=$n)",
                        "1:1: toeplitz_inverse: column_normalize_for_n sets the kernel's structure and must be a literal integer, not $n"),
                Arguments.of(List.of("eval", "--expr", "blt(buf_decay=$t, output_scale=$w)", "--param", "t=[0.9, 0.5]", "--param",
                        "w=[1]", "--materialize", "3"), "error: blt: buf_decay has 2 entries but output_scale has 1"),
                Arguments.of(List.of("eval", "--expr", "toeplitz_inverse(coef=$c)", "--param", "c=[0, 1]", "--materialize", "3"),
                        "error: toeplitz_inverse: coef[0] = 0.0 must not be 0"),
                Arguments.of(List.of("eval", "--expr", "inverse_params(blt(buf_decay=$t, output_scale=$w))", "--param", "t=[0.9]",
                        "--param", "w=[1]", "--tangent", "t=[1]", "--materialize", "3"),
                        "error: inverse_params: derivatives with respect to its parameters are not supported"));
    }

    static Arguments bad(String expr, String message) {
        return Arguments.of(List.of("eval", "--expr", expr, "--materialize", "3"), "error: " + message);
    }

    @ParameterizedTest(name = "{1}")
    @MethodSource("badInputs")
    void badInputIsRejectedWithOneExactErrorLine(List<String> args, String message) {
        CliTest.Result r = CliTest.run(args.toArray(String[]::new));
        assertEquals(2, r.status(), r.err());
        assertEquals("", r.out(), "nothing on stdout");
        assertEquals(message + "\n", r.err());
    }

    @Test
    void complexClosedFormIsRejected() {
        CliTest.Result r = CliTest.run("eval", "--expr", "inverse_params(blt(buf_decay=[0.95, 0.3], output_scale=[0.4, -0.1]))",
                "--materialize", "3");
        assertEquals(2, r.status());
        assertTrue(r.err().startsWith("error: 1:1: inverse_params: the inverse's buf_decay are complex (0.47"), r.err());
        assertEquals(1, r.err().lines().count());
    }
}
