package dev.streamfold.compiler.cli;

import dev.streamfold.compiler.KernelEval;
import dev.streamfold.compiler.NativeBackend;
import dev.streamfold.compiler.lower.StepKir;
import dev.streamfold.compiler.vector.VectorKernels;
import dev.streamfold.ir.DType;
import dev.streamfold.ir.Shape;
import dev.streamfold.ir.StreamfoldException;
import dev.streamfold.ir.Tensor;
import dev.streamfold.ir.expr.ExprException;
import dev.streamfold.ir.expr.MatrixBinder;
import dev.streamfold.ir.stream.Bindings;
import dev.streamfold.ir.stream.ParamLayout;
import dev.streamfold.ir.stream.StreamingEval.Query;
import dev.streamfold.ir.stream.StreamingEval;
import dev.streamfold.ir.stream.StreamingMatrix;
import dev.streamfold.runtime.StreamingRunner;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** {@code streamfold eval}: evaluates an expression per the CLI contract and prints one JSON object. */
final class EvalCommand {
    /**
     * Largest N of {@code --materialize N} and {@code --row-norms N}: both compute the N x N matrix,
     * whose N^2 entries must fit one Java array.
     */
    static final int MAX_MATERIALIZE = 46340;

    private EvalCommand() {}

    static String run(String[] argv) {
        Args a = new Args("eval", argv, 1,
                Set.of("--expr", "--backend", "--dtype", "--input", "--materialize", "--row-norms", "--threads"),
                Set.of("--param", "--tangent"), Set.of());
        StreamingMatrix m = matrix(a.require("--expr"));
        String backend = a.get("--backend", "vector");
        DType dtype = DType.parseFloating(a.get("--dtype", "float64"));
        int threads = a.intValue("--threads", 1, 1, StreamingRunner.MAX_THREADS);
        Bindings bindings = values("--param", a.all("--param"));
        Map<String, Tensor> tangents = values("--tangent", a.all("--tangent")).values();
        switch (backend) {
            case "interpreter", "vector", "llvm", "cuda" -> {}
            default -> throw new StreamfoldException("unknown backend '" + backend + "' (expected interpreter, vector, llvm or cuda)");
        }
        Tensor x = a.get("--input") == null ? null : readInput(Path.of(a.get("--input")));
        int nMat = a.intValue("--materialize", -1, 0, MAX_MATERIALIZE);
        int nNorm = a.intValue("--row-norms", -1, 0, MAX_MATERIALIZE);
        if (x == null && nMat < 0 && nNorm < 0) {
            throw new StreamfoldException("eval: nothing to compute: give --input FILE, --materialize N or --row-norms N");
        }
        Map<String, String> out = new LinkedHashMap<>();
        boolean f32 = dtype == DType.F32;
        record Job(String key, Query q, Tensor x, int n) {}
        List<Job> jobs = new ArrayList<>();
        if (x != null) {
            jobs.add(new Job("Ax", Query.MULTIPLY, x, 0));
        }
        if (nMat >= 0) {
            jobs.add(new Job("materialized", Query.MATERIALIZE, null, nMat));
        }
        if (nNorm >= 0) {
            jobs.add(new Job("row_norms_squared", Query.ROW_NORMS_SQUARED, null, nNorm));
        }
        for (Job j : jobs) {
            Tensor v = switch (backend) {
                case "interpreter" -> StreamingEval.run(m, bindings, j.q(), j.x(), j.n(), dtype);
                case "llvm" -> KernelEval.run(NativeBackend.require("--backend llvm").hostKernels(), m, bindings, j.q(), j.x(), j.n(), dtype, threads);
                case "cuda" -> cuda(m, bindings, j.q(), j.x(), j.n(), dtype);
                default -> KernelEval.run(m, bindings, j.q(), j.x(), j.n(), dtype, threads);
            };
            out.put(j.key(), render(j.key(), v, f32));
            if (!tangents.isEmpty()) {
                // Derivatives run through the JVP of the step program, in the interpreter.
                StreamingEval.WithTangent wt = StreamingEval.runJvp(m, bindings, tangents, j.q(), j.x(), j.n(), dtype);
                out.put(j.key() + "_dot", render(j.key() + "_dot", wt.tangent(), f32));
            }
        }
        StringBuilder b = new StringBuilder("{");
        boolean first = true;
        for (var e : out.entrySet()) {
            b.append(first ? "" : ", ").append(Json.quote(e.getKey())).append(": ").append(e.getValue());
            first = false;
        }
        return b.append("}\n").toString();
    }

