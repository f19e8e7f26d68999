package dev.streamfold.runtime.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Files that appear only when complete, links followed, devices and FIFOs written through, stale temporaries swept. */
class StagedFileTest {
    static void write(Path p, String text) throws IOException {
        try (StagedFile f = StagedFile.create(p)) {
            f.write(ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8)));
            f.force();
            f.commit();
        }
    }

    static List<String> names(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    /** A process id that no running process has: that of a child which has exited. */
    static long deadPid() throws IOException, InterruptedException {
        Process p = new ProcessBuilder("true").start();
        assertTrue(p.waitFor(30, TimeUnit.SECONDS));
        return p.pid();
    }

    @Test
    void nothingIsVisibleBeforeTheCommitAndNothingIsLeftWithout(@TempDir Path dir) throws IOException {
        Path target = dir.resolve("out.bin");
        Files.writeString(target, "old");
        try (StagedFile f = StagedFile.create(target)) {
            f.write(ByteBuffer.wrap("new".getBytes(StandardCharsets.UTF_8)));
            assertEquals("old", Files.readString(target));
            assertEquals(2, names(dir).size(), "the target and one temporary file: " + names(dir));
        }
        assertEquals("old", Files.readString(target));
        assertEquals(List.of("out.bin"), names(dir));
        write(target, "new");
        assertEquals("new", Files.readString(target));
        assertEquals(List.of("out.bin"), names(dir));
    }

    @Test
    void aSymbolicLinkIsFollowedAndStays(@TempDir Path dir) throws IOException {
        Path real = dir.resolve("sub").resolve("real.bin");
        Files.createDirectories(real.getParent());
        Files.writeString(real, "old");
        Path link = dir.resolve("link.bin");
        Files.createSymbolicLink(link, Path.of("sub", "real.bin"));
        write(link, "new");
        assertTrue(Files.isSymbolicLink(link));
        assertEquals("new", Files.readString(real));
        Path dangling = dir.resolve("dangling.bin");
        Files.createSymbolicLink(dangling, Path.of("sub", "made.bin"));
        write(dangling, "made");
        assertTrue(Files.isSymbolicLink(dangling));
        assertEquals("made", Files.readString(dir.resolve("sub").resolve("made.bin")));
        assertEquals(List.of("link.bin", "dangling.bin", "sub").stream().sorted().toList(), names(dir));
        Path loop = dir.resolve("loop");
        Files.createSymbolicLink(loop, loop.getFileName());
        assertEquals("too many levels of symbolic links",
                assertThrows(FileSystemException.class, () -> StagedFile.create(loop)).getReason());
    }

    @Test
    void devicesAndFifosAreWrittenThroughNeverReplaced(@TempDir Path dir) throws Exception {
        Path devNull = Path.of("/dev/null");
        assertNull(StagedFile.resolve(devNull));
        write(devNull, "discarded");
        assertFalse(Files.isRegularFile(devNull));
        Path fifo = dir.resolve("pipe");
        Process mk = new ProcessBuilder("mkfifo", fifo.toString()).start();
        assertTrue(mk.waitFor(30, TimeUnit.SECONDS));
        assertEquals(0, mk.exitValue());
        Process reader = new ProcessBuilder("cat", fifo.toString()).start();
        write(fifo, "through the pipe");
        assertArrayEquals("through the pipe".getBytes(StandardCharsets.UTF_8), reader.getInputStream().readAllBytes());
        assertTrue(reader.waitFor(30, TimeUnit.SECONDS));
        assertFalse(Files.isRegularFile(fifo, LinkOption.NOFOLLOW_LINKS), "the FIFO is still a FIFO");
        assertEquals(List.of("pipe"), names(dir));
        FileSystemException full = assertThrows(FileSystemException.class, () -> write(Path.of("/dev/full"), "x"));
        assertEquals("No space left on device", full.getReason());
    }

    @Test
    void badTargetsAreNamed(@TempDir Path dir) throws IOException {
        Files.writeString(dir.resolve("file"), "x");
        assertEquals("it is a directory", assertThrows(FileSystemException.class, () -> StagedFile.create(dir)).getReason());
        assertEquals(dir.resolve("file") + " is not a directory",
                assertThrows(FileSystemException.class, () -> StagedFile.create(dir.resolve("file").resolve("a").resolve("b")))
                        .getReason());
        assertEquals("the path is empty", assertThrows(FileSystemException.class, () -> StagedFile.create(Path.of(""))).getReason());
        assertEquals(List.of("file"), names(dir));
    }

    @Test
    void sameFileSeesThroughLinksHardLinksAndDotDot(@TempDir Path dir) throws IOException {
        Path a = dir.resolve("a.bin");
        Files.createDirectories(dir.resolve("d"));
        assertTrue(StagedFile.sameFile(a, dir.resolve("d").resolve("..").resolve("a.bin")), "new paths, one through ..");
        assertFalse(StagedFile.sameFile(a, dir.resolve("b.bin")));
        Files.createSymbolicLink(dir.resolve("to-a"), a.getFileName());
        assertTrue(StagedFile.sameFile(a, dir.resolve("to-a")), "a dangling link to the new path");
        Files.writeString(a, "x");
        Files.createLink(dir.resolve("hard"), a);
        assertTrue(StagedFile.sameFile(a, dir.resolve("to-a")));
        assertTrue(StagedFile.sameFile(dir.resolve("hard"), dir.resolve("to-a")));
        assertFalse(StagedFile.sameFile(a, dir.resolve("b.bin")), "one exists, the other does not");
        assertTrue(StagedFile.sameFile(Path.of("/dev/null"), Path.of("/dev/null")));
    }

    @Test
    void staleTemporariesOfDeadWritersAreSweptAndLiveOnesKept(@TempDir Path dir) throws Exception {
        long dead = deadPid();
        long alive = ProcessHandle.current().parent().map(ProcessHandle::pid).orElseThrow();
        Path deadTemp = Files.writeString(dir.resolve(".out.bin." + dead + ".77.tmp"), "left by a SIGKILL");
        Path deadTree = Files.createDirectories(dir.resolve(".out.bin." + dead + ".78.tmp").resolve("inner"));
        Files.writeString(deadTree.resolve("f"), "x");
        Path liveTemp = Files.writeString(dir.resolve(".out.bin." + alive + ".79.tmp"), "being written");
        Path otherTarget = Files.writeString(dir.resolve(".out.bin.5." + dead + ".80.tmp"), "belongs to out.bin.5");
        Path own = TempFiles.createFile(dir, "out.bin");
        assertEquals(List.of(deadTemp, deadTree.getParent()), TempFiles.stale(dir, "out.bin"));
        write(dir.resolve("out.bin"), "new");
        assertFalse(Files.exists(deadTemp));
        assertFalse(Files.exists(deadTree));
        assertTrue(Files.exists(liveTemp), "a running writer's temporary file is kept");
        assertTrue(Files.exists(otherTarget), "another target's temporary file is kept");
        assertTrue(Files.exists(own), "this process's own temporary file is kept");
        TempFiles.delete(own);
        assertFalse(Files.exists(own));
    }

    @Test
    void aNewFileGetsTheModeTheUmaskGivesAndAReplacedOneKeepsItsMode(@TempDir Path dir) throws IOException {
        Path plain = Files.createFile(dir.resolve("plain"));
        Path target = dir.resolve("new.bin");
        write(target, "new");
        assertEquals(Files.getPosixFilePermissions(plain), Files.getPosixFilePermissions(target),
                "a new file has the mode of a file created with 0666 under the umask");
        Files.setPosixFilePermissions(target, PosixFilePermissions.fromString("rw-r-----"));
        write(target, "again");
        assertEquals("rw-r-----", PosixFilePermissions.toString(Files.getPosixFilePermissions(target)));
        Path plainDir = Files.createDirectory(dir.resolve("plain-dir"));
        Path temp = TempFiles.createDirectory(dir, "out");
        try {
            assertEquals(Files.getPosixFilePermissions(plainDir), Files.getPosixFilePermissions(temp));
        } finally {
            TempFiles.delete(temp);
        }
    }
}
