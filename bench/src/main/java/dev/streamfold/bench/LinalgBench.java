package dev.streamfold.bench;

import dev.streamfold.compiler.cli.Args;
import dev.streamfold.ir.DType;
import dev.streamfold.ir.Shape;
import dev.streamfold.ir.StreamfoldException;
import dev.streamfold.ir.Tensor;
import dev.streamfold.ir.linalg.Linalg;
import dev.streamfold.ir.linalg.LinalgOp;
import dev.streamfold.runtime.StreamingRunner;
import dev.streamfold.runtime.batched.BatchedKernel;
import dev.streamfold.runtime.io.StagedFile;
import java.io.IOException;
import java.io.PrintStream;
import java.lang.management.CompilationMXBean;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * {@code streamfold bench --case linalg}: batched decompositions and solves on small matrices, in
 * matrices per second, against EJML on the same inputs ({@link LinalgInputs}), the reference interpreter
 * and this machine's {@link FmaPeak FMA peak}. Kernel rows come from a {@link LinalgKernels} supplier;
 * without one the baselines are still measured. The variants of one op, n, dtype and thread count are
 * warmed up, then interleaved over rounds; figures are medians.
 */
public final class LinalgBench {
    private LinalgBench() {}

    static final String CASE = "linalg";
    static final List<String> DTYPES = List.of("float32", "float64");
    static final int MAX_N = 256;
    static final int MAX_BATCH = 1 << 24;
    static final int DEFAULT_BATCH = 65536;
    /** The options only {@code --case linalg} takes. */
    static final List<String> OWN_OPTIONS = List.of("--ops", "--n", "--dtype", "--batch");
    static final String NO_KERNELS = "kernel rows: no linear-algebra kernels in this build";

    /** Bench options of {@code --case linalg}, checked before anything runs or prints. */
    record Options(boolean quick, Path json, List<String> ops, List<Integer> ns, List<String> dtypes, List<Integer> threads,
            int batch) {
        static Options parse(String[] argv) {
            Args a = new Args("bench", argv, 0, Set.of("--json", "--case", "--size", "--threads", "--ops", "--n", "--dtype",
                    "--batch"), Set.of(), Set.of("--quick", "--csv"));
            if (!CASE.equals(a.get("--case"))) {
                throw new IllegalArgumentException("not --case linalg");
            }
            if (a.get("--size") != null) {
                throw new StreamfoldException("bench: --size applies to the streaming cases, not --case linalg (use --n and --batch)");
            }
            if (a.flag("--csv")) {
                throw new StreamfoldException("bench: --csv applies to the streaming cases, not --case linalg");
            }
            String json = a.get("--json");
            if (json != null && json.isEmpty()) {
                throw new StreamfoldException("bench: --json needs a file name");
            }
            if ("-".equals(json)) {
                throw new StreamfoldException("bench: --json - (standard output) is not supported: the rows go to a file and"
                        + " their metadata beside it (FILE.meta.json)");
            }
            List<String> ops = names("--ops", a.get("--ops"), LinalgInputs.OPS, "op", "ops");
            List<Integer> ns = integers("--n", a.get("--n"), List.of(4, 8, 16, 32), MAX_N);
            List<String> dtypes = names("--dtype", a.get("--dtype"), DTYPES, "dtype", "dtypes");
            List<Integer> threads = integers("--threads", a.get("--threads"), List.of(1, 2), StreamingRunner.MAX_THREADS);
            int batch = a.intValue("--batch", DEFAULT_BATCH, 1, MAX_BATCH);
            return new Options(a.flag("--quick"), json == null ? null : Path.of(json), ops, ns, dtypes, threads, batch);
        }
    }

    /**
     * True when {@code argv} selects {@code --case linalg}; for another case, refuses the options only
     * linalg takes. Other errors are left to the case's own parsing.
     */
    static boolean selected(String[] argv) {
        Args a = new Args("bench", argv, 0, Set.of("--json", "--case", "--size", "--threads", "--ops", "--n", "--dtype",
                "--batch"), Set.of(), Set.of("--quick", "--csv"));
        if (CASE.equals(a.get("--case"))) {
            return true;
        }
        for (String o : OWN_OPTIONS) {
            if (a.get(o) != null) {
                throw new StreamfoldException("bench: " + o + " applies to --case linalg");
            }
        }
        return false;
    }

