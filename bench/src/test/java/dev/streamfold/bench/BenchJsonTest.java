package dev.streamfold.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.streamfold.ir.StreamfoldException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code bench --json}: a target that cannot be written is named and leaves no temporary file. */
class BenchJsonTest {
    static final List<BenchMain.Row> ROWS = List.of(new BenchMain.Row("copy", "copy", 4096, "float32", 1, 32768, 1000, 32.8, 30, 35));

    static List<String> listing(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    void aDirectoryIsRefusedAndNothingIsLeftBeside(@TempDir Path dir) throws IOException {
        Path sub = Files.createDirectory(dir.resolve("results"));
        StreamfoldException e = assertThrows(StreamfoldException.class, () -> BenchMain.writeJson(sub, ROWS));
        assertEquals("bench: cannot write --json " + sub + ": it is a directory", e.getMessage());
        assertEquals(List.of("results"), listing(dir));
        assertEquals(List.of(), listing(sub));
        e = assertThrows(StreamfoldException.class, () -> BenchMain.writeJson(Path.of("/dev/full"), ROWS));
        assertEquals("bench: cannot write --json /dev/full: No space left on device", e.getMessage());
    }

    @Test
    void aLinkIsFollowedAndTheFileReplaced(@TempDir Path dir) throws IOException {
        Path real = Files.writeString(dir.resolve("real.json"), "old");
        Path link = Files.createSymbolicLink(dir.resolve("bench.json"), real.getFileName());
        BenchMain.writeJson(link, ROWS);
        assertTrue(Files.isSymbolicLink(link));
        assertTrue(Files.readString(real).contains("\"case\": \"copy\""), Files.readString(real));
        assertEquals(List.of("bench.json", "real.json"), listing(dir));
    }
}
