package dev.streamfold.compiler.cli;

import dev.streamfold.compiler.NativeBackend;
import dev.streamfold.compiler.lower.StepKir;
import dev.streamfold.compiler.vector.VectorKernels;
import dev.streamfold.ir.DType;
import dev.streamfold.ir.StreamfoldException;
import dev.streamfold.ir.Tensor;
import dev.streamfold.ir.stream.Bindings;
import dev.streamfold.ir.stream.ParamLayout;
import dev.streamfold.ir.stream.StreamingMatrix;
import dev.streamfold.runtime.io.StagedFile;
import dev.streamfold.runtime.io.TempFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;

/**
 * {@code streamfold compile}: writes a kernel's generated source and a manifest; {@code --op} compiles a batched
 * decomposition or solve instead of an expression ({@link LinalgCompile}). Files are written
 * to a temporary directory beside {@code --out} and moved into place, so a failure leaves nothing
 * half-written and no temporary directory behind.
 */
final class CompileCommand {
    private CompileCommand() {}

    static String run(String[] argv) {
        Args a = new Args("compile", argv, 1, Set.of("--expr", "--op", "--shape", "--rhs", "--backend", "--dtype", "--arch",
                "--out"), Set.of("--param"), Set.of("--jvp"));
        if (a.get("--op") != null) {
            if (a.get("--expr") != null) {
                throw new StreamfoldException("compile: --expr and --op are mutually exclusive: give one of them");
            }
            return LinalgCompile.run(a);
        }
        for (String opOnly : List.of("--shape", "--rhs")) {
            if (a.get(opOnly) != null) {
                throw new StreamfoldException("compile: " + opOnly + " applies to --op only");
            }
        }
        if (a.flag("--jvp")) {
            throw new StreamfoldException("compile: --jvp applies to --op only");
        }
        StreamingMatrix m = EvalCommand.matrix(a.require("--expr"));
        String backend = a.require("--backend");
        DType dtype = DType.parseFloating(a.get("--dtype", "float64"));
        Path out = Path.of(a.require("--out"));
        if (out.toString().isEmpty()) {
            throw new StreamfoldException("compile: --out must name a directory, got ''");
        }
        if (out.toString().equals("-")) {
            throw new StreamfoldException("compile: --out - (standard output) is not supported: compile writes a directory"
                    + " of files; name a directory");
        }
        if (Files.exists(out) && !Files.isDirectory(out)) {
            throw new StreamfoldException("compile: cannot write --out " + out + ": it exists and is not a directory");
        }
        if (!backend.equals("vector") && !backend.equals("ptx")) {
            throw new StreamfoldException("unknown backend '" + backend + "' (expected vector or ptx)");
        }
        if (a.get("--arch") != null && !backend.equals("ptx")) {
            throw new StreamfoldException("--arch applies to --backend ptx only");
        }
        Bindings given = EvalCommand.values("--param", a.all("--param"));
        List<Tensor> values = ParamLayout.of(m).bind(m, placeholders(m, given), dtype);
        StepKir k = VectorKernels.lowerKir(m, values, dtype);
        if (backend.equals("ptx")) {
            String arch = a.get("--arch", "sm_90");
            if (!arch.equals("sm_80") && !arch.equals("sm_90")) {
                throw new StreamfoldException("--arch " + arch + " is not supported (expected sm_80 or sm_90)");
            }
            return ptx(k, m, arch, out);
        }
        String name = VectorKernels.className(k);
        String source = VectorKernels.source(k, m.describe()).toString();
        String manifest = manifest(m, k, name, dtype);
        Path javaFile = Path.of(VectorKernels.PACKAGE.replace('.', '/'), name + ".java");
        write(out, List.of(new Entry(javaFile, source), new Entry(Path.of("manifest.json"), manifest)));
        return "wrote " + out.resolve(javaFile) + " and " + out.resolve("manifest.json") + "\n";
    }

    /** Writes the kernel's .ll, .ptx and manifest, compiled in a scratch directory of the system's temporary directory. */
    private static String ptx(StepKir k, StreamingMatrix m, String arch, Path out) {
        Path scratch;
        try {
            Path tmpdir = Path.of(System.getProperty("java.io.tmpdir"));
            TempFiles.deleteStale(tmpdir, "streamfold-ptx");
            scratch = TempFiles.createDirectory(tmpdir, "streamfold-ptx");
        } catch (IOException e) {
            throw new StreamfoldException("compile: cannot create a scratch directory in " + System.getProperty("java.io.tmpdir")
                    + ": " + StagedFile.reason(e));
        }
        try {
            List<Entry> files = new java.util.ArrayList<>();
            for (NativeBackend.PtxFile f : NativeBackend.require("--backend ptx").compilePtx(k, m.describe(), arch, scratch)) {
                files.add(new Entry(Path.of(f.name()), f.text()));
            }
            write(out, files);
            return "wrote " + files.stream().map(f -> out.resolve(f.relative()).toString())
                    .collect(java.util.stream.Collectors.joining(", ")) + "\n";
        } catch (java.io.UncheckedIOException e) {
            throw new StreamfoldException("compile: cannot read the compiled kernel: " + StagedFile.reason(e.getCause()));
        } finally {
            deleteStaging(scratch);
        }
    }

