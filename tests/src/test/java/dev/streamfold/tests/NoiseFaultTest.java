package dev.streamfold.tests;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.streamfold.runtime.Checkpoint;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.stream.Stream;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * {@code noise} killed while it continues a complete output and state pair in place: afterwards the
 * output and the state are each the previous or the new complete file, as a pair, and the next run
 * leaves no temporary file and continues from the pair.
 */
class NoiseFaultTest {
    static final String EXPR = "inverse(blt(buf_decay=[0.9, 0.5], output_scale=[0.2, 0.1]))";
    static final int DIM = 1 << 17;
    static final int BEFORE = 2;
    static final int KILLED = 64;
    static final int AFTER = 2;
    static final long STEP_BYTES = DIM * 4L;

    /** Steps 0 .. BEFORE + KILLED + AFTER - 1 of the stream, in one run. */
    static byte[] whole;

    @BeforeAll
    static void wholeStream(@TempDir Path dir) throws IOException {
        Path out = dir.resolve("whole.bin");
        assertEquals(0, CliTest.run(args(out, null, null, BEFORE + KILLED + AFTER).toArray(String[]::new)).status());
        whole = Files.readAllBytes(out);
    }

    static byte[] steps(long from, long count) {
        return Arrays.copyOfRange(whole, (int) (from * STEP_BYTES), (int) ((from + count) * STEP_BYTES));
    }

    static List<String> args(Path out, Path state, Path resume, int steps) {
        List<String> a = new ArrayList<>(List.of("noise", "--expr", EXPR, "--backend", "llvm", "--dim", Integer.toString(DIM),
                "--steps", Integer.toString(steps), "--seed", "7", "--threads", "1", "--out", out.toString()));
        if (state != null) {
            a.addAll(List.of("--state", state.toString()));
        }
        if (resume != null) {
            a.addAll(List.of("--resume", resume.toString()));
        }
        return a;
    }

