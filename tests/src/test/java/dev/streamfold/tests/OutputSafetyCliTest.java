package dev.streamfold.tests;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.streamfold.compiler.cli.Main;
import dev.streamfold.runtime.Checkpoint;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.lang.foreign.Arena;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Failed runs change no file, two options never name one file, special files are written through,
 * non-finite noise is refused, and writes to a full standard output are reported.
 */
class OutputSafetyCliTest {
    static final String EXPR = "inverse(blt(buf_decay=[0.9, 0.5], output_scale=[0.2, 0.1]))";

    static List<String> noise(Path out, String... extra) {
        List<String> a = new ArrayList<>(List.of("noise", "--expr", EXPR, "--dim", "1000", "--steps", "3", "--seed", "42",
                "--out", out.toString()));
        a.addAll(List.of(extra));
        return a;
    }

    static CliTest.Result run(List<String> args) {
        return CliTest.run(args.toArray(String[]::new));
    }

    static void assertRefused(CliTest.Result r, String message) {
        assertEquals(2, r.status(), r.err());
        assertEquals("", r.out());
        assertEquals(message + "\n", r.err());
    }

    static List<String> listing(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    static void mkfifo(Path p) throws Exception {
        assertEquals(0, ChildCli.await(new ProcessBuilder("mkfifo", p.toString()).start()));
    }

    @Test
    void aStateThatCannotBeWrittenLeavesTheOutputUntouched(@TempDir Path dir) throws IOException {
        Path out = dir.resolve("out.bin");
        Path state = dir.resolve("state.bin");
        assertEquals(0, run(noise(out, "--state", state.toString())).status());
        byte[] before = Files.readAllBytes(out);
        byte[] stateBefore = Files.readAllBytes(state);
        Path subdir = Files.createDirectory(dir.resolve("sub"));
        List<String> listed = listing(dir);
        List<String> seed43 = noise(out);
        seed43.set(seed43.indexOf("--seed") + 1, "43");

        List<String> a = new ArrayList<>(seed43);
        a.addAll(List.of("--state", subdir.toString()));
        assertRefused(run(a), "error: noise: cannot write --state " + subdir + ": it is a directory");
        a = new ArrayList<>(seed43);
        a.addAll(List.of("--state", out.resolve("s.bin").toString()));
        assertRefused(run(a), "error: noise: cannot write --state " + out.resolve("s.bin") + ": " + out + " is not a directory");
        a = new ArrayList<>(seed43);
        a.addAll(List.of("--state", "/dev/full"));
        assertRefused(run(a), "error: noise: cannot write --state /dev/full: No space left on device");

        assertArrayEquals(before, Files.readAllBytes(out), "--out is untouched");
        assertArrayEquals(stateBefore, Files.readAllBytes(state));
        assertEquals(listed, listing(dir), "no temporary file is left");
        assertEquals(List.of(), listing(subdir));
    }

    @Test
    void anOutputThatCannotBeWrittenLeavesTheStateUntouched(@TempDir Path dir) throws IOException {
        Path state = dir.resolve("state.bin");
        assertEquals(0, run(noise(dir.resolve("first.bin"), "--state", state.toString())).status());
        byte[] before = Files.readAllBytes(state);
        assertRefused(run(noise(Path.of("/dev/full"), "--state", state.toString())),
                "error: noise: cannot write --out /dev/full: No space left on device");
        assertRefused(run(noise(dir, "--state", state.toString())), "error: noise: cannot write --out " + dir + ": it is a directory");
        assertArrayEquals(before, Files.readAllBytes(state));
        assertEquals(List.of("first.bin", "state.bin"), listing(dir));
    }

    @Test
    void twoOptionsNamingOneFileAreRefused(@TempDir Path dir) throws IOException {
        Path out = dir.resolve("out.bin");
        assertRefused(run(noise(out, "--state", out.toString())), "error: noise: --out and --state name the same file (" + out + ")");
        Path dotted = dir.resolve("sub").resolve("..").resolve("out.bin");
        Files.createDirectory(dir.resolve("sub"));
        assertRefused(run(noise(out, "--state", dotted.toString())),
                "error: noise: --out and --state name the same file (" + dotted + ")");
        Path link = dir.resolve("link.bin");
        Files.createSymbolicLink(link, out.getFileName());
        assertRefused(run(noise(link, "--state", out.toString())), "error: noise: --out and --state name the same file (" + out + ")");
        Path state = dir.resolve("state.bin");
        assertEquals(0, run(noise(out, "--state", state.toString())).status());
        Path hard = dir.resolve("hard.bin");
        Files.createLink(hard, state);
        assertRefused(run(noise(hard, "--resume", state.toString())),
                "error: noise: --out and --resume name the same file (" + state + ")");
        assertRefused(run(noise(state, "--resume", state.toString())),
                "error: noise: --out and --resume name the same file (" + state + ")");
        assertRefused(run(noise(Path.of(""))), "error: noise: --out must name a file, got ''");
    }

    @Test
    void theStateMayBeContinuedInPlace(@TempDir Path dir) throws IOException {
        Path whole = dir.resolve("whole.bin");
        Path a = dir.resolve("a.bin");
        Path b = dir.resolve("b.bin");
        Path state = dir.resolve("state.bin");
        List<String> six = noise(whole);
        six.set(six.indexOf("--steps") + 1, "6");
        assertEquals(0, run(six).status());
        assertEquals(0, run(noise(a, "--state", state.toString())).status());
        assertEquals(0, run(noise(b, "--state", state.toString(), "--resume", state.toString())).status());
        assertArrayEquals(Files.readAllBytes(whole), NoiseTest.concat(Files.readAllBytes(a), Files.readAllBytes(b)));
        try (Arena arena = Arena.ofConfined()) {
            Checkpoint c = Checkpoint.load(state, arena);
            assertEquals(6, c.step());
            assertEquals(b.toRealPath().toString(), c.output().orElseThrow().path(), "the state records its output");
            assertEquals(Files.size(b), c.output().orElseThrow().bytes());
        }
        assertEquals(List.of("a.bin", "b.bin", "state.bin", "whole.bin"), listing(dir));
    }

    @Test
    void devicesAndFifosAreWrittenThroughAndLinksFollowed(@TempDir Path dir) throws Exception {
        Path expected = dir.resolve("expected.bin");
        assertEquals(0, run(noise(expected)).status());
        byte[] want = Files.readAllBytes(expected);

        assertEquals(0, run(noise(Path.of("/dev/null"), "--state", dir.resolve("s.bin").toString())).status());
        assertFalse(Files.isRegularFile(Path.of("/dev/null")), "/dev/null is still a device");

        Path fifo = dir.resolve("pipe");
        mkfifo(fifo);
        Path received = dir.resolve("received.bin");
        Process reader = new ProcessBuilder("cat", fifo.toString()).redirectOutput(received.toFile()).start();
        CliTest.Result r = run(noise(fifo));
        assertEquals(0, r.status(), r.err());
        assertEquals(0, ChildCli.await(reader));
        assertArrayEquals(want, Files.readAllBytes(received));
        assertFalse(Files.isRegularFile(fifo, LinkOption.NOFOLLOW_LINKS), "the FIFO is still a FIFO");

        Path real = Files.createDirectory(dir.resolve("data")).resolve("noise.bin");
        Files.writeString(real, "old");
        Path link = dir.resolve("link.bin");
        Files.createSymbolicLink(link, Path.of("data", "noise.bin"));
        assertEquals(0, run(noise(link)).status());
        assertTrue(Files.isSymbolicLink(link), "the link stays");
        assertArrayEquals(want, Files.readAllBytes(real), "the file it names is replaced");
        assertEquals(List.of("data", "expected.bin", "link.bin", "pipe", "received.bin", "s.bin"), listing(dir));
        assertEquals(List.of("noise.bin"), listing(dir.resolve("data")));
    }

    @ParameterizedTest
    @ValueSource(strings = {"vector", "llvm"})
    void nonFiniteNoiseIsRefusedAndNothingIsWritten(String backend, @TempDir Path dir) throws IOException {
        Path out = dir.resolve("out.bin");
        Path state = dir.resolve("state.bin");
        assertRefused(run(noise(out, "--state", state.toString(), "--stddev", "1e300", "--backend", backend)),
                "error: noise: step 0, coordinate 0 is Infinity (the values overflow float32); nothing was written");
        String diverging = "blt(buf_decay=[1.5], output_scale=[1])";
        List<String> a = new ArrayList<>(List.of("noise", "--expr", diverging, "--dim", "140000", "--steps", "400", "--seed", "42",
                "--stddev", "1e30", "--backend", backend, "--out", out.toString(), "--state", state.toString()));
        for (String threads : List.of("1", "3")) {
            List<String> t = new ArrayList<>(a);
            t.addAll(List.of("--threads", threads));
            assertRefused(run(t), "error: noise: step 46, coordinate 414 is -Infinity (the values overflow float32); "
                    + "nothing was written");
        }
        a.set(a.indexOf("--steps") + 1, "46");
        assertEquals(0, run(a).status(), "the 46 steps before are finite");
        float[] v = NoiseTest.floats(Files.readAllBytes(out));
        for (float f : v) {
            assertTrue(Float.isFinite(f));
        }
        Files.delete(out);
        Files.delete(state);
        assertEquals(List.of(), listing(dir));
    }

    @Test
    void aStateAtTheEndOfTheStepCounterIsRefused(@TempDir Path dir) throws IOException {
        Path state = dir.resolve("state.bin");
        assertEquals(0, run(noise(dir.resolve("a.bin"), "--state", state.toString())).status());
        try (Arena arena = Arena.ofConfined()) {
            Checkpoint c = Checkpoint.load(state, arena);
            new Checkpoint(c.elementType(), Checkpoint.LAST_STEP, c.length(), c.seed(), c.stddev(), c.identity(), c.buffers(),
                    c.output()).save(state);
        }
        Path out = dir.resolve("b.bin");
        assertRefused(run(noise(out, "--resume", state.toString())), "error: noise: --resume " + state
                + " holds step 9223372036854775806: 3 more steps would pass the end of the step counter (2^63 - 1)");
        try (Arena arena = Arena.ofConfined()) {
            Checkpoint c = Checkpoint.load(state, arena);
            new Checkpoint(c.elementType(), Long.MAX_VALUE, c.length(), c.seed(), c.stddev(), c.identity(), c.buffers(),
                    c.output()).save(state);
        }
        assertRefused(run(noise(out, "--resume", state.toString())), "error: --resume: state file " + state
                + " holds step 9223372036854775807, the end of the step counter: no step can follow it");
        assertFalse(Files.exists(out));
    }

    @Test
    void compileFailuresLeaveNoTemporaryDirectory(@TempDir Path dir) throws IOException {
        Path file = Files.writeString(dir.resolve("file"), "x");
        assertRefused(CliTest.run("compile", "--expr", "prefix_sum", "--backend", "vector", "--out", file.toString()),
                "error: compile: cannot write --out " + file + ": it exists and is not a directory");
        assertRefused(CliTest.run("compile", "--expr", "prefix_sum", "--backend", "ptx", "--out", file.toString()),
                "error: compile: cannot write --out " + file + ": it exists and is not a directory");
        Path below = file.resolve("k");
        assertRefused(CliTest.run("compile", "--expr", "prefix_sum", "--backend", "vector", "--out", below.toString()),
                "error: compile: cannot write --out " + below + ": " + file + " is not a directory");
        assertRefused(CliTest.run("compile", "--expr", "prefix_sum", "--backend", "vector", "--out", ""),
                "error: compile: --out must name a directory, got ''");
        assertEquals(List.of("file"), listing(dir));
        Path k = dir.resolve("k");
        assertEquals(0, CliTest.run("compile", "--expr", "prefix_sum", "--backend", "vector", "--out", k.toString()).status());
        assertEquals(List.of("file", "k"), listing(dir), "no temporary directory beside the output");
    }

    @Test
    void aFailedWriteToStandardOutputIsAnError() throws Exception {
        OutputStream broken = new OutputStream() {
            @Override
            public void write(int b) throws IOException {
                throw new IOException("No space left on device");
            }
        };
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int status = Main.run(new String[] {"eval", "--expr", "prefix_sum", "--materialize", "2"},
                new PrintStream(broken, false, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
        assertEquals(2, status);
        assertEquals("error: cannot write standard output\n", err.toString(StandardCharsets.UTF_8));

        Path errFile = Files.createTempFile("streamfold-stderr", ".txt");
        try {
            Process p = ChildCli.command(List.of("eval", "--expr", "prefix_sum", "--materialize", "2"))
                    .redirectOutput(new java.io.File("/dev/full")).redirectError(errFile.toFile()).start();
            assertEquals(2, ChildCli.await(p));
            assertEquals("error: cannot write standard output: No space left on device\n", ChildCli.stderr(errFile));
        } finally {
            Files.delete(errFile);
        }
    }
}
