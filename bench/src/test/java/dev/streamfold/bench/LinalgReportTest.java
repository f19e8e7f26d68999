package dev.streamfold.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.streamfold.compiler.cli.Json;
import dev.streamfold.runtime.ElementType;
import dev.streamfold.runtime.batched.BatchedBuffer;
import dev.streamfold.runtime.batched.BatchedKernel;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The linalg rows as JSON and as a table, the targets they are checked against, and a whole quick run (no timing asserted). */
class LinalgReportTest {
    static final LinalgBench.Row PEAK = new LinalgBench.Row(LinalgBench.FMA_PEAK, "vector-api", 0, "float32", 1, 0, Double.NaN, 100, 1);

    static LinalgBench.Row row(String op, String variant, double perS) {
        return new LinalgBench.Row(op, variant, 8, "float32", 1, 65536, perS, LinalgBench.flops(op, 8) * perS / 1e9, Double.NaN);
    }

    @Test
    void aRowIsOneJsonObjectWithTheDocumentedKeys() {
        List<LinalgBench.Row> rows = LinalgBench.withPeak(List.of(PEAK, row("lu", "kernel", 1e8)));
        Map<?, ?> r = (Map<?, ?>) Json.parse(LinalgBench.json(rows.get(1)), "row");
        assertEquals(List.of("case", "op", "variant", "n", "dtype", "threads", "batch", "matrices_per_s", "gflops", "fraction_of_peak"),
                List.copyOf(r.keySet()));
        assertEquals("linalg", r.get("case"));
        assertEquals("lu", r.get("op"));
        assertEquals("kernel", r.get("variant"));
        assertEquals(8.0, ((Number) r.get("n")).doubleValue());
        assertEquals("float32", r.get("dtype"));
        assertEquals(1.0, ((Number) r.get("threads")).doubleValue());
        assertEquals(65536.0, ((Number) r.get("batch")).doubleValue());
        assertEquals(1e8, ((Number) r.get("matrices_per_s")).doubleValue(), 0.1);
        // lu at n = 8 counts 2 * 512 / 3 flops: 1e8 matrices/s is 34.1 GFLOP/s, 34% of a 100 GFLOP/s peak.
        assertEquals(34.1333, ((Number) r.get("gflops")).doubleValue(), 1e-3);
        assertEquals(0.34133, ((Number) r.get("fraction_of_peak")).doubleValue(), 1e-5);
        Map<?, ?> p = (Map<?, ?>) Json.parse(LinalgBench.json(rows.get(0)), "peak");
        assertEquals("fma_peak", p.get("op"));
        assertTrue(p.containsKey("n") && p.get("n") == null, p.toString());
        assertTrue(p.containsKey("matrices_per_s") && p.get("matrices_per_s") == null, p.toString());
        assertEquals(100.0, ((Number) p.get("gflops")).doubleValue());
    }

    @Test
    void flopsAreTheDocumentedCounts() {
        assertEquals(2 * 512 / 3.0, LinalgBench.flops("lu", 8), 1e-9);
        assertEquals(512 / 3.0, LinalgBench.flops("cholesky", 8), 1e-9);
        assertEquals(4 * 512 / 3.0, LinalgBench.flops("qr", 8), 1e-9);
        assertEquals(512, LinalgBench.flops("triangular_solve", 8), 1e-9);
        assertEquals(9 * 512, LinalgBench.flops("eigh", 8), 1e-9);
        assertEquals(21 * 512, LinalgBench.flops("svd", 8), 1e-9);
    }

    @Test
    void targetsAreEvaluatedWhereTheirRowsExist() {
        List<LinalgBench.Row> rows = LinalgBench.withPeak(List.of(PEAK, row("lu", "ejml", 1e6), row("lu", "kernel", 2e7),
                row("lu", "kernel+jvp", 1.2e7), row("qr", "ejml", 1e6), row("qr", "kernel+jvp", 5e6), row("svd", "ejml", 1e5)));
        List<LinalgBench.Target> t = LinalgBench.targets(rows);
        assertEquals(6, t.size());
        assertEquals("lu kernel+jvp >= 10x ejml lu", t.get(0).name());
        assertTrue(t.get(0).verdict().met());
        assertEquals("12.00x", t.get(0).measured());
        assertNull(t.get(1).verdict(), "no cholesky rows");
        assertFalse(t.get(2).verdict().met(), "qr at 5x");
        assertNull(t.get(3).verdict(), "no eigh rows");
        assertNull(t.get(4).verdict(), "svd has no kernel+jvp row");
        assertEquals("not measured (no kernel+jvp row)", t.get(4).measured());
        // 2e7 lu/s at n = 8 is 6.8 GFLOP/s: 6.8% of the peak, under 25%.
        assertEquals("lu kernel >= 25% of FMA peak", t.get(5).name());
        assertFalse(t.get(5).verdict().met());
        assertEquals("6.8% of peak", t.get(5).measured());
        String table = LinalgBench.targetTable(t);
        assertTrue(table.contains("MISSED"), table);
        assertTrue(table.matches("(?s).*\\nlu kernel\\+jvp >= 10x ejml lu +met +12\\.00x\\n.*"), table);
    }

