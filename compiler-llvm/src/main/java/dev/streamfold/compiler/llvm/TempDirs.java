package dev.streamfold.compiler.llvm;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Temporary directories of subprocess runs. */
final class TempDirs {
    private TempDirs() {}

    /** Deletes a flat directory and its files; a failure leaves them behind, which is harmless. */
    static void deleteQuietly(Path dir) {
        if (dir == null) {
            return;
        }
        try (var entries = Files.list(dir)) {
            for (Path p : entries.toList()) {
                Files.deleteIfExists(p);
            }
            Files.deleteIfExists(dir);
        } catch (IOException ignored) {
            // Left for the system's temporary-file cleanup.
        }
    }
}
