package dev.streamfold.compiler.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code --out -}: noise writes its values to standard output, and saves its state only after all of them. */
class StdoutOutputTest {
    record Result(int status, byte[] out, String err) {}

    static Result run(OutputStream stdout, String... args) {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        PrintStream out = new PrintStream(stdout, false, StandardCharsets.UTF_8);
        int status = Main.run(args, out, new PrintStream(err, true, StandardCharsets.UTF_8));
        byte[] bytes = stdout instanceof ByteArrayOutputStream b ? b.toByteArray() : new byte[0];
        return new Result(status, bytes, err.toString(StandardCharsets.UTF_8));
    }

    static String[] noise(int steps, String out, String... more) {
        List<String> a = new java.util.ArrayList<>(List.of("noise", "--expr", "prefix_sum @ momentum_sgd(0.9, [1, 0.5])",
                "--dim", "100", "--steps", Integer.toString(steps), "--seed", "7", "--threads", "2", "--out", out));
        a.addAll(List.of(more));
        return a.toArray(String[]::new);
    }

    static List<String> names(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    void theValuesGoToStandardOutputAndTheStateResumes(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("six.bin");
        Result whole = run(new ByteArrayOutputStream(), noise(6, file.toString()));
        assertEquals(0, whole.status(), whole.err());
        byte[] six = Files.readAllBytes(file);
        assertEquals(6 * 100 * 4, six.length);

        Path state = dir.resolve("state.bin");
        Result first = run(new ByteArrayOutputStream(), noise(4, "-", "--state", state.toString()));
        assertEquals(0, first.status(), first.err());
        assertArrayEquals(Arrays.copyOf(six, 4 * 100 * 4), first.out());
        assertEquals("wrote steps 0..3 (4 x 100 float32) to standard output; state at step 4 saved to " + state + "\n",
                first.err());
        Result rest = run(new ByteArrayOutputStream(), noise(2, "-", "--resume", state.toString()));
        assertEquals(0, rest.status(), rest.err());
        assertArrayEquals(Arrays.copyOfRange(six, 4 * 100 * 4, six.length), rest.out());
    }

    @Test
    void aFailedWriteExitsTwoAndSavesNoState(@TempDir Path dir) throws IOException {
        Path state = dir.resolve("state.bin");
        OutputStream closedPipe = new OutputStream() {
            @Override
            public void write(int b) throws IOException {
                throw new IOException("Broken pipe");
            }

            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                throw new IOException("Broken pipe");
            }
        };
        Result r = run(closedPipe, noise(3, "-", "--state", state.toString()));
        assertEquals(2, r.status());
        assertEquals("error: noise: cannot write --out - (standard output); --state " + state + " was not saved\n", r.err());
        assertEquals(List.of(), names(dir), "no state and no temporary file");
    }

    @Test
    void compileRefusesStandardOutput() {
        Result r = run(new ByteArrayOutputStream(), "compile", "--expr", "prefix_sum", "--backend", "vector", "--out", "-");
        assertEquals(2, r.status());
        assertEquals(0, r.out().length);
        assertEquals("error: compile: --out - (standard output) is not supported: compile writes a directory of files;"
                + " name a directory\n", r.err());
        assertTrue(Files.notExists(Path.of("-")));
    }
}
