package dev.streamfold.compiler.cuda;

import dev.streamfold.compiler.ConformanceOperators;
import dev.streamfold.compiler.batched.BatchedCompiler;
import dev.streamfold.compiler.batched.LinalgKernel;
import dev.streamfold.compiler.lower.StepKir;
import dev.streamfold.compiler.llvm.LlvmKernels;
import dev.streamfold.compiler.llvm.PtxAssembler;
import dev.streamfold.compiler.llvm.PtxCompiler;
import dev.streamfold.compiler.llvm.PtxKirCompiler;
import dev.streamfold.compiler.vector.VectorKernels;
import dev.streamfold.ir.DType;
import dev.streamfold.ir.Shape;
import dev.streamfold.ir.StreamfoldException;
import dev.streamfold.ir.Tensor;
import dev.streamfold.ir.TriangularSolve;
import dev.streamfold.ir.expr.MatrixBinder;
import dev.streamfold.ir.stream.Bindings;
import dev.streamfold.ir.stream.ParamLayout;
import dev.streamfold.ir.stream.StreamingEval;
import dev.streamfold.ir.stream.StreamingEval.Query;
import dev.streamfold.ir.stream.StreamingMatrix;
import dev.streamfold.runtime.ElementType;
import dev.streamfold.runtime.cuda.GpuBatchedCase;
import dev.streamfold.runtime.cuda.GpuBatchedData;
import dev.streamfold.runtime.cuda.GpuBench;
import dev.streamfold.runtime.cuda.GpuCase;
import dev.streamfold.runtime.cuda.GpuCaseData;
import dev.streamfold.runtime.cuda.GpuCheck;
import dev.streamfold.runtime.io.TempFiles;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.spi.ToolProvider;
import java.util.stream.IntStream;
import java.util.stream.LongStream;
import java.util.stream.Stream;

/**
 * A self-contained directory that checks this project's PTX kernels and measures bandwidth on a machine with an
 * NVIDIA GPU and no JDK:
 *
 * <pre>
 * run.sh                    runs GpuCheck with the bundled Java runtime, then jax_scan.py where JAX imports
 * README.txt                what the bundle does and its file formats
 * jax_scan.py               JAX lax.scan of the bench's scan composition, for comparison
 * jdk/                      a jlink image of this JDK's java.base (absent with {@link JdkImage#NONE})
 * lib/streamfold-runtime.jar
 * kernels/cases.txt         the index ({@link GpuCase})
 * kernels/NAME.sm_90.ptx, kernels/NAME.sm_80.ptx, kernels/NAME.bin ({@link GpuCaseData})
 * kernels/batched.txt       the batched index ({@link GpuBatchedCase})
 * kernels/KERNEL.sm_90.ptx, kernels/KERNEL.sm_80.ptx, kernels/KERNEL.bin ({@link GpuBatchedData})
 * </pre>
 *
 * The streaming cases are every operator of {@link ConformanceOperators#all()} in float64 and float32, the ring
 * kernels of {@link #RINGS} (state buffers of many rows) in both, then the float32 kernels {@link GpuBench} times;
 * their expected values come from the reference interpreter. The batched
 * cases are the linear-algebra kernels of {@link GpuBatchedCases}; their expected values come from the kernel IR
 * evaluator.
 */
public final class GpuBundle {
    /** What the bundle's {@code jdk/} holds. */
    public enum JdkImage {
        /** A jlink image of the running JDK's {@code java.base}, compressed (zip-9), without debug information. */
        JLINK,
        /** Nothing: the bundle then needs a Java 25 on the machine it runs on (for tests and quick rebuilds). */
        NONE
    }

    /**
     * A case to write: {@code matrix} over n = {@code steps} rows of d elements, in {@code dtype}.
     *
     * @param seed the input generator's seed ({@link GpuCaseData#input})
     */
    public record Spec(String name, StreamingMatrix matrix, DType dtype, int steps, long d, long seed) {
        public Spec {
            Objects.requireNonNull(matrix, "matrix");
            if (dtype != DType.F32 && dtype != DType.F64) {
                throw new IllegalArgumentException("GPU cases are float32 or float64, got " + dtype);
            }
        }
    }

    /** What {@link #write} produced: the cases and the size of each part in bytes. */
    public record Written(Path root, List<GpuCase> cases, List<GpuBatchedCase> batchedCases, long jdkBytes,
            long libBytes, long kernelBytes, long totalBytes, int ptxChecked) {}

