package dev.streamfold.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.streamfold.compiler.cli.Json;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The bench runs end to end on a tiny size and writes the documented rows (no timing is asserted). */
class BenchSmokeTest {
    @Test
    void quickRunWritesEveryRowWithTheDocumentedKeys(@TempDir Path dir) throws IOException {
        Path json = dir.resolve("bench.json");
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int status = BenchMain.run(new String[] {"--quick", "--size", "4096", "--threads", "1", "--json", json.toString()},
                new PrintStream(out, true, StandardCharsets.UTF_8));
        assertEquals(0, status);
        List<?> rows = (List<?>) Json.parse(Files.readString(json), json.toString());
        Set<String> cases = new java.util.TreeSet<>();
        for (Object o : rows) {
            Map<?, ?> r = (Map<?, ?>) o;
            for (String key : List.of("case", "variant", "d", "dtype", "threads", "bytes_per_step", "ns_per_step", "gbps")) {
                assertTrue(r.containsKey(key), "row " + r + " lacks " + key);
            }
            assertTrue((Double) r.get("ns_per_step") > 0, "row " + r);
            cases.add((String) r.get("case"));
        }
        assertEquals(Set.of("compose3", "blt4", "noise-blt4", "scan", "toeplitz-256", "toeplitz-4096"), cases);
        String report = out.toString(StandardCharsets.UTF_8);
        assertTrue(report.matches("(?s).*\\ncompose3 +fused +2\\^12 +1 .*"), report);
        assertTrue(report.contains("ms/step"), report);
        assertTrue(report.contains("Against the README's targets:\n"), report);
        for (String target : List.of(Targets.COPY, Targets.BYTE_RATIO, Targets.WHOLE_SCAN, Targets.NOISE)) {
            assertTrue(report.matches("(?s).*\\n  (met|MISSED) .*: " + java.util.regex.Pattern.quote(target) + ": .*"), target + "\n" + report);
        }
        Map<?, ?> meta = (Map<?, ?>) Json.parse(Files.readString(dir.resolve("bench.json.meta.json")), "meta");
        for (String key : List.of("jdk", "cpu", "hardware_threads", "commit", "load_average", "vector_lanes", "targets")) {
            assertTrue(meta.containsKey(key), "metadata lacks " + key + ": " + meta);
        }
        assertEquals(5, ((List<?>) meta.get("targets")).size(), "compose3 twice, blt4, scan, noise: " + meta);
        assertTrue(((Map<?, ?>) meta.get("vector_lanes")).get("float32") instanceof Double lanes && lanes >= 1, meta.toString());
    }

    @Test
    void csvPutsOnlyTheRowsOnStandardOutput() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int status = BenchMain.run(new String[] {"--quick", "--case", "blt4", "--size", "4096", "--threads", "1", "--csv"},
                new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
        assertEquals(0, status);
        List<String> lines = out.toString(StandardCharsets.UTF_8).lines().toList();
        assertEquals(List.of(BenchMain.CSV_HEADER, "blt4,copy", "blt4,fused", "blt4,unfused"),
                lines.stream().map(l -> l.startsWith("blt4,") ? l.substring(0, l.indexOf(',', 5)) : l).toList());
        for (String l : lines) {
            assertEquals(10, l.split(",", -1).length, l);
        }
        assertTrue(err.toString(StandardCharsets.UTF_8).contains("Against the README's targets:"), err.toString(StandardCharsets.UTF_8));
    }
}
