package dev.streamfold.runtime.cuda;

import dev.streamfold.runtime.ElementType;
import java.io.IOException;
import java.io.PrintStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * Streaming bandwidth of the bundle's float32 kernels on the device, against a device-to-device copy measured in the
 * same run, as {@code streamfold bench} measures the CPU:
 *
 * <ul>
 *   <li>{@code compose3}, at d = 2^24 and 2^26: {@code copy} ({@code cuMemcpyDtoD} of d floats, 2 d 4 bytes per
 *       step), {@code fused} (the step kernel of {@link #COMPOSE3}, (2 + 2 states) d 4 bytes) and {@code unfused}
 *       (the step kernels of its factors {@link #DIAGONAL}, {@link #MOMENTUM_SGD}, {@link #PREFIX_SUM} one after
 *       another through intermediate buffers, the sum of their bytes);
 *   <li>{@code scan}, at d = 2^24 over {@value #SCAN_STEPS} steps: {@code copy}, {@code fused} (one launch of the
 *       whole-scan entry of {@link #SCAN}, state in registers: 2 d 4 bytes per step) and {@code stepwise}
 *       ({@value #SCAN_STEPS} step launches, state through memory: (2 + 2 states) d 4 bytes per step).
 * </ul>
 *
 * Every launch goes to the default stream; a sample is timed with CUDA events around its launches. Variants of a
 * case are warmed up, then run in {@value #ROUNDS} interleaved rounds; figures are medians, with min and max. A
 * size whose buffers do not fit the device's memory is skipped with a note.
 */
public final class GpuBench {
    /** The case whose step kernel is the fused compose3 variant. */
    public static final String COMPOSE3 = "bench_compose3";
    public static final String DIAGONAL = "bench_diagonal";
    public static final String MOMENTUM_SGD = "bench_momentum_sgd";
    public static final String PREFIX_SUM = "bench_prefix_sum";
    /** The case whose whole-scan and step entries the scan variants run. */
    public static final String SCAN = "bench_scan";

    public static final int SCAN_STEPS = 256;
    static final long[] COMPOSE3_SIZES = {1L << 24, 1L << 26};
    static final long SCAN_D = 1L << 24;
    static final int ROUNDS = 11;
    static final int STEPS_PER_SAMPLE = 10;
    static final double WARMUP_SECONDS = 0.3;

    /** One row of the report; {@code threads} is always 0, meaning "the GPU". */
    public record Row(String kase, String variant, long d, String dtype, int threads, long bytesPerStep,
            double nsPerStep, double gbps, double gbpsMin, double gbpsMax) {}

    /** Something that queues whole steps on the default stream and knows the bytes a step must move. */
    record Variant(String name, long bytesPerStep, int stepsPerSample, Runnable sample) {}

    /** A bench case's module, entry points and parameter buffers. */
    private record Kernel(GpuCase c, CudaFunction step, CudaFunction scan, List<Object> params) {}

    private final CudaContext context;
    private final Path kernels;
    private final List<GpuCase> cases;
    private final String arch;
    private final PrintStream out;

    GpuBench(CudaContext context, Path kernels, List<GpuCase> cases, String arch, PrintStream out) {
        this.context = context;
        this.kernels = kernels;
        this.cases = List.copyOf(cases);
        this.arch = arch;
        this.out = out;
    }

    /** Runs every case and size, printing the table; returns its rows. {@code onlyD}, where positive, is every size. */
    List<Row> run(long onlyD) {
        long[] composeSizes = onlyD > 0 ? new long[] {onlyD} : COMPOSE3_SIZES;
        long scanD = onlyD > 0 ? onlyD : SCAN_D;
        out.printf(Locale.ROOT, "GPU bench: float32, medians over %d interleaved rounds (min-max), CUDA event timing%n",
                ROUNDS);
        List<Row> rows = new ArrayList<>();
        try (GpuCheck.Owned owned = new GpuCheck.Owned()) {
            Kernel compose3 = load(COMPOSE3, owned);
            List<Kernel> factors = List.of(load(DIAGONAL, owned), load(MOMENTUM_SGD, owned), load(PREFIX_SUM, owned));
            Kernel scan = load(SCAN, owned);
            for (long d : composeSizes) {
                rows.addAll(skipIfTooLarge("compose3", d, () -> compose3(compose3, factors, d)));
            }
            rows.addAll(skipIfTooLarge("scan", scanD, () -> scan(scan, scanD)));
        }
        print(out, rows);
        return rows;
    }

    private interface Measurement {
        List<Row> run();
    }

    private List<Row> skipIfTooLarge(String kase, long d, Measurement m) {
        try {
            return m.run();
        } catch (CudaException e) {
            if (e.result() != CudaResult.OUT_OF_MEMORY) {
                throw e;
            }
            out.printf(Locale.ROOT, "skip %s d=%d: its buffers do not fit the device's memory%n", kase, d);
            return List.of();
        }
    }

    private Kernel load(String name, GpuCheck.Owned owned) {
        GpuCase c = cases.stream().filter(k -> k.name().equals(name)).findFirst()
                .orElseThrow(() -> new IllegalStateException("the bundle has no case " + name));
        if (c.dtype() != ElementType.FLOAT32) {
            throw new IllegalStateException("bench case " + name + " must be float32");
        }
        try {
            GpuCaseData data = GpuCaseData.read(kernels.resolve(c.data()));
            CudaModule module = CudaModule.load(context,
                    Files.readString(kernels.resolve(c.ptx(arch)), StandardCharsets.UTF_8));
            List<Object> params = new ArrayList<>();
            for (double[] p : data.params()) {
                DeviceBuffer b = owned.add(DeviceBuffer.alloc(context, Math.max(8, 8L * p.length)));
                if (p.length > 0) {
                    b.copyFrom(p);
                }
                params.add(b);
                params.add((long) p.length);
            }
            return new Kernel(c, module.function(c.stepEntry()), module.function(c.scanEntry()), List.copyOf(params));
        } catch (IOException e) {
            throw new IllegalStateException("cannot read bench case " + name + ": " + e.getMessage(), e);
        }
    }

    /** Device buffers of d floats each: x holds the generator's row 0, the others zero. */
    private DeviceBuffer input(GpuCheck.Owned owned, long d, long rows) {
        DeviceBuffer x = owned.add(DeviceBuffer.alloc(context, rows * d * 4));
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment row = arena.allocate(d * 4, 64);
            for (long i = 0; i < d; i++) {
                ElementType.FLOAT32.set(row, i, GpuCaseData.input(1, 0, i, ElementType.FLOAT32));
            }
            x.copyFrom(row);
        }
        context.makeCurrent();
        for (long r = 1; r < rows; r++) {
            context.driver().memcpyDtoD(x.address() + r * d * 4, x.address(), d * 4);
        }
        return x;
    }

    private DeviceBuffer zeroed(GpuCheck.Owned owned, long bytes) {
        DeviceBuffer b = owned.add(DeviceBuffer.alloc(context, bytes));
        b.fill((byte) 0);
        return b;
    }

    /** The zeroed state buffers of {@code k}: each of its rows times d floats. */
    private List<DeviceBuffer> states(GpuCheck.Owned owned, Kernel k, long d) {
        List<DeviceBuffer> s = new ArrayList<>();
        for (int rows : k.c().stateRows()) {
            s.add(zeroed(owned, rows * d * 4));
        }
        return s;
    }

    /** Queues one launch of {@code k}'s step entry for step t, reading x and writing y at the given addresses. */
    private void step(Kernel k, long t, long x, long y, List<DeviceBuffer> state, long d) {
        k.step().launch(GpuCheck.grid(context, d), GpuCheck.BLOCK, 0, null,
                GpuCheck.stepArguments(t, k.params(), x, y, d, state).toArray());
    }

    /** x and y, and each state buffer's rows read and the row written: 2 per single-row buffer. */
    private static long stepBytes(Kernel k, long d) {
        long rows = 2;
        for (int r : k.c().stateRows()) {
            rows += r + 1;
        }
        return rows * d * 4;
    }

    private Variant copy(DeviceBuffer x, DeviceBuffer y, long d) {
        return new Variant("copy", 2 * d * 4, STEPS_PER_SAMPLE, () -> {
            context.makeCurrent();
            for (int k = 0; k < STEPS_PER_SAMPLE; k++) {
                context.driver().memcpyDtoD(y.address(), x.address(), d * 4);
            }
        });
    }

    private List<Row> compose3(Kernel fused, List<Kernel> factors, long d) {
        try (GpuCheck.Owned owned = new GpuCheck.Owned()) {
            DeviceBuffer x = input(owned, d, 1);
            DeviceBuffer y = zeroed(owned, d * 4);
            List<DeviceBuffer> fusedState = states(owned, fused, d);
            List<List<DeviceBuffer>> factorStates = new ArrayList<>();
            List<Long> through = new ArrayList<>(List.of(x.address()));
            long unfusedBytes = 0;
            for (int i = 0; i < factors.size(); i++) {
                factorStates.add(states(owned, factors.get(i), d));
                through.add(i + 1 < factors.size() ? zeroed(owned, d * 4).address() : y.address());
                unfusedBytes += stepBytes(factors.get(i), d);
            }
            long[] t = {0, 0};
            List<Variant> variants = List.of(
                    copy(x, y, d),
                    new Variant("fused", stepBytes(fused, d), STEPS_PER_SAMPLE, () -> {
                        for (int k = 0; k < STEPS_PER_SAMPLE; k++) {
                            step(fused, t[0]++, x.address(), y.address(), fusedState, d);
                        }
                    }),
                    new Variant("unfused", unfusedBytes, STEPS_PER_SAMPLE, () -> {
                        for (int k = 0; k < STEPS_PER_SAMPLE; k++) {
                            for (int i = 0; i < factors.size(); i++) {
                                step(factors.get(i), t[1], through.get(i), through.get(i + 1), factorStates.get(i), d);
                            }
                            t[1]++;
                        }
                    }));
            return measure("compose3", variants, d);
        }
    }

    private List<Row> scan(Kernel k, long d) {
        try (GpuCheck.Owned owned = new GpuCheck.Owned()) {
            DeviceBuffer x = input(owned, d, SCAN_STEPS);
            DeviceBuffer y = zeroed(owned, SCAN_STEPS * d * 4);
            List<DeviceBuffer> state = states(owned, k, d);
            Object[] scanArgArray = GpuCheck.scanArguments(0, SCAN_STEPS, k.params(), x, y, d, state).toArray();
            int grid = GpuCheck.grid(context, d);
            List<Variant> variants = List.of(
                    copy(x, y, d),
                    new Variant("fused", 2 * d * 4, SCAN_STEPS,
                            () -> k.scan().launch(grid, GpuCheck.BLOCK, 0, null, scanArgArray)),
                    new Variant("stepwise", stepBytes(k, d), SCAN_STEPS, () -> {
                        for (int t = 0; t < SCAN_STEPS; t++) {
                            step(k, t, x.address() + t * d * 4, y.address() + t * d * 4, state, d);
                        }
                    }));
            return measure("scan", variants, d);
        }
    }

    private List<Row> measure(String kase, List<Variant> variants, long d) {
        try (CudaEvent start = CudaEvent.create(context); CudaEvent end = CudaEvent.create(context)) {
            for (Variant v : variants) {
                double spent = 0;
                for (int s = 0; s < 2 || spent < WARMUP_SECONDS; s++) {
                    spent += timeMillis(v, start, end) / 1e3;
                }
            }
            double[][] ns = new double[variants.size()][ROUNDS];
            for (int r = 0; r < ROUNDS; r++) {
                for (int i = 0; i < variants.size(); i++) {
                    Variant v = variants.get(i);
                    ns[i][r] = timeMillis(v, start, end) * 1e6 / v.stepsPerSample();
                }
            }
            List<Row> rows = new ArrayList<>();
            for (int i = 0; i < variants.size(); i++) {
                Variant v = variants.get(i);
                double[] sorted = ns[i].clone();
                Arrays.sort(sorted);
                double median = sorted[sorted.length / 2];
                long bytes = v.bytesPerStep();
                rows.add(new Row(kase, v.name(), d, "float32", 0, bytes, median, bytes / median,
                        bytes / sorted[sorted.length - 1], bytes / sorted[0]));
            }
            return rows;
        }
    }

    private static double timeMillis(Variant v, CudaEvent start, CudaEvent end) {
        start.record(null);
        v.sample().run();
        end.record(null);
        end.synchronize();
        return CudaEvent.elapsedMillis(start, end);
    }

    /** The table, in the columns of {@code streamfold bench}, with {@code gpu} for threads. */
    static void print(PrintStream out, List<Row> rows) {
        out.printf(Locale.ROOT, "%-9s %-12s %9s %7s %11s %12s %8s %15s %9s%n", "case", "variant", "d", "threads",
                "MB/step", "ns/step", "GB/s", "(min-max)", "vs copy");
        double copy = 0;
        for (Row r : rows) {
            if (r.variant().equals("copy")) {
                copy = r.gbps();
            }
            out.printf(Locale.ROOT, "%-9s %-12s %9d %7s %11.1f %12.0f %8.1f %15s %8.0f%%%n", r.kase(), r.variant(),
                    r.d(), "gpu", r.bytesPerStep() / 1e6, r.nsPerStep(), r.gbps(),
                    String.format(Locale.ROOT, "(%.1f-%.1f)", r.gbpsMin(), r.gbpsMax()), 100 * r.gbps() / copy);
        }
    }

    /**
     * Writes the rows as a JSON array in the fields of {@code streamfold bench --json}, where {@code "threads": 0}
     * means the GPU, plus {@code "device"}: the device's name.
     */
    static void writeJson(Path file, List<Row> rows, String device) throws IOException {
        StringBuilder b = new StringBuilder("[\n");
        for (int i = 0; i < rows.size(); i++) {
            Row r = rows.get(i);
            b.append(String.format(Locale.ROOT,
                    "  {\"case\": \"%s\", \"variant\": \"%s\", \"d\": %d, \"dtype\": \"%s\", \"threads\": %d, "
                            + "\"device\": \"%s\", \"bytes_per_step\": %d, \"ns_per_step\": %.1f, \"gbps\": %.3f, "
                            + "\"gbps_min\": %.3f, \"gbps_max\": %.3f}%s%n",
                    r.kase(), r.variant(), r.d(), r.dtype(), r.threads(), jsonText(device), r.bytesPerStep(),
                    r.nsPerStep(), r.gbps(), r.gbpsMin(), r.gbpsMax(), i + 1 < rows.size() ? "," : ""));
        }
        b.append("]\n");
        Files.writeString(file, b, StandardCharsets.UTF_8);
    }

    private static String jsonText(String s) {
        StringBuilder q = new StringBuilder();
        for (char c : s.toCharArray()) {
            if (c == '"' || c == '\\') {
                q.append('\\').append(c);
            } else if (c >= 0x20) {
                q.append(c);
            }
        }
        return q.toString();
    }
}