    /** A query on the GPU: the whole-scan PTX kernel of {@code m}. */
    static Tensor cuda(StreamingMatrix m, Bindings bindings, Query q, Tensor x, int n, DType dtype) {
        List<Tensor> values = ParamLayout.of(m).bind(m, bindings, dtype);
        StepKir k = VectorKernels.lowerKir(m, values, dtype);
        double[][] p = new double[values.size()][];
        for (int i = 0; i < p.length; i++) {
            p[i] = values.get(i).data();
        }
        NativeBackend cuda = NativeBackend.require("--backend cuda");
        return switch (q) {
            case MULTIPLY -> cuda.cudaMultiply(k, m.describe(), p, x, dtype);
            case MATERIALIZE -> cuda.cudaMultiply(k, m.describe(), p, KernelEval.eye(n, dtype), dtype);
            case ROW_NORMS_SQUARED -> KernelEval.rowNormsSquared(
                    cuda.cudaMultiply(k, m.describe(), p, KernelEval.eye(n, dtype), dtype), dtype);
        };
    }

    static StreamingMatrix matrix(String expr) {
        try {
            return MatrixBinder.parse(expr);
        } catch (ExprException e) {
            throw new StreamfoldException(e.getMessage());
        }
    }

    /** {@code NAME=VALUE} pairs (VALUE a number or an array literal) as bindings. */
    static Bindings values(String option, List<String> pairs) {
        Bindings b = Bindings.NONE;
        for (String p : pairs) {
            int eq = p.indexOf('=');
            if (eq <= 0) {
                throw new StreamfoldException(option + " " + p + ": expected NAME=VALUE");
            }
            String name = p.substring(0, eq).trim();
            if (name.startsWith("$")) {
                name = name.substring(1);
            }
            if (b.get(name) != null) {
                throw new StreamfoldException(option + " " + name + " is given twice");
            }
            try {
                b = b.with(name, MatrixBinder.parseValue(p.substring(eq + 1)));
            } catch (ExprException e) {
                throw new StreamfoldException(option + " " + name + ": " + e.getMessage());
            }
        }
        return b;
    }

    static Tensor readInput(Path p) {
        Object v = Json.parse(Json.readFile(p, "--input"), p.toString());
        if (!(v instanceof List<?> rows) || rows.isEmpty()) {
            throw new StreamfoldException("--input " + p + ": expected a non-empty JSON array of rows (n x d)");
        }
        int d = -1;
        double[] data = null;
        for (int i = 0; i < rows.size(); i++) {
            if (!(rows.get(i) instanceof List<?> row)) {
                throw new StreamfoldException("--input " + p + ": row " + i + " is not an array (expected n x d)");
            }
            if (d < 0) {
                d = row.size();
                if (d == 0) {
                    throw new StreamfoldException("--input " + p + ": rows are empty (expected n x d with d >= 1)");
                }
                data = new double[rows.size() * d];
            } else if (row.size() != d) {
                throw new StreamfoldException("--input " + p + ": row " + i + " has " + row.size() + " values, row 0 has " + d);
            }
            for (int j = 0; j < d; j++) {
                if (!(row.get(j) instanceof Double num)) {
                    throw new StreamfoldException("--input " + p + ": element [" + i + "][" + j + "] is not a number");
                }
                data[i * d + j] = num;
            }
        }
        return new Tensor(DType.F64, new Shape(rows.size(), d), data);
    }

    /** A tensor as nested JSON arrays; a non-finite entry is an error naming it. */
    static String render(String key, Tensor t, boolean f32) {
        double[] d = t.raw();
        for (int i = 0; i < d.length; i++) {
            if (!Double.isFinite(d[i])) {
                throw new StreamfoldException(key + ": entry " + Tensors.index(t.shape().dims(), i) + " is " + d[i]
                        + " (the values overflow " + (f32 ? "float32" : "float64") + ")");
            }
        }
        StringBuilder b = new StringBuilder();
        int[] dims = t.shape().dims();
        if (dims.length == 1) {
            b.append('[');
            for (int i = 0; i < d.length; i++) {
                if (i > 0) {
                    b.append(", ");
                }
                Json.number(b, d[i], f32);
            }
            return b.append(']').toString();
        }
        int n = dims[0];
        int w = n == 0 ? 0 : d.length / n;
        b.append('[');
        for (int i = 0; i < n; i++) {
            b.append(i > 0 ? ", [" : "[");
            for (int j = 0; j < w; j++) {
                if (j > 0) {
                    b.append(", ");
                }
                Json.number(b, d[i * w + j], f32);
            }
            b.append(']');
        }
        return b.append(']').toString();
    }
}
