package dev.streamfold.compiler.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/**
 * The compiler module's class path has no LLVM (it is in streamfold-compiler-llvm): the Vector API backend works and
 * the LLVM backends are one clear error.
 */
class WithoutLlvmTest {
    private record Result(int status, String out, String err) {}

    private static Result run(String... argv) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int status = Main.run(argv, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Result(status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void vectorBackendRunsWithoutLlvm() {
        Result r = run("eval", "--expr", "prefix_sum", "--row-norms", "2");
        assertEquals(new Result(0, "{\"row_norms_squared\": [1.0, 2.0]}\n", ""), r);
    }

    @Test
    void llvmBackendsNameTheMissingArtifact() {
        assertEquals(new Result(2, "", "error: --backend llvm needs the LLVM backend, which is not on the class path: add "
                + "dev.streamfold:streamfold-compiler-llvm\n"), run("eval", "--expr", "prefix_sum", "--row-norms", "2",
                "--backend", "llvm"));
        assertEquals(2, run("gpu-bundle", "--out", "unused-dir", "--jdk", "none").status());
    }
}