    private static List<String> names(String option, String text, List<String> known, String what, String whats) {
        if (text == null) {
            return known;
        }
        LinkedHashSet<String> out = new LinkedHashSet<>();
        for (String s : text.split(",", -1)) {
            if (s.isEmpty()) {
                throw new StreamfoldException("bench: " + option + " has an empty entry in '" + printable(text) + "'");
            }
            if (!known.contains(s)) {
                throw new StreamfoldException("bench: unknown " + what + " '" + printable(s) + "' in " + option + " (" + whats + ": "
                        + String.join(", ", known) + ")");
            }
            if (!out.add(s)) {
                throw new StreamfoldException("bench: " + option + " names '" + s + "' twice");
            }
        }
        return List.copyOf(out);
    }

    private static final Pattern INTEGER = Pattern.compile("-?[0-9]+");

    private static List<Integer> integers(String option, String text, List<Integer> dflt, int max) {
        if (text == null) {
            return dflt;
        }
        LinkedHashSet<Integer> out = new LinkedHashSet<>();
        for (String s : text.split(",", -1)) {
            long v = -1;
            if (INTEGER.matcher(s).matches() && s.length() < 12) {
                v = Long.parseLong(s);
            }
            if (v < 1 || v > max) {
                throw new StreamfoldException("bench: " + option + " must be integers in [1, " + max + "] separated by commas, got '"
                        + printable(text) + "'");
            }
            if (!out.add((int) v)) {
                throw new StreamfoldException("bench: " + option + " names " + v + " twice");
            }
        }
        return List.copyOf(out);
    }

    /** {@code s} with control characters written as {@code \\uXXXX}. */
    private static String printable(String s) {
        StringBuilder b = new StringBuilder();
        for (char c : s.toCharArray()) {
            b.append(c < 0x20 || c == 0x7f ? String.format(Locale.ROOT, "\\u%04x", (int) c) : String.valueOf(c));
        }
        return b.toString();
    }

    /**
     * The flops one matrix of {@code op} counts: lu 2n^3/3, cholesky n^3/3, qr 4n^3/3, triangular_solve
     * n^3 (n right-hand sides), eigh 9n^3 and svd 21n^3 (Golub and Van Loan's counts for the symmetric QR
     * algorithm and the Golub-Reinsch SVD, both with vectors). A JVP counts its primal's flops only.
     */
    static double flops(String op, int n) {
        double n3 = (double) n * n * n;
        return switch (op) {
            case "lu" -> 2 * n3 / 3;
            case "cholesky" -> n3 / 3;
            case "qr" -> 4 * n3 / 3;
            case "triangular_solve" -> n3;
            case "eigh" -> 9 * n3;
            case "svd" -> 21 * n3;
            default -> throw new IllegalArgumentException("unknown op " + op);
        };
    }

    /**
     * One figure: an op's variant, or ({@code op} {@code fma_peak}) the FMA peak, whose {@code n},
     * {@code batch} and {@code matricesPerS} are absent (0, 0, NaN). {@code fractionOfPeak} is NaN where
     * no peak was measured for the dtype and thread count.
     */
    record Row(String op, String variant, int n, String dtype, int threads, long batch, double matricesPerS, double gflops,
            double fractionOfPeak) {}

    static final String FMA_PEAK = "fma_peak";

    /**
     * How a figure is taken: warm-up of at least {@code warmupSeconds}, at most {@code maxWarmupSeconds}, ended
     * once the rate has not risen for 8 samples of {@code sampleSeconds} and the JIT has compiled nothing for
     * {@code jitQuietSeconds}; then {@code rounds} interleaved rounds.
     */
    record Timing(double warmupSeconds, double maxWarmupSeconds, double sampleSeconds, int rounds, int interpreterBatch,
            double jitQuietSeconds) {}

    /** Runs the bench with the installed {@link LinalgKernels} supplier, if any. */
    static int run(String[] argv, PrintStream out, PrintStream err) {
        return run(argv, out, err, LinalgKernels.installed());
    }

