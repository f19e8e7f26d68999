package dev.streamfold.compiler.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code --help} of every command, {@code --version}, and what {@code noise --steps 0} says. */
class HelpTest {
    private static String[] run(String... argv) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int status = Main.run(argv, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        return new String[] {Integer.toString(status), out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8)};
    }

    @Test
    void everyCommandHasItsOwnHelp() {
        assertEquals("usage: streamfold noise --expr EXPR [--backend vector|llvm] --dim D --steps T --seed S [--stddev SIGMA]\n"
                + "      [--dtype float32|float64] [--threads K] [--param NAME=VALUE]... --out FILE|-\n"
                + "      [--state FILE] [--resume FILE]\n", run("noise", "--help")[1]);
        for (String cmd : Main.COMMANDS) {
            String[] r = run(cmd, "--expr", "x", "-h");
            assertEquals("0", r[0], cmd);
            assertTrue(r[1].startsWith("usage: streamfold " + cmd), cmd + ": " + r[1]);
            assertEquals("", r[2], cmd);
        }
        assertTrue(run("demo", "--help")[1].contains("[--dim D] [--steps T] [--threads K]"));
        String bench = run("bench", "--help")[1];
        assertTrue(bench.contains("[--csv] [--case compose3|blt4|noise-blt4|scan|toeplitz|optimize]\n      [--size D] [--threads K]\n"), bench);
        assertTrue(bench.contains("\nbench --case linalg [--quick] [--json FILE] [--ops lu,cholesky,qr,triangular_solve,eigh,svd]\n"
                + "      [--n 4,8,16,32] [--dtype float32,float64] [--threads 1,2] [--batch N]\n"), bench);
    }

    @Test
    void versionIsTheBuildsVersion() {
        String[] r = run("--version");
        assertEquals("0", r[0]);
        assertTrue(r[1].matches("streamfold \\d+\\.\\d+\\.\\d+(-SNAPSHOT)?\n"), r[1]);
    }

    @Test
    void demoOffATerminalPrintsALinePerTenPercent() {
        String[] r = run("demo", "--dim", "4096", "--steps", "20", "--threads", "1");
        assertEquals("0", r[0], r[2]);
        assertTrue(!r[1].contains("\r"), "no bar redrawn in place when stdout is not a terminal");
        long lines = r[1].lines().filter(l -> l.matches("   \\d+/20 steps  .*")).count();
        assertEquals(10, lines, r[1]);
        assertTrue(r[1].contains("   2/20 steps  ") && r[1].contains("   20/20 steps  "), r[1]);
    }

    @Test
    void zeroStepsSaysSo(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("n.bin");
        String[] r = run("noise", "--expr", "prefix_sum", "--dim", "10", "--steps", "0", "--seed", "1", "--out", out.toString());
        assertEquals("wrote no steps (--steps 0): " + out + " is empty\n", r[1]);
        assertEquals(0, Files.size(out));
    }
}
