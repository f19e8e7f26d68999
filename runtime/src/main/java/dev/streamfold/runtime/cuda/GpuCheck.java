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
import java.util.List;
import java.util.Locale;

/**
 * The check a GPU bundle runs ({@code run.sh}): conformance of the bundle's PTX kernels with the reference
 * interpreter's results stored beside them, then the device's streaming bandwidth ({@link GpuBench}). Needs the
 * JDK's {@code java.base} only.
 *
 * <p>Usage: {@code GpuCheck [--bundle DIR] [--case NAME] [--no-bench] [--json FILE] [--bench-d D]}. {@code DIR}
 * (default: the working directory) holds {@code kernels/cases.txt} ({@link GpuCase}); {@code FILE} (default
 * {@code gpu-bench.json}) receives the benchmark rows; {@code D} replaces every bench size (a quick run).
 *
 * <p>For each case on device 0, with PTX for {@code sm_90} where the compute capability is 9.0 or more, else for
 * {@code sm_80}: the whole-scan entry runs all n steps in one launch, then the step entry runs n launches, each
 * from zeroed state; both results must match the expected values at every checked column, within 1e-12 (float64)
 * or 1e-5 (float32) of the largest expected magnitude (at least 1).
 *
 * <p>Then each batched case ({@link GpuBatchedCase}, where the bundle has {@link GpuBatchedCase#INDEX}) runs its
 * entry once over the whole batch, one thread per item in blocks of {@link #BLOCK}; its outputs are compared with
 * {@link #compareBatched}.
 *
 * <p>Exit status: 0 when every case passes and the benchmark ran, 1 when one fails, 2 for a bad option or a
 * malformed bundle, 3 when there is no usable CUDA driver.
 */
public final class GpuCheck {
    /** Threads per block, as the PTX compiler's launch rule says. */
    public static final int BLOCK = 256;

    /** The grid is capped at this many blocks per multiprocessor, as the PTX compiler's launch rule says. */
    public static final int BLOCKS_PER_SM = 4;

    /** The bundle directory that holds the PTX, the case data and {@link GpuCase#INDEX}. */
    public static final String KERNELS = "kernels";

    public static final int PASSED = 0;
    public static final int FAILED = 1;
    public static final int USAGE_ERROR = 2;
    public static final int NO_DRIVER = 3;

    static final String USAGE = "usage: GpuCheck [--bundle DIR] [--case NAME] [--no-bench] [--json FILE] [--bench-d D]";

    private GpuCheck() {}

    /** Options of one run. {@code onlyCase} is null for every case. */
    record Options(Path bundle, String onlyCase, boolean bench, Path json, long benchD) {
        static Options parse(String[] args) {
            Path bundle = Path.of(".");
            String onlyCase = null;
            boolean bench = true;
            Path json = Path.of("gpu-bench.json");
            long benchD = 0;
            for (int i = 0; i < args.length; i++) {
                switch (args[i]) {
                    case "--bundle" -> bundle = Path.of(value(args, ++i, "--bundle"));
                    case "--case" -> onlyCase = value(args, ++i, "--case");
                    case "--no-bench" -> bench = false;
                    case "--json" -> json = Path.of(value(args, ++i, "--json"));
                    case "--bench-d" -> benchD = positive(value(args, ++i, "--bench-d"), "--bench-d");
                    default -> throw new IllegalArgumentException("unknown option '" + args[i] + "'");
                }
            }
            return new Options(bundle, onlyCase, bench, json, benchD);
        }

        private static long positive(String text, String option) {
            try {
                long v = Long.parseLong(text.trim());
                if (v > 0) {
                    return v;
                }
            } catch (NumberFormatException ignored) {
                // reported below
            }
            throw new IllegalArgumentException("option " + option + " needs a positive integer, got '" + text + "'");
        }

        private static String value(String[] args, int i, String option) {
            if (i >= args.length) {
                throw new IllegalArgumentException("option " + option + " needs a value");
            }
            return args[i];
        }
    }