    /** Runs the bench: the report on {@code out}, kernel problems on {@code err}. */
    public static int run(String[] argv, PrintStream out, PrintStream err, Optional<LinalgKernels> kernels) {
        Options o = Options.parse(argv);
        Timing timing = o.quick() ? new Timing(0.05, 20, 0.01, 3, 4, 3.0) : new Timing(0.3, 60, 0.05, 7, 16, 5.0);
        out.printf(Locale.ROOT, "Streamfold bench --case linalg (%s): batch %d; medians over %d interleaved rounds%n",
                o.quick() ? "quick" : "full", o.batch(), timing.rounds());
        List<Row> rows = new ArrayList<>();
        for (String dtype : o.dtypes()) {
            for (int threads : o.threads()) {
                double peak = FmaPeak.gflops(dtype, threads, o.quick() ? 0.5 : 1.0, o.quick() ? 0.05 : 0.2, o.quick() ? 3 : 5);
                rows.add(new Row(FMA_PEAK, "vector-api", 0, dtype, threads, 0, Double.NaN, peak, 1.0));
            }
        }
        if (kernels.isEmpty()) {
            out.println(NO_KERNELS);
        }
        Set<String> missing = new LinkedHashSet<>();
        for (String op : o.ops()) {
            for (int n : o.ns()) {
                for (String dtype : o.dtypes()) {
                    for (int threads : o.threads()) {
                        rows.addAll(group(op, n, dtype, threads, o.batch(), timing, kernels, missing, err));
                    }
                }
            }
        }
        if (kernels.isPresent() && !missing.isEmpty()) {
            out.println("kernel rows: the supplier has no kernel for " + String.join(", ", missing));
        }
        List<Row> withPeak = withPeak(rows);
        out.print(table(withPeak));
        List<Target> targets = targets(withPeak);
        out.print(targetTable(targets));
        if (o.json() != null) {
            writeJson(o.json(), withPeak);
            List<Targets.Verdict> verdicts = targets.stream().filter(t -> t.verdict() != null).map(Target::verdict).toList();
            Path meta = BenchMain.writeMetadata(o.json(), verdicts);
            out.println("wrote " + o.json() + (meta == null ? " (no metadata file beside a FIFO or device)" : " and " + meta));
        }
        return 0;
    }

    /** The rows of one op, n, dtype and thread count: EJML, the interpreter (1 thread only), and the kernels there are. */
    static List<Row> group(String op, int n, String dtype, int threads, int batch, Timing timing, Optional<LinalgKernels> kernels,
            Set<String> missing, PrintStream err) {
        List<Sampler> samplers = new ArrayList<>();
        try {
            samplers.add(new EjmlSampler(op, n, dtype, threads, Math.min(batch, 256)));
            if (threads == 1) {
                samplers.add(new InterpreterSampler(op, n, dtype, Math.min(batch, timing.interpreterBatch())));
            }
            if (kernels.isPresent()) {
                for (boolean jvp : new boolean[] {false, true}) {
                    String variant = jvp ? "kernel+jvp" : "kernel";
                    Optional<BatchedKernel> k = kernels.get().kernel(op, n, dtype, jvp);
                    if (k.isEmpty()) {
                        missing.add(String.format(Locale.ROOT, "%s %s n=%d %s", op, variant, n, dtype));
                        continue;
                    }
                    try {
                        samplers.add(new KernelSampler(variant, op, n, k.get(), kernels.get().args(k.get(), batch), batch, threads));
                    } catch (KernelSampler.Unfillable e) {
                        err.println("kernel rows: " + op + " " + variant + " n=" + n + " " + dtype + " left out: " + e.getMessage());
                    }
                }
            }
            double[] rates = measure(samplers, timing);
            List<Row> rows = new ArrayList<>();
            for (int i = 0; i < samplers.size(); i++) {
                Sampler s = samplers.get(i);
                rows.add(new Row(op, s.variant(), n, dtype, threads, s.batch(), rates[i], flops(op, n) * rates[i] / 1e9, Double.NaN));
                if (s instanceof KernelSampler ks) {
                    long failed = ks.failedItems();
                    if (failed > 0) {
                        err.println("kernel rows: " + op + " " + s.variant() + " n=" + n + " " + dtype + ": " + failed + " of " + batch
                                + " items report a non-zero status");
                    }
                }
            }
            return rows;
        } finally {
            for (Sampler s : samplers) {
                s.close();
            }
        }
    }

