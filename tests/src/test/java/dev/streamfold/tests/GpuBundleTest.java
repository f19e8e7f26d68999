package dev.streamfold.tests;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.streamfold.compiler.ConformanceOperators;
import dev.streamfold.compiler.batched.BatchedCompiler;
import dev.streamfold.compiler.kir.Kernel;
import dev.streamfold.compiler.llvm.LlvmKirKernels;
import dev.streamfold.compiler.llvm.PtxKirCompiler;
import dev.streamfold.runtime.batched.BatchedKernel;
import dev.streamfold.runtime.cuda.GpuBatchedData;
import java.lang.foreign.Arena;
import java.lang.foreign.ValueLayout;
import dev.streamfold.compiler.KernelEval;
import dev.streamfold.compiler.cuda.GpuBatchedCases;
import dev.streamfold.compiler.cuda.GpuBundle;
import dev.streamfold.compiler.llvm.LlvmKernels;
import dev.streamfold.compiler.llvm.PtxAssembler;
import dev.streamfold.ir.DType;
import dev.streamfold.ir.Shape;
import dev.streamfold.ir.Tensor;
import dev.streamfold.ir.stream.Bindings;
import dev.streamfold.runtime.ElementType;
import dev.streamfold.runtime.cuda.CudaDriver;
import dev.streamfold.runtime.cuda.GpuBatchedCase;
import dev.streamfold.runtime.cuda.GpuBench;
import dev.streamfold.runtime.cuda.GpuCase;
import dev.streamfold.runtime.cuda.GpuCaseData;
import dev.streamfold.runtime.cuda.GpuCheck;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The GPU bundle without a GPU: its index and data files read back, its PTX assembles and declares the arguments
 * GpuCheck passes, its expected values agree with the LLVM host backend over the whole of x (streaming cases) or the
 * whole batch (batched cases), GpuCheck's comparison of batched outputs reports a perturbed result, and its checker
 * and run.sh (on the bundled jlink image) report a missing driver with exit status 3. Where a CUDA driver is present,
 * every case runs on device 0; elsewhere that test is skipped with the reason printed.
 */
class GpuBundleTest {
    @TempDir
    static Path tmp;

    static GpuBundle.Written bundle;
    static List<GpuBundle.Spec> specs;
    static List<GpuBatchedCases.Spec> batchedSpecs;

