package dev.streamfold.ir.stream;

import dev.streamfold.ir.Compare;
import dev.streamfold.ir.DType;
import dev.streamfold.ir.Interpreter;
import dev.streamfold.ir.Jvp;
import dev.streamfold.ir.Program;
import dev.streamfold.ir.ProgramBuilder;
import dev.streamfold.ir.Shape;
import dev.streamfold.ir.StreamfoldException;
import dev.streamfold.ir.Tensor;
import dev.streamfold.ir.Type;
import dev.streamfold.ir.Unary;
import dev.streamfold.ir.Var;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Whole-sequence computations of a streaming matrix as IR programs (a scan of its step), run by the
 * reference interpreter: {@code multiply}, {@code materialize}, {@code row_norms_squared}, and their
 * derivatives with respect to named parameters.
 */
public final class StreamingEval {
    private StreamingEval() {}

    /** What to compute. */
    public enum Query {
        MULTIPLY, MATERIALIZE, ROW_NORMS_SQUARED
    }

    /**
     * The program of a query. Parameters: the bound parameter values, then (for MULTIPLY) the input
     * {@code x} of shape {@code [n, slice...]}. One result.
     */
    public static Program program(StreamingMatrix m, List<Type> paramTypes, Query q, int n, Shape slice, DType dtype) {
        ProgramBuilder b = new ProgramBuilder();
        List<Var> params = new ArrayList<>();
        for (Type t : paramTypes) {
            params.add(b.param(t));
        }
        Shape sliceShape = q == Query.MULTIPLY ? slice : new Shape(n);
        Type sliceType = new Type(dtype, sliceShape);
        Var x;
        if (q == Query.MULTIPLY) {
            x = b.param(new Type(dtype, slice.prepend(n)));
        } else {
            Type sq = Type.of(DType.I32, n, n);
            Var eq = b.compare(Compare.Kind.EQ, b.iota(sq, 0), b.iota(sq, 1));
            Type f = Type.of(dtype, n, n);
            x = b.select(eq, b.full(f, 1.0), b.full(f, 0.0));
        }
        StepProgram step = StepProgram.build(m, paramTypes, sliceType);
        List<Var> init = new ArrayList<>();
        for (int i = 0; i < step.numState(); i++) {
            init.add(b.full(step.program().params().get(step.numParams() + i).type(), 0.0));
        }
        Var t = b.iota(Type.of(DType.I32, n), 0);
        List<Var> outs = b.scan(step.program(), n, params, init, List.of(t, x), false);
        Var y = outs.get(outs.size() - 1);
        if (q == Query.ROW_NORMS_SQUARED) {
            y = b.reduce(dev.streamfold.ir.Reduce.Kind.SUM, b.unary(Unary.Kind.SQUARE, y), 1);
        }
        return b.build(y);
    }

    /** {@code A x} for x of shape {@code [n, slice...]} (rows are steps), in float64. */
    public static Tensor multiply(StreamingMatrix m, Bindings bindings, Tensor x) {
        return run(m, bindings, Query.MULTIPLY, x, 0, DType.F64);
    }

    /** Applies {@code m} to each leaf (rows are steps), every leaf with its own state. */
    public static List<Tensor> multiplyLeaves(StreamingMatrix m, Bindings bindings, List<Tensor> leaves) {
        List<Tensor> out = new ArrayList<>();
        for (Tensor leaf : leaves) {
            out.add(multiply(m, bindings, leaf));
        }
        return out;
    }

    /** The dense n x n matrix. */
    public static Tensor materialize(StreamingMatrix m, Bindings bindings, int n) {
        return run(m, bindings, Query.MATERIALIZE, null, n, DType.F64);
    }

    /** Squared norms of the first n rows. */
    public static Tensor rowNormsSquared(StreamingMatrix m, Bindings bindings, int n) {
        return run(m, bindings, Query.ROW_NORMS_SQUARED, null, n, DType.F64);
    }

    /** Runs a query in the interpreter, in {@code dtype} (x is rounded to it). */
    public static Tensor run(StreamingMatrix m, Bindings bindings, Query q, Tensor x, int n, DType dtype) {
        List<Tensor> values = ParamLayout.of(m).bind(m, bindings, dtype);
        return Interpreter.run(programFor(m, values, q, x, n, dtype), args(values, x, dtype)).get(0);
    }

    /** A query's value and its directional derivative. */
    public record WithTangent(Tensor value, Tensor tangent) {}

    /**
     * A query and its derivative in the direction that moves each named parameter in {@code
     * tangents} by the given array (parameters not named there stay fixed).
     */
    public static WithTangent runJvp(StreamingMatrix m, Bindings bindings, Map<String, Tensor> tangents, Query q,
            Tensor x, int n, DType dtype) {
        ParamLayout layout = ParamLayout.of(m);
        for (String name : tangents.keySet()) {
            if (!layout.names().contains(name)) {
                throw new StreamfoldException("tangent for unknown parameter $" + name
                        + (layout.names().isEmpty() ? ": the expression has no named parameters" : ""));
            }
        }
        List<Tensor> values = layout.bind(m, bindings, dtype);
        Program p = programFor(m, values, q, x, n, dtype);
        boolean[] nz = new boolean[p.params().size()];
        List<Tensor> tan = new ArrayList<>();
        List<Tensor> prepared = layout.bindTangents(m, bindings, tangents, dtype);
        for (int i = 0; i < prepared.size(); i++) {
            if (prepared.get(i) != null) {
                nz[i] = true;
                tan.add(prepared.get(i));
            }
        }
        boolean[] force = {true};
        Jvp.Result r = Jvp.transform(p, nz, force);
        List<Tensor> a = new ArrayList<>(args(values, x, dtype));
        a.addAll(tan);
        List<Tensor> out = Interpreter.run(r.program(), a);
        return new WithTangent(out.get(0), out.get(1));
    }

    private static Program programFor(StreamingMatrix m, List<Tensor> values, Query q, Tensor x, int n, DType dtype) {
        List<Type> types = ParamLayout.types(values);
        if (q == Query.MULTIPLY) {
            if (x.shape().rank() < 1) {
                throw new StreamfoldException("input must have a leading step axis, got shape " + x.shape());
            }
            return program(m, types, q, x.shape().dim(0), x.shape().dropLeading(), dtype);
        }
        if (n < 0) {
            throw new StreamfoldException("size must be >= 0, got " + n);
        }
        return program(m, types, q, n, null, dtype);
    }

    private static List<Tensor> args(List<Tensor> values, Tensor x, DType dtype) {
        List<Tensor> a = new ArrayList<>(values);
        if (x != null) {
            a.add(x.astype(dtype));
        }
        return a;
    }
}
