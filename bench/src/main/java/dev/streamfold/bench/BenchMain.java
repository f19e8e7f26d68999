package dev.streamfold.bench;

import dev.streamfold.compiler.KernelEval;
import dev.streamfold.compiler.cli.Args;
import dev.streamfold.compiler.cli.Main;
import dev.streamfold.compiler.llvm.LlvmKernels;
import dev.streamfold.ir.DType;
import dev.streamfold.ir.Shape;
import dev.streamfold.ir.StreamfoldException;
import dev.streamfold.ir.Tensor;
import dev.streamfold.ir.Type;
import dev.streamfold.ir.expr.MatrixBinder;
import dev.streamfold.ir.strategy.ToeplitzOptimizer;
import dev.streamfold.ir.stream.Bindings;
import dev.streamfold.ir.stream.ParamLayout;
import dev.streamfold.ir.stream.StepProgram;
import dev.streamfold.ir.stream.StreamingMatrix;
import dev.streamfold.runtime.StreamBuffers;
import dev.streamfold.runtime.StreamingRunner;
import dev.streamfold.runtime.io.StagedFile;
import java.io.IOException;
import java.io.PrintStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * {@code streamfold bench}: times streaming steps against this machine's copy bandwidth, measured in
 * the same run. Variants of a case are warmed up, then interleaved round-robin so that bandwidth
 * drift hits them alike; figures are medians with min and max over rounds. The report is a table
 * in ms with aligned columns and the verdicts against the README's {@link Targets targets}, or with
 * {@code --csv} the rows alone as CSV on standard output (the rest then goes to standard error).
 * {@code --json FILE} writes the rows to FILE and the run's {@link BenchMetadata metadata} and
 * verdicts beside it, to {@code FILE.meta.json}. {@code --case linalg} is {@link LinalgBench}.
 */
public final class BenchMain {
    static final String COMPOSE3 = "prefix_sum @ momentum_sgd(momentum=0.9, learning_rates=[1.0, 0.5]) @ diagonal([2.0, 0.5])";
    static final String BLT4_INV = "inverse(blt(buf_decay=[0.99, 0.9, 0.7, 0.3], output_scale=[0.05, 0.1, 0.2, 0.3]))";
    static final String BLT4 = "prefix_sum @ " + BLT4_INV;
    static final String SCAN = "prefix_sum @ momentum_sgd(momentum=0.9, learning_rates=[1.0, 0.5])";
    static final int SCAN_STEPS = 256;
    /** The whole-scan case's slice: its three state buffers (48 MiB) do not fit in the 32 MiB L3. */
    static final long SCAN_D = 1L << 22;

    /**
     * The case of BandMF's optimal Toeplitz strategy with many bands ({@code toeplitz(coef=...)}, its rows named
     * {@code toeplitz-B}): a ring of B - 1 past rows, every row read and one written per step. Its copy moves as many
     * bytes as the step, so that both run from the same level of the memory hierarchy.
     */
    static final String TOEPLITZ = "toeplitz";

    /** The bands of the toeplitz case. */
    static final int[] TOEPLITZ_BANDS = {256, 4096};

    /** Elements per step of the toeplitz case: its 4095-row ring is 1 GiB of float32 state. */
    static final long TOEPLITZ_D = 1L << 16;

    /** One row of the report. */
    record Row(String kase, String variant, long d, String dtype, int threads, long bytesPerStep, double nsPerStep,
            double gbps, double gbpsMin, double gbpsMax) {}

    private BenchMain() {}

    public static void main(String[] argv) {
        try {
            System.exit(run(argv, System.out, System.err));
        } catch (StreamfoldException e) {
            System.err.println("error: " + e.getMessage().replace('\n', ' ').replace('\r', ' '));
            System.exit(2);
        } catch (OutOfMemoryError e) {
            System.err.println("error: out of memory: the bench needs more memory than this machine or JVM allows (" + e.getMessage()
                    + "; use a smaller --size)");
            System.exit(2);
        }
    }

    /** The cases; a run without {@code --case} measures the streaming ones (all but optimize and linalg), in this order. */
    static final List<String> CASES = List.of("compose3", "blt4", "noise-blt4", "scan", TOEPLITZ, "optimize", LinalgBench.CASE);

