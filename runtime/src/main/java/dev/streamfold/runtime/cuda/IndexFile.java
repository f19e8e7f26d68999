package dev.streamfold.runtime.cuda;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/** The bundle's index files: UTF-8 lines, one entry each; blank lines and lines starting with {@code #} are skipped. */
final class IndexFile {
    private IndexFile() {}

    /** The entries of {@code file}, each line parsed by {@code parse}. */
    static <T> List<T> read(Path file, Function<String, T> parse) throws IOException {
        List<T> entries = new ArrayList<>();
        for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
            if (!line.isBlank() && !line.startsWith("#")) {
                entries.add(parse.apply(line));
            }
        }
        return List.copyOf(entries);
    }

    /** Writes {@code header} (comment lines), then each entry's line. */
    static <T> void write(Path file, String header, List<T> entries, Function<T, String> line) throws IOException {
        StringBuilder b = new StringBuilder(header);
        for (T e : entries) {
            b.append(line.apply(e)).append('\n');
        }
        Files.writeString(file, b, StandardCharsets.UTF_8);
    }
}