    /** Something that computes matrices of one op: {@link #run} does {@code reps} repetitions. */
    interface Sampler extends AutoCloseable {
        String variant();

        /** The batch reported for this variant. */
        long batch();

        /** Runs {@code reps} repetitions; returns the matrices computed. */
        long run(long reps);

        @Override
        default void close() {}
    }

    /**
     * Median matrices per second of each sampler: each warms up, its repetitions doubled until one sample
     * takes {@code sampleSeconds}, then sampled until its rate has stopped rising (no sample 2% above the best
     * for 8 samples, no JIT compilation for {@code jitQuietSeconds} and {@link #MIN_WARMUP_RUNS} runs, at least
     * {@code warmupSeconds} and at most
     * {@code maxWarmupSeconds}: generated kernels are split into many methods that the JIT compiles over seconds,
     * and until it has, a kernel's rate can stay flat, far below its final one, for several seconds; the JIT's
     * total compilation time grows only when a compilation ends, and one of a large method can take over a
     * second); then the samplers are interleaved over the rounds.
     */
    /**
     * The fewest runs of a sampler (for a kernel, passes over the whole batch) before its warm-up may end: the
     * JIT compiles a kernel's methods only after thousands of calls each, and while they run slowly those calls
     * come slowly too, so neither a flat rate nor a quiet JIT says that the kernel is compiled.
     */
    static final int MIN_WARMUP_RUNS = 32;

    /** Milliseconds the JIT has spent compiling in this JVM, or 0 where the JVM does not say. */
    private static long jitMillis() {
        CompilationMXBean jit = ManagementFactory.getCompilationMXBean();
        return jit != null && jit.isCompilationTimeMonitoringSupported() ? jit.getTotalCompilationTime() : 0;
    }

    static double[] measure(List<Sampler> samplers, Timing timing) {
        long[] reps = new long[samplers.size()];
        for (int i = 0; i < samplers.size(); i++) {
            Sampler s = samplers.get(i);
            reps[i] = 1;
            long start = System.nanoTime();
            long end = start + (long) (timing.warmupSeconds() * 1e9);
            long last = start + (long) (timing.maxWarmupSeconds() * 1e9);
            double best = 0;
            int sinceBest = 0;
            long warmupRuns = 0;
            long compiledMillis = jitMillis();
            long jitQuietSince = start;
            while (true) {
                long t0 = System.nanoTime();
                long m = s.run(reps[i]);
                long t = System.nanoTime() - t0;
                warmupRuns += reps[i];
                boolean longEnough = t >= timing.sampleSeconds() * 1e9;
                if (!longEnough && reps[i] < (1L << 30)) {
                    reps[i] *= 2;
                    continue;
                }
                double rate = m / (t / 1e9);
                if (rate > best * 1.02) {
                    best = rate;
                    sinceBest = 0;
                } else {
                    sinceBest++;
                }
                long now = System.nanoTime();
                long compiled = jitMillis();
                if (compiled != compiledMillis) {
                    compiledMillis = compiled;
                    jitQuietSince = now;
                }
                boolean jitQuiet = now - jitQuietSince >= timing.jitQuietSeconds() * 1e9;
                if (now >= last || (now >= end && sinceBest >= 8 && jitQuiet && warmupRuns >= MIN_WARMUP_RUNS)) {
                    break;
                }
            }
        }
        double[][] rates = new double[samplers.size()][timing.rounds()];
        for (int r = 0; r < timing.rounds(); r++) {
            for (int i = 0; i < samplers.size(); i++) {
                long t0 = System.nanoTime();
                long m = samplers.get(i).run(reps[i]);
                rates[i][r] = m / ((System.nanoTime() - t0) / 1e9);
            }
        }
        double[] med = new double[samplers.size()];
        for (int i = 0; i < samplers.size(); i++) {
            double[] sorted = rates[i].clone();
            Arrays.sort(sorted);
            med[i] = sorted[sorted.length / 2];
        }
        return med;
    }