    /** d of the case with a large slice: odd, so that the grid-stride loops end in a partial block. */
    public static final long LARGE_D = 1_000_003;

    /** Checked columns of a large case: this many at each end, and one every {@link #COLUMN_STRIDE} between. */
    static final int EDGE_COLUMNS = 512;
    static final int COLUMN_STRIDE = 4093;
    static final int ALL_COLUMNS_UP_TO = 2048;

    public static final String COMPOSE3_EXPR =
            "prefix_sum @ momentum_sgd(momentum=0.9, learning_rates=[1.0, 0.5]) @ diagonal([2.0, 0.5])";
    public static final String SCAN_EXPR = "prefix_sum @ momentum_sgd(momentum=0.9, learning_rates=[1.0, 0.5])";

    /**
     * Banded Toeplitz steps with {@value #RING_BANDS} bands, more than the shift form keeps: their state is one ring
     * buffer of {@code RING_BANDS - 1} rows, read by a loop. Their cases run {@value #RING_STEPS} steps, past the
     * point where the ring wraps.
     */
    public static final List<String> RINGS = List.of("toeplitz(coef=" + ringCoefficients() + ")",
            "inverse(toeplitz(coef=" + ringCoefficients() + "))");

    static final int RING_BANDS = 18;
    static final int RING_STEPS = 33;

    static final String RUNTIME_JAR = "streamfold-runtime.jar";
    static final List<String> ARCHES = List.of("sm_90", "sm_80");
    private static final int[] STEPS = {9, 17, 33, 12};
    private static final long[] SMALL_D = {1, 3, 31, 33, 255, 257, 511, 1001};

    private GpuBundle() {}

    /**
     * The bundle's cases: {@code opNN_f64} and {@code opNN_f32} for operator NN of {@link ConformanceOperators#all()},
     * {@code ringNN_f64} and {@code ringNN_f32} for ring kernel NN of {@link #RINGS}, then the float32 bench kernels
     * named in {@link GpuBench}. Sizes cycle through odd slices of 1 to 1001 elements
     * and 9 to 33 steps; compose3 and the scan kernel use d = {@value #LARGE_D}.
     */
    public static List<Spec> specs() {
        List<Spec> specs = new ArrayList<>();
        List<StreamingMatrix> ops = ConformanceOperators.all();
        String compose3 = ConformanceOperators.compose3().describe();
        for (int i = 0; i < ops.size(); i++) {
            StreamingMatrix m = ops.get(i);
            for (DType dtype : List.of(DType.F64, DType.F32)) {
                int j = specs.size();
                boolean large = m.describe().equals(compose3);
                specs.add(new Spec(String.format("op%02d_%s", i, dtype.shortName()), m, dtype,
                        large ? 9 : STEPS[j % STEPS.length], large ? LARGE_D : SMALL_D[j % SMALL_D.length], 1000 + j));
            }
        }
        for (int i = 0; i < RINGS.size(); i++) {
            StreamingMatrix m = MatrixBinder.parse(RINGS.get(i));
            for (DType dtype : List.of(DType.F64, DType.F32)) {
                int j = specs.size();
                specs.add(new Spec(String.format("ring%02d_%s", i, dtype.shortName()), m, dtype, RING_STEPS,
                        SMALL_D[j % SMALL_D.length], 1000 + j));
            }
        }
        List<String[]> bench = List.of(
                new String[] {GpuBench.COMPOSE3, COMPOSE3_EXPR},
                new String[] {GpuBench.DIAGONAL, "diagonal([2.0, 0.5])"},
                new String[] {GpuBench.MOMENTUM_SGD, "momentum_sgd(momentum=0.9, learning_rates=[1.0, 0.5])"},
                new String[] {GpuBench.PREFIX_SUM, "prefix_sum"},
                new String[] {GpuBench.SCAN, SCAN_EXPR});
        for (String[] b : bench) {
            int j = specs.size();
            boolean large = b[0].equals(GpuBench.SCAN);
            specs.add(new Spec(b[0], MatrixBinder.parse(b[1]), DType.F32, large ? 9 : STEPS[j % STEPS.length],
                    large ? LARGE_D : SMALL_D[j % SMALL_D.length], 1000 + j));
        }
        return List.copyOf(specs);
    }

