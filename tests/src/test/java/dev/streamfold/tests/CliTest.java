package dev.streamfold.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.streamfold.compiler.cli.Json;
import dev.streamfold.compiler.cli.Main;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The CLI contract: outputs, and every bad input rejected with exit 2, one error line, no stdout. */
class CliTest {
    record Result(int status, String out, String err) {}

    static Result run(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int status = Main.run(args, new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Result(status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> json(Result r) {
        assertEquals(0, r.status(), r.err());
        return (Map<String, Object>) Json.parse(r.out(), "stdout");
    }

    @Test
    void prefixSumOfOneToFourOnEveryBackend(@TempDir Path dir) throws IOException {
        Path in = dir.resolve("x.json");
        Files.writeString(in, "[[1], [2], [3], [4]]");
        for (String backend : List.of("interpreter", "vector", "llvm")) {
            for (String dtype : List.of("float64", "float32")) {
                Map<String, Object> o = json(run("eval", "--expr", "prefix_sum", "--input", in.toString(), "--backend", backend,
                        "--dtype", dtype));
                assertEquals(List.of(List.of(1.0), List.of(3.0), List.of(6.0), List.of(10.0)), o.get("Ax"), backend + " " + dtype);
            }
        }
    }

    @Test
    void momentumCooldownGolden(@TempDir Path dir) throws IOException {
        Path in = dir.resolve("ones.json");
        Files.writeString(in, "[[1],[1],[1],[1],[1],[1],[1],[1]]");
        Map<String, Object> o = json(run("eval", "--expr", "momentum_sgd(momentum=1.0, learning_rates=[1,1,1,1,1,1,1,0.1])",
                "--input", in.toString()));
        List<?> ax = (List<?>) o.get("Ax");
        double[] want = {1, 3, 6, 10, 15, 21, 28, 28.8};
        for (int i = 0; i < want.length; i++) {
            assertEquals(want[i], (Double) ((List<?>) ax.get(i)).get(0), 1e-12);
        }
    }

    @Test
    void materializeAndRowNormsWithNamedParameters() {
        Map<String, Object> o = json(run("eval", "--expr", "prefix_sum @ diagonal($d)", "--param", "d=[2, 3]",
                "--materialize", "3", "--row-norms", "3", "--backend", "interpreter"));
        assertEquals(List.of(List.of(2.0, 0.0, 0.0), List.of(2.0, 3.0, 0.0), List.of(2.0, 3.0, 3.0)), o.get("materialized"));
        assertEquals(List.of(4.0, 13.0, 22.0), o.get("row_norms_squared"));
    }

    @Test
    void tangentsGiveDirectionalDerivatives() {
        Map<String, Object> o = json(run("eval", "--expr", "prefix_sum @ diagonal($d)", "--param", "d=[2, 3]",
                "--tangent", "d=[1, 0]", "--row-norms", "3"));
        // row norms 4 d0^2 ... : r0 = d0^2, r1 = d0^2 + d1^2, r2 = d0^2 + 2 d1^2; d/dd0 in direction (1,0) = 2 d0
        assertEquals(List.of(4.0, 4.0, 4.0), o.get("row_norms_squared_dot"));
    }

    @Test
    void vectorMatchesInterpreterThroughTheCli() {
        String expr = "scale_rows_and_columns(prefix_sum @ momentum_sgd(0.5, [1, 0.5]), row_scale=[1, 2], col_scale=[3])";
        Object a = json(run("eval", "--expr", expr, "--materialize", "6", "--backend", "interpreter")).get("materialized");
        Object b = json(run("eval", "--expr", expr, "--materialize", "6", "--backend", "vector")).get("materialized");
        assertEquals(a, b);
    }

    @Test
    void cudaBackendWithoutADriverSaysSo() {
        org.junit.jupiter.api.Assumptions.assumeFalse(dev.streamfold.runtime.cuda.CudaDriver.isAvailable(),
                "a CUDA driver is present: the GPU conformance suite covers --backend cuda");
        Result r = run("eval", "--expr", "prefix_sum", "--materialize", "3", "--backend", "cuda");
        assertEquals(2, r.status());
        assertEquals("", r.out());
        assertEquals("error: --backend cuda: CUDA driver libcuda.so.1 not found: the cuda backend needs an NVIDIA driver; "
                + "use --backend vector or llvm\n", r.err().replace("\r", ""));
    }

    @Test
    void compilePtxWritesAssemblableKernelsAndManifest(@TempDir Path dir) throws IOException {
        Path out = dir.resolve("ptx");
        Result r = run("compile", "--expr", "prefix_sum @ momentum_sgd(0.9, [1, 0.5])", "--backend", "ptx", "--arch", "sm_80",
                "--dtype", "float32", "--out", out.toString());
        assertEquals(0, r.status(), r.err());
        try (Stream<Path> files = Files.list(out)) {
            List<Path> ptx = files.filter(p -> p.toString().endsWith(".ptx")).toList();
            assertEquals(1, ptx.size());
            String text = Files.readString(ptx.get(0));
            assertTrue(text.contains(".target sm_80") && text.contains(".entry"), text);
            if (dev.streamfold.compiler.llvm.PtxAssembler.available()) {
                new dev.streamfold.compiler.llvm.PtxAssembler().check(text, "sm_80");
            }
        }
        assertTrue(Files.readString(out.resolve("manifest.json")).contains("\"arch\": \"sm_80\""));
    }

    @Test
    void compileWritesSourceAndManifest(@TempDir Path dir) throws IOException {
        Path out = dir.resolve("k");
        Result r = run("compile", "--expr", "prefix_sum @ diagonal($d)", "--backend", "vector", "--dtype", "float32", "--out",
                out.toString());
        assertEquals(0, r.status(), r.err());
        try (Stream<Path> files = Files.walk(out)) {
            List<Path> java = files.filter(p -> p.toString().endsWith(".java")).toList();
            assertEquals(1, java.size());
            String src = Files.readString(java.get(0));
            assertTrue(src.startsWith("// Generated by Streamfold — do not edit."), src);
            assertTrue(src.contains("implements StepKernel"));
        }
        assertTrue(Files.readString(out.resolve("manifest.json")).contains("\"name\": \"d\""));
    }

    static Stream<Arguments> badInputs() {
        return Stream.of(
                Arguments.of(List.of("eval", "--expr", "momentum_sgd(0.9", "--materialize", "3"), "error: 1:17: expected ')' after argument list"),
                Arguments.of(List.of("eval", "--expr", "foo @ prefix_sum", "--materialize", "3"), "error: 1:1: unknown operator 'foo'"),
                Arguments.of(List.of("eval", "--expr", "diagonal(x=[1])", "--materialize", "3"), "error: 1:10: diagonal has no parameter 'x'"),
                Arguments.of(List.of("eval", "--expr", "diagonal([1], [2])", "--materialize", "3"), "error: 1:15: diagonal takes 1 argument (d), got 2"),
                Arguments.of(List.of("eval", "--expr", "diagonal", "--materialize", "3"), "error: 1:1: diagonal needs d"),
                Arguments.of(List.of("eval", "--expr", "diagonal([])", "--materialize", "3"), "error: 1:1: diagonal: d must not be empty"),
                Arguments.of(List.of("eval", "--expr", "diagonal([[1,2],[3,4]])", "--materialize", "3"), "error: 1:1: diagonal: d must be a 1-D array, got an array of shape [2,2]"),
                Arguments.of(List.of("eval", "--expr", "momentum_sgd(0.9, [1, -1])", "--materialize", "3"), "error: 1:1: momentum_sgd: learning_rates[1] = -1.0 must be > 0"),
                Arguments.of(List.of("eval", "--expr", "diagonal([1e400])", "--materialize", "3"), "error: 1:11: number 1e400 is not finite"),
                Arguments.of(List.of("eval", "--expr", "prefix_sum(1)", "--materialize", "3"), "error: 1:12: prefix_sum takes no arguments, got 1"),
                Arguments.of(List.of("eval", "--expr", "diagonal($d)", "--materialize", "3"), "error: parameter $d (diagonal d) is not bound: pass --param d=VALUE"),
                Arguments.of(List.of("eval", "--expr", "diagonal($d)", "--param", "e=1", "--materialize", "3"), "error: unknown parameter $e"),
                Arguments.of(List.of("eval", "--expr", "diagonal($d)", "--param", "d=[1,", "--materialize", "3"), "error: --param d: "),
                Arguments.of(List.of("eval", "--expr", "momentum_sgd($m)", "--param", "m=[1,2]", "--materialize", "3"), "error: momentum_sgd: momentum must be a number"),
                Arguments.of(List.of("eval", "--expr", "prefix_sum"), "error: eval: nothing to compute"),
                Arguments.of(List.of("eval", "--expr", "prefix_sum", "--materialize", "-1"), "error: eval: --materialize must be an integer in [0, 46340], got '-1'"),
                Arguments.of(List.of("eval", "--expr", "prefix_sum", "--materialize", "x"), "error: eval: --materialize must be an integer in [0, 46340], got 'x'"),
                Arguments.of(List.of("eval", "--expr", "prefix_sum", "--materialize", "2", "--backend", "gpu"), "error: unknown backend 'gpu'"),
                Arguments.of(List.of("eval", "--expr", "prefix_sum", "--materialize", "2", "--dtype", "float16"), "error: unknown dtype 'float16'"),
                Arguments.of(List.of("eval", "--expr", "prefix_sum", "--materialize", "2", "--bogus", "1"), "error: eval: unknown option '--bogus'"),
                Arguments.of(List.of("eval", "--materialize", "2"), "error: eval: option --expr is required"),
                Arguments.of(List.of("eval", "--expr", "prefix_sum", "--input", "/nonexistent/x.json"), "error: --input /nonexistent/x.json: no such file"),
                Arguments.of(List.of("eval", "--expr", "prefix_sum", "--tangent", "d=[1]", "--materialize", "2"), "error: tangent for unknown parameter $d"),
                Arguments.of(List.of("eval", "--expr", "diagonal($d)", "--param", "d=[1,2]", "--tangent", "d=[1]", "--materialize", "2"), "error: tangent of $d has shape [1] but the parameter has shape [2]"),
                Arguments.of(List.of("frobnicate"), "error: unknown command 'frobnicate'"),
                Arguments.of(List.of("compile", "--expr", "prefix_sum", "--backend", "vector"), "error: compile: option --out is required"),
                Arguments.of(List.of("compile", "--expr", "prefix_sum", "--backend", "ptx", "--arch", "sm_70", "--out", "/tmp/x"),
                        "error: --arch sm_70 is not supported (expected sm_80 or sm_90)"),
                Arguments.of(List.of("compile", "--expr", "prefix_sum", "--backend", "vector", "--arch", "sm_80", "--out", "/tmp/x"),
                        "error: --arch applies to --backend ptx only"),
                Arguments.of(List.of("compile", "--expr", "prefix_sum", "--backend", "wasm", "--out", "/tmp/x"),
                        "error: unknown backend 'wasm' (expected vector or ptx)"),
                Arguments.of(List.of("compile", "--expr", "prefix_sum", "--backend", "vector", "--out", ""),
                        "error: compile: --out must name a directory, got ''"),
                Arguments.of(List.of("noise", "--expr", "prefix_sum", "--dim", "10", "--steps", "1", "--seed", "1", "--out", ""),
                        "error: noise: --out must name a file, got ''"),
                Arguments.of(List.of("noise", "--expr", "prefix_sum", "--dim", "10", "--steps", "1", "--seed", "1",
                        "--out", "/tmp/streamfold-same.bin", "--state", "/tmp/streamfold-same.bin"),
                        "error: noise: --out and --state name the same file (/tmp/streamfold-same.bin)"),
                Arguments.of(List.of("noise", "--expr", "prefix_sum", "--dim", "10", "--steps", "1", "--seed", "1",
                        "--out", "/tmp/streamfold-same.bin", "--resume", "/tmp/../tmp/streamfold-same.bin"),
                        "error: noise: --out and --resume name the same file (/tmp/../tmp/streamfold-same.bin)"),
                Arguments.of(List.of("noise", "--expr", "prefix_sum", "--dim", "10", "--steps", "1", "--seed", "1",
                        "--out", "/tmp/streamfold-unwritten.bin", "--state", "/dev/full"),
                        "error: noise: cannot write --state /dev/full: No space left on device"),
                Arguments.of(List.of("noise", "--expr", "prefix_sum", "--dim", "10", "--steps", "1", "--seed", "1",
                        "--stddev", "1e300", "--out", "/tmp/streamfold-unwritten.bin"),
                        "error: noise: step 0, coordinate 0 is Infinity (the values overflow float32); nothing was written"),
                // sizes, number forms, bounds and operator counts; a row ending in a line feed is the whole message
                Arguments.of(List.of("eval", "--expr", "prefix_sum", "--materialize", "46341"),
                        "error: eval: --materialize must be an integer in [0, 46340], got '46341'\n"),
                Arguments.of(List.of("eval", "--expr", "prefix_sum", "--materialize", "65536"),
                        "error: eval: --materialize must be an integer in [0, 46340], got '65536'\n"),
                Arguments.of(List.of("eval", "--expr", "prefix_sum", "--row-norms", "46341"),
                        "error: eval: --row-norms must be an integer in [0, 46340], got '46341'\n"),
                Arguments.of(List.of("eval", "--expr", "prefix_sum", "--row-norms", "2147483647"),
                        "error: eval: --row-norms must be an integer in [0, 46340], got '2147483647'\n"),
                Arguments.of(List.of("eval", "--expr", "prefix_sum", "--row-norms", "40000000", "--dtype", "float32"),
                        "error: eval: --row-norms must be an integer in [0, 46340], got '40000000'\n"),
                Arguments.of(List.of("eval", "--expr", "prefix_sum", "--row-norms", "99999999999999999999"),
                        "error: eval: --row-norms must be an integer in [0, 46340], got '99999999999999999999'\n"),
                Arguments.of(List.of("eval", "--expr", "prefix_sum", "--materialize", "+3"),
                        "error: eval: --materialize must be an integer in [0, 46340], got '+3'\n"),
                Arguments.of(List.of("eval", "--expr", "prefix_sum", "--materialize", " 3"),
                        "error: eval: --materialize must be an integer in [0, 46340], got ' 3'\n"),
                Arguments.of(List.of("eval", "--expr", "prefix_sum", "--materialize", "3.0"),
                        "error: eval: --materialize must be an integer in [0, 46340], got '3.0'\n"),
                Arguments.of(List.of("eval", "--expr", "prefix_sum", "--materialize", "2", "--threads", "4097"),
                        "error: eval: --threads must be an integer in [1, 4096], got '4097'\n"),
                Arguments.of(List.of("eval", "--expr", "prefix_sum", "--materialize", "2", "--threads", "1000000"),
                        "error: eval: --threads must be an integer in [1, 4096], got '1000000'\n"),
                Arguments.of(List.of("eval", "--expr", "diagonal($d)", "--param", "d=0x1p3", "--materialize", "2"),
                        "error: --param d: 1:2: unexpected name 'x1p3' after the value\n"),
                Arguments.of(List.of("eval", "--expr", "prefix_sum" + " * 2".repeat(3000), "--materialize", "2"),
                        "error: 1:1032: more than 256 operators in one expression (each operator name and each '* number' counts one)\n"),
                Arguments.of(List.of("eval", "--expr", "identity" + " @ identity".repeat(4000), "--materialize", "2"),
                        "error: 1:2817: more than 256 operators in one expression (each operator name and each '* number' counts one)\n"),
                Arguments.of(List.of("noise", "--expr", "prefix_sum" + " * 2".repeat(3000), "--dim", "4", "--steps", "1", "--seed", "1",
                        "--out", "/nonexistent/n.bin"),
                        "error: 1:1032: more than 256 operators in one expression (each operator name and each '* number' counts one)\n"),
                Arguments.of(List.of("noise", "--expr", "identity", "--dim", "2305843009213693952", "--steps", "1", "--seed", "1",
                        "--out", "/nonexistent/n.bin"), "error: noise: --dim must be an integer in [1, 2^40], got '2305843009213693952'\n"),
                Arguments.of(List.of("noise", "--expr", "identity", "--dim", "4611686018427387904", "--steps", "1", "--seed", "1",
                        "--out", "/nonexistent/n.bin"), "error: noise: --dim must be an integer in [1, 2^40], got '4611686018427387904'\n"),
                Arguments.of(List.of("noise", "--expr", "identity", "--dim", "9223372036854775807", "--steps", "1", "--seed", "1",
                        "--out", "/nonexistent/n.bin"), "error: noise: --dim must be an integer in [1, 2^40], got '9223372036854775807'\n"),
                Arguments.of(List.of("noise", "--expr", "identity", "--dim", "1099511627777", "--steps", "1", "--seed", "1",
                        "--out", "/nonexistent/n.bin"), "error: noise: --dim must be an integer in [1, 2^40], got '1099511627777'\n"),
                Arguments.of(List.of("noise", "--expr", "identity", "--dim", "4", "--steps", "-1", "--seed", "1",
                        "--out", "/nonexistent/n.bin"), "error: noise: --steps must be an integer in [0, 2147483647], got '-1'\n"),
                Arguments.of(List.of("noise", "--expr", "identity", "--dim", "4", "--steps", "1", "--seed", "+5",
                        "--out", "/nonexistent/n.bin"), "error: noise: --seed must be an integer in [-2^63, 2^64), got '+5'\n"),
                Arguments.of(List.of("noise", "--expr", "identity", "--dim", "4", "--steps", "1", "--seed", "18446744073709551616",
                        "--out", "/nonexistent/n.bin"), "error: noise: --seed must be an integer in [-2^63, 2^64), got '18446744073709551616'\n"),
                Arguments.of(List.of("noise", "--expr", "identity", "--dim", "4", "--steps", "1", "--seed", "1", "--stddev", "0x1p3",
                        "--out", "/nonexistent/n.bin"),
                        "error: noise: --stddev must be a finite number of the form [-]digits[.digits][e[+|-]digits], got '0x1p3'\n"),
                Arguments.of(List.of("noise", "--expr", "identity", "--dim", "4", "--steps", "1", "--seed", "1", "--stddev", "1d",
                        "--out", "/nonexistent/n.bin"),
                        "error: noise: --stddev must be a finite number of the form [-]digits[.digits][e[+|-]digits], got '1d'\n"),
                Arguments.of(List.of("noise", "--expr", "identity", "--dim", "4", "--steps", "1", "--seed", "1", "--stddev", "1f",
                        "--out", "/nonexistent/n.bin"),
                        "error: noise: --stddev must be a finite number of the form [-]digits[.digits][e[+|-]digits], got '1f'\n"),
                Arguments.of(List.of("noise", "--expr", "identity", "--dim", "4", "--steps", "1", "--seed", "1", "--stddev", ".5",
                        "--out", "/nonexistent/n.bin"),
                        "error: noise: --stddev must be a finite number of the form [-]digits[.digits][e[+|-]digits], got '.5'\n"),
                Arguments.of(List.of("noise", "--expr", "identity", "--dim", "4", "--steps", "1", "--seed", "1", "--stddev", "Infinity",
                        "--out", "/nonexistent/n.bin"),
                        "error: noise: --stddev must be a finite number of the form [-]digits[.digits][e[+|-]digits], got 'Infinity'\n"),
                Arguments.of(List.of("noise", "--expr", "identity", "--dim", "4", "--steps", "1", "--seed", "1", "--threads", "1000000",
                        "--out", "/nonexistent/n.bin"), "error: noise: --threads must be an integer in [1, 4096], got '1000000'\n"),
                Arguments.of(List.of("demo", "--dim", "4611686018427387904"),
                        "error: demo: --dim must be an integer in [1, 2^40], got '4611686018427387904'\n"),
                Arguments.of(List.of("demo", "--dim", "abc"), "error: demo: --dim must be an integer in [1, 2^40], got 'abc'\n"),
                Arguments.of(List.of("demo", "--steps", "0"), "error: demo: --steps must be an integer in [1, 100000], got '0'\n"),
                Arguments.of(List.of("demo", "--threads", "0"), "error: demo: --threads must be an integer in [1, 4096], got '0'\n"),
                Arguments.of(List.of("demo", "--bogus"), "error: demo: unknown option '--bogus'\n"),
                Arguments.of(List.of("eval", "--expr", "momentum_sgd(momentum=0.9, learning_rates=[1e-50])", "--dtype", "float32",
                        "--materialize", "2"), "error: momentum_sgd learning_rates[0] = 0.0 must be > 0 (as bound for a float32 kernel)\n"),
                Arguments.of(List.of("bench"), "error: 'bench' runs through the streamfold launcher script (./streamfold bench), not this class\n"),
                Arguments.of(List.of(""), "error: empty command word (commands: demo, test, eval, compile, noise, jvp, mechanism, optimize, bench, gpu-bundle)\n"));
    }

    @ParameterizedTest(name = "{1}")
    @MethodSource("badInputs")
    void badInputIsRejectedWithOneErrorLine(List<String> args, String messageStart) {
        Result r = run(args.toArray(String[]::new));
        assertEquals(2, r.status(), r.err());
        assertEquals("", r.out(), "nothing on stdout");
        assertTrue(r.err().startsWith(messageStart), "stderr was: " + r.err());
        assertEquals(1, r.err().lines().count(), "one line: " + r.err());
    }

    @Test
    void badInputFilesAreRejected(@TempDir Path dir) throws IOException {
        Map<String, String> cases = Map.of(
                "[[1, 2], [3]]", "row 1 has 1 values, row 0 has 2",
                "[[1, \"a\"]]", "element [0][1] is not a number",
                "[1, 2]", "row 0 is not an array",
                "[[1, 2]", "expected ',' or ']' in array",
                "{}", "expected a non-empty JSON array of rows");
        for (var c : cases.entrySet()) {
            Path in = dir.resolve("bad.json");
            Files.writeString(in, c.getKey());
            Result r = run("eval", "--expr", "prefix_sum", "--input", in.toString());
            assertEquals(2, r.status(), c.getKey());
            assertTrue(r.err().contains(c.getValue()), c.getKey() + " -> " + r.err());
            assertEquals("", r.out());
        }
    }

    @Test
    void overflowIsAnErrorNotASilentInfinity(@TempDir Path dir) throws IOException {
        Path in = dir.resolve("big.json");
        Files.writeString(in, "[[3e38], [3e38]]");
        Result r = run("eval", "--expr", "prefix_sum", "--input", in.toString(), "--dtype", "float32");
        assertEquals(2, r.status());
        assertTrue(r.err().startsWith("error: Ax: entry [1][0] is Infinity"), r.err());
    }
}