    /**
     * Bench options, checked before anything runs or prints: {@code size} and {@code threads} are 0
     * when not given, {@code kase} is null for every case, {@code json} null for no file.
     */
    record Options(boolean quick, Path json, long size, int threads, String kase, boolean csv) {
        static Options parse(String[] argv) {
            Args a = new Args("bench", argv, 0, Set.of("--json", "--case", "--size", "--threads"), Set.of(),
                    Set.of("--quick", "--csv"));
            String kase = a.get("--case");
            if (kase != null && !CASES.contains(kase)) {
                throw new StreamfoldException("bench: unknown case '" + kase + "' (cases: " + String.join(", ", CASES) + ")");
            }
            String json = a.get("--json");
            if (json != null && json.isEmpty()) {
                throw new StreamfoldException("bench: --json needs a file name");
            }
            if ("-".equals(json)) {
                throw new StreamfoldException("bench: --json - (standard output) is not supported: the rows go to a file and"
                        + " their metadata beside it (FILE.meta.json); use --csv for the rows on standard output");
            }
            boolean csv = a.flag("--csv");
            if (csv && "optimize".equals(kase)) {
                throw new StreamfoldException("bench: --csv applies to the streaming cases, not --case optimize");
            }
            return new Options(a.flag("--quick"), json == null ? null : Path.of(json),
                    a.longValue("--size", 0, 1, StreamingRunner.MAX_LENGTH),
                    a.intValue("--threads", 0, 1, StreamingRunner.MAX_THREADS), kase, csv);
        }
    }

    static int run(String[] argv, PrintStream out) {
        return run(argv, out, System.err);
    }

    /** Runs the bench: the report on {@code out}; with {@code --csv}, the CSV on {@code out} and the rest on {@code err}. */
    static int run(String[] argv, PrintStream out, PrintStream err) {
        if (Arrays.asList(argv).contains("--help") || Arrays.asList(argv).contains("-h")) {
            out.print(Main.usage("bench"));
            out.flush();
            return 0;
        }
        if (LinalgBench.selected(argv)) {
            return LinalgBench.run(argv, out, err);
        }
        Options o = Options.parse(argv);
        boolean quick = o.quick();
        Path json = o.json();
        long onlySize = o.size();
        int onlyThreads = o.threads();
        String onlyCase = o.kase();
        if ("optimize".equals(onlyCase)) {
            int status = OptimizeBench.run(out, json, quick);
            if (json != null) {
                writeMetadata(json, List.of());
            }
            return status;
        }
        PrintStream info = o.csv() ? err : out;
        int all = Math.min(Runtime.getRuntime().availableProcessors(), StreamingRunner.MAX_THREADS);
        int[] threadCounts = onlyThreads > 0 ? new int[] {onlyThreads} : all == 1 ? new int[] {1} : new int[] {1, all};
        long[] sizes = onlySize > 0 ? new long[] {onlySize} : quick ? new long[] {1L << 20} : new long[] {1L << 24, 1L << 20};
        Timing timing = quick ? new Timing(0.3, 5) : new Timing(1.0, 11);
        info.printf(Locale.ROOT, "Streamfold bench (%s): float32, %d hardware threads; medians over %d interleaved rounds (min-max)%n",
                quick ? "quick" : "full", all, timing.rounds());
        List<Row> rows = new ArrayList<>();
        if (onlyCase == null || onlyCase.equals("compose3")) {
            for (long d : sizes) {
                for (int threads : threadCounts) {
                    rows.addAll(compose3(d, threads, timing, d <= (1L << 20)));
                }
            }
        }
        if (onlyCase == null || onlyCase.equals("blt4")) {
            for (long d : sizes) {
                for (int threads : threadCounts) {
                    rows.addAll(blt4(d, threads, timing));
                }
            }
        }
        if (onlyCase == null || onlyCase.equals("noise-blt4")) {
            for (long d : sizes) {
                for (int threads : threadCounts) {
                    rows.addAll(noiseBlt4(d, threads, timing));
                }
            }
        }
        if (onlyCase == null || onlyCase.equals("scan")) {
            long scanD = onlySize > 0 ? onlySize : quick ? 1L << 16 : SCAN_D;
            for (int threads : threadCounts) {
                rows.addAll(scan(scanD, threads, timing));
            }
        }
        if (onlyCase == null || onlyCase.equals(TOEPLITZ)) {
            long td = onlySize > 0 ? onlySize : quick ? 1L << 12 : TOEPLITZ_D;
            for (int bands : TOEPLITZ_BANDS) {
                for (int threads : threadCounts) {
                    rows.addAll(toeplitz(bands, td, threads, timing));
                }
            }
        }
        List<Targets.Verdict> verdicts = Targets.check(rows);
        if (o.csv()) {
            out.print(csv(rows));
        } else {
            out.print(table(rows));
        }
        info.print(summary(verdicts));
        if (json != null) {
            writeJson(json, rows);
            Path meta = writeMetadata(json, verdicts);
            info.println("wrote " + json + (meta == null ? " (no metadata file beside a FIFO or device)" : " and " + meta));
        }
        return 0;
    }

