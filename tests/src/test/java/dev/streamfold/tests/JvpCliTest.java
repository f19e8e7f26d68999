package dev.streamfold.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code streamfold jvp}: outputs and tangents of programs and decompositions, and every refusal. */
class JvpCliTest {
    @TempDir
    Path dir;

    private static final String SQUARE = """
            program(x=%0: f64[3], k=%1: i32[]) {
              %2: f64[3] = mul %0, %0
              %3: f64[] = reduce_sum{axes=[0]} %2
              return sq=%2, total=%3, %1
            }
            """;

    /** Carries a, b, c, d: a' = a x_t, b' = a, c' = b, d' = d + 1; ys = d. Only a's tangent is given. */
    private static final String CHAIN = """
            program(a=%0: f64[2], b=%1: f64[2], c=%2: f64[2], d=%3: f64[], xs=%4: f64[4,2]) {
              %5: f64[2], %6: f64[2], %7: f64[2], %8: f64[], %9: f64[4] = scan{consts=0 carries=4 length=4} %0, %1, %2, %3, %4 body program(%0: f64[2], %1: f64[2], %2: f64[2], %3: f64[], %4: f64[2]) {
                %5: f64[2] = mul %0, %4
                %6: f64[] = constant{f64[] [1.0]}
                %7: f64[] = add %3, %6
                return %5, %0, %1, %7, %3
              }
              return a=%5, b=%6, c=%7, d=%8, ys=%9
            }
            """;

    /** Carries p, q swap every step; only p's tangent is given. */
    private static final String SWAP = """
            program(p=%0: f64[2], q=%1: f64[2]) {
              %2: f64[2], %3: f64[2] = scan{consts=0 carries=2 length=3} %0, %1 body program(%0: f64[2], %1: f64[2]) {
                return %1, %0
              }
              return p=%2, q=%3
            }
            """;

    private Path file(String name, String text) throws IOException {
        Path p = dir.resolve(name);
        Files.writeString(p, text);
        return p;
    }