    /** {@code rows} with each op row's fraction of the FMA peak of its dtype and thread count. */
    static List<Row> withPeak(List<Row> rows) {
        List<Row> out = new ArrayList<>();
        for (Row r : rows) {
            if (r.op().equals(FMA_PEAK)) {
                out.add(r);
                continue;
            }
            double peak = rows.stream().filter(p -> p.op().equals(FMA_PEAK) && p.dtype().equals(r.dtype()) && p.threads() == r.threads())
                    .mapToDouble(Row::gflops).findFirst().orElseThrow(() -> new IllegalStateException(
                            "no fma_peak row for " + r.dtype() + " on " + r.threads() + " threads"));
            out.add(new Row(r.op(), r.variant(), r.n(), r.dtype(), r.threads(), r.batch(), r.matricesPerS(), r.gflops(),
                    r.gflops() / peak));
        }
        return out;
    }

    /** A target of the README at n = 8, float32, 1 thread; {@code verdict} is null when the run lacks its rows. */
    record Target(String name, String measured, Targets.Verdict verdict) {}

    static final int TARGET_N = 8;

    /** The README's linear-algebra targets, evaluated where {@code rows} have what they compare. */
    static List<Target> targets(List<Row> rows) {
        List<Target> out = new ArrayList<>();
        for (String op : List.of("lu", "cholesky", "qr", "eigh", "svd")) {
            String name = op + " kernel+jvp >= 10x ejml " + op;
            Optional<Row> k = find(rows, op, "kernel+jvp");
            Optional<Row> e = find(rows, op, "ejml");
            if (k.isPresent() && e.isPresent()) {
                double ratio = k.get().matricesPerS() / e.get().matricesPerS();
                String measured = String.format(Locale.ROOT, "%.2fx", ratio);
                out.add(new Target(name, measured, new Targets.Verdict(name, CASE, TARGET_N, 1, measured, ratio >= 10)));
            } else {
                out.add(new Target(name, "not measured (" + (k.isEmpty() ? "no kernel+jvp row" : "no ejml row") + ")", null));
            }
        }
        String name = "lu kernel >= 25% of FMA peak";
        Optional<Row> k = find(rows, "lu", "kernel");
        if (k.isPresent() && !Double.isNaN(k.get().fractionOfPeak())) {
            String measured = String.format(Locale.ROOT, "%.1f%% of peak", 100 * k.get().fractionOfPeak());
            out.add(new Target(name, measured, new Targets.Verdict(name, CASE, TARGET_N, 1, measured, k.get().fractionOfPeak() >= 0.25)));
        } else {
            out.add(new Target(name, "not measured (no kernel row)", null));
        }
        return out;
    }

    private static Optional<Row> find(List<Row> rows, String op, String variant) {
        return rows.stream().filter(r -> r.op().equals(op) && r.variant().equals(variant) && r.n() == TARGET_N
                && r.dtype().equals("float32") && r.threads() == 1).findFirst();
    }

    /** The rows as a table, each column as wide as its widest cell (text left, numbers right). */
    static String table(List<Row> rows) {
        List<String[]> cells = new ArrayList<>();
        cells.add(new String[] {"op", "variant", "n", "dtype", "threads", "batch", "matrices/s", "us/matrix", "GFLOP/s", "of peak"});
        for (Row r : rows) {
            boolean peak = r.op().equals(FMA_PEAK);
            cells.add(new String[] {r.op(), r.variant(), peak ? "-" : Integer.toString(r.n()), r.dtype(), Integer.toString(r.threads()),
                    peak ? "-" : Long.toString(r.batch()), peak ? "-" : String.format(Locale.ROOT, "%.0f", r.matricesPerS()),
                    peak ? "-" : String.format(Locale.ROOT, "%.3f", 1e6 / r.matricesPerS()),
                    String.format(Locale.ROOT, "%.2f", r.gflops()),
                    Double.isNaN(r.fractionOfPeak()) ? "-" : String.format(Locale.ROOT, "%.1f%%", 100 * r.fractionOfPeak())});
        }
        return align(cells, new boolean[] {true, true, false, true, false, false, false, false, false, false});
    }

