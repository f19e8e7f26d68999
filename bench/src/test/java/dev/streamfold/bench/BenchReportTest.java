package dev.streamfold.bench;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.streamfold.compiler.cli.Json;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The bench report: the table in ms with aligned columns, the CSV, the target verdicts and the metadata. */
class BenchReportTest {
    static BenchMain.Row row(String kase, String variant, long d, int threads, long bytes, double ns) {
        return new BenchMain.Row(kase, variant, d, "float32", threads, bytes, ns, bytes / ns, bytes / ns, bytes / ns);
    }

    static final List<BenchMain.Row> ROWS = List.of(
            row("compose3", "copy", 1 << 24, 2, 134_217_728, 5_000_000),
            row("compose3", "fused", 1 << 24, 2, 536_870_912, 13_000_000),
            row("compose3", "unfused", 1 << 24, 2, 805_306_368, 24_000_000),
            row("blt4", "copy", 1 << 24, 2, 134_217_728, 5_000_000),
            row("blt4", "fused", 1 << 24, 2, 805_306_368, 20_000_000),
            row("blt4", "unfused", 1 << 24, 2, 939_524_096, 20_500_000),
            row("scan", "copy", 1 << 22, 2, 33_554_432, 1_300_000),
            row("scan", "fused", 1 << 22, 2, 33_554_432, 1_500_000),
            row("scan", "stepwise", 1 << 22, 2, 134_217_728, 3_100_000),
            row("noise-blt4", "fused", 1000, 1, 4000, 50_000),
            row("noise-blt4", "from-memory", 1000, 1, 4000, 20_000),
            row("noise-blt4", "noise-only", 1000, 1, 0, 31_000));

    @Test
    void theTableIsInMillisecondsWithAlignedColumns() {
        List<String> lines = BenchMain.table(ROWS).lines().toList();
        assertEquals(ROWS.size() + 1, lines.size());
        int end = lines.get(0).length();
        int ms = lines.get(0).indexOf("ms/step") + "ms/step".length();
        for (String l : lines) {
            assertEquals(end, l.length(), "every line ends in the right-aligned last column: " + l);
        }
        String fused = lines.get(2);
        assertTrue(fused.startsWith("compose3    fused "), fused);
        assertEquals("13.000", fused.substring(ms - "13.000".length(), ms), fused);
        assertTrue(fused.contains(" 2^24 "), fused);
        assertTrue(lines.get(12).matches("noise-blt4 +noise-only +1000 +1 +0\\.0 +0\\.031 +- +- +-"),
                "no GB/s for a variant that moves no bytes: " + lines.get(12));
    }

    @Test
    void csvHasOneHeaderAndOneLinePerRow() {
        List<String> lines = BenchMain.csv(ROWS.subList(0, 2)).lines().toList();
        assertEquals(List.of("case,variant,d,dtype,threads,bytes_per_step,ns_per_step,gbps,gbps_min,gbps_max",
                "compose3,copy,16777216,float32,2,134217728,5000000.0,26.844,26.844,26.844",
                "compose3,fused,16777216,float32,2,536870912,13000000.0,41.298,41.298,41.298"), lines);
    }

    @Test
    void targetsAreMetOrMissedAsTheRowsSay() {
        List<Targets.Verdict> v = Targets.check(ROWS);
        assertEquals(List.of(
                new Targets.Verdict(Targets.COPY, "compose3", 1 << 24, 2, "154% of copy", true),
                new Targets.Verdict(Targets.BYTE_RATIO, "compose3", 1 << 24, 2, "speed-up 1.85, byte ratio 1.50", true),
                new Targets.Verdict(Targets.BYTE_RATIO, "blt4", 1 << 24, 2, "speed-up 1.03, byte ratio 1.17", false),
                new Targets.Verdict(Targets.WHOLE_SCAN, "scan", 1 << 22, 2, "2.07x", false),
                new Targets.Verdict(Targets.NOISE, "noise-blt4", 1000, 1, "0.050 ms against 0.020 + 0.031 ms", true)), v);
        assertTrue(BenchMain.summary(v).contains("  MISSED scan       d 2^22, 2 threads: " + Targets.WHOLE_SCAN + ": 2.07x\n"),
                BenchMain.summary(v));
        assertEquals("", BenchMain.summary(List.of()));
    }

