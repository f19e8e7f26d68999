package dev.streamfold.compiler.llvm;

import dev.streamfold.compiler.lower.StepKir;
import dev.streamfold.ir.DType;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Ahead-of-time compilation of step kernels for NVIDIA GPUs, the {@code compile --backend ptx} path. For each kernel
 * it writes {@code NAME.ll} (the GPU form from {@link LlvmEmitter#ptx}, before optimization) and {@code NAME.ptx}
 * (LLVM's PTX for the architecture), and one {@code manifest.json} that describes every kernel of the call: name,
 * element type, the rows of each state buffer ({@code stateRows}: a buffer of r rows holds {@code r * n} elements,
 * row k at element {@code k * n}), entry points with their arguments in launch order (see {@link PtxArgument}) and
 * the launch shape.
 *
 * <p>Launch shape: blocks of {@value #BLOCK} threads, {@code grid = min(ceil(n / BLOCK), BLOCKS_PER_SM *
 * multiprocessors)}; both entry points loop grid-stride, so any grid is correct and this one keeps every
 * multiprocessor busy. No shared memory.
 *
 * <p>LLVM runs in this process: the module is verified before the optimizer and code generator see it.
 */
public final class PtxCompiler {
    /** Threads per block. */
    public static final int BLOCK = 256;

    /** Resident blocks per multiprocessor that the grid is capped at. */
    public static final int BLOCKS_PER_SM = 4;

    /** The name of the manifest file written next to the kernels. */
    public static final String MANIFEST = "manifest.json";

    /** A kernel to compile and the text that describes it (the streaming matrix it steps). */
    public record Source(StepKir kernel, String description) {}

    /**
     * One compiled kernel.
     *
     * @param name its symbol prefix: the entry points are {@code name_step} and {@code name_scan}
     */
    public record Compiled(String name, Path ll, Path ptx) {}

    /** What a compilation wrote. */
    public record Output(Path manifest, List<Compiled> kernels) {
        public Output {
            kernels = List.copyOf(kernels);
        }
    }

    private PtxCompiler() {}

    private static final class Toolchain {
        static final LlvmToolchain INSTANCE = new LlvmToolchain();
    }

    /**
     * Compiles one kernel into {@code outDir} (created if missing), replacing a manifest there.
     *
     * @param arch one of {@link LlvmToolchain#PTX_ARCHES}
     * @throws IllegalArgumentException if {@code arch} is not supported
     * @throws dev.streamfold.ir.StreamfoldException if the kernel uses an op the GPU form lacks
     * @throws LlvmException if LLVM rejects the module
     * @throws UncheckedIOException if a file cannot be written
     */
    public static Output compile(StepKir k, String description, String arch, Path outDir) {
        return compileAll(List.of(new Source(k, description)), arch, outDir);
    }

    /** The PTX text of {@code k} for {@code arch}, entry points {@code NAME_step} and {@code NAME_scan}. */
    public static String ptx(StepKir k, String description, String arch) {
        LlvmToolchain.requirePtxArch(arch);
        return Toolchain.INSTANCE.emitPtx(LlvmEmitter.ptx(k, LlvmKernels.kernelName(k), description), arch);
    }

    /**
     * The PTX text of {@code k}'s step on noise drawn in the kernel for {@code arch}: the entry point
     * {@code NAME_noise_step} with the arguments {@link PtxArgument#noiseStep} lists.
     */
    public static String noisePtx(StepKir k, String description, String arch) {
        LlvmToolchain.requirePtxArch(arch);
        return Toolchain.INSTANCE.emitPtx(LlvmEmitter.ptxNoise(k, LlvmKernels.kernelName(k), description), arch);
    }

    /** Compiles several kernels into {@code outDir} with one manifest; as {@link #compile}. */
    public static Output compileAll(List<Source> sources, String arch, Path outDir) {
        LlvmToolchain.requirePtxArch(arch);
        List<Compiled> out = new ArrayList<>();
        List<String> entries = new ArrayList<>();
        try {
            Files.createDirectories(outDir);
            for (Source s : sources) {
                String name = LlvmKernels.kernelName(s.kernel());
                String ll = LlvmEmitter.ptx(s.kernel(), name, s.description());
                String ptx = Toolchain.INSTANCE.emitPtx(ll, arch);
                Path llPath = Files.writeString(outDir.resolve(name + ".ll"), ll, StandardCharsets.UTF_8);
                Path ptxPath = Files.writeString(outDir.resolve(name + ".ptx"), ptx, StandardCharsets.UTF_8);
                out.add(new Compiled(name, llPath, ptxPath));
                entries.add(kernelJson(s, name));
            }
            Path manifest = Files.writeString(outDir.resolve(MANIFEST), manifest(arch, entries),
                    StandardCharsets.UTF_8);
            return new Output(manifest, out);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write PTX kernels to " + outDir, e);
        }
    }

    private static String manifest(String arch, List<String> kernels) {
        return "{\n"
                + "  \"generator\": \"streamfold\",\n"
                + "  \"format\": 1,\n"
                + "  \"arch\": " + quote(arch) + ",\n"
                + "  \"kernels\": [\n"
                + String.join(",\n", kernels) + "\n"
                + "  ]\n"
                + "}\n";
    }

    private static String kernelJson(Source s, String name) {
        StepKir k = s.kernel();
        String element = k.dtype().shortName();
        StringBuilder j = new StringBuilder();
        j.append("    {\n");
        j.append("      \"name\": ").append(quote(name)).append(",\n");
        j.append("      \"description\": ").append(quote(s.description())).append(",\n");
        j.append("      \"dtype\": ").append(quote(k.dtype().longName())).append(",\n");
        j.append("      \"elementBytes\": ").append(k.dtype() == DType.F32 ? 4 : 8).append(",\n");
        j.append("      \"ptx\": ").append(quote(name + ".ptx")).append(",\n");
        j.append("      \"ll\": ").append(quote(name + ".ll")).append(",\n");
        j.append("      \"paramCount\": ").append(k.paramCount()).append(",\n");
        j.append("      \"paramType\": \"f64\",\n");
        j.append("      \"stateCount\": ").append(k.stateCount()).append(",\n");
        List<String> rows = new ArrayList<>();
        for (int b = 0; b < k.stateCount(); b++) {
            rows.add(Integer.toString(k.kernel().buffers().get(k.state(b)).elements()));
        }
        j.append("      \"stateRows\": [").append(String.join(", ", rows)).append("],\n");
        j.append("      \"launch\": {\"block\": ").append(BLOCK).append(", \"grid\": ")
                .append(quote(String.format(Locale.ROOT, "min(ceil(n / %d), %d * multiprocessors)", BLOCK,
                        BLOCKS_PER_SM)))
                .append(", \"blocksPerMultiprocessor\": ").append(BLOCKS_PER_SM)
                .append(", \"gridStride\": true, \"sharedBytes\": 0},\n");
        j.append("      \"entries\": [\n");
        j.append(entryJson(name + "_step", "step", PtxArgument.of(false, k.paramCount(), k.stateCount(), element)))
                .append(",\n");
        j.append(entryJson(name + "_scan", "scan", PtxArgument.of(true, k.paramCount(), k.stateCount(), element)))
                .append('\n');
        j.append("      ]\n");
        j.append("    }");
        return j.toString();
    }

    private static String entryJson(String symbol, String role, List<PtxArgument> args) {
        List<String> a = new ArrayList<>();
        for (PtxArgument arg : args) {
            a.add("          {\"name\": " + quote(arg.name()) + ", \"type\": " + quote(arg.type())
                    + (arg.element() == null ? "" : ", \"element\": " + quote(arg.element())) + "}");
        }
        return "        {\"symbol\": " + quote(symbol) + ", \"role\": " + quote(role) + ", \"args\": [\n"
                + String.join(",\n", a) + "\n        ]}";
    }

    /** A JSON string literal. */
    static String quote(String s) {
        StringBuilder q = new StringBuilder("\"");
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> q.append("\\\"");
                case '\\' -> q.append("\\\\");
                case '\n' -> q.append("\\n");
                case '\r' -> q.append("\\r");
                case '\t' -> q.append("\\t");
                default -> {
                    if (c < 0x20) {
                        q.append(String.format(Locale.ROOT, "\\u%04x", (int) c));
                    } else {
                        q.append(c);
                    }
                }
            }
        }
        return q.append('"').toString();
    }
}