    /** The targets, one line each: met, MISSED or n/a, with what was measured. */
    static String targetTable(List<Target> targets) {
        List<String[]> cells = new ArrayList<>();
        cells.add(new String[] {"target (n=8, float32, 1 thread)", "verdict", "measured"});
        for (Target t : targets) {
            cells.add(new String[] {t.name(), t.verdict() == null ? "n/a" : t.verdict().met() ? "met" : "MISSED", t.measured()});
        }
        return "Against the README's linear-algebra targets:\n" + align(cells, new boolean[] {true, true, true});
    }

    private static String align(List<String[]> cells, boolean[] text) {
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
                line.append(c == 0 ? "" : "  ").append(text[c] ? row[c] + pad : pad + row[c]);
            }
            b.append(line.toString().stripTrailing()).append('\n');
        }
        return b.toString();
    }

    /** One row as a JSON object; absent figures are {@code null}. */
    static String json(Row r) {
        boolean peak = r.op().equals(FMA_PEAK);
        return String.format(Locale.ROOT,
                "{\"case\": \"%s\", \"op\": \"%s\", \"variant\": \"%s\", \"n\": %s, \"dtype\": \"%s\", \"threads\": %d, \"batch\": %s, "
                        + "\"matrices_per_s\": %s, \"gflops\": %s, \"fraction_of_peak\": %s}",
                CASE, r.op(), r.variant(), peak ? "null" : Integer.toString(r.n()), r.dtype(), r.threads(),
                peak ? "null" : Long.toString(r.batch()), number(r.matricesPerS(), "%.1f"), number(r.gflops(), "%.4f"),
                number(r.fractionOfPeak(), "%.5f"));
    }

    private static String number(double v, String format) {
        return Double.isFinite(v) ? String.format(Locale.ROOT, format, v) : "null";
    }

    /** Writes {@code rows} to {@code file} as a JSON array, one object per line. */
    static void writeJson(Path file, List<Row> rows) {
        StringBuilder b = new StringBuilder("[\n");
        for (int i = 0; i < rows.size(); i++) {
            b.append("  ").append(json(rows.get(i))).append(i + 1 < rows.size() ? ",\n" : "\n");
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

    /** The {@link LinalgOp} the interpreter runs for {@code op}, with {@link Linalg}'s defaults. */
    static LinalgOp linalgOp(String op) {
        return switch (op) {
            case "lu" -> LinalgOp.lu();
            case "cholesky" -> LinalgOp.cholesky(true);
            case "qr" -> LinalgOp.qr(false);
            case "triangular_solve" -> LinalgOp.triangularSolve(true, true, false, false);
            case "eigh" -> LinalgOp.eigh(true, true);
            case "svd" -> LinalgOp.svd(false, true);
            default -> throw new IllegalArgumentException("unknown op " + op);
        };
    }

    /** The reference interpreter on a batch of {@code m} matrices per repetition, one thread. */
    static final class InterpreterSampler implements Sampler {
        private final LinalgOp op;
        private final Tensor[] inputs;
        private final int m;

        InterpreterSampler(String op, int n, String dtype, int m) {
            this.op = linalgOp(op);
            this.m = m;
            DType t = DType.parseFloating(dtype);
            int count = op.equals("triangular_solve") ? 2 : 1;
            inputs = new Tensor[count];
            for (int k = 0; k < count; k++) {
                double[] data = new double[m * n * n];
                for (int b = 0; b < m; b++) {
                    double[] x = LinalgInputs.inputs(op, n, b).get(k);
                    for (int e = 0; e < x.length; e++) {
                        data[b * n * n + e] = t.round(x[e]);
                    }
                }
                inputs[k] = new Tensor(t, new Shape(m, n, n), data);
            }
        }

        @Override
        public String variant() {
            return "interpreter";
        }

        @Override
        public long batch() {
            return m;
        }

        @Override
        public long run(long reps) {
            for (long r = 0; r < reps; r++) {
                Map<String, Tensor> out = Linalg.apply(op, inputs).values();
                if (out.isEmpty()) {
                    throw new IllegalStateException("no outputs");
                }
            }
            return reps * m;
        }
    }
}