    /** {@code 1.5} and {@code 0.3 (-0.8)^i}: a diagonally dominant band, whose inverse stays bounded. */
    private static String ringCoefficients() {
        List<String> c = new ArrayList<>(List.of("1.5"));
        for (int i = 1; i < RING_BANDS; i++) {
            c.add(Double.toString(0.3 * Math.pow(-0.8, i)));
        }
        return "[" + String.join(", ", c) + "]";
    }

    /** The checked columns of a slice of d elements: all of them up to 2048, else both ends and a stride between. */
    static long[] columns(long d) {
        if (d <= ALL_COLUMNS_UP_TO) {
            return LongStream.range(0, d).toArray();
        }
        return LongStream.concat(
                LongStream.concat(
                        LongStream.range(0, EDGE_COLUMNS),
                        LongStream.iterate(EDGE_COLUMNS + COLUMN_STRIDE - 1, c -> c < d - EDGE_COLUMNS,
                                c -> c + COLUMN_STRIDE)),
                LongStream.range(d - EDGE_COLUMNS, d)).toArray();
    }

    static ElementType elementType(DType dtype) {
        return dtype == DType.F32 ? ElementType.FLOAT32 : ElementType.FLOAT64;
    }

    /** The case's kernel IR, parameter arrays, and the interpreter's result at the checked columns. */
    static GpuCaseData data(Spec s) {
        List<Tensor> values = ParamLayout.of(s.matrix()).bind(s.matrix(), Bindings.NONE, s.dtype());
        double[][] params = values.stream().map(Tensor::data).toArray(double[][]::new);
        long[] columns = columns(s.d());
        ElementType et = elementType(s.dtype());
        double[] x = new double[s.steps() * columns.length];
        for (int t = 0; t < s.steps(); t++) {
            for (int j = 0; j < columns.length; j++) {
                x[t * columns.length + j] = GpuCaseData.input(s.seed(), t, columns[j], et);
            }
        }
        Tensor xt = new Tensor(s.dtype(), new Shape(s.steps(), columns.length), x);
        double[] expected = StreamingEval.run(s.matrix(), Bindings.NONE, Query.MULTIPLY, xt, 0, s.dtype()).data();
        return new GpuCaseData(et, s.steps(), s.d(), s.seed(), params, columns, x, expected);
    }

    /**
     * Writes a bundle to {@code out}, replacing an earlier bundle there; the new one is assembled beside it (in a
     * {@link TempFiles} directory, removed on failure, SIGINT and SIGTERM) and moved into place. Where ptxas is on
     * {@code PATH}, every PTX file is assembled for its architecture first.
     *
     * @param specs the streaming cases ({@link #specs()})
     * @param batched the batched cases ({@link GpuBatchedCases#specs()})
     * @throws StreamfoldException where {@code out} exists and is not a bundle, or a step fails
     */
    public static Written write(Path out, JdkImage jdk, List<Spec> specs, List<GpuBatchedCases.Spec> batched,
            PrintStream log) {
        Path target = out.toAbsolutePath().normalize();
        if (Files.exists(target) && !isBundle(target) && !isEmptyDirectory(target)) {
            throw new StreamfoldException(out + " exists and is not a GPU bundle; choose another --out");
        }
        Path tmp = null;
        try {
            Files.createDirectories(target.getParent());
            TempFiles.deleteStale(target.getParent(), target.getFileName().toString());
            tmp = TempFiles.createDirectory(target.getParent(), target.getFileName().toString());
            List<GpuCase> cases = writeKernels(tmp.resolve(GpuCheck.KERNELS), specs, log);
            List<GpuBatchedCase> batchedCases = writeBatchedKernels(tmp.resolve(GpuCheck.KERNELS), batched, log);
            int checked = checkWithPtxas(tmp.resolve(GpuCheck.KERNELS), cases, batchedCases, log);
            writeRuntimeJar(tmp.resolve("lib").resolve(RUNTIME_JAR));
            switch (jdk) {
                case JLINK -> jlink(tmp.resolve("jdk"), log);
                case NONE -> log.println("no jdk/ (--jdk none): run.sh will need a Java 25 as JAVA");
            }
            writeText(tmp.resolve("run.sh"), resource("run.sh"), true);
            writeText(tmp.resolve("README.txt"), resource("README.txt"), false);
            writeText(tmp.resolve("jax_scan.py"), resource("jax_scan.py"), false);
            if (Files.exists(target)) {
                deleteTree(target);
            }
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
            TempFiles.release(tmp);
            tmp = null;
            return new Written(target, cases, batchedCases, size(target.resolve("jdk")), size(target.resolve("lib")),
                    size(target.resolve(GpuCheck.KERNELS)), size(target), checked);
        } catch (IOException e) {
            throw new StreamfoldException("cannot write the GPU bundle to " + out + ": " + e.getMessage());
        } finally {
            if (tmp != null) {
                try {
                    TempFiles.delete(tmp);
                } catch (IOException ignored) {
                    log.println("note: could not remove " + tmp);
                }
            }
        }
    }