    @Test
    void metadataIsReadFromProcFilesAndTheGitDirectory(@TempDir Path dir) throws IOException {
        Path cpuinfo = Files.writeString(dir.resolve("cpuinfo"), "processor\t: 0\nmodel name\t: AMD EPYC 7B13\nflags\t\t: avx2\n");
        assertEquals(Optional.of("AMD EPYC 7B13"), BenchMetadata.cpuModel(cpuinfo));
        assertEquals(Optional.empty(), BenchMetadata.cpuModel(dir.resolve("absent")));
        Path loadavg = Files.writeString(dir.resolve("loadavg"), "1.62 1.90 3.27 2/345 6789\n");
        assertArrayEquals(new double[] {1.62, 1.90, 3.27}, BenchMetadata.loadAverage(loadavg).orElseThrow());
        assertEquals(Optional.empty(), BenchMetadata.loadAverage(cpuinfo));

        String a = "0123456789abcdef0123456789abcdef01234567";
        String b = "89abcdef0123456789abcdef0123456789abcdef";
        Path repo = Files.createDirectories(dir.resolve("repo/.git/refs/heads"));
        Path git = repo.getParent().getParent();
        Files.writeString(git.resolve("HEAD"), "ref: refs/heads/main\n");
        Files.writeString(git.resolve("refs/heads/main"), a + "\n");
        Path below = Files.createDirectories(dir.resolve("repo/sub/dir"));
        assertEquals(Optional.of(a), BenchMetadata.commit(below));
        Files.delete(git.resolve("refs/heads/main"));
        Files.writeString(git.resolve("packed-refs"), "# pack-refs with: peeled\n" + b + " refs/heads/main\n");
        assertEquals(Optional.of(b), BenchMetadata.commit(below));

        Path linked = Files.createDirectories(git.resolve("worktrees/other"));
        Files.writeString(linked.resolve("HEAD"), "ref: refs/heads/main\n");
        Files.writeString(linked.resolve("commondir"), "../..\n");
        Path tree = Files.createDirectories(dir.resolve("other"));
        Files.writeString(tree.resolve(".git"), "gitdir: " + linked + "\n");
        assertEquals(Optional.of(b), BenchMetadata.commit(tree), "a linked work tree finds the branch in the common directory");
        Files.writeString(linked.resolve("HEAD"), a + "\n");
        assertEquals(Optional.of(a), BenchMetadata.commit(tree), "a detached HEAD");

        Path bare = Files.createDirectories(dir.resolve("nogit"));
        Files.writeString(git.resolve("HEAD"), "garbage\n");
        assertEquals(Optional.empty(), BenchMetadata.commit(bare.getParent().resolve("repo")));
    }

    @Test
    void metadataJsonParsesAndNamesWhatIsUnknown() {
        BenchMetadata m = new BenchMetadata("25+36 (Eclipse Adoptium)", "CPU \"quoted\"", 2, null, null, 8, 4);
        Map<?, ?> o = (Map<?, ?>) Json.parse(m.toJson(Targets.check(ROWS)), "meta");
        assertEquals("CPU \"quoted\"", o.get("cpu"));
        assertTrue(o.containsKey("commit") && o.get("commit") == null, o.toString());
        assertEquals(Map.of("float32", 8.0, "float64", 4.0), o.get("vector_lanes"));
        assertEquals(5, ((List<?>) o.get("targets")).size());
        Map<?, ?> first = (Map<?, ?>) ((List<?>) o.get("targets")).get(0);
        assertEquals(Boolean.TRUE, first.get("met"));
        assertEquals(List.of(), ((Map<?, ?>) Json.parse(m.toJson(List.of()), "meta")).get("targets"));
    }
}
