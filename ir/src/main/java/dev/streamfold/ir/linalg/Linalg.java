package dev.streamfold.ir.linalg;

import dev.streamfold.ir.Interpreter;
import dev.streamfold.ir.Jvp;
import dev.streamfold.ir.Program;
import dev.streamfold.ir.ProgramBuilder;
import dev.streamfold.ir.StreamfoldException;
import dev.streamfold.ir.Tensor;
import dev.streamfold.ir.Var;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Dense linear algebra over {@link Tensor}s, read like {@code jax.numpy.linalg}: each call builds a
 * one-op program and runs it in the reference interpreter; {@link #jvp} runs its JVP program. Every
 * function takes matrices {@code [m, n]} or batches {@code [..., m, n]}. Where a result or its
 * derivative does not exist (a singular matrix, repeated eigenvalues, ...) it throws a {@link
 * StreamfoldException} naming the op, the matrix and the reason.
 */
public final class Linalg {
    private Linalg() {}

    /** Outputs by name, in the op's order. */
    public record Outputs(Map<String, Tensor> values) {
        public Outputs {
            values = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(values));
        }

        /** The output called {@code name}. */
        public Tensor get(String name) {
            Tensor t = values.get(name);
            if (t == null) {
                throw new IllegalArgumentException("no output '" + name + "' (outputs: " + String.join(", ", values.keySet()) + ")");
            }
            return t;
        }
    }

    /**
     * Outputs and their tangents by name. An output whose tangent is structurally zero (an integer
     * output, or no input tangent reaches it) has no entry in {@code tangents}.
     */
    public record OutputsAndTangents(Outputs outputs, Map<String, Tensor> tangents) {
        public OutputsAndTangents {
            tangents = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(tangents));
        }

        /** The tangent of output {@code name}; zeros when it is structurally zero. */
        public Tensor tangent(String name) {
            Tensor out = outputs.get(name);
            Tensor t = tangents.get(name);
            return t != null ? t : Tensor.zeros(out.type());
        }
    }

    /** {@code lu}, {@code pivots}, {@code permutation}: partial pivoting, A[permutation] = L U. */
    public static Outputs lu(Tensor a) {
        return apply(LinalgOp.lu(), a);
    }

    /** {@code q}, {@code r}: {@code jnp.linalg.qr(a, mode="complete" if fullMatrices else "reduced")}. */
    public static Outputs qr(Tensor a, boolean fullMatrices) {
        return apply(LinalgOp.qr(fullMatrices), a);
    }

    /** {@code u}, {@code s}, {@code vt}, or {@code s} alone without {@code computeUv}. */
    public static Outputs svd(Tensor a, boolean fullMatrices, boolean computeUv) {
        return apply(LinalgOp.svd(fullMatrices, computeUv), a);
    }

    /** {@code w} ascending and {@code v}, from the lower triangle after symmetrizing (JAX's defaults). */
    public static Outputs eigh(Tensor a) {
        return eigh(a, true, true);
    }

    /** {@code w} ascending and {@code v}, from the {@code lower} (or upper) triangle, symmetrized first when asked. */
    public static Outputs eigh(Tensor a, boolean lower, boolean symmetrizeInput) {
        return apply(LinalgOp.eigh(lower, symmetrizeInput), a);
    }

    /** The lower Cholesky factor of the symmetrized input (JAX's default). */
    public static Tensor cholesky(Tensor a) {
        return cholesky(a, true);
    }

    /** The lower Cholesky factor of {@code (A + A^T) / 2}, or of A's lower triangle without {@code symmetrizeInput}. */
    public static Tensor cholesky(Tensor a, boolean symmetrizeInput) {
        return apply(LinalgOp.cholesky(symmetrizeInput), a).get("l");
    }

    /** X with op(A) X = B ({@code leftSide}) or X op(A) = B, as {@code lax.linalg.triangular_solve}. */
    public static Tensor triangularSolve(Tensor a, Tensor b, boolean leftSide, boolean lower, boolean transposeA,
            boolean unitDiagonal) {
        return apply(LinalgOp.triangularSolve(leftSide, lower, transposeA, unitDiagonal), a, b).get("x");
    }

    /** The outputs of {@code op} at {@code inputs} (A, and B for triangular_solve). */
    public static Outputs apply(LinalgOp op, Tensor... inputs) {
        Program p = program(op, Arrays.asList(inputs));
        return named(op, Interpreter.run(p, Arrays.asList(inputs)));
    }

    /** The outputs of a one-input op and their tangents along {@code da}. */
    public static OutputsAndTangents jvp(LinalgOp op, Tensor a, Tensor da) {
        return jvp(op, List.of(a), Arrays.asList(da));
    }

    /**
     * The outputs of {@code op} and their tangents, through the op's JVP program.
     *
     * @param tangents one per input, of its type; null means zero
     */
    public static OutputsAndTangents jvp(LinalgOp op, List<Tensor> inputs, List<Tensor> tangents) {
        if (tangents.size() != inputs.size()) {
            throw new StreamfoldException(op.name() + ": " + tangents.size() + " tangents for " + inputs.size() + " inputs");
        }
        for (int i = 0; i < inputs.size(); i++) {
            Tensor t = tangents.get(i);
            if (t != null && !t.type().equals(inputs.get(i).type())) {
                throw new StreamfoldException(op.name() + ": the tangent of " + op.inputs().get(i) + " is " + t.type()
                        + ", but " + op.inputs().get(i) + " is " + inputs.get(i).type());
            }
        }
        Program p = program(op, inputs);
        Jvp.Evaluated e;
        try {
            e = Jvp.evaluate(p, inputs, tangents);
        } catch (StreamfoldException ex) {
            // A helper op of the JVP program (a triangular solve with U, say) refused: say whose derivative it was.
            if (ex.getMessage().startsWith(op.name() + ":")) {
                throw ex;
            }
            throw new StreamfoldException(op.name() + ": the derivative does not exist: " + ex.getMessage(), ex);
        }
        Map<String, Tensor> dOut = new LinkedHashMap<>();
        for (int i = 0; i < op.outputs().size(); i++) {
            if (e.tangents().get(i) != null) {
                dOut.put(op.outputs().get(i), e.tangents().get(i));
            }
        }
        return new OutputsAndTangents(named(op, e.outputs()), dOut);
    }

    /** {@code op(inputs...)} as a one-op program; a shape that does not fit is a {@link StreamfoldException}. */
    public static Program program(LinalgOp op, List<Tensor> inputs) {
        if (inputs.size() != op.inputs().size()) {
            throw new StreamfoldException(op.name() + " takes " + op.inputs().size() + " inputs (" + String.join(", ", op.inputs())
                    + "), got " + inputs.size());
        }
        ProgramBuilder b = new ProgramBuilder();
        List<Var> params = new ArrayList<>();
        for (Tensor t : inputs) {
            params.add(b.param(t.type()));
        }
        try {
            op.op().outTypes(params.stream().map(Var::type).toList());
        } catch (IllegalArgumentException e) {
            throw new StreamfoldException(e.getMessage(), e);
        }
        return b.build(b.emit(op.op(), params));
    }

    private static Outputs named(LinalgOp op, List<Tensor> values) {
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (int i = 0; i < values.size(); i++) {
            out.put(op.outputs().get(i), values.get(i));
        }
        return new Outputs(out);
    }
}
