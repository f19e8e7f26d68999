package dev.streamfold.compiler.cli;

import dev.streamfold.compiler.batched.BatchedBackend;
import dev.streamfold.compiler.batched.BatchedJvp;
import dev.streamfold.compiler.batched.LinalgOps;
import dev.streamfold.ir.DType;
import dev.streamfold.ir.Jvp;
import dev.streamfold.ir.Shape;
import dev.streamfold.ir.StreamfoldException;
import dev.streamfold.ir.Tensor;
import dev.streamfold.ir.Type;
import dev.streamfold.ir.linalg.Linalg;
import dev.streamfold.ir.linalg.LinalgOp;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code streamfold jvp --op NAME --input FILE}: one decomposition or solve and its derivative, per
 * the CLI contract. The input is {@code {"params": {...}, "A": ..., "dA": ...}} (plus {@code "B"},
 * {@code "dB"} for triangular_solve); a missing tangent is zero. Params and their defaults follow
 * {@code jax.numpy.linalg} (qr reduced, svd full_matrices=true and compute_uv=true, eigh
 * lower=true and symmetrize_input=true, cholesky symmetrize_input=true) and {@code
 * lax.linalg.triangular_solve} (every flag false).
 */
final class LinalgJvp {
    private LinalgJvp() {}

    static String run(String opName, DType dtype, Path input, BatchedBackend backend) {
        Map<String, Boolean> defaults = LinalgOps.defaults(opName);
        if (defaults == null) {
            throw new StreamfoldException("jvp: unknown --op '" + opName + "' (expected " + String.join(", ", LinalgOps.names()) + ")");
        }
        Json.Located doc = Json.parseLocated(Json.readFile(input, "--input"), input.toString());
        if (!(doc.root() instanceof Map<?, ?> top)) {
            throw new StreamfoldException(doc.whereRoot() + ": expected an object {\"params\": {...}, \"A\": [[...]], \"dA\": [[...]]}");
        }
        boolean solve = opName.equals("triangular_solve");
        List<String> keys = solve ? List.of("params", "A", "dA", "B", "dB") : List.of("params", "A", "dA");
        for (Object k : top.keySet()) {
            if (!keys.contains(k)) {
                throw new StreamfoldException(doc.whereKey(top, (String) k) + ": unknown key \"" + k + "\" (" + opName + " takes \""
                        + String.join("\", \"", keys) + "\")");
            }
        }
        Map<String, Boolean> flags = new LinkedHashMap<>(defaults);
        if (top.containsKey("params")) {
            if (!(top.get("params") instanceof Map<?, ?> given)) {
                throw new StreamfoldException(doc.where(top, "params") + ": \"params\" must be an object, found "
                        + Tensors.describe(top.get("params")));
            }
            for (Object k : given.keySet()) {
                if (!defaults.containsKey(k)) {
                    throw new StreamfoldException(doc.whereKey(given, (String) k) + ": unknown param \"" + k + "\" for " + opName
                            + (defaults.isEmpty() ? " (it takes none)" : " (its params: " + String.join(", ", defaults.keySet()) + ")"));
                }
                if (!(given.get(k) instanceof Boolean v)) {
                    throw new StreamfoldException(doc.where(given, (String) k) + ": param \"" + k + "\" must be true or false, found "
                            + Tensors.describe(given.get(k)));
                }
                flags.put((String) k, v);
            }
        }
        LinalgOp op = LinalgOps.of(opName, flags);
        List<Tensor> inputs = new ArrayList<>();
        List<Tensor> tangents = new ArrayList<>();
        for (String name : op.inputs()) {
            if (!top.containsKey(name)) {
                throw new StreamfoldException(doc.whereRoot() + ": missing \"" + name + "\" (a matrix m x n or a batch x m x n)");
            }
            Type type = matrixType(doc, top, name, dtype);
            inputs.add(Tensors.read(doc, top.get(name), doc.where(top, name), type, "\"" + name + "\""));
            String d = "d" + name;
            tangents.add(top.containsKey(d) ? Tensors.read(doc, top.get(d), doc.where(top, d), type, "\"" + d + "\"") : null);
        }
        try {
            Linalg.program(op, inputs);
        } catch (StreamfoldException e) {
            throw new StreamfoldException(doc.where(top, op.inputs().get(op.inputs().size() - 1)) + ": " + e.getMessage(), e);
        }
        if (backend != null) {
            return JvpCommand.render(op.outputs(), kernelJvp(op, inputs, tangents, backend));
        }
        Linalg.OutputsAndTangents r = Linalg.jvp(op, inputs, tangents);
        List<Tensor> outs = new ArrayList<>();
        List<Tensor> dOuts = new ArrayList<>();
        for (String name : op.outputs()) {
            outs.add(r.outputs().get(name));
            dOuts.add(r.tangents().get(name));
        }
        return JvpCommand.render(op.outputs(), new Jvp.Evaluated(outs, dOuts));
    }

    /** The JVP through a batched kernel: a single matrix is a batch of one. */
    private static Jvp.Evaluated kernelJvp(LinalgOp op, List<Tensor> inputs, List<Tensor> tangents, BatchedBackend backend) {
        boolean single = inputs.get(0).shape().rank() == 2;
        List<Tensor> in = new ArrayList<>();
        List<Tensor> dIn = new ArrayList<>();
        for (int i = 0; i < inputs.size(); i++) {
            in.add(single ? batchOfOne(inputs.get(i)) : inputs.get(i));
            dIn.add(tangents.get(i) == null ? null : single ? batchOfOne(tangents.get(i)) : tangents.get(i));
        }
        Jvp.Evaluated e = BatchedJvp.evaluate(op.name(), Linalg.program(op, in), in, dIn, backend, 1);
        if (!single) {
            return e;
        }
        List<Tensor> outs = new ArrayList<>();
        List<Tensor> dOuts = new ArrayList<>();
        for (int i = 0; i < e.outputs().size(); i++) {
            outs.add(unbatch(e.outputs().get(i)));
            dOuts.add(e.tangents().get(i) == null ? null : unbatch(e.tangents().get(i)));
        }
        return new Jvp.Evaluated(outs, dOuts);
    }

    private static Tensor batchOfOne(Tensor t) {
        return new Tensor(t.dtype(), t.shape().prepend(1), t.raw());
    }

    private static Tensor unbatch(Tensor t) {
        return new Tensor(t.dtype(), t.shape().dropLeading(), t.raw());
    }

    /** The type of input {@code name}: rank 2 or 3, its shape read off the first entry of each level. */
    private static Type matrixType(Json.Located doc, Map<?, ?> top, String name, DType dtype) {
        List<Integer> dims = new ArrayList<>();
        Object v = top.get(name);
        while (v instanceof List<?> l) {
            dims.add(l.size());
            v = l.isEmpty() ? null : l.get(0);
        }
        if (dims.size() != 2 && dims.size() != 3) {
            throw new StreamfoldException(doc.where(top, name) + ": \"" + name + "\" must be a matrix (m x n) or a batch of"
                    + " matrices (batch x m x n), found " + (dims.isEmpty() ? Tensors.describe(top.get(name)) : "an array of rank "
                    + dims.size()));
        }
        return new Type(dtype, new Shape(dims.stream().mapToInt(Integer::intValue).toArray()));
    }
}