    @Test
    void targetsIgnoreOtherSizesDtypesAndThreadCounts() {
        List<LinalgBench.Row> rows = List.of(PEAK,
                new LinalgBench.Row("lu", "ejml", 16, "float32", 1, 256, 1e6, 1, Double.NaN),
                new LinalgBench.Row("lu", "kernel+jvp", 16, "float32", 1, 65536, 1e8, 1, Double.NaN),
                new LinalgBench.Row("lu", "ejml", 8, "float64", 1, 256, 1e6, 1, Double.NaN),
                new LinalgBench.Row("lu", "kernel+jvp", 8, "float32", 2, 65536, 1e8, 1, Double.NaN));
        assertTrue(LinalgBench.targets(rows).stream().allMatch(t -> t.verdict() == null));
    }

    @Test
    void quickRunWithoutKernelsWritesTheBaselineRows(@TempDir Path dir) throws IOException {
        Path json = dir.resolve("linalg.json");
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int status = LinalgBench.run(new String[] {"--case", "linalg", "--quick", "--ops", "lu,svd", "--n", "4", "--dtype", "float64",
                "--threads", "1", "--batch", "64", "--json", json.toString()}, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8), Optional.empty());
        assertEquals(0, status);
        String report = out.toString(StandardCharsets.UTF_8);
        assertTrue(report.contains("\n" + LinalgBench.NO_KERNELS + "\n"), report);
        assertTrue(report.matches("(?s).*\\nlu +ejml +4 +float64 +1 +64 .*"), report);
        assertTrue(report.contains("lu kernel >= 25% of FMA peak"), report);
        List<?> rows = (List<?>) Json.parse(Files.readString(json), json.toString());
        assertEquals(List.of("fma_peak vector-api", "lu ejml", "lu interpreter", "svd ejml", "svd interpreter"),
                rows.stream().map(o -> ((Map<?, ?>) o).get("op") + " " + ((Map<?, ?>) o).get("variant")).toList());
        for (Object o : rows) {
            Map<?, ?> r = (Map<?, ?>) o;
            assertTrue(((Number) r.get("gflops")).doubleValue() > 0, r.toString());
            assertTrue(((Number) r.get("fraction_of_peak")).doubleValue() > 0, r.toString());
        }
        assertTrue(Files.exists(dir.resolve("linalg.json.meta.json")));
        assertEquals("", err.toString(StandardCharsets.UTF_8));
    }

    static String quick(Optional<LinalgKernels> kernels, Path json, ByteArrayOutputStream err) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        LinalgBench.run(new String[] {"--case", "linalg", "--quick", "--ops", "lu", "--n", "8", "--dtype", "float32", "--threads", "1",
                "--batch", "128", "--json", json.toString()}, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8), kernels);
        return out.toString(StandardCharsets.UTF_8);
    }

    @Test
    void aSupplierWithoutTheKernelIsNamedPerKernel(@TempDir Path dir) {
        String report = quick(Optional.of((op, n, dtype, jvp) -> Optional.empty()), dir.resolve("l.json"), new ByteArrayOutputStream());
        assertFalse(report.contains(LinalgBench.NO_KERNELS), report);
        assertTrue(report.contains("\nkernel rows: the supplier has no kernel for lu kernel n=8 float32, lu kernel+jvp n=8 float32\n"),
                report);
    }

    /**
     * A stand-in that checks the plumbing only: it computes nothing and flags item 3 in {@code status}, so
     * the rows it yields say nothing about speed.
     */
    static final class StatusOnlyKernel implements BatchedKernel {
        @Override
        public String name() {
            return "status_only";
        }

        @Override
        public List<BatchedBuffer> buffers() {
            return List.of(new BatchedBuffer("A", BatchedBuffer.Role.IN, ElementType.FLOAT32, 64),
                    new BatchedBuffer("status", BatchedBuffer.Role.OUT, ElementType.INT32, 1));
        }

        @Override
        public int argCount() {
            return 0;
        }

        @Override
        public void run(MemorySegment[] buffers, long[] args, long batch, long from, long to) {
            for (long b = from; b < to; b++) {
                buffers[1].setAtIndex(ValueLayout.JAVA_INT, b, b == 3 ? 1 : 0);
            }
        }
    }

    @Test
    void suppliedKernelsGiveKernelRowsAndTheTargetsAreEvaluated(@TempDir Path dir) throws IOException {
        Path json = dir.resolve("l.json");
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        String report = quick(Optional.of((op, n, dtype, jvp) -> Optional.of(new StatusOnlyKernel())), json, err);
        List<?> rows = (List<?>) Json.parse(Files.readString(json), json.toString());
        assertEquals(List.of("fma_peak vector-api", "lu ejml", "lu interpreter", "lu kernel", "lu kernel+jvp"),
                rows.stream().map(o -> ((Map<?, ?>) o).get("op") + " " + ((Map<?, ?>) o).get("variant")).toList());
        Map<?, ?> kernel = (Map<?, ?>) rows.get(3);
        assertEquals(128.0, ((Number) kernel.get("batch")).doubleValue());
        assertTrue(((Number) kernel.get("fraction_of_peak")).doubleValue() > 0, kernel.toString());
        assertTrue(report.matches("(?s).*\\nlu kernel\\+jvp >= 10x ejml lu +(met|MISSED) .*"), report);
        assertTrue(report.matches("(?s).*\\nlu kernel >= 25% of FMA peak +(met|MISSED) .*"), report);
        assertTrue(err.toString(StandardCharsets.UTF_8).contains("kernel rows: lu kernel n=8 float32: 1 of 128 items report a non-zero status"),
                err.toString(StandardCharsets.UTF_8));
        String meta = Files.readString(dir.resolve("l.json.meta.json"));
        assertTrue(meta.contains("\"target\": \"lu kernel >= 25% of FMA peak\""), meta);
    }
}