    public static void main(String[] args) {
        System.exit(run(args, System.out, System.err));
    }

    /** Runs the check; returns the exit status {@link #main} ends with. */
    public static int run(String[] args, PrintStream out, PrintStream err) {
        Options options;
        List<GpuCase> cases;
        List<GpuBatchedCase> batched;
        try {
            options = Options.parse(args);
            cases = readCases(options);
            batched = readBatchedCases(options);
            if (options.onlyCase() != null && cases.stream().noneMatch(c -> c.name().equals(options.onlyCase()))
                    && batched.stream().noneMatch(c -> c.name().equals(options.onlyCase()))) {
                throw new IllegalArgumentException("no case named '" + options.onlyCase() + "' in "
                        + options.bundle().resolve(KERNELS));
            }
        } catch (IllegalArgumentException e) {
            err.println("error: " + e.getMessage());
            err.println(USAGE);
            return USAGE_ERROR;
        }
        if (!CudaDriver.isAvailable()) {
            err.println(noDriverMessage(unavailableReason()));
            return NO_DRIVER;
        }
        try (CudaContext context = CudaContext.open()) {
            CudaDriver driver = CudaDriver.load();
            String arch = arch(context.computeCapability());
            out.printf(Locale.ROOT, "device 0: %s, compute capability %s, %d SMs; driver CUDA %d.%d; running %s PTX%n",
                    context.deviceName(), context.computeCapability(), context.smCount(), driver.version() / 1000,
                    driver.version() % 1000 / 10, arch);
            Path kernels = options.bundle().resolve(KERNELS);
            int failed = 0;
            for (GpuCase c : cases) {
                if (options.onlyCase() == null || options.onlyCase().equals(c.name())) {
                    failed += checkAndReport(context, kernels, arch, c, out);
                }
            }
            for (GpuBatchedCase c : batched) {
                if (options.onlyCase() == null || options.onlyCase().equals(c.name())) {
                    failed += checkBatchedAndReport(context, kernels, arch, c, out);
                }
            }
            out.println(failed == 0 ? "conformance: all cases passed" : "conformance: " + failed + " case(s) FAILED");
            if (options.bench()) {
                try {
                    List<GpuBench.Row> rows = new GpuBench(context, kernels, cases, arch, out).run(options.benchD());
                    GpuBench.writeJson(options.json(), rows, context.deviceName());
                    out.println("wrote " + options.json().toAbsolutePath().normalize());
                } catch (RuntimeException | IOException e) {
                    out.println("FAIL bench: " + e);
                    failed++;
                }
            }
            return failed == 0 ? PASSED : FAILED;
        } catch (CudaUnavailableException e) {
            err.println(noDriverMessage(e.getMessage()));
            return NO_DRIVER;
        } catch (CudaException | IllegalArgumentException | IllegalStateException e) {
            err.println("error: CUDA device 0: " + e.getMessage());
            return FAILED;
        }
    }

    /** The one line printed when there is no usable driver; {@code reason} is the driver binding's message. */
    static String noDriverMessage(String reason) {
        int advice = reason.indexOf(" the cuda backend needs");
        String cause = advice > 0 ? reason.substring(0, advice - 1) : reason;
        return "error: no usable CUDA driver (" + cause + "); this check needs an NVIDIA GPU and its driver,"
                + " nothing was checked";
    }

    private static String unavailableReason() {
        try {
            CudaDriver.load();
            return "the driver loaded on a second attempt";
        } catch (CudaUnavailableException e) {
            return e.getMessage();
        }
    }

    private static List<GpuCase> readCases(Options options) {
        Path index = options.bundle().resolve(KERNELS).resolve(GpuCase.INDEX);
        if (!Files.isRegularFile(index)) {
            throw new IllegalArgumentException(options.bundle().toAbsolutePath().normalize()
                    + " is not a GPU bundle: " + KERNELS + "/" + GpuCase.INDEX + " is missing (make one with"
                    + " 'streamfold gpu-bundle')");
        }
        try {
            return GpuCase.readIndex(index);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read " + index + ": " + e.getMessage(), e);
        }
    }