    /** Named parameters without a value take a placeholder: a kernel depends on ranks, not values. */
    private static Bindings placeholders(StreamingMatrix m, Bindings given) {
        Bindings b = given;
        ParamLayout layout = ParamLayout.of(m);
        for (ParamLayout.Entry e : layout.slots()) {
            if (e.slot().param() instanceof dev.streamfold.ir.stream.Param.Named n && b.get(n.name()) == null) {
                b = b.with(n.name(), switch (e.slot().kind()) {
                    case SCALAR -> Tensor.scalar(DType.F64, 1.0);
                    case VECTOR -> Tensor.vector(DType.F64, 1.0);
                    case BUFFERS -> throw new StreamfoldException("$" + n.name() + " (" + e.op().opName() + " "
                            + e.slot().name() + ") sets the number of state buffers of the kernel: pass --param "
                            + n.name() + "=[...]");
                    case MATRIX -> Tensor.matrix(DType.F64, new double[][] {{1.0}});
                    case DERIVED -> throw new IllegalStateException("derived slots are never named");
                });
            }
        }
        return b;
    }

    static String manifest(StreamingMatrix m, StepKir k, String name, DType dtype) {
        StringBuilder b = new StringBuilder("{\n");
        b.append("  \"kernel\": ").append(Json.quote(VectorKernels.PACKAGE + "." + name)).append(",\n");
        b.append("  \"expr\": ").append(Json.quote(m.describe())).append(",\n");
        b.append("  \"dtype\": ").append(Json.quote(dtype.longName())).append(",\n");
        b.append("  \"abi\": \"dev.streamfold.runtime.StepKernel\",\n");
        b.append("  \"params\": [");
        List<ParamLayout.Entry> slots = ParamLayout.of(m).slots();
        for (int i = 0; i < slots.size(); i++) {
            ParamLayout.Entry e = slots.get(i);
            b.append(i == 0 ? "\n" : ",\n").append("    {\"index\": ").append(i).append(", \"op\": ")
                    .append(Json.quote(e.op().opName())).append(", \"name\": ").append(Json.quote(e.slot().name()))
                    .append(", \"kind\": ").append(Json.quote(e.slot().kind().name().toLowerCase(java.util.Locale.ROOT)))
                    .append(", \"value\": ").append(Json.quote(e.slot().param().toString())).append("}");
        }
        b.append(slots.isEmpty() ? "],\n" : "\n  ],\n");
        b.append("  \"state_buffers\": ").append(k.stateCount()).append(",\n");
        b.append("  \"state_rows\": ").append(java.util.stream.IntStream.range(0, k.stateCount())
                .mapToObj(i -> Integer.toString(k.kernel().buffers().get(k.state(i)).elements()))
                .collect(java.util.stream.Collectors.joining(", ", "[", "]"))).append("\n}\n");
        return b.toString();
    }

    record Entry(Path relative, String text) {}

    /**
     * Writes {@code files} below {@code out}: all of them first into a temporary directory beside
     * {@code out} (deleted whatever happens, also on SIGINT and SIGTERM), then each renamed into
     * place. A destination that is a FIFO or device is written through, never replaced.
     */
    static void write(Path out, List<Entry> files) {
        Path staging = null;
        try {
            Path parent = out.toAbsolutePath().getParent();
            StagedFile.createDirectories(out, parent);
            parent = parent.toRealPath();
            Path dir = Files.isDirectory(out) ? out.toRealPath() : parent.resolve(out.getFileName());
            TempFiles.deleteStale(dir.getParent(), dir.getFileName().toString());
            staging = TempFiles.createDirectory(dir.getParent(), dir.getFileName().toString());
            for (Entry e : files) {
                Path f = staging.resolve(e.relative());
                Files.createDirectories(f.getParent());
                Files.writeString(f, e.text());
            }
            Files.createDirectories(dir);
            Path staged = staging;
            TempFiles.atomically(() -> {
                for (Entry e : files) {
                    Path dst = dir.resolve(e.relative());
                    Files.createDirectories(dst.getParent());
                    if (StagedFile.resolve(dst) == null) {
                        try (StagedFile through = StagedFile.create(dst)) {
                            through.write(java.nio.ByteBuffer.wrap(Files.readAllBytes(staged.resolve(e.relative()))));
                            through.commit();
                        }
                    } else {
                        StagedFile.replace(staged.resolve(e.relative()), StagedFile.resolve(dst));
                    }
                }
            });
        } catch (IOException e) {
            throw new StreamfoldException("compile: cannot write --out " + out + ": " + StagedFile.reason(e));
        } finally {
            deleteStaging(staging);
        }
    }

    private static void deleteStaging(Path staging) {
        if (staging == null) {
            return;
        }
        try {
            TempFiles.delete(staging);
        } catch (IOException e) {
            throw new StreamfoldException("compile: cannot delete the temporary directory " + staging + ": " + StagedFile.reason(e));
        }
    }
}