    private CliTest.Result jvp(String program, String input, String... more) throws IOException {
        List<String> args = new ArrayList<>(List.of("jvp", "--program", file("p.ir", program).toString(), "--input",
                file("in.json", input).toString()));
        args.addAll(List.of(more));
        return CliTest.run(args.toArray(String[]::new));
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> section(Map<String, Object> o, String key) {
        return (Map<String, Object>) o.get(key);
    }

    @Test
    void programOutputsAndTangentsByName() throws IOException {
        CliTest.Result r = jvp(SQUARE, """
                {"inputs": {"x": [1, 2, 3], "k": 4}, "tangents": {"x": [1, 0, 0.5]}}""");
        assertEquals("{\"outputs\": {\"sq\": [1.0, 4.0, 9.0], \"total\": 14.0, \"r2\": 4}, "
                + "\"tangents\": {\"sq\": [2.0, 0.0, 3.0], \"total\": 5.0, \"r2\": null}}\n", r.out());
        assertEquals("", r.err());
    }

    @Test
    void aMissingTangentIsASymbolicZero() throws IOException {
        Map<String, Object> o = CliTest.json(jvp(SQUARE, """
                {"inputs": {"x": [1, 2, 3], "k": 4}}"""));
        assertEquals(List.of(1.0, 4.0, 9.0), section(o, "outputs").get("sq"));
        assertNull(section(o, "tangents").get("sq"));
        assertNull(section(o, "tangents").get("total"));
    }

    @Test
    void unnamedParametersAreKeyedByTheirValue() throws IOException {
        Map<String, Object> o = CliTest.json(jvp("""
                program(%0: f64[2,2]) {
                  %1: f64[2,2] = matmul %0, %0
                  return %1
                }
                """, """
                {"inputs": {"%0": [[1, 2], [3, 4]]}, "tangents": {"%0": [[1, 0], [0, 0]]}}"""));
        assertEquals(List.of(List.of(7.0, 10.0), List.of(15.0, 22.0)), section(o, "outputs").get("r0"));
        // d(A A) = dA A + A dA with dA = e00 e00^T
        assertEquals(List.of(List.of(2.0, 2.0), List.of(3.0, 0.0)), section(o, "tangents").get("r0"));
    }

    @Test
    void scanCarryTangentsBecomeNonZeroThroughTheFixedPoint() throws IOException {
        Map<String, Object> o = CliTest.json(jvp(CHAIN, """
                {"inputs": {"a": [1, -1], "b": [0, 0], "c": [0, 0], "d": 0, "xs": [[2, 3], [5, 7], [11, 13], [17, 19]]},
                 "tangents": {"a": [1, 2]}}"""));
        Map<String, Object> out = section(o, "outputs");
        Map<String, Object> t = section(o, "tangents");
        assertEquals(List.of(1870.0, -5187.0), out.get("a"));
        assertEquals(List.of(110.0, -273.0), out.get("b"));
        assertEquals(List.of(10.0, -21.0), out.get("c"));
        assertEquals(4.0, out.get("d"));
        assertEquals(List.of(0.0, 1.0, 2.0, 3.0), out.get("ys"));
        // Each tangent is the primal's with a = [1, 2]: the products of the xs so far.
        assertEquals(List.of(1870.0, 10374.0), t.get("a"));
        assertEquals(List.of(110.0, 546.0), t.get("b"));
        assertEquals(List.of(10.0, 42.0), t.get("c"));
        assertNull(t.get("d"));
        assertNull(t.get("ys"));
        assertEquals(true, t.containsKey("d"));
        assertEquals(true, t.containsKey("ys"));
    }

    @Test
    void swappedCarriesSettleInsteadOfOscillating() throws IOException {
        Map<String, Object> o = CliTest.json(jvp(SWAP, """
                {"inputs": {"p": [1, 2], "q": [3, 4]}, "tangents": {"p": [0.5, -1]}}"""));
        assertEquals(List.of(3.0, 4.0), section(o, "outputs").get("p"));
        assertEquals(List.of(1.0, 2.0), section(o, "outputs").get("q"));
        // After 3 swaps p holds q0 (no tangent given: dense zeros, as the carry is non-zero at the fixed point).
        assertEquals(List.of(0.0, 0.0), section(o, "tangents").get("p"));
        assertEquals(List.of(0.5, -1.0), section(o, "tangents").get("q"));
    }

    @Test
    void withoutAnyTangentEveryTangentIsNull() throws IOException {
        Map<String, Object> o = CliTest.json(jvp(SWAP, """
                {"inputs": {"p": [1, 2], "q": [3, 4]}}"""));
        assertNull(section(o, "tangents").get("p"));
        assertNull(section(o, "tangents").get("q"));
    }

    private void refused(CliTest.Result r, String message) {
        assertEquals(2, r.status(), r.err());
        assertEquals("", r.out());
        assertEquals("error: " + message + "\n", r.err().replace("\r", ""));
    }

    @Test
    void badProgramRequestsAreRefusedWithOneLine() throws IOException {
        String in = dir.resolve("in.json").toString();
        String prog = dir.resolve("p.ir").toString();
        String ok = """
                {"inputs": {"x": [1, 2, 3], "k": 4}}""";
        refused(jvp(SQUARE, ok, "--backend", "vector"),
                "jvp: --backend vector is not available yet: it comes with the batched linear-algebra kernels; use --backend interpreter");
        refused(jvp(SQUARE, ok, "--backend", "llvm"),
                "jvp: --backend llvm is not available yet: it comes with the batched linear-algebra kernels; use --backend interpreter");
        refused(jvp(SQUARE, ok, "--backend", "cuda"), "jvp: unknown backend 'cuda' (expected interpreter, vector or llvm)");
        refused(jvp(SQUARE, ok, "--dtype", "float32"), "jvp: --dtype applies to --op only; a program file states its own types");
        refused(jvp(SQUARE, ok, "--op", "lu"), "jvp: give exactly one of --program FILE and --op NAME");
        refused(CliTest.run("jvp", "--input", in), "jvp: give exactly one of --program FILE and --op NAME");
        refused(CliTest.run("jvp", "--program", prog), "jvp: option --input is required");
        refused(CliTest.run("jvp", "--program", dir.resolve("none.ir").toString(), "--input", in),
                "--program " + dir.resolve("none.ir") + ": no such file");
        refused(jvp(SQUARE.replace("mul", "times"), ok), prog + ":2:16: unknown op 'times'");
        refused(jvp(SQUARE, "[1, 2]"), in + ":1:1: expected an object {\"inputs\": {...}, \"tangents\": {...}}");
        refused(jvp(SQUARE, "{\"inputs\": {}, \"tangent\": {}}"), in + ":1:16: unknown key \"tangent\" (expected \"inputs\" and \"tangents\")");
        refused(jvp(SQUARE, "{\"tangents\": {}}"), in + ":1:1: missing \"inputs\"");
        refused(jvp(SQUARE, "{\"inputs\": [1]}"), in + ":1:12: \"inputs\" must be an object keyed by parameter name");
        refused(jvp(SQUARE, "{\"inputs\": {\"x\": [1, 2, 3]}}"), in + ":1:12: missing input \"k\" (i32[])");
        refused(jvp(SQUARE, "{\"inputs\": {\"x\": [1, 2, 3], \"y\": 1, \"k\": 4}}"),
                in + ":1:29: inputs \"y\" is not a parameter of the program (its parameters: x, k)");
        refused(jvp(SQUARE, "{\"inputs\": {\"x\": [1, 2], \"k\": 4}}"),
                in + ":1:18: inputs \"x\": expected 3 entries along axis 0 of f64[3], found 2");
        refused(jvp(SQUARE, "{\"inputs\": {\"x\": [1, [2], 3], \"k\": 4}}"),
                in + ":1:22: inputs \"x\": expected a number for f64[3], found an array");
        refused(jvp(SQUARE, "{\"inputs\": {\"x\": 1, \"k\": 4}}"),
                in + ":1:18: inputs \"x\": expected an array of 3 along axis 0 of f64[3], found the number 1");
        refused(jvp(SQUARE, "{\"inputs\": {\"x\": [1, 2, 3], \"k\": 4.5}}"),
                in + ":1:34: inputs \"k\": expected an int32 integer for i32[], found the number 4.5");
        refused(jvp(SQUARE, "{\"inputs\": {\"x\": [1, 2, 3], \"k\": 4}, \"tangents\": {\"k\": 1}}"),
                in + ":1:51: tangents \"k\": a i32[] parameter has no tangent");
        refused(jvp(SQUARE, "{\"inputs\": {\"x\": [1, 2, 3], \"k\": 4}, \"tangents\": {\"x\": [1, 2, true]}}"),
                in + ":1:63: tangents \"x\": expected a number for f64[3], found true");
        refused(jvp("""
                program(x=%0: f64[2]) {
                  %1: f64[2] = log %0
                  return y=%1
                }
                """, "{\"inputs\": {\"x\": [1, -1]}}"), "outputs \"y\": entry [1] is NaN");
        refused(jvp("""
                program(r1=%0: f64[]) {
                  return r1=%0, %0
                }
                """, "{\"inputs\": {\"r1\": 1}}"), "jvp: two results would be called \"r1\"; name result 1 in the program (return NAME=%ID)");
    }
}