    /** The batched cases; none where the bundle has no {@link GpuBatchedCase#INDEX}. */
    private static List<GpuBatchedCase> readBatchedCases(Options options) {
        Path index = options.bundle().resolve(KERNELS).resolve(GpuBatchedCase.INDEX);
        if (!Files.exists(index)) {
            return List.of();
        }
        try {
            return GpuBatchedCase.readIndex(index);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read " + index + ": " + e.getMessage(), e);
        }
    }

    /** The PTX target for a device: sm_90 for compute capability 9.0 and up, else sm_80. */
    static String arch(CudaContext.ComputeCapability cc) {
        return cc.major() >= 9 ? "sm_90" : "sm_80";
    }

    /** The launch rule of the PTX entry points: {@code min(ceil(d / BLOCK), BLOCKS_PER_SM * SMs)}, at least 1. */
    static int grid(CudaContext context, long d) {
        return (int) Math.max(1, Math.min((d + BLOCK - 1) / BLOCK, (long) BLOCKS_PER_SM * context.smCount()));
    }

    /** A check of one case: its verdict line, starting with {@code FAIL} when it failed. */
    private interface CaseCheck {
        String run() throws IOException;
    }

    /** The verdict of {@code check}, or {@code FAIL: } and what it threw. */
    private static String verdict(CaseCheck check) {
        try {
            return check.run();
        } catch (RuntimeException | IOException e) {
            return "FAIL: " + e;
        }
    }

    private static int checkAndReport(CudaContext context, Path kernels, String arch, GpuCase c, PrintStream out) {
        String verdict = verdict(() -> check(context, kernels, arch, c));
        boolean passed = !verdict.startsWith("FAIL");
        out.printf(Locale.ROOT, "%s %-18s %-7s n=%-3d d=%-8d %s  [%s]%n", passed ? "PASS" : "FAIL", c.name(),
                GpuCase.dtypeName(c.dtype()), c.steps(), c.d(), passed ? verdict : verdict.replaceFirst("^FAIL: ", ""),
                c.description());
        return passed ? 0 : 1;
    }