    record Timing(double warmupSeconds, int rounds) {}

    /** Something that runs whole steps and knows the bytes a step must move. */
    interface Variant extends AutoCloseable {
        String name();

        long bytesPerStep();

        /** Steps per timed sample. */
        int stepsPerSample();

        void runSample();

        @Override
        default void close() {}
    }

    static List<Row> compose3(long d, int threads, Timing timing, boolean withInterpreter) {
        StreamingMatrix fused = MatrixBinder.parse(COMPOSE3);
        List<StreamingMatrix> factors = List.of(
                MatrixBinder.parse("diagonal([2.0, 0.5])"),
                MatrixBinder.parse("momentum_sgd(momentum=0.9, learning_rates=[1.0, 0.5])"),
                MatrixBinder.parse("prefix_sum"));
        try (Arena arena = Arena.ofShared()) {
            MemorySegment x = Buffers.random(arena, d, 1);
            MemorySegment y = StreamBuffers.allocate(arena, d * 4);
            List<Variant> vs = new ArrayList<>();
            vs.add(new Variants.Copy(x, y, d, threads));
            vs.add(new Variants.Kernel("fused", fused, x, y, d, threads, KernelEval.VECTOR));
            vs.add(new Variants.Kernel("fused-llvm", fused, x, y, d, threads, LlvmKernels.LLVM));
            vs.add(new Variants.Unfused(factors, arena, x, y, d, threads));
            vs.add(new Variants.ScalarLoop(d, threads));
            if (withInterpreter) {
                vs.add(new Variants.InterpreterStep(fused, d));
            }
            return measure("compose3", vs, d, threads, timing);
        }
    }

    static List<Row> blt4(long d, int threads, Timing timing) {
        try (Arena arena = Arena.ofShared()) {
            MemorySegment x = Buffers.random(arena, d, 3);
            MemorySegment y = StreamBuffers.allocate(arena, d * 4);
            List<Variant> vs = new ArrayList<>();
            vs.add(new Variants.Copy(x, y, d, threads));
            vs.add(new Variants.Kernel("fused", MatrixBinder.parse(BLT4), x, y, d, threads, KernelEval.VECTOR));
            vs.add(new Variants.Unfused(List.of(MatrixBinder.parse(BLT4_INV), MatrixBinder.parse("prefix_sum")), arena, x, y,
                    d, threads));
            return measure("blt4", vs, d, threads, timing);
        }
    }

    static List<Row> noiseBlt4(long d, int threads, Timing timing) {
        StreamingMatrix m = MatrixBinder.parse(BLT4_INV);
        try (Arena arena = Arena.ofShared()) {
            MemorySegment x = Buffers.random(arena, d, 4);
            MemorySegment y = StreamBuffers.allocate(arena, d * 4);
            List<Variant> vs = new ArrayList<>();
            vs.add(new Variants.Copy(x, y, d, threads));
            vs.add(new Variants.Noise("fused", m, arena, y, d, threads, false));
            vs.add(new Variants.Noise("unfused", m, arena, y, d, threads, true));
            vs.add(new Variants.Kernel("from-memory", m, x, y, d, threads, KernelEval.VECTOR));
            vs.add(new Variants.NoiseOnly(d, threads));
            return measure("noise-blt4", vs, d, threads, timing);
        }
    }

    static List<Row> scan(long d, int threads, Timing timing) {
        StreamingMatrix m = MatrixBinder.parse(SCAN);
        try (Arena arena = Arena.ofShared()) {
            MemorySegment x = Buffers.random(arena, d * SCAN_STEPS, 2);
            MemorySegment y = StreamBuffers.allocate(arena, d * SCAN_STEPS * 4);
            List<Variant> vs = new ArrayList<>();
            vs.add(new Variants.Copy(x.asSlice(0, d * 4), y.asSlice(0, d * 4), d, threads));
            vs.add(new Variants.Multiply(m, x, y, d, SCAN_STEPS, threads, true));
            vs.add(new Variants.Multiply(m, x, y, d, SCAN_STEPS, threads, false));
            return measure("scan", vs, d, threads, timing);
        }
    }