    @BeforeAll
    static void writeBundle() {
        specs = GpuBundle.specs();
        batchedSpecs = GpuBatchedCases.specs();
        bundle = GpuBundle.write(tmp.resolve("bundle"), GpuBundle.JdkImage.JLINK, specs, batchedSpecs,
                new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
    }

    static Path kernels() {
        return bundle.root().resolve(GpuCheck.KERNELS);
    }

    record Result(int status, String out, String err) {}

    static Result check(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int status = GpuCheck.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Result(status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void casesCoverTheOperatorTableInBothDtypesAndTheBenchKernels() throws IOException {
        List<GpuCase> cases = GpuCase.readIndex(kernels().resolve(GpuCase.INDEX));
        assertEquals(bundle.cases(), cases);
        assertEquals(2 * ConformanceOperators.all().size() + 2 * GpuBundle.RINGS.size() + 5, cases.size());
        assertEquals(2 * GpuBundle.RINGS.size(), cases.stream().filter(c -> c.stateRows().stream().anyMatch(r -> r > 1))
                .count(), "ring cases with a state buffer of many rows");
        for (String name : List.of(GpuBench.COMPOSE3, GpuBench.DIAGONAL, GpuBench.MOMENTUM_SGD, GpuBench.PREFIX_SUM,
                GpuBench.SCAN)) {
            assertTrue(cases.stream().anyMatch(c -> c.name().equals(name) && c.dtype() == ElementType.FLOAT32), name);
        }
        assertTrue(cases.stream().anyMatch(c -> c.d() == GpuBundle.LARGE_D && c.dtype() == ElementType.FLOAT64));
        assertEquals(3, cases.stream().filter(c -> c.name().equals(GpuBench.SCAN)).findFirst().orElseThrow().stateCount());
        for (GpuCase c : cases) {
            assertEquals(c, GpuCase.parse(c.line()));
            assertTrue(c.steps() >= 9 && c.steps() <= 33, c.toString());
        }
    }

    @Test
    void caseLinesAreRejectedWithTheReason() {
        GpuCase c = bundle.cases().get(0);
        String line = c.line();
        assertTrue(assertThrows(IllegalArgumentException.class, () -> GpuCase.parse(line.replace(" | ", " ")))
                .getMessage().contains("' | '"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> GpuCase.parse(line.replace("float64", "int8")))
                .getMessage().contains("unknown dtype 'int8'"));
    }

    @Test
    void dataFilesRoundTripAndReproduceTheirInputs() throws IOException {
        for (GpuCase c : bundle.cases()) {
            byte[] bytes = Files.readAllBytes(kernels().resolve(c.data()));
            GpuCaseData data = GpuCaseData.decode(bytes);
            assertArrayEquals(bytes, data.encode(), c.name());
            assertTrue(data.matches(c), c.name());
            assertEquals(-1, data.firstInputMismatch(), c.name());
            long[] columns = data.columns();
            if (c.d() <= 2048) {
                assertEquals(c.d(), columns.length, c.name());
            } else {
                assertTrue(columns.length > 1024 && columns[0] == 0 && columns[columns.length - 1] == c.d() - 1,
                        c.name());
            }
        }
        byte[] bytes = Files.readAllBytes(kernels().resolve(bundle.cases().get(0).data()));
        assertTrue(assertThrows(IllegalArgumentException.class,
                () -> GpuCaseData.decode(java.util.Arrays.copyOf(bytes, bytes.length - 1))).getMessage()
                .contains("truncated"));
        bytes[0] = 'X';
        assertTrue(assertThrows(IllegalArgumentException.class, () -> GpuCaseData.decode(bytes)).getMessage()
                .contains("SFGPUCAS"));
    }

    /** The expected values hold for the whole x: the LLVM host backend over every column agrees at the checked ones. */
    @Test
    void expectedValuesAgreeWithTheHostBackendOverTheWholeSlice() throws IOException {
        for (int i = 0; i < specs.size(); i++) {
            GpuBundle.Spec s = specs.get(i);
            GpuCase c = bundle.cases().get(i);
            GpuCaseData data = GpuCaseData.read(kernels().resolve(c.data()));
            int d = Math.toIntExact(s.d());
            double[] x = GpuCaseData.inputs(s.seed(), s.steps(), d, c.dtype());
            KernelEval.Bound b = KernelEval.bind(LlvmKernels.LLVM, s.matrix(), Bindings.NONE, s.dtype());
            double[] y = KernelEval.multiply(b, new Tensor(s.dtype(), new Shape(s.steps(), d), x), s.dtype(), 2).raw();
            MemorySegment ys = switch (c.dtype()) {
                case FLOAT64 -> MemorySegment.ofArray(y);
                case FLOAT32 -> {
                    float[] f = new float[y.length];
                    for (int k = 0; k < f.length; k++) {
                        f[k] = (float) y[k];
                    }
                    yield MemorySegment.ofArray(f);
                }
                case INT32, INT64 -> throw new AssertionError("streaming cases are floating");
            };
            GpuCheck.Comparison cmp = GpuCheck.compare(data, ys);
            assertNull(cmp.firstBad(), c.toString());
        }
    }

    @Test
    void ptxAssemblesForItsArchitecture() {
        assumeTrue(PtxAssembler.available(), "ptxas is not on PATH");
        assertEquals(2 * (bundle.cases().size() + bundle.batchedCases().size()), bundle.ptxChecked());
    }

    private static final Pattern ENTRY = Pattern.compile("\\.entry (\\w+)\\(([^)]*)\\)");
    private static final Pattern PARAM = Pattern.compile("\\.param \\.(u64|u32|b64|b32|s64|s32)");

    /** Each entry's parameters have the widths, in order, of the arguments GpuCheck passes it. */
    @Test
    void ptxEntriesDeclareTheArgumentsGpuCheckPasses() throws IOException {
        for (GpuCase c : bundle.cases()) {
            List<Object> params = new ArrayList<>();
            for (int p = 0; p < c.paramLengths().size(); p++) {
                params.add(0L);
                params.add((long) c.paramLengths().get(p));
            }
            List<Long> state = java.util.Collections.nCopies(c.stateCount(), 0L);
            List<Object> step = GpuCheck.stepArguments(0, params, 0L, 0L, c.d(), state);
            List<Object> scan = GpuCheck.scanArguments(0, c.steps(), params, 0L, 0L, c.d(), state);
            for (String arch : List.of("sm_90", "sm_80")) {
                String ptx = Files.readString(kernels().resolve(c.ptx(arch)));
                assertTrue(ptx.contains(".target " + arch), c.ptx(arch));
                assertEquals(widths(step), entryWidths(ptx, c.stepEntry()), c.ptx(arch) + " " + c.stepEntry());
                assertEquals(widths(scan), entryWidths(ptx, c.scanEntry()), c.ptx(arch) + " " + c.scanEntry());
            }
        }
    }

    private static List<Integer> widths(List<Object> args) {
        return args.stream().map(a -> switch (a) {
            case Long _ -> 8;
            case Integer _ -> 4;
            default -> throw new AssertionError("argument " + a);
        }).toList();
    }

    private static List<Integer> entryWidths(String ptx, String entry) {
        Matcher m = ENTRY.matcher(ptx);
        while (m.find()) {
            if (m.group(1).equals(entry)) {
                List<Integer> w = new ArrayList<>();
                Matcher p = PARAM.matcher(m.group(2));
                while (p.find()) {
                    w.add(p.group(1).endsWith("64") ? 8 : 4);
                }
                assertEquals(m.group(2).split(",").length, w.size(), entry + " has a parameter of another type");
                return w;
            }
        }
        throw new AssertionError("no entry " + entry);
    }

    // ---- batched linear-algebra cases ----

    @Test
    void batchedCasesCoverEveryOpInBothDtypesWithAPartialLastBlock() throws IOException {
        List<GpuBatchedCase> cases = GpuBatchedCase.readIndex(kernels().resolve(GpuBatchedCase.INDEX));
        assertEquals(bundle.batchedCases(), cases);
        assertEquals(batchedSpecs.size(), cases.size());
        for (String op : List.of("lu", "cholesky", "qr", "triangular_solve", "eigh", "svd")) {
            for (ElementType t : List.of(ElementType.FLOAT64, ElementType.FLOAT32)) {
                assertTrue(cases.stream().anyMatch(c -> c.description().startsWith(op + " 4x4") && c.dtype() == t
                        && !c.description().endsWith(" jvp")), op + " " + t);
                if (op.equals("lu") || op.equals("cholesky")) {
                    assertTrue(cases.stream().anyMatch(c -> c.description().startsWith(op + " 4x4") && c.dtype() == t
                            && c.description().endsWith(" jvp")), op + " jvp " + t);
                }
            }
        }
        assertTrue(cases.stream().anyMatch(c -> c.description().startsWith("lu 8x8") && c.dtype() == ElementType.FLOAT32));
        for (GpuBatchedCase c : cases) {
            assertEquals(c, GpuBatchedCase.parse(c.line()));
            assertTrue(c.batch() % GpuCheck.BLOCK != 0, c + ": the last block is partial");
            GpuBatchedCase.Buffer status = c.buffers().getLast();
            assertEquals(new GpuBatchedCase.Buffer("status", GpuBatchedCase.Role.OUT, ElementType.INT32, 1), status,
                    c.name());
            assertTrue(c.buffers().stream().anyMatch(b -> b.role() == GpuBatchedCase.Role.IN), c.name());
            assertTrue(assertThrows(IllegalArgumentException.class,
                    () -> GpuBatchedCase.parse(c.line().replace(":out:", ":inout:"))).getMessage()
                    .contains("unknown buffer role 'inout'"));
        }
    }

    /** The data files read back bit for bit, describe their case, and every item of the inputs is well posed. */
    @Test
    void batchedDataFilesRoundTripAndEveryItemSucceedsOnTheHost() throws IOException {
        for (GpuBatchedCase c : bundle.batchedCases()) {
            byte[] bytes = Files.readAllBytes(kernels().resolve(c.data()));
            GpuBatchedData data = GpuBatchedData.decode(bytes);
            assertArrayEquals(bytes, data.encode(), c.name());
            assertTrue(data.matches(c), c.name());
            GpuBatchedData named = GpuBatchedData.read(kernels().resolve(c.data()), c);
            assertEquals(c.buffers(), named.buffers());
            int status = c.buffers().size() - 1;
            for (int item = 0; item < c.batch(); item++) {
                assertEquals(0.0, named.value(status, item, 0), c.name() + " item " + item);
            }
            for (int b = 0; b < c.buffers().size(); b++) {
                for (double v : named.values()[b]) {
                    assertTrue(Double.isFinite(v), c.name() + " " + c.buffers().get(b).name());
                    if (c.buffers().get(b).type() == ElementType.FLOAT32) {
                        assertEquals(v, (double) (float) v, c.name() + ": float32 values are held exactly");
                    }
                }
            }
        }
        byte[] bytes = Files.readAllBytes(kernels().resolve(bundle.batchedCases().get(0).data()));
        assertTrue(assertThrows(IllegalArgumentException.class,
                () -> GpuBatchedData.decode(java.util.Arrays.copyOf(bytes, bytes.length - 1))).getMessage()
                .contains("truncated"));
        bytes[0] = 'X';
        assertTrue(assertThrows(IllegalArgumentException.class, () -> GpuBatchedData.decode(bytes)).getMessage()
                .contains("SFGPUBAT"));
    }

    /** The PTX is what {@code compile --op} emits, and its entry takes one pointer per buffer, then batch, from, to. */
    @Test
    void batchedPtxEntriesDeclareTheArgumentsGpuCheckPasses() throws IOException {
        for (int i = 0; i < batchedSpecs.size(); i++) {
            GpuBatchedCase c = bundle.batchedCases().get(i);
            Kernel k = BatchedCompiler.compile(batchedSpecs.get(i).kernel()).kernel();
            assertEquals(PtxKirCompiler.entry(k), c.entry());
            List<Object> args = GpuCheck.batchedArguments(java.util.Collections.nCopies(c.buffers().size(), 0L),
                    c.batch());
            assertEquals(PtxKirCompiler.parameters(k).size(), args.size(), c.name());
            for (String arch : List.of("sm_90", "sm_80")) {
                String ptx = Files.readString(kernels().resolve(c.ptx(arch)));
                assertEquals(PtxKirCompiler.ptx(k, arch), ptx, c.ptx(arch) + " is the compiler's PTX");
                assertTrue(ptx.contains(".target " + arch), c.ptx(arch));
                assertEquals(widths(args), entryWidths(ptx, c.entry()), c.ptx(arch) + " " + c.entry());
            }
        }
        assertEquals(4, GpuCheck.batchedGrid(1001));
        assertEquals(1, GpuCheck.batchedGrid(256));
        assertEquals(2, GpuCheck.batchedGrid(257));
    }

    /** The evaluator's expected values agree with another backend of the same kernel IR: the LLVM host JIT. */
    @Test
    void batchedExpectedValuesAgreeWithTheHostBackend() {
        for (int i = 0; i < batchedSpecs.size(); i++) {
            GpuBatchedCases.Compiled compiled = GpuBatchedCases.compile(batchedSpecs.get(i));
            GpuBatchedData data = compiled.data();
            BatchedKernel kernel = LlvmKirKernels.load(compiled.kernel());
            try (Arena arena = Arena.ofConfined()) {
                List<MemorySegment> segments = new ArrayList<>();
                for (int b = 0; b < data.buffers().size(); b++) {
                    GpuBatchedCase.Buffer buf = data.buffers().get(b);
                    MemorySegment s = arena.allocate((long) buf.elements() * data.batch() * buf.type().bytes(), 8);
                    if (buf.role() == GpuBatchedCase.Role.IN) {
                        fill(s, buf.type(), data.values()[b]);
                    }
                    segments.add(s);
                }
                kernel.run(segments.toArray(MemorySegment[]::new), new long[0], data.batch(), 0, data.batch());
                GpuCheck.BatchedComparison cmp = GpuCheck.compareBatched(data, segments);
                assertNull(cmp.firstBad(), compiled.spec().name());
            }
        }
    }

    /**
     * The host side of the device comparison: the expected values themselves pass; a floating element moved by ten
     * tolerances, a changed status, and an output the kernel left unwritten (0xFF bytes) are each reported.
     */
    @Test
    void batchedComparisonFlagsAPerturbedResult() throws IOException {
        for (GpuBatchedCase c : bundle.batchedCases()) {
            GpuBatchedData data = GpuBatchedData.read(kernels().resolve(c.data()), c);
            try (Arena arena = Arena.ofConfined()) {
                List<MemorySegment> exact = segments(arena, data);
                GpuCheck.BatchedComparison ok = GpuCheck.compareBatched(data, exact);
                assertNull(ok.firstBad(), c.name());
                assertEquals(0, ok.maxError(), c.name());
                assertEquals(c.dtype() == ElementType.FLOAT32 ? 1e-5 : 1e-12, ok.tolerance(), c.name());

                int out = firstFloatingOutput(data);
                int item = c.batch() - 1;
                int e = data.buffers().get(out).elements() - 1;
                List<MemorySegment> moved = segments(arena, data);
                double scale = 1;
                for (int k = 0; k < data.buffers().get(out).elements(); k++) {
                    scale = Math.max(scale, Math.abs(data.value(out, item, k)));
                }
                long at = (long) e * c.batch() + item;
                data.buffers().get(out).type().set(moved.get(out), at,
                        data.value(out, item, e) + 10 * ok.tolerance() * scale);
                String bad = GpuCheck.compareBatched(data, moved).firstBad();
                assertEquals(data.buffers().get(out).name() + " of item " + item + ", element " + e + " = ",
                        bad == null ? null : bad.substring(0, bad.indexOf('=') + 2), c.name() + ": " + bad);

                int status = data.buffers().size() - 1;
                List<MemorySegment> failed = segments(arena, data);
                failed.get(status).setAtIndex(ValueLayout.JAVA_INT, 500, 3);
                assertEquals("status of item 500, element 0 = 3, expected 0",
                        GpuCheck.compareBatched(data, failed).firstBad(), c.name());

                List<MemorySegment> unwritten = segments(arena, data);
                unwritten.get(out).fill((byte) 0xFF);
                GpuCheck.BatchedComparison nan = GpuCheck.compareBatched(data, unwritten);
                assertTrue(nan.firstBad() != null && nan.firstBad().contains(" = NaN"), c.name() + ": " + nan);
                assertEquals(Double.POSITIVE_INFINITY, nan.maxError());
            }
        }
    }

    @Test
    void batchedCaseIsSelectableByName() {
        assumeFalse(CudaDriver.isAvailable(), "this machine has a CUDA driver");
        Result r = check("--bundle", bundle.root().toString(), "--no-bench", "--case",
                bundle.batchedCases().get(0).name());
        assertEquals(GpuCheck.NO_DRIVER, r.status(), r.err());
    }

    /** On a machine with a CUDA driver, every case of the bundle passes on device 0. */
    @Test
    void everyCasePassesOnTheDevice() {
        if (!CudaDriver.isAvailable()) {
            System.out.println("GpuBundleTest.everyCasePassesOnTheDevice skipped: no CUDA driver (libcuda.so.1)");
        }
        assumeTrue(CudaDriver.isAvailable(), "no CUDA driver");
        Result r = check("--bundle", bundle.root().toString(), "--no-bench");
        assertEquals(GpuCheck.PASSED, r.status(), r.out() + r.err());
        for (GpuBatchedCase c : bundle.batchedCases()) {
            assertTrue(r.out().contains("PASS " + c.name() + " "), c.name() + "\n" + r.out());
        }
    }

    private static int firstFloatingOutput(GpuBatchedData data) {
        for (int b = 0; b < data.buffers().size(); b++) {
            if (data.buffers().get(b).role() == GpuBatchedCase.Role.OUT && data.buffers().get(b).type().isFloating()) {
                return b;
            }
        }
        throw new AssertionError("no floating output");
    }

    /** Every buffer's stored values in a segment of its type: the expected outputs as a device would return them. */
    private static List<MemorySegment> segments(Arena arena, GpuBatchedData data) {
        List<MemorySegment> segments = new ArrayList<>();
        for (int b = 0; b < data.buffers().size(); b++) {
            GpuBatchedCase.Buffer buf = data.buffers().get(b);
            MemorySegment s = arena.allocate((long) buf.elements() * data.batch() * buf.type().bytes(), 8);
            fill(s, buf.type(), data.values()[b]);
            segments.add(s);
        }
        return segments;
    }

    private static void fill(MemorySegment s, ElementType type, double[] values) {
        for (int k = 0; k < values.length; k++) {
            type.set(s, k, values[k]);
        }
    }

    @Test
    void checkWithoutADriverExitsThreeWithOneMessage() {
        assumeFalse(CudaDriver.isAvailable(), "this machine has a CUDA driver");
        Result r = check("--bundle", bundle.root().toString(), "--no-bench");
        assertEquals(GpuCheck.NO_DRIVER, r.status());
        assertEquals("", r.out());
        assertEquals("error: no usable CUDA driver (CUDA driver libcuda.so.1 not found); this check needs an NVIDIA"
                + " GPU and its driver, nothing was checked\n", r.err().replace("\r", ""));
    }

    @Test
    void badOptionsAndMissingBundlesExitTwo() {
        Result r = check("--bundle", tmp.resolve("absent").toString());
        assertEquals(GpuCheck.USAGE_ERROR, r.status());
        assertTrue(r.err().contains("is not a GPU bundle: kernels/cases.txt is missing"), r.err());
        r = check("--bundle", bundle.root().toString(), "--case", "no_such_case");
        assertEquals(GpuCheck.USAGE_ERROR, r.status());
        assertTrue(r.err().contains("no case named 'no_such_case'"), r.err());
        assertEquals(GpuCheck.USAGE_ERROR, check("--frobnicate").status());
    }

    @Test
    void gpuBundleCommandRejectsBadOptionsAndForeignDirectories() throws IOException {
        CliTest.Result r = CliTest.run("gpu-bundle", "--jdk", "zip");
        assertEquals(2, r.status());
        assertEquals("error: gpu-bundle: --jdk must be jlink or none, got 'zip'\n", r.err().replace("\r", ""));
        Path foreign = Files.createDirectories(tmp.resolve("foreign"));
        Files.writeString(foreign.resolve("notes.txt"), "mine");
        r = CliTest.run("gpu-bundle", "--out", foreign.toString(), "--jdk", "none");
        assertEquals(2, r.status());
        assertTrue(r.err().contains("exists and is not a GPU bundle"), r.err());
        assertEquals("mine", Files.readString(foreign.resolve("notes.txt")));
    }

    @Test
    void gpuBundleCommandReplacesAnEarlierBundle() throws IOException {
        Path out = tmp.resolve("replaced");
        Files.createDirectories(out.resolve(GpuCheck.KERNELS));
        Files.writeString(out.resolve(GpuCheck.KERNELS).resolve(GpuCase.INDEX), "# an earlier bundle\n");
        Files.writeString(out.resolve("stale.txt"), "stale");
        CliTest.Result r = CliTest.run("gpu-bundle", "--out", out.toString(), "--jdk", "none");
        assertEquals(0, r.status(), r.err());
        assertTrue(r.out().startsWith("wrote " + out.toAbsolutePath() + ": " + bundle.cases().size() + " cases, "
                + bundle.batchedCases().size() + " batched cases\n"),
                r.out());
        assertTrue(Files.notExists(out.resolve("stale.txt")));
        assertTrue(Files.notExists(out.resolve("jdk")));
        assertEquals(bundle.cases(), GpuCase.readIndex(out.resolve(GpuCheck.KERNELS).resolve(GpuCase.INDEX)));
        assertEquals(bundle.batchedCases(),
                GpuBatchedCase.readIndex(out.resolve(GpuCheck.KERNELS).resolve(GpuBatchedCase.INDEX)));
        assertTrue(Files.isExecutable(out.resolve("run.sh")));
        Path plainDir = Files.createDirectory(tmp.resolve("plain-dir"));
        assertEquals(Files.getPosixFilePermissions(plainDir), Files.getPosixFilePermissions(out),
                "the bundle directory has the mode the umask gives");
        assertEquals(Files.getPosixFilePermissions(plainDir), Files.getPosixFilePermissions(out.resolve("run.sh")));
    }

    /** The jlink image is small enough to travel, and run.sh runs GpuCheck on it. */
    @Test
    void runScriptUsesTheBundledRuntime() throws IOException, InterruptedException {
        assumeFalse(CudaDriver.isAvailable(), "this machine has a CUDA driver");
        assertTrue(bundle.jdkBytes() > 0 && bundle.jdkBytes() < 60L << 20, "jdk/ is " + bundle.jdkBytes() + " bytes");
        assertTrue(bundle.totalBytes() < 60L << 20, "bundle is " + bundle.totalBytes() + " bytes");
        Process p = new ProcessBuilder("bash", bundle.root().resolve("run.sh").toString(), "--no-bench")
                .redirectErrorStream(true).start();
        p.getOutputStream().close();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        assertEquals(GpuCheck.NO_DRIVER, p.exitValue(), output);
        assertTrue(output.contains("error: no usable CUDA driver (CUDA driver libcuda.so.1 not found)"), output);
        assertTrue(output.contains("GpuCheck: no usable CUDA driver on this machine"), output);
    }

    @Test
    void launchRuleMatchesThePtxCompiler() {
        assertEquals(dev.streamfold.compiler.llvm.PtxCompiler.BLOCK, GpuCheck.BLOCK);
        assertEquals(dev.streamfold.compiler.llvm.PtxCompiler.BLOCKS_PER_SM, GpuCheck.BLOCKS_PER_SM);
    }

    @Test
    void benchCasesAreTheExpressionsTheCpuBenchTimes() {
        GpuBundle.Spec compose3 = specs.stream().filter(s -> s.name().equals(GpuBench.COMPOSE3)).findFirst().orElseThrow();
        assertEquals(ConformanceOperators.compose3().describe(), compose3.matrix().describe());
        assertEquals(DType.F32, compose3.dtype());
    }
}