    /** Runs one case both ways; returns a one-line verdict that starts with {@code FAIL} where it failed. */
    static String check(CudaContext context, Path kernels, String arch, GpuCase c) throws IOException {
        GpuCaseData data = GpuCaseData.read(kernels.resolve(c.data()));
        if (!data.matches(c)) {
            return "FAIL: " + c.data() + " does not describe this case (dtype, n, d or parameter lengths differ)";
        }
        long mismatch = data.firstInputMismatch();
        if (mismatch >= 0) {
            return "FAIL: the input generator does not reproduce the stored x (value " + mismatch + ")";
        }
        String ptx = Files.readString(kernels.resolve(c.ptx(arch)), StandardCharsets.UTF_8);
        int eb = c.dtype().bytes();
        long rowBytes = c.d() * eb;
        long bytes = rowBytes * c.steps();
        try (Arena arena = Arena.ofConfined();
                CudaModule module = CudaModule.load(context, ptx);
                Owned owned = new Owned()) {
            CudaFunction scan = module.function(c.scanEntry());
            CudaFunction step = module.function(c.stepEntry());
            List<Object> params = new ArrayList<>();
            for (double[] p : data.params()) {
                DeviceBuffer b = owned.add(DeviceBuffer.alloc(context, Math.max(8, 8L * p.length)));
                if (p.length > 0) {
                    b.copyFrom(p);
                }
                params.add(b);
                params.add((long) p.length);
            }
            MemorySegment host = arena.allocate(bytes, 64);
            for (int t = 0; t < c.steps(); t++) {
                for (long i = 0; i < c.d(); i++) {
                    c.dtype().set(host, t * c.d() + i, GpuCaseData.input(data.seed(), t, i, c.dtype()));
                }
            }
            DeviceBuffer x = owned.add(DeviceBuffer.alloc(context, bytes));
            DeviceBuffer yScan = owned.add(DeviceBuffer.alloc(context, bytes));
            DeviceBuffer yStep = owned.add(DeviceBuffer.alloc(context, bytes));
            x.copyFrom(host);
            yScan.fill((byte) 0xFF);
            yStep.fill((byte) 0xFF);
            List<DeviceBuffer> state = new ArrayList<>();
            for (int rows : c.stateRows()) {
                state.add(owned.add(DeviceBuffer.alloc(context, rows * rowBytes)));
            }
            int grid = grid(context, c.d());

            state.forEach(b -> b.fill((byte) 0));
            scan.launch(grid, BLOCK, 0, null, scanArguments(0, c.steps(), params, x, yScan, c.d(), state).toArray());
            context.synchronize();

            state.forEach(b -> b.fill((byte) 0));
            for (int t = 0; t < c.steps(); t++) {
                step.launch(grid, BLOCK, 0, null, stepArguments(t, params, x.address() + t * rowBytes,
                        yStep.address() + t * rowBytes, c.d(), state).toArray());
            }
            context.synchronize();

            MemorySegment scanOut = arena.allocate(bytes, 64);
            MemorySegment stepOut = arena.allocate(bytes, 64);
            yScan.copyTo(scanOut);
            yStep.copyTo(stepOut);
            Comparison s = compare(data, scanOut);
            Comparison p = compare(data, stepOut);
            long differing = differingElements(scanOut, stepOut, c.dtype());
            String agreement = differing == 0 ? "scan and step bit-identical"
                    : differing + " of " + (bytes / eb) + " elements differ between scan and step";
            if (s.firstBad() != null || p.firstBad() != null) {
                return "FAIL: " + (s.firstBad() != null ? "scan " + s.firstBad() : "")
                        + (s.firstBad() != null && p.firstBad() != null ? "; " : "")
                        + (p.firstBad() != null ? "step " + p.firstBad() : "");
            }
            return String.format(Locale.ROOT, "max |err| scan %.2e step %.2e (tolerance %.1e), %d columns; %s",
                    s.maxError(), p.maxError(), s.tolerance(), data.columns().length, agreement);
        }
    }

    /**
     * The arguments of an entry {@code NAME_scan} in launch order: {@code t0}, {@code steps} (32-bit), then
     * {@code params} (each parameter's array and its length), {@code x}, {@code y}, the row stride d, each state
     * buffer (all its rows, d elements apart), and d. Pointers may be {@link DeviceBuffer}s or addresses as
     * {@link Long}.
     */
    public static List<Object> scanArguments(long t0, int steps, List<?> params, Object x, Object y, long d,
            List<?> state) {
        List<Object> args = new ArrayList<>(List.of(t0, steps));
        args.addAll(params);
        args.addAll(List.of(x, y, d));
        args.addAll(state);
        args.add(d);
        return args;
    }

    /**
     * The arguments of an entry {@code NAME_step} in launch order: {@code t}, then {@code params}, the rows
     * {@code x} and {@code y} of step t, each state buffer, and d.
     */
    public static List<Object> stepArguments(long t, List<?> params, Object x, Object y, long d, List<?> state) {
        List<Object> args = new ArrayList<>(List.of(t));
        args.addAll(params);
        args.addAll(List.of(x, y));
        args.addAll(state);
        args.add(d);
        return args;
    }

    private static int checkBatchedAndReport(CudaContext context, Path kernels, String arch, GpuBatchedCase c,
            PrintStream out) {
        String verdict = verdict(() -> checkBatched(context, kernels, arch, c));
        boolean passed = !verdict.startsWith("FAIL");
        out.printf(Locale.ROOT, "%s %-18s %-7s batch=%-6d %s  [%s]%n", passed ? "PASS" : "FAIL", c.name(),
                GpuCase.dtypeName(c.dtype()), c.batch(), passed ? verdict : verdict.replaceFirst("^FAIL: ", ""),
                c.description());
        return passed ? 0 : 1;
    }

