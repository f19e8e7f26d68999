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
        assertEquals(Set.of("compose3", "blt4", "noise-blt4", "scan"), cases);
        assertTrue(out.toString(StandardCharsets.UTF_8).contains("compose3  fused"), out.toString(StandardCharsets.UTF_8));
    }
}
