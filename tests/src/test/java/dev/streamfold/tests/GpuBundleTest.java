package dev.streamfold.tests;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.streamfold.compiler.ConformanceOperators;
import dev.streamfold.compiler.KernelEval;
import dev.streamfold.compiler.cuda.GpuBundle;
import dev.streamfold.compiler.llvm.LlvmKernels;
import dev.streamfold.compiler.llvm.PtxAssembler;
import dev.streamfold.ir.DType;
import dev.streamfold.ir.Shape;
import dev.streamfold.ir.Tensor;
import dev.streamfold.ir.stream.Bindings;
import dev.streamfold.runtime.ElementType;
import dev.streamfold.runtime.cuda.CudaDriver;
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
 * GpuCheck passes, its expected values agree with the LLVM host backend over the whole of x, and its checker and
 * run.sh (on the bundled jlink image) report a missing driver with exit status 3.
 */
class GpuBundleTest {
    @TempDir
    static Path tmp;

    static GpuBundle.Written bundle;
    static List<GpuBundle.Spec> specs;

    @BeforeAll
    static void writeBundle() {
        specs = GpuBundle.specs();
        bundle = GpuBundle.write(tmp.resolve("bundle"), GpuBundle.JdkImage.JLINK, specs,
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
        assertEquals(2 * ConformanceOperators.all().size() + 5, cases.size());
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
            double[] x = new double[s.steps() * d];
            for (int t = 0; t < s.steps(); t++) {
                for (int j = 0; j < d; j++) {
                    x[t * d + j] = GpuCaseData.input(s.seed(), t, j, c.dtype());
                }
            }
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
        assertEquals(2 * bundle.cases().size(), bundle.ptxChecked());
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
        assertTrue(r.out().startsWith("wrote " + out.toAbsolutePath() + ": " + bundle.cases().size() + " cases\n"),
                r.out());
        assertTrue(Files.notExists(out.resolve("stale.txt")));
        assertTrue(Files.notExists(out.resolve("jdk")));
        assertEquals(bundle.cases(), GpuCase.readIndex(out.resolve(GpuCheck.KERNELS).resolve(GpuCase.INDEX)));
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