    /**
     * Runs one batched case in a single launch of {@code ceil(batch / BLOCK)} blocks, its outputs prefilled with
     * 0xFF bytes so that an element the kernel does not write shows; returns a one-line verdict that starts with
     * {@code FAIL} where it failed.
     */
    static String checkBatched(CudaContext context, Path kernels, String arch, GpuBatchedCase c) throws IOException {
        GpuBatchedData data = GpuBatchedData.read(kernels.resolve(c.data()), c);
        if (!data.matches(c)) {
            return "FAIL: " + c.data() + " does not describe this case (batch or buffers differ)";
        }
        String ptx = Files.readString(kernels.resolve(c.ptx(arch)), StandardCharsets.UTF_8);
        try (Arena arena = Arena.ofConfined();
                CudaModule module = CudaModule.load(context, ptx);
                Owned owned = new Owned()) {
            CudaFunction entry = module.function(c.entry());
            List<DeviceBuffer> device = new ArrayList<>();
            List<MemorySegment> host = new ArrayList<>();
            for (int i = 0; i < c.buffers().size(); i++) {
                GpuBatchedCase.Buffer b = c.buffers().get(i);
                long bytes = (long) b.elements() * c.batch() * b.type().bytes();
                MemorySegment h = arena.allocate(bytes, 64);
                DeviceBuffer d = owned.add(DeviceBuffer.alloc(context, Math.max(8, bytes)));
                switch (b.role()) {
                    case IN -> {
                        double[] v = data.values()[i];
                        for (int k = 0; k < v.length; k++) {
                            b.type().set(h, k, v[k]);
                        }
                        d.copyFrom(h);
                    }
                    case OUT -> d.fill((byte) 0xFF);
                }
                device.add(d);
                host.add(h);
            }
            entry.launch(batchedGrid(c.batch()), BLOCK, 0, null, batchedArguments(device, c.batch()).toArray());
            context.synchronize();
            for (int i = 0; i < c.buffers().size(); i++) {
                if (c.buffers().get(i).role() == GpuBatchedCase.Role.OUT) {
                    device.get(i).copyTo(host.get(i));
                }
            }
            BatchedComparison cmp = compareBatched(data, host);
            if (cmp.firstBad() != null) {
                return "FAIL: " + cmp.firstBad();
            }
            return String.format(Locale.ROOT, "max relative |err| %.2e (tolerance %.1e), %d items in %d blocks;"
                    + " statuses equal", cmp.maxError(), cmp.tolerance(), c.batch(), batchedGrid(c.batch()));
        }
    }

    /** Blocks of a batched launch: one thread per item, {@code ceil(batch / BLOCK)}. */
    public static int batchedGrid(int batch) {
        return (batch + BLOCK - 1) / BLOCK;
    }

    /**
     * The arguments of a batched entry in launch order: a pointer per buffer in table order, then {@code batch},
     * {@code from = 0} and {@code to = batch} (each 64-bit). Pointers may be {@link DeviceBuffer}s or addresses as
     * {@link Long}.
     */
    public static List<Object> batchedArguments(List<?> buffers, long batch) {
        List<Object> args = new ArrayList<>(buffers);
        args.addAll(List.of(batch, 0L, batch));
        return args;
    }

    /**
     * How far batched outputs are from the expected values: {@code maxError} is the largest error of a floating
     * element relative to its item's scale, {@code firstBad} names the first element out of tolerance.
     */
    public record BatchedComparison(double maxError, double tolerance, String firstBad) {}

