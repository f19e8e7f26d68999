package dev.streamfold.compiler.cli;

import dev.streamfold.compiler.NativeBackend;
import dev.streamfold.compiler.batched.BatchedCompiler;
import dev.streamfold.compiler.batched.LinalgKernel;
import dev.streamfold.compiler.batched.LinalgOps;
import dev.streamfold.compiler.kir.KBuffer;
import dev.streamfold.compiler.kir.KType;
import dev.streamfold.compiler.vector.VectorKirKernels;
import dev.streamfold.ir.DType;
import dev.streamfold.ir.StreamfoldException;
import dev.streamfold.ir.Type;
import dev.streamfold.runtime.batched.BatchedKernel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code streamfold compile --op NAME --shape MxN [--rhs K] [--jvp] [--param flag=true|false]...}: a batched
 * decomposition or solve ({@link LinalgKernel}) compiled through {@link BatchedCompiler}, written as Vector API
 * source or PTX with a {@code manifest.json} that names the kernel, its op, flags, shape, dtype and every buffer
 * of its {@link BatchedKernel} ABI. Files are staged as {@link CompileCommand#write} does.
 */
final class LinalgCompile {
    private LinalgCompile() {}

    /** The layout of every batched buffer, as the manifest states it. */
    static final String LAYOUT = "structure-of-arrays: element e of item b at e*batch+b";

    private static final Pattern SHAPE = Pattern.compile("(\\d{1,9})x(\\d{1,9})");
    private static final Pattern ENTRY = Pattern.compile("\\.entry\\s+([A-Za-z_$][A-Za-z0-9_$]*)");

    static String run(Args a) {
        String opName = a.require("--op");
        Map<String, Boolean> defaults = LinalgOps.defaults(opName);
        if (defaults == null) {
            throw new StreamfoldException("compile: unknown --op '" + opName + "' (expected " + String.join(", ", LinalgOps.names())
                    + ")");
        }
        String shapeText = a.require("--shape");
        Matcher sm = SHAPE.matcher(shapeText);
        if (!sm.matches()) {
            throw new StreamfoldException("compile: --shape must be MxN (rows x columns, e.g. 8x8), got '" + shapeText + "'");
        }
        int m = Integer.parseInt(sm.group(1));
        int n = Integer.parseInt(sm.group(2));
        if (m < 1 || n < 1 || m > LinalgKernel.MAX_SIDE || n > LinalgKernel.MAX_SIDE) {
            throw new StreamfoldException("compile: --shape " + shapeText + ": matrix sides must be in [1, " + LinalgKernel.MAX_SIDE
                    + "]");
        }
        if (LinalgOps.needsSquare(opName) && m != n) {
            throw new StreamfoldException("compile: " + opName + " needs a square --shape, got " + shapeText);
        }
        boolean solve = opName.equals("triangular_solve");
        if (a.get("--rhs") != null && !solve) {
            throw new StreamfoldException("compile: --rhs applies to --op triangular_solve only");
        }
        int rhs = a.intValue("--rhs", n, 1, LinalgKernel.MAX_SIDE);
        Map<String, Boolean> flags = flags(opName, defaults, a.all("--param"));
        String backend = a.require("--backend");
        if (!backend.equals("vector") && !backend.equals("ptx")) {
            throw new StreamfoldException("unknown backend '" + backend + "' (expected vector or ptx)");
        }
        if (a.get("--arch") != null && !backend.equals("ptx")) {
            throw new StreamfoldException("--arch applies to --backend ptx only");
        }
        String arch = a.get("--arch", "sm_90");
        if (!arch.equals("sm_80") && !arch.equals("sm_90")) {
            throw new StreamfoldException("--arch " + arch + " is not supported (expected sm_80 or sm_90)");
        }
        DType dtype = DType.parseFloating(a.get("--dtype", "float64"));
        Path out = outDirectory(a.require("--out"));
        LinalgKernel spec = new LinalgKernel(LinalgOps.of(opName, flags), m, n, rhs, dtype, a.flag("--jvp"));
        BatchedCompiler.Compiled c = BatchedCompiler.compile(spec);
        List<CompileCommand.Entry> files = new ArrayList<>();
        Map<String, String> target = new LinkedHashMap<>();
        target.put("backend", backend);
        if (backend.equals("ptx")) {
            String ptx = NativeBackend.require("--backend ptx").batchedPtx(c.kernel(), arch);
            Matcher entry = ENTRY.matcher(ptx);
            Path file = Path.of(spec.name() + ".ptx");
            target.put("ptx", file.toString());
            target.put("entry", entry.find() ? entry.group(1) : spec.name());
            target.put("arch", arch);
            files.add(new CompileCommand.Entry(file, ptx));
        } else {
            String cls = VectorKirKernels.className(c.kernel());
            Path file = Path.of(VectorKirKernels.PACKAGE.replace('.', '/'), cls + ".java");
            target.put("class", VectorKirKernels.PACKAGE + "." + cls);
            target.put("source", file.toString().replace('\\', '/'));
            files.add(new CompileCommand.Entry(file, VectorKirKernels.source(c.kernel()).toString()));
        }
        files.add(new CompileCommand.Entry(Path.of("manifest.json"), manifest(spec, opName, flags, c, target)));
        CompileCommand.write(out, files);
        return "wrote " + String.join(" and ", files.stream().map(f -> out.resolve(f.relative()).toString()).toList()) + "\n";
    }

    /** {@code --param name=true|false}, each flag of the op at most once; the others keep their defaults. */
    private static Map<String, Boolean> flags(String op, Map<String, Boolean> defaults, List<String> given) {
        Map<String, Boolean> flags = new LinkedHashMap<>(defaults);
        List<String> seen = new ArrayList<>();
        for (String p : given) {
            int eq = p.indexOf('=');
            if (eq <= 0) {
                throw new StreamfoldException("compile: --param must be name=true|false for --op " + op + ", got '" + p + "'");
            }
            String name = p.substring(0, eq);
            String value = p.substring(eq + 1);
            if (!defaults.containsKey(name)) {
                throw new StreamfoldException("compile: unknown --param '" + name + "' for " + op + (defaults.isEmpty()
                        ? " (it takes none)" : " (its params: " + String.join(", ", defaults.keySet()) + ")"));
            }
            if (!value.equals("true") && !value.equals("false")) {
                throw new StreamfoldException("compile: --param " + name + " must be true or false, got '" + value + "'");
            }
            if (seen.contains(name)) {
                throw new StreamfoldException("compile: --param " + name + " is given twice");
            }
            seen.add(name);
            flags.put(name, Boolean.parseBoolean(value));
        }
        return flags;
    }

    private static Path outDirectory(String text) {
        Path out = Path.of(text);
        if (text.isEmpty()) {
            throw new StreamfoldException("compile: --out must name a directory, got ''");
        }
        if (text.equals("-")) {
            throw new StreamfoldException("compile: --out - (standard output) is not supported: compile writes a directory"
                    + " of files; name a directory");
        }
        if (java.nio.file.Files.exists(out) && !java.nio.file.Files.isDirectory(out)) {
            throw new StreamfoldException("compile: cannot write --out " + out + ": it exists and is not a directory");
        }
        return out;
    }

    /** The manifest: what was compiled, for which target, and every buffer of the kernel's ABI in order. */
    static String manifest(LinalgKernel spec, String op, Map<String, Boolean> flags, BatchedCompiler.Compiled c,
            Map<String, String> target) {
        StringBuilder b = new StringBuilder("{\n");
        b.append("  \"kernel\": ").append(Json.quote(spec.name())).append(",\n");
        for (Map.Entry<String, String> e : target.entrySet()) {
            b.append("  ").append(Json.quote(e.getKey())).append(": ").append(Json.quote(e.getValue())).append(",\n");
        }
        b.append("  \"op\": ").append(Json.quote(op)).append(",\n");
        b.append("  \"flags\": {");
        int i = 0;
        for (Map.Entry<String, Boolean> e : flags.entrySet()) {
            b.append(i++ == 0 ? "" : ", ").append(Json.quote(e.getKey())).append(": ").append(e.getValue());
        }
        b.append("},\n");
        b.append("  \"shape\": [").append(spec.m()).append(", ").append(spec.n()).append("],\n");
        if (op.equals("triangular_solve")) {
            b.append("  \"rhs\": ").append(spec.rhs()).append(",\n");
        }
        b.append("  \"dtype\": ").append(Json.quote(spec.dtype().longName())).append(",\n");
        b.append("  \"jvp\": ").append(spec.jvp()).append(",\n");
        b.append("  \"abi\": ").append(Json.quote(BatchedKernel.class.getName())).append(",\n");
        b.append("  \"args\": ").append(c.kernel().args().size()).append(",\n");
        b.append("  \"buffers\": [");
        int index = 0;
        for (KBuffer buf : c.kernel().buffers()) {
            String role = switch (buf.role()) {
                case IN -> "in";
                case OUT -> "out";
                case STATE -> "state";
                case PARAM -> "param";
                case SCRATCH -> null;
            };
            if (role == null) {
                continue;
            }
            b.append(index == 0 ? "\n" : ",\n").append("    {\"index\": ").append(index).append(", \"name\": ")
                    .append(Json.quote(buf.name())).append(", \"role\": ").append(Json.quote(role)).append(", \"type\": ")
                    .append(Json.quote(elementType(buf.type()))).append(", \"elements\": ").append(buf.elements());
            Type item = itemType(c, buf.name());
            if (item != null) {
                b.append(", \"shape\": ").append(java.util.Arrays.toString(item.shape().dims()));
            }
            b.append(", \"layout\": ").append(Json.quote(buf.role().batched() ? LAYOUT : "shared by every item of the batch"))
                    .append("}");
            index++;
        }
        b.append(index == 0 ? "]\n" : "\n  ]\n");
        return b.append("}\n").toString();
    }

    private static Type itemType(BatchedCompiler.Compiled c, String name) {
        int i = c.inputs().indexOf(name);
        if (i >= 0) {
            return c.inputTypes().get(i);
        }
        int o = c.outputs().indexOf(name);
        return o >= 0 ? c.outputTypes().get(o) : null;
    }

    private static String elementType(KType t) {
        return switch (t) {
            case F32 -> "float32";
            case F64 -> "float64";
            case I32 -> "int32";
            case I64 -> "int64";
            case BOOL -> throw new IllegalStateException("bool is not a buffer type");
        };
    }
}