    static List<Path> temporaries(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> p.getFileName().toString().endsWith(".tmp")).toList();
        }
    }

    static List<Path> temporariesOf(Path dir, String name) throws IOException {
        return temporaries(dir).stream().filter(p -> p.getFileName().toString().startsWith("." + name + ".")).toList();
    }

    static int crc(byte[] b) {
        CRC32C c = new CRC32C();
        c.update(b);
        return (int) c.getValue();
    }

    /** The step a state holds and whether it records exactly {@code out}'s bytes. */
    record StateView(long step, boolean recordsOutput) {
        static StateView of(Path state, byte[] out) {
            try (Arena a = Arena.ofConfined()) {
                Checkpoint c = Checkpoint.load(state, a);
                Checkpoint.Output o = c.output().orElseThrow();
                return new StateView(c.step(), o.bytes() == out.length && o.crc32c() == crc(out));
            }
        }
    }

    /** Polls until {@code ready} holds or the child ends: a process wait with a short timeout, no sleep. */
    static boolean awaitPoint(Process child, Path dir, Predicate<Path> ready) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline) {
            if (ready.test(dir)) {
                return true;
            }
            if (child.waitFor(2, TimeUnit.MILLISECONDS)) {
                return false;
            }
        }
        return false;
    }

    /**
     * Whether this process ignores SIGINT (as a background job of a non-interactive shell does): a
     * child then inherits that, and SIGINT cannot end it.
     */
    static boolean sigintIgnoredHere() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("SigIgn:")) {
                return (Long.parseUnsignedLong(line.substring(7).trim(), 16) & (1L << 1)) != 0;
            }
        }
        return false;
    }

    static long sizeOfTemporary(Path dir, String name) {
        try {
            return temporariesOf(dir, name).stream().mapToLong(p -> p.toFile().length()).max().orElse(-1);
        } catch (IOException e) {
            return -1;
        }
    }

    @ParameterizedTest(name = "{0} when {1}")
    @CsvSource({
        "TERM, the output's temporary file appears", "TERM, half the output is written", "TERM, the state is being written",
        "INT, half the output is written",
        "KILL, the output's temporary file appears", "KILL, half the output is written", "KILL, the state is being written"})
    void aKilledRunLeavesThePreviousOrTheNewPair(String signal, String point, @TempDir Path dir) throws Exception {
        Path out = dir.resolve("out.bin");
        Path state = dir.resolve("state.bin");
        assertEquals(0, CliTest.run(args(out, state, null, BEFORE).toArray(String[]::new)).status());
        byte[] oldOut = Files.readAllBytes(out);
        byte[] newOut = steps(BEFORE, KILLED);
        Path err = dir.resolve("child.err");
        Process child = ChildCli.command(args(out, state, state, KILLED)).redirectErrorStream(true)
                .redirectOutput(err.toFile()).start();
        Predicate<Path> ready = switch (point) {
            case "the output's temporary file appears" -> d -> sizeOfTemporary(d, "out.bin") >= 0;
            case "half the output is written" -> d -> sizeOfTemporary(d, "out.bin") >= newOut.length / 2;
            case "the state is being written" -> d -> sizeOfTemporary(d, "state.bin") > 0;
            default -> throw new IllegalArgumentException(point);
        };
        boolean reached = awaitPoint(child, dir, ready);
        switch (signal) {
            case "TERM" -> child.destroy();
            case "KILL" -> child.destroyForcibly();
            case "INT" -> assertEquals(0, ChildCli.await(new ProcessBuilder("kill", "-INT", Long.toString(child.pid())).start()));
            default -> throw new IllegalArgumentException(signal);
        }
        int status = ChildCli.await(child);
        boolean early = !point.equals("the state is being written");
        assertTrue(early ? reached : reached || status == 0, "the child reached the point"
                + (early ? "" : " or finished") + ": status " + status + ", " + Files.readString(err));
        if (early && !(signal.equals("INT") && sigintIgnoredHere())) {
            assertTrue(status != 0, "the signal ended the run before its end: " + Files.readString(err));
        }

        byte[] outNow = Files.readAllBytes(out);
        boolean outIsNew = Arrays.equals(outNow, newOut);
        assertTrue(outIsNew || Arrays.equals(outNow, oldOut), "the output is the previous or the new complete file");
        StateView view = StateView.of(state, outNow);
        assertTrue(view.step() == BEFORE || view.step() == BEFORE + KILLED, "the state is the previous or the new one");
        if (signal.equals("KILL")) {
            if (!view.recordsOutput()) {
                assertTrue(outIsNew && view.step() == BEFORE, "only a kill between the renames splits the pair");
                assertFalse(temporariesOf(dir, "state.bin").isEmpty(), "the new state waits beside the old one");
            }
        } else {
            assertTrue(view.recordsOutput(), "SIGTERM and SIGINT never split the pair");
            assertEquals(outIsNew ? BEFORE + KILLED : BEFORE, view.step());
            assertEquals(List.of(), temporaries(dir), "SIGTERM and SIGINT remove the temporary files");
        }

        CliTest.Result next = CliTest.run(args(out, state, state, AFTER).toArray(String[]::new));
        assertEquals(0, next.status(), next.err());
        long from = outIsNew ? BEFORE + KILLED : BEFORE;
        assertArrayEquals(steps(from, AFTER), Files.readAllBytes(out), "the next run continues from the pair");
        assertEquals(new StateView(from + AFTER, true), StateView.of(state, Files.readAllBytes(out)));
        assertEquals(List.of(), temporaries(dir), "no temporary file is left after the next run");
    }

    /**
     * The on-disk result of a SIGKILL between the two renames, made exactly: the new output in place,
     * the old state, and the new state's complete temporary file owned by a process that has ended.
     */
    @Test
    void aKillBetweenTheRenamesIsFinishedByTheNextRunThatNamesTheState(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("out.bin");
        Path state = dir.resolve("state.bin");
        assertEquals(0, CliTest.run(args(out, state, null, BEFORE).toArray(String[]::new)).status());
        Path newState = dir.resolve("new-state.bin");
        assertEquals(0, CliTest.run(args(out, newState, state, KILLED).toArray(String[]::new)).status());
        Process ended = new ProcessBuilder("true").start();
        assertEquals(0, ChildCli.await(ended));
        Path stale = dir.resolve(".state.bin." + ended.pid() + ".1.tmp");
        Files.move(newState, stale);
        assertEquals(new StateView(BEFORE, false), StateView.of(state, Files.readAllBytes(out)), "a split pair");

        Path next = dir.resolve("next.bin");
        CliTest.Result r = CliTest.run(args(next, null, state, AFTER).toArray(String[]::new));
        assertEquals(0, r.status(), r.err());
        assertArrayEquals(steps(BEFORE + KILLED, AFTER), Files.readAllBytes(next), "resumed from the new state");
        assertEquals(new StateView(BEFORE + KILLED, true), StateView.of(state, Files.readAllBytes(out)));
        assertEquals(List.of(), temporaries(dir));
    }

    /** A stale temporary state whose recorded output is not the file in place is deleted, not installed. */
    @Test
    void aStaleStateThatDoesNotMatchTheOutputIsDropped(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("out.bin");
        Path state = dir.resolve("state.bin");
        assertEquals(0, CliTest.run(args(out, state, null, BEFORE).toArray(String[]::new)).status());
        Path other = dir.resolve("other.bin");
        Path newState = dir.resolve("new-state.bin");
        assertEquals(0, CliTest.run(args(other, newState, state, KILLED).toArray(String[]::new)).status());
        Files.write(other, steps(0, KILLED), java.nio.file.StandardOpenOption.TRUNCATE_EXISTING);
        Process ended = new ProcessBuilder("true").start();
        assertEquals(0, ChildCli.await(ended));
        Files.move(newState, dir.resolve(".state.bin." + ended.pid() + ".1.tmp"));
        Files.write(dir.resolve(".state.bin." + ended.pid() + ".2.tmp"), new byte[] {1, 2, 3});

        CliTest.Result r = CliTest.run(args(dir.resolve("next.bin"), null, state, AFTER).toArray(String[]::new));
        assertEquals(0, r.status(), r.err());
        assertArrayEquals(steps(BEFORE, AFTER), Files.readAllBytes(dir.resolve("next.bin")), "resumed from the old state");
        assertEquals(List.of(), temporaries(dir));
    }
}
