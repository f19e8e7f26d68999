package dev.streamfold.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.streamfold.compiler.cli.Json;
import dev.streamfold.ir.DType;
import dev.streamfold.ir.Shape;
import dev.streamfold.ir.Tensor;
import dev.streamfold.ir.linalg.Linalg;
import dev.streamfold.ir.linalg.LinalgOp;
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

    /** The example of README.md's `jvp` section, word for word. */
    @Test
    void readmeExample() throws IOException {
        CliTest.Result r = jvp("""
                program(x=%0: f64[3]) {
                  %1: f64[3] = mul %0, %0
                  %2: f64[] = reduce_sum{axes=[0]} %1
                  return sq=%1, total=%2
                }
                """, """
                {"inputs": {"x": [1, 2, 3]}, "tangents": {"x": [1, 0, 0.5]}}""");
        assertEquals("{\"outputs\": {\"sq\": [1.0, 4.0, 9.0], \"total\": 14.0}, \"tangents\": {\"sq\": [2.0, 0.0, 3.0], "
                + "\"total\": 5.0}}\n", r.out());
        refused(op("eigh", "{\"A\": [[2, 0], [0, 2]], \"dA\": [[1, 0], [0, 0]]}"),
                "eigh: the matrix has repeated eigenvalues 2.0 and 2.0 (relative gap 0 < 1e-10); the derivative does not exist");
    }

    @Test
    void dtypeCastsTheProgramsFloatingTypes() throws IOException {
        CliTest.Result r = jvp("""
                program(x=%0: f64[2]) {
                  %1: f64[2] = constant{f64[2] [0.1, 0.2]}
                  %2: f64[2] = mul %0, %1
                  return y=%2
                }
                """, """
                {"inputs": {"x": [1, 3]}, "tangents": {"x": [1, 0]}}""", "--dtype", "float32");
        assertEquals("{\"outputs\": {\"y\": [0.1, 0.6]}, \"tangents\": {\"y\": [0.1, 0.0]}}\n", r.out());
        Map<String, Object> f64 = CliTest.json(jvp("""
                program(x=%0: f64[2]) {
                  %1: f64[2] = constant{f64[2] [0.1, 0.2]}
                  %2: f64[2] = mul %0, %1
                  return y=%2
                }
                """, """
                {"inputs": {"x": [1, 3]}}"""));
        assertEquals(List.of(0.1, 0.6000000000000001), section(f64, "outputs").get("y"));
    }

    /** Inputs with one character deleted or replaced give a result or one error line, never an internal error. */
    @Test
    void mutatedInputsAreAnsweredOrRefused() throws IOException {
        String chain = "{\"inputs\": {\"a\": [1, -1], \"b\": [0, 0], \"c\": [0, 0], \"d\": 0, \"xs\": [[2, 3], [5, 7], [11, 13], [17, 19]]},"
                + " \"tangents\": {\"a\": [1, 2]}}";
        String lu = "{\"params\": {}, \"A\": [[4, 3], [6, 3]], \"dA\": [[1, 0], [0, 0]]}";
        String solve = "{\"params\": {\"lower\": true}, \"A\": [[2, 0], [1, 3]], \"B\": [[1, 2], [3, 4]], \"dA\": [[1, 0], [0, 1]]}";
        java.util.Random r = new java.util.Random(3);
        String replacements = "[]{},:\"0-1.e tfn";
        for (int trial = 0; trial < 120; trial++) {
            String base = trial % 3 == 0 ? chain : trial % 3 == 1 ? lu : solve;
            int at = r.nextInt(base.length());
            String mutated = r.nextBoolean() ? base.substring(0, at) + base.substring(at + 1)
                    : base.substring(0, at) + replacements.charAt(r.nextInt(replacements.length())) + base.substring(at + 1);
            CliTest.Result res = trial % 3 == 0 ? jvp(CHAIN, mutated)
                    : op(trial % 3 == 1 ? "lu" : "triangular_solve", mutated);
            if (res.status() == 0) {
                assertEquals("", res.err(), mutated);
            } else {
                assertEquals(2, res.status(), mutated + " -> " + res.err());
                assertEquals("", res.out(), mutated);
                assertEquals(1, res.err().lines().count(), mutated + " -> " + res.err());
                assertTrue(res.err().startsWith("error: "), res.err());
            }
        }
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

    @Test
    void aMillionEntryInputIsReadInOnePass() throws IOException {
        int n = 1_000_000;
        StringBuilder x = new StringBuilder();
        StringBuilder t = new StringBuilder();
        long sum = 0;
        for (int i = 0; i < n; i++) {
            x.append(i == 0 ? "" : ",\n").append(i % 7);
            t.append(i == 0 ? "" : ", ").append(i % 2);
            sum += i % 7;
        }
        String program = "program(x=%0: f64[" + n + "]) {\n  %1: f64[] = reduce_sum{axes=[0]} %0\n  return total=%1\n}\n";
        Map<String, Object> o = CliTest.json(jvp(program, "{\"inputs\": {\"x\": [" + x + "]}, \"tangents\": {\"x\": [" + t + "]}}"));
        assertEquals((double) sum, section(o, "outputs").get("total"));
        assertEquals((double) (n / 2), section(o, "tangents").get("total"));
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
        refused(jvp(SQUARE, ok, "--backend", "vector"), "jvp: --backend vector compiles the program as a batched kernel over axis 0"
                + " of every parameter and result: lowering program_jvp: parameter 1 is the scalar i32[] and has no batch axis");
        refused(jvp(SQUARE, ok, "--backend", "llvm"), "jvp: --backend llvm compiles the program as a batched kernel over axis 0"
                + " of every parameter and result: lowering program_jvp: parameter 1 is the scalar i32[] and has no batch axis");
        refused(jvp(SQUARE, ok, "--backend", "cuda"), "jvp: unknown backend 'cuda' (expected interpreter, vector or llvm)");
        refused(jvp(SQUARE, ok, "--dtype", "float16"), "unknown dtype 'float16' (expected float32 or float64)");
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

    // ---- --op ---------------------------------------------------------------------------------

    private CliTest.Result op(String name, String input, String... more) throws IOException {
        List<String> args = new ArrayList<>(List.of("jvp", "--op", name, "--input", file("op.json", input).toString()));
        args.addAll(List.of(more));
        return CliTest.run(args.toArray(String[]::new));
    }

    /** One request through the CLI: the op as the CLI should build it from the params, and the matrices. */
    record OpCase(String label, String cliName, String params, LinalgOp op, Tensor a, Tensor da, Tensor b, Tensor db) {}

    private static final double[] M33 = {4, -2, 1, 3, 6, -4, 2, 1, 8};
    private static final double[] D33 = {0.5, -1, 0.25, 1, 0.3, -0.7, -0.2, 0.9, 0.4};

    private static Tensor t(double[] v, int... dims) {
        return Tensor.of(DType.F64, new Shape(dims), v);
    }

    /** Deterministic entries in [-1, 1] for a matrix or batch of the given shape. */
    private static Tensor wave(double phase, int... dims) {
        Shape s = new Shape(dims);
        double[] v = new double[(int) s.size()];
        for (int i = 0; i < v.length; i++) {
            v[i] = Math.sin(1.7 * i + phase) * (1 + 0.1 * i) / (1 + 0.1 * v.length);
        }
        return new Tensor(DType.F64, s, v);
    }

    private static Tensor symmetric(Tensor a) {
        double[] v = a.data();
        int n = a.shape().dim(a.shape().rank() - 1);
        for (int q = 0; q < v.length / (n * n); q++) {
            for (int i = 0; i < n; i++) {
                for (int j = 0; j < i; j++) {
                    double m = (v[q * n * n + i * n + j] + v[q * n * n + j * n + i]) / 2;
                    v[q * n * n + i * n + j] = m;
                    v[q * n * n + j * n + i] = m;
                }
                v[q * n * n + i * n + i] += 2 * i + 3;
            }
        }
        return new Tensor(a.dtype(), a.shape(), v);
    }

    private static List<OpCase> opCases() {
        List<OpCase> c = new ArrayList<>();
        Tensor a = t(M33, 3, 3);
        Tensor da = t(D33, 3, 3);
        c.add(new OpCase("lu 3x3 (pivots)", "lu", "{}", LinalgOp.lu(), a, da, null, null));
        c.add(new OpCase("lu tall", "lu", "{}", LinalgOp.lu(), wave(0.3, 5, 3), wave(1, 5, 3), null, null));
        c.add(new OpCase("lu wide", "lu", "{}", LinalgOp.lu(), wave(0.3, 3, 5), wave(1, 3, 5), null, null));
        c.add(new OpCase("lu batch", "lu", "{}", LinalgOp.lu(), wave(0.3, 2, 3, 3), wave(1, 2, 3, 3), null, null));
        c.add(new OpCase("qr default (reduced)", "qr", "{}", LinalgOp.qr(false), wave(0.3, 5, 3), wave(1, 5, 3), null, null));
        c.add(new OpCase("qr wide", "qr", "{}", LinalgOp.qr(false), wave(0.3, 3, 5), wave(1, 3, 5), null, null));
        c.add(new OpCase("qr full tall", "qr", "{\"full_matrices\": true}", LinalgOp.qr(true), wave(0.3, 5, 3), wave(1, 5, 3),
                null, null));
        c.add(new OpCase("qr batch", "qr", "{}", LinalgOp.qr(false), wave(0.3, 2, 3, 3), wave(1, 2, 3, 3), null, null));
        c.add(new OpCase("svd default (full, square)", "svd", "{}", LinalgOp.svd(true, true), a, da, null, null));
        c.add(new OpCase("svd reduced tall", "svd", "{\"full_matrices\": false}", LinalgOp.svd(false, true), wave(0.3, 5, 3),
                wave(1, 5, 3), null, null));
        c.add(new OpCase("svd reduced wide", "svd", "{\"full_matrices\": false}", LinalgOp.svd(false, true), wave(0.3, 3, 5),
                wave(1, 3, 5), null, null));
        c.add(new OpCase("svd values only", "svd", "{\"compute_uv\": false, \"full_matrices\": false}", LinalgOp.svd(false, false),
                wave(0.3, 4, 3), wave(1, 4, 3), null, null));
        c.add(new OpCase("svd batch", "svd", "{\"full_matrices\": false}", LinalgOp.svd(false, true), wave(0.3, 2, 3, 2),
                wave(1, 2, 3, 2), null, null));
        Tensor s = symmetric(wave(0.3, 4, 4));
        c.add(new OpCase("eigh default", "eigh", "{}", LinalgOp.eigh(true, true), s, wave(1, 4, 4), null, null));
        c.add(new OpCase("eigh upper, not symmetrized", "eigh", "{\"lower\": false, \"symmetrize_input\": false}",
                LinalgOp.eigh(false, false), s, wave(1, 4, 4), null, null));
        c.add(new OpCase("eigh batch", "eigh", "{}", LinalgOp.eigh(true, true), symmetric(wave(0.3, 2, 3, 3)), wave(1, 2, 3, 3),
                null, null));
        c.add(new OpCase("cholesky default", "cholesky", "{}", LinalgOp.cholesky(true), s, wave(1, 4, 4), null, null));
        c.add(new OpCase("cholesky lower triangle only", "cholesky", "{\"symmetrize_input\": false}", LinalgOp.cholesky(false), s,
                wave(1, 4, 4), null, null));
        c.add(new OpCase("cholesky batch", "cholesky", "{}", LinalgOp.cholesky(true), symmetric(wave(0.3, 2, 3, 3)),
                wave(1, 2, 3, 3), null, null));
        for (int flags = 0; flags < 16; flags++) {
            boolean left = (flags & 1) != 0;
            boolean lower = (flags & 2) != 0;
            boolean trans = (flags & 4) != 0;
            boolean unit = (flags & 8) != 0;
            String params = "{\"left_side\": " + left + ", \"lower\": " + lower + ", \"transpose_a\": " + trans
                    + ", \"unit_diagonal\": " + unit + "}";
            int[] bShape = left ? new int[] {3, 2} : new int[] {2, 3};
            c.add(new OpCase("triangular_solve " + params, "triangular_solve", params,
                    LinalgOp.triangularSolve(left, lower, trans, unit), a, da, wave(2, bShape), wave(3, bShape)));
        }
        c.add(new OpCase("triangular_solve batch, only dB", "triangular_solve", "{}", LinalgOp.triangularSolve(false, false, false,
                false), symmetric(wave(0.3, 2, 3, 3)), null, wave(2, 2, 2, 3), wave(3, 2, 2, 3)));
        return c;
    }

    private static String json(Tensor t) {
        StringBuilder b = new StringBuilder();
        json(b, t.raw(), t.shape().dims(), 0, new int[] {0});
        return b.toString();
    }

    private static void json(StringBuilder b, double[] v, int[] dims, int axis, int[] next) {
        if (axis == dims.length) {
            b.append(v[next[0]++]);
            return;
        }
        b.append('[');
        for (int i = 0; i < dims[axis]; i++) {
            b.append(i == 0 ? "" : ", ");
            json(b, v, dims, axis + 1, next);
        }
        b.append(']');
    }

    private static void flatten(Object v, List<Double> out) {
        if (v instanceof List<?> l) {
            l.forEach(e -> flatten(e, out));
        } else {
            out.add((Double) v);
        }
    }

    private static Tensor shifted(Tensor x, Tensor dx, double h) {
        if (x == null || dx == null) {
            return x;
        }
        double[] v = x.data();
        for (int i = 0; i < v.length; i++) {
            v[i] += h * dx.raw()[i];
        }
        return new Tensor(x.dtype(), x.shape(), v);
    }

    private static Linalg.Outputs at(OpCase c, double h) {
        Tensor a = shifted(c.a(), c.da(), h);
        return c.b() == null ? Linalg.apply(c.op(), a) : Linalg.apply(c.op(), a, shifted(c.b(), c.db(), h));
    }

    /** Richardson-extrapolated central differences of every output along (dA, dB). */
    private static double[] finiteDifference(OpCase c, String output) {
        double h = 1e-3;
        double[] p1 = at(c, h).get(output).raw();
        double[] m1 = at(c, -h).get(output).raw();
        double[] p2 = at(c, h / 2).get(output).raw();
        double[] m2 = at(c, -h / 2).get(output).raw();
        double[] d = new double[p1.length];
        for (int i = 0; i < d.length; i++) {
            double coarse = (p1[i] - m1[i]) / (2 * h);
            double fine = (p2[i] - m2[i]) / h;
            d[i] = (4 * fine - coarse) / 3;
        }
        return d;
    }

    @Test
    void everyOpAndFlagMatchesFiniteDifferencesWithin1e9() throws IOException {
        for (OpCase c : opCases()) {
            StringBuilder in = new StringBuilder("{\"params\": ").append(c.params()).append(", \"A\": ").append(json(c.a()));
            if (c.da() != null) {
                in.append(", \"dA\": ").append(json(c.da()));
            }
            if (c.b() != null) {
                in.append(", \"B\": ").append(json(c.b())).append(", \"dB\": ").append(json(c.db()));
            }
            Map<String, Object> o = CliTest.json(op(c.cliName(), in.append('}').toString()));
            Linalg.Outputs direct = c.b() == null ? Linalg.apply(c.op(), c.a()) : Linalg.apply(c.op(), c.a(), c.b());
            assertEquals(c.op().outputs(), new ArrayList<>(section(o, "outputs").keySet()), c.label());
            assertEquals(c.op().outputs(), new ArrayList<>(section(o, "tangents").keySet()), c.label());
            for (String name : c.op().outputs()) {
                List<Double> got = new ArrayList<>();
                flatten(section(o, "outputs").get(name), got);
                double[] want = direct.get(name).raw();
                for (int i = 0; i < want.length; i++) {
                    assertEquals(want[i], got.get(i), 0.0, c.label() + " output " + name + " entry " + i);
                }
                Object tangent = section(o, "tangents").get(name);
                if (direct.get(name).dtype() != DType.F64) {
                    assertNull(tangent, c.label() + ": the integer output " + name + " has no tangent");
                    continue;
                }
                List<Double> dt = new ArrayList<>();
                flatten(tangent, dt);
                double[] fd = finiteDifference(c, name);
                double scale = 1;
                for (double v : fd) {
                    scale = Math.max(scale, Math.abs(v));
                }
                for (int i = 0; i < fd.length; i++) {
                    assertEquals(fd[i], dt.get(i), 1e-9 * scale, c.label() + " tangent " + name + " entry " + i);
                }
            }
        }
    }

    /** The request of {@code c} as an {@code --input} document. */
    private static String request(OpCase c) {
        StringBuilder in = new StringBuilder("{\"params\": ").append(c.params()).append(", \"A\": ").append(json(c.a()));
        if (c.da() != null) {
            in.append(", \"dA\": ").append(json(c.da()));
        }
        if (c.b() != null) {
            in.append(", \"B\": ").append(json(c.b())).append(", \"dB\": ").append(json(c.db()));
        }
        return in.append('}').toString();
    }

    /** Every entry of {@code got} within 1e-10 of {@code want}, relative to the largest entry of {@code want} (at least 1). */
    private static void assertClose(Object want, Object got, String what) {
        if (want == null) {
            assertNull(got, what);
            return;
        }
        List<Double> w = new ArrayList<>();
        flatten(want, w);
        List<Double> g = new ArrayList<>();
        flatten(got, g);
        assertEquals(w.size(), g.size(), what);
        double scale = 1;
        for (double v : w) {
            scale = Math.max(scale, Math.abs(v));
        }
        for (int i = 0; i < w.size(); i++) {
            assertEquals(w.get(i), g.get(i), 1e-10 * scale, what + " entry " + i);
        }
    }

    /** The cases the kernel backends are checked on: each op on a single matrix and on a batch. */
    private static List<OpCase> kernelCases() {
        List<String> labels = List.of("lu 3x3 (pivots)", "lu tall", "lu batch", "qr default (reduced)", "qr batch",
                "svd default (full, square)", "svd reduced tall", "svd batch", "eigh default", "eigh batch",
                "cholesky default", "cholesky batch",
                "triangular_solve {\"left_side\": true, \"lower\": true, \"transpose_a\": false, \"unit_diagonal\": false}",
                "triangular_solve {\"left_side\": false, \"lower\": false, \"transpose_a\": true, \"unit_diagonal\": true}",
                "triangular_solve batch, only dB");
        List<OpCase> cases = opCases().stream().filter(c -> labels.contains(c.label())).toList();
        assertEquals(labels.size(), cases.size(), "every chosen case exists");
        return cases;
    }

    @Test
    void kernelBackendsAgreeWithTheInterpreterWithin1e10() throws IOException {
        for (OpCase c : kernelCases()) {
            String in = request(c);
            Map<String, Object> want = CliTest.json(op(c.cliName(), in));
            for (String backend : List.of("vector", "llvm")) {
                Map<String, Object> got = CliTest.json(op(c.cliName(), in, "--backend", backend));
                for (String section : List.of("outputs", "tangents")) {
                    assertEquals(section(want, section).keySet(), section(got, section).keySet(), c.label() + " " + backend);
                    for (String name : section(want, section).keySet()) {
                        assertClose(section(want, section).get(name), section(got, section).get(name),
                                c.label() + " --backend " + backend + " " + section + " " + name);
                    }
                }
            }
        }
    }

    @Test
    void kernelBackendsNameTheFailedMatrixOfABatch() throws IOException {
        for (String backend : List.of("vector", "llvm")) {
            refused(op("lu", "{\"A\": [[[2, 1], [1, 3]], [[1, 2], [2, 4]], [[0, 1], [1, 0]]], \"dA\": [[[1, 0], [0, 0]],"
                    + " [[1, 0], [0, 0]], [[1, 0], [0, 0]]]}", "--backend", backend),
                    "lu: matrix 1 of the batch: a zero pivot: the matrix is singular");
            refused(op("cholesky", "{\"A\": [[[4, 0], [0, 4]], [[1, 0], [0, 1]], [[1, 2], [2, 1]]]}", "--backend", backend),
                    "cholesky: matrix 2 of the batch: the matrix is not positive definite");
        }
    }

    @Test
    void luOutputsSatisfyPermutedAEqualsLU() throws IOException {
        Map<String, Object> o = CliTest.json(op("lu", "{\"A\": [[1, 2], [3, 4]], \"dA\": [[0, 0], [0, 1]]}"));
        assertEquals(List.of(List.of(3.0, 4.0), List.of(1.0 / 3, 2 - 4.0 / 3)), section(o, "outputs").get("lu"));
        assertEquals(List.of(1.0, 1.0), section(o, "outputs").get("pivots"));
        assertEquals(List.of(1.0, 0.0), section(o, "outputs").get("permutation"));
        assertNull(section(o, "tangents").get("pivots"));
        assertNull(section(o, "tangents").get("permutation"));
    }

    @Test
    void emptyMatricesHaveEmptyFactorsAndTangents() throws IOException {
        CliTest.Result r = op("qr", "{\"A\": [[], []], \"dA\": [[], []]}");
        assertEquals("{\"outputs\": {\"q\": [[], []], \"r\": []}, \"tangents\": {\"q\": [[], []], \"r\": []}}\n", r.out());
    }

    @Test
    void float32RequestsPrintFloat32Values() throws IOException {
        CliTest.Result r = op("cholesky", "{\"A\": [[4, 2], [2, 3]], \"dA\": [[1, 0], [0, 0]]}", "--dtype", "float32");
        Map<String, Object> o = CliTest.json(r);
        List<Double> l = new ArrayList<>();
        flatten(section(o, "outputs").get("l"), l);
        assertEquals(List.of(2.0, 0.0, 1.0, (double) (float) Math.sqrt(2)), l.stream().map(v -> (double) (float) (double) v).toList());
        assertTrue(r.out().contains("1.4142135"), r.out());
        assertTrue(!r.out().contains("1.4142135623"), "float32 values print their shortest float form: " + r.out());
    }

    @Test
    void refusalsNameTheOpTheMatrixAndTheReason() throws IOException {
        refused(op("lu", "{\"A\": [[1, 2], [2, 4]], \"dA\": [[1, 0], [0, 0]]}"),
                "lu: the derivative does not exist: triangular_solve: the matrix is singular (diagonal entry 1 is zero)");
        refused(op("cholesky", "{\"A\": [[1, 2], [2, 1]], \"dA\": [[1, 0], [0, 0]]}"),
                "cholesky: the matrix is not positive definite (pivot 1 is -3.0)");
        refused(op("cholesky", "{\"A\": [[[4, 0], [0, 4]], [[1, 0], [0, 0]]]}"),
                "cholesky: matrix 1 of the batch is not positive definite (pivot 1 is 0.0)");
        refused(op("eigh", "{\"A\": [[2, 0], [0, 2]], \"dA\": [[1, 0], [0, 0]]}"),
                "eigh: the matrix has repeated eigenvalues 2.0 and 2.0 (relative gap 0 < 1e-10); the derivative does not exist");
        refused(op("svd", "{\"A\": [[2, 0], [0, 2]], \"dA\": [[1, 0], [0, 0]]}"),
                "svd: the matrix has repeated singular values 2.0 and 2.0 (relative gap 0 < 1e-10); the derivative does not exist");
        refused(op("svd", "{\"A\": [[2, 0], [0, 1], [1, 1]], \"dA\": [[1, 0], [0, 0], [0, 0]]}"),
                "svd: the derivative with full_matrices=true of a non-square matrix (3x2) does not exist: the complement singular"
                        + " vectors are not unique; use full_matrices=false");
        refused(op("qr", "{\"A\": [[1, 2], [2, 4]], \"dA\": [[1, 0], [0, 0]]}"),
                "qr: the matrix is rank-deficient: r[1, 1] = 4.440892098500626E-16 (relative size 2.0e-16 < 1e-10); the derivative"
                        + " does not exist");
        refused(op("triangular_solve", "{\"A\": [[2, 0], [1, 0]], \"B\": [[1, 2], [3, 4]]}"),
                "triangular_solve: the matrix is singular (diagonal entry 1 is zero)");
    }

    @Test
    void badOpRequestsAreRefusedWithOneLine() throws IOException {
        String in = dir.resolve("op.json").toString();
        refused(op("frob", "{}"), "jvp: unknown --op 'frob' (expected lu, qr, svd, eigh, cholesky, triangular_solve)");
        refused(op("eigh", "{\"A\": [[2, 1], [1, 3]]}", "--dtype", "float16"), "unknown dtype 'float16' (expected float32 or float64)");
        refused(op("eigh", "[]"), in + ":1:1: expected an object {\"params\": {...}, \"A\": [[...]], \"dA\": [[...]]}");
        refused(op("eigh", "{\"A\": [[2, 0], [1, 3]], \"params\": {\"lower\": 1}}"),
                in + ":1:45: param \"lower\" must be true or false, found the number 1");
        refused(op("eigh", "{\"A\": [[2, 0], [1, 3]], \"params\": {\"low\": true}}"),
                in + ":1:36: unknown param \"low\" for eigh (its params: lower, symmetrize_input)");
        refused(op("lu", "{\"A\": [[2, 0], [1, 3]], \"params\": {\"pivoting\": true}}"),
                in + ":1:36: unknown param \"pivoting\" for lu (it takes none)");
        refused(op("lu", "{\"A\": [[2, 0], [1, 3]], \"params\": []}"), in + ":1:35: \"params\" must be an object, found an array");
        refused(op("lu", "{\"A\": [[2, 0], [1, 3]], \"B\": [[1]]}"),
                in + ":1:25: unknown key \"B\" (lu takes \"params\", \"A\", \"dA\")");
        refused(op("lu", "{\"dA\": [[1]]}"), in + ":1:1: missing \"A\" (a matrix m x n or a batch x m x n)");
        refused(op("eigh", "{\"A\": [2, 0]}"),
                in + ":1:7: \"A\" must be a matrix (m x n) or a batch of matrices (batch x m x n), found an array of rank 1");
        refused(op("eigh", "{\"A\": 3}"),
                in + ":1:7: \"A\" must be a matrix (m x n) or a batch of matrices (batch x m x n), found the number 3");
        refused(op("eigh", "{\"A\": [[2, 0], [1]]}"), in + ":1:16: \"A\": expected 2 entries along axis 1 of f64[2,2], found 1");
        refused(op("eigh", "{\"A\": [[2, 0], [1, 3]], \"dA\": [[1, 0]]}"),
                in + ":1:31: \"dA\": expected 2 entries along axis 0 of f64[2,2], found 1");
        refused(op("cholesky", "{\"A\": [[2, 0, 1], [1, 3, 1]]}"), in + ":1:7: cholesky needs square matrices, got f64[2,3]");
        refused(op("triangular_solve", "{\"A\": [[2, 0], [1, 3]], \"B\": [[1, 2, 3]]}"),
                in + ":1:30: triangular_solve with left_side=false needs B with columns of size 2, got f64[2,2] and f64[1,3]");
        refused(op("triangular_solve", "{\"A\": [[2, 0], [1, 3]]}"), in + ":1:1: missing \"B\" (a matrix m x n or a batch x m x n)");
        refused(op("cholesky", "{\"A\": [[1e200, 1], [1, 1e200]]}", "--dtype", "float32"),
                in + ":1:9: \"A\": the number 1.0E200 is outside the float32 range");
        refused(op("lu", "{\"A\": [[]]}"), in + ":1:7: lu needs matrices of at least one row and one column, got f64[1,0]");
    }
}