    static List<Row> toeplitz(int bands, long d, int threads, Timing timing) {
        String coef = Arrays.stream(ToeplitzOptimizer.optimalMaxErrorStrategy(bands)).mapToObj(Double::toString)
                .collect(java.util.stream.Collectors.joining(", ", "[", "]"));
        StreamingMatrix m = MatrixBinder.parse("toeplitz(coef=" + coef + ")");
        try (Arena arena = Arena.ofShared()) {
            MemorySegment x = Buffers.random(arena, d, 5);
            MemorySegment y = StreamBuffers.allocate(arena, d * 4);
            // The copy moves as many bytes as the step (B - 1 ring rows read, one written, x and y), out of cache alike.
            long copied = (bands + 2) * d / 2;
            List<Variant> vs = new ArrayList<>();
            vs.add(new Variants.Copy(Buffers.random(arena, copied, 6), StreamBuffers.allocate(arena, copied * 4), copied, threads));
            vs.add(new Variants.Kernel("fused", m, x, y, d, threads, KernelEval.VECTOR));
            vs.add(new Variants.Kernel("fused-llvm", m, x, y, d, threads, LlvmKernels.LLVM));
            return measure(TOEPLITZ + "-" + bands, vs, d, threads, timing);
        }
    }

    static List<Row> measure(String kase, List<Variant> vs, long d, int threads, Timing timing) {
        try {
            for (Variant v : vs) {
                long end = System.nanoTime() + (long) (timing.warmupSeconds() * 1e9);
                do {
                    v.runSample();
                } while (System.nanoTime() < end);
            }
            double[][] ns = new double[vs.size()][timing.rounds()];
            for (int r = 0; r < timing.rounds(); r++) {
                for (int i = 0; i < vs.size(); i++) {
                    Variant v = vs.get(i);
                    long s = System.nanoTime();
                    v.runSample();
                    ns[i][r] = (System.nanoTime() - s) / (double) v.stepsPerSample();
                }
            }
            List<Row> rows = new ArrayList<>();
            for (int i = 0; i < vs.size(); i++) {
                Variant v = vs.get(i);
                double[] sorted = ns[i].clone();
                Arrays.sort(sorted);
                double med = sorted[sorted.length / 2];
                long bytes = v.bytesPerStep();
                rows.add(new Row(kase, v.name(), d, "float32", threads, bytes, med, bytes / med,
                        bytes / sorted[sorted.length - 1], bytes / sorted[0]));
            }
            return rows;
        } finally {
            for (Variant v : vs) {
                v.close();
            }
        }
    }

    /** The rows as a table in ms, each column as wide as its widest cell (text left, numbers right). */
    static String table(List<Row> rows) {
        List<String[]> cells = new ArrayList<>();
        cells.add(new String[] {"case", "variant", "d", "threads", "MB/step", "ms/step", "GB/s", "(min-max)", "vs copy"});
        double copy = 0;
        for (Row r : rows) {
            if (r.variant().equals("copy")) {
                copy = r.gbps();
            }
            boolean moves = r.bytesPerStep() > 0;
            cells.add(new String[] {r.kase(), r.variant(), size(r.d()), Integer.toString(r.threads()),
                    String.format(Locale.ROOT, "%.1f", r.bytesPerStep() / 1e6), String.format(Locale.ROOT, "%.3f", r.nsPerStep() / 1e6),
                    moves ? String.format(Locale.ROOT, "%.1f", r.gbps()) : "-",
                    moves ? String.format(Locale.ROOT, "(%.1f-%.1f)", r.gbpsMin(), r.gbpsMax()) : "-",
                    moves && copy > 0 ? String.format(Locale.ROOT, "%.0f%%", 100 * r.gbps() / copy) : "-"});
        }
        int[] width = new int[cells.get(0).length];
        for (String[] row : cells) {
            for (int c = 0; c < row.length; c++) {
                width[c] = Math.max(width[c], row[c].length());
            }
        }
        StringBuilder b = new StringBuilder();
        for (String[] row : cells) {
            StringBuilder line = new StringBuilder();
            for (int c = 0; c < row.length; c++) {
                String pad = " ".repeat(width[c] - row[c].length());
                line.append(c == 0 ? "" : "  ").append(c < 2 ? row[c] + pad : pad + row[c]);
            }
            b.append(line.toString().stripTrailing()).append('\n');
        }
        return b.toString();
    }

    /** {@code 2^k} for a power of two, the decimal number otherwise. */
    static String size(long d) {
        return Long.bitCount(d) == 1 ? "2^" + Long.numberOfTrailingZeros(d) : Long.toString(d);
    }

    /** The columns of a JSON row. */
    static final String CSV_HEADER = "case,variant,d,dtype,threads,bytes_per_step,ns_per_step,gbps,gbps_min,gbps_max";