    /**
     * Compares the out buffers of {@code results} (one segment per buffer of {@code data}, in its order, holding
     * {@code elements * batch} values of the buffer's type; entries of in buffers are ignored and may be null) with
     * the expected values. Integer buffers (status, pivots, permutations) must equal them exactly. A floating element
     * must be within {@code tolerance * scale} of its expected value, where tolerance is 1e-12 (float64) or 1e-5
     * (float32) and scale is the largest expected magnitude of that buffer in that item, at least 1.
     */
    public static BatchedComparison compareBatched(GpuBatchedData data, List<MemorySegment> results) {
        if (results.size() != data.buffers().size()) {
            throw new IllegalArgumentException(results.size() + " result segments for " + data.buffers().size()
                    + " buffers");
        }
        double tolerance = 0;
        double maxError = 0;
        String firstBad = null;
        for (int i = 0; i < data.buffers().size(); i++) {
            GpuBatchedCase.Buffer b = data.buffers().get(i);
            if (b.role() != GpuBatchedCase.Role.OUT) {
                continue;
            }
            MemorySegment got = results.get(i);
            double bufferTolerance = b.type() == ElementType.FLOAT32 ? 1e-5 : 1e-12;
            if (b.type().isFloating()) {
                tolerance = Math.max(tolerance, bufferTolerance);
            }
            for (int item = 0; item < data.batch(); item++) {
                double scale = 1;
                for (int e = 0; e < b.elements(); e++) {
                    scale = Math.max(scale, Math.abs(data.value(i, item, e)));
                }
                for (int e = 0; e < b.elements(); e++) {
                    double want = data.value(i, item, e);
                    double value = b.type().get(got, (long) e * data.batch() + item);
                    boolean ok;
                    if (b.type().isFloating()) {
                        double error = Math.abs(value - want) / scale;
                        ok = error <= bufferTolerance;
                        maxError = Math.max(maxError, Double.isNaN(error) ? Double.POSITIVE_INFINITY : error);
                    } else {
                        ok = value == want;
                    }
                    if (!ok && firstBad == null) {
                        firstBad = String.format(Locale.ROOT, "%s of item %d, element %d = %s, expected %s", b.name(),
                                item, e, b.type().isFloating() ? value : String.valueOf((long) value),
                                b.type().isFloating() ? want : String.valueOf((long) want));
                    }
                }
            }
        }
        return new BatchedComparison(maxError, tolerance, firstBad);
    }

    /** How far a result is from the expected values; {@code firstBad} names the first element out of tolerance. */
    public record Comparison(double maxError, double tolerance, String firstBad) {}

    /**
     * Compares {@code y}, all n rows of d elements of the case's dtype, with the expected values at the checked
     * columns.
     */
    public static Comparison compare(GpuCaseData data, MemorySegment y) {
        double scale = 1;
        for (double v : data.expected()) {
            scale = Math.max(scale, Math.abs(v));
        }
        double tolerance = (data.dtype() == ElementType.FLOAT32 ? 1e-5 : 1e-12) * scale;
        double maxError = 0;
        String firstBad = null;
        long[] columns = data.columns();
        for (int t = 0; t < data.steps(); t++) {
            for (int j = 0; j < columns.length; j++) {
                double want = data.expected(t, j);
                double got = data.dtype().get(y, t * data.d() + columns[j]);
                double error = Math.abs(got - want);
                if (!(error <= tolerance) && firstBad == null) {
                    firstBad = String.format(Locale.ROOT, "y[%d][%d] = %s, expected %s", t, columns[j], got, want);
                }
                maxError = Math.max(maxError, Double.isNaN(error) ? Double.POSITIVE_INFINITY : error);
            }
        }
        return new Comparison(maxError, tolerance, firstBad);
    }

    private static long differingElements(MemorySegment a, MemorySegment b, ElementType dtype) {
        long count = 0;
        long n = a.byteSize() / dtype.bytes();
        for (long i = 0; i < n; i++) {
            if (Double.doubleToRawLongBits(dtype.get(a, i)) != Double.doubleToRawLongBits(dtype.get(b, i))) {
                count++;
            }
        }
        return count;
    }

    /** Device buffers freed together, newest first. */
    static final class Owned implements AutoCloseable {
        private final List<DeviceBuffer> buffers = new ArrayList<>();

        DeviceBuffer add(DeviceBuffer b) {
            buffers.add(b);
            return b;
        }

        @Override
        public void close() {
            for (DeviceBuffer b : buffers.reversed()) {
                b.close();
            }
            buffers.clear();
        }
    }
}