    static boolean isBundle(Path dir) {
        return Files.isRegularFile(dir.resolve(GpuCheck.KERNELS).resolve(GpuCase.INDEX));
    }

    private static boolean isEmptyDirectory(Path dir) throws UncheckedIOException {
        if (!Files.isDirectory(dir)) {
            return false;
        }
        try (Stream<Path> s = Files.list(dir)) {
            return s.findAny().isEmpty();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static List<GpuCase> writeKernels(Path dir, List<Spec> specs, PrintStream log) throws IOException {
        Files.createDirectories(dir);
        List<GpuCase> cases = new ArrayList<>();
        for (Spec s : specs) {
            GpuCaseData data = data(s);
            List<Tensor> values = ParamLayout.of(s.matrix()).bind(s.matrix(), Bindings.NONE, s.dtype());
            StepKir k = VectorKernels.lowerKir(s.matrix(), values, s.dtype());
            String entry = LlvmKernels.kernelName(k);
            String description = s.matrix().describe();
            for (String arch : ARCHES) {
                writeText(dir.resolve(s.name() + "." + arch + ".ptx"), PtxCompiler.ptx(k, description, arch), false);
            }
            data.write(dir.resolve(s.name() + ".bin"));
            List<Integer> stateRows = IntStream.range(0, k.stateCount())
                    .mapToObj(b -> k.kernel().buffers().get(k.state(b)).elements()).toList();
            cases.add(new GpuCase(s.name(), elementType(s.dtype()), entry + "_step", entry + "_scan",
                    Arrays.stream(data.params()).map(p -> p.length).toList(), stateRows, s.steps(),
                    s.d(), s.name() + ".bin", s.name() + ".sm_90.ptx", s.name() + ".sm_80.ptx", description));
        }
        GpuCase.writeIndex(dir.resolve(GpuCase.INDEX), cases);
        log.println("kernels: " + cases.size() + " cases, PTX for " + String.join(" and ", ARCHES));
        return List.copyOf(cases);
    }

    /**
     * Writes each batched case's PTX for both targets, its data and the batched index. The PTX is
     * {@link PtxKirCompiler}'s of the kernel {@link BatchedCompiler} compiles, as {@code compile --op} writes it.
     */
    private static List<GpuBatchedCase> writeBatchedKernels(Path dir, List<GpuBatchedCases.Spec> specs,
            PrintStream log) throws IOException {
        Files.createDirectories(dir);
        List<GpuBatchedCase> cases = new ArrayList<>();
        for (GpuBatchedCases.Spec s : specs) {
            GpuBatchedCases.Compiled c = GpuBatchedCases.compile(s);
            String name = s.name();
            for (String arch : ARCHES) {
                writeText(dir.resolve(name + "." + arch + ".ptx"), PtxKirCompiler.ptx(c.kernel(), arch), false);
            }
            c.data().write(dir.resolve(name + ".bin"));
            LinalgKernel k = s.kernel();
            String attributes = k.op().op().attributes();
            String description = k.op().name() + " " + k.m() + "x" + k.n()
                    + (k.op().op() instanceof TriangularSolve ? " rhs=" + k.rhs() : "")
                    + (attributes.isBlank() ? "" : " " + attributes) + " " + k.dtype().longName() + (k.jvp() ? " jvp" : "");
            cases.add(new GpuBatchedCase(name, elementType(k.dtype()), PtxKirCompiler.entry(c.kernel()), s.batch(),
                    c.buffers(), name + ".bin", name + ".sm_90.ptx", name + ".sm_80.ptx", description));
        }
        GpuBatchedCase.writeIndex(dir.resolve(GpuBatchedCase.INDEX), cases);
        log.println("kernels: " + cases.size() + " batched cases, PTX for " + String.join(" and ", ARCHES));
        return List.copyOf(cases);
    }

    private static int checkWithPtxas(Path dir, List<GpuCase> cases, List<GpuBatchedCase> batched, PrintStream log)
            throws IOException {
        if (!PtxAssembler.available()) {
            log.println("ptxas is not on PATH: the PTX was not assembled here");
            return 0;
        }
        PtxAssembler ptxas = new PtxAssembler();
        int checked = 0;
        for (GpuCase c : cases) {
            for (String arch : ARCHES) {
                ptxas.check(Files.readString(dir.resolve(c.ptx(arch)), StandardCharsets.UTF_8), arch);
                checked++;
            }
        }
        for (GpuBatchedCase c : batched) {
            for (String arch : ARCHES) {
                ptxas.check(Files.readString(dir.resolve(c.ptx(arch)), StandardCharsets.UTF_8), arch);
                checked++;
            }
        }
        log.println("ptxas: all " + checked + " PTX files assemble for their architecture");
        return checked;
    }

    /**
     * The runtime module's classes as a jar whose main class is {@link GpuCheck}: copied where they were loaded
     * from a jar, else packed from their class directory.
     */
    static void writeRuntimeJar(Path jar) throws IOException {
        Path source;
        try {
            source = Path.of(GpuCheck.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        } catch (URISyntaxException | NullPointerException | SecurityException e) {
            throw new IOException("cannot locate the runtime module's classes", e);
        }
        Files.createDirectories(jar.getParent());
        if (Files.isRegularFile(source)) {
            Files.copy(source, jar, StandardCopyOption.REPLACE_EXISTING);
            return;
        }
        Manifest manifest = new Manifest();
        manifest.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        manifest.getMainAttributes().put(Attributes.Name.MAIN_CLASS, GpuCheck.class.getName());
        try (OutputStream o = Files.newOutputStream(jar);
                JarOutputStream j = new JarOutputStream(o, manifest);
                Stream<Path> files = Files.walk(source)) {
            for (Path f : files.filter(Files::isRegularFile).sorted().toList()) {
                j.putNextEntry(new JarEntry(source.relativize(f).toString().replace('\\', '/')));
                Files.copy(f, j);
                j.closeEntry();
            }
        }
    }

    /** A jlink image of this JDK's {@code java.base} in {@code dir}, with jlink run in this process. */
    static void jlink(Path dir, PrintStream log) {
        ToolProvider jlink = ToolProvider.findFirst("jlink").orElseThrow(() -> new StreamfoldException(
                "jlink is not available: run streamfold with a full JDK 25 (not a runtime image), or use --jdk none"));
        ByteArrayOutputStream output = new ByteArrayOutputStream();
        PrintStream p = new PrintStream(output, true, StandardCharsets.UTF_8);
        int status = jlink.run(p, p, "--add-modules", "java.base", "--strip-debug", "--no-header-files",
                "--no-man-pages", "--compress", "zip-9", "--output", dir.toString());
        if (status != 0) {
            throw new StreamfoldException("jlink failed (exit " + status + "): "
                    + output.toString(StandardCharsets.UTF_8).strip());
        }
        log.println("jdk: jlink image of java.base from " + System.getProperty("java.home") + " ("
                + Runtime.version() + ")");
    }

    private static String resource(String name) throws IOException {
        try (InputStream in = GpuBundle.class.getResourceAsStream("gpu-bundle/" + name)) {
            if (in == null) {
                throw new IOException("resource gpu-bundle/" + name + " is missing from the compiler module");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    private static void writeText(Path file, String text, boolean executable) throws IOException {
        Files.createDirectories(file.getParent());
        Files.writeString(file, text, StandardCharsets.UTF_8);
        if (executable) {
            // The bundle's directory was created with 0777 & ~umask: the mode an executable gets from the umask too.
            Files.setPosixFilePermissions(file, Files.getPosixFilePermissions(file.getParent()));
        }
    }

    /** Total bytes of the regular files under {@code p}; 0 where it does not exist. */
    static long size(Path p) throws IOException {
        if (!Files.exists(p)) {
            return 0;
        }
        try (Stream<Path> s = Files.walk(p)) {
            long total = 0;
            for (Path f : s.filter(Files::isRegularFile).toList()) {
                total += Files.size(f);
            }
            return total;
        }
    }

    private static void deleteTree(Path p) throws IOException {
        try (Stream<Path> s = Files.walk(p)) {
            for (Path q : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(q);
            }
        }
    }
}