    /** The rows as CSV: one header line, then one line per row, with the JSON rows' columns. */
    static String csv(List<Row> rows) {
        StringBuilder b = new StringBuilder(CSV_HEADER).append('\n');
        for (Row r : rows) {
            b.append(String.format(Locale.ROOT, "%s,%s,%d,%s,%d,%d,%.1f,%.3f,%.3f,%.3f%n", r.kase(), r.variant(), r.d(), r.dtype(),
                    r.threads(), r.bytesPerStep(), r.nsPerStep(), r.gbps(), r.gbpsMin(), r.gbpsMax()));
        }
        return b.toString();
    }

    /** One line per verdict, {@code met} or {@code MISSED} first; nothing when no target applies. */
    static String summary(List<Targets.Verdict> verdicts) {
        if (verdicts.isEmpty()) {
            return "";
        }
        StringBuilder b = new StringBuilder("Against the README's targets:\n");
        for (Targets.Verdict v : verdicts) {
            b.append(String.format(Locale.ROOT, "  %-6s %-10s d %s, %d thread%s: %s: %s%n", v.met() ? "met" : "MISSED", v.kase(),
                    size(v.d()), v.threads(), v.threads() == 1 ? "" : "s", v.target(), v.measured()));
        }
        return b.toString();
    }

    /** Where {@code --json FILE} puts the run's metadata: {@code FILE.meta.json}. */
    static Path metadataPath(Path json) {
        return json.resolveSibling(json.getFileName() + ".meta.json");
    }

    /**
     * Writes this run's {@link BenchMetadata} and {@code verdicts} beside {@code json}; returns the
     * path, or {@code null} when {@code json} is a FIFO or a device, which has no file beside it.
     */
    static Path writeMetadata(Path json, List<Targets.Verdict> verdicts) {
        try {
            if (StagedFile.resolve(json) == null) {
                return null;
            }
        } catch (IOException e) {
            throw new StreamfoldException("bench: cannot write --json " + json + ": " + StagedFile.reason(e));
        }
        Path meta = metadataPath(json);
        String text = BenchMetadata.collect(Path.of("").toAbsolutePath()).toJson(verdicts);
        try (StagedFile f = StagedFile.create(meta)) {
            f.write(java.nio.ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8)));
            f.force();
            f.commit();
        } catch (IOException e) {
            throw new StreamfoldException("bench: cannot write " + meta + ": " + StagedFile.reason(e));
        }
        return meta;
    }

    static void writeJson(Path file, List<Row> rows) {
        StringBuilder b = new StringBuilder("[\n");
        for (int i = 0; i < rows.size(); i++) {
            Row r = rows.get(i);
            b.append(String.format(Locale.ROOT,
                    "  {\"case\": \"%s\", \"variant\": \"%s\", \"d\": %d, \"dtype\": \"%s\", \"threads\": %d, "
                            + "\"bytes_per_step\": %d, \"ns_per_step\": %.1f, \"gbps\": %.3f, \"gbps_min\": %.3f, \"gbps_max\": %.3f}%s%n",
                    r.kase(), r.variant(), r.d(), r.dtype(), r.threads(), r.bytesPerStep(), r.nsPerStep(), r.gbps(),
                    r.gbpsMin(), r.gbpsMax(), i + 1 < rows.size() ? "," : ""));
        }
        b.append("]\n");
        try (StagedFile f = StagedFile.create(file)) {
            f.write(java.nio.ByteBuffer.wrap(b.toString().getBytes(StandardCharsets.UTF_8)));
            f.force();
            f.commit();
        } catch (IOException e) {
            throw new StreamfoldException("bench: cannot write --json " + file + ": " + StagedFile.reason(e));
        }
    }

    /** The bound step program of {@code m} for an interpreter run over a slice of d elements. */
    static StepProgram stepProgram(StreamingMatrix m, long d, List<Tensor> values) {
        return StepProgram.build(m, ParamLayout.types(values), new Type(DType.F32, new Shape(Math.toIntExact(d))));
    }

    static StreamingRunner runner(StreamingMatrix m, long d, int threads) {
        return runner(m, d, threads, KernelEval.VECTOR);
    }

    static StreamingRunner runner(StreamingMatrix m, long d, int threads, KernelEval.KernelLoader loader) {
        KernelEval.Bound b = KernelEval.bind(loader, m, Bindings.NONE, DType.F32);
        return new StreamingRunner(b.kernel(), b.params(), d, threads);
    }
}
