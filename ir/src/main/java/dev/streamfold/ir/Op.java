package dev.streamfold.ir;

import java.util.List;

/**
 * An IR operation: a record holding only its static parameters. Each op states, in its own file,
 * its shape rule ({@link #outTypes}) and its forward-mode derivative ({@link #jvp}). Passes and
 * backends switch over this sealed type without a {@code default}, so a new op breaks the build
 * wherever it must be handled.
 */
public sealed interface Op
        permits Constant,
                Unary,
                Binary,
                Compare,
                Select,
                Convert,
                Broadcast,
                Reshape,
                Reduce,
                TakeClipped,
                RingDot,
                RingPush,
                Iota,
                Transpose,
                MatMul,
                Slice,
                Concatenate,
                Scan,
                GatherRows,
                Triangle,
                DiagPart,
                DiagEmbed,
                TriangularSolve,
                Cholesky,
                Lu,
                Qr,
                Svd,
                Eigh,
                DerivativeGuard {

    /** The op's name as printed, e.g. {@code mul}. */
    String name();

    /**
     * The shape rule: output types for the given input types.
     *
     * @throws IllegalArgumentException naming the op and the offending input when they do not fit
     */
    List<Type> outTypes(List<Type> ins);

    /**
     * The forward-mode rule: tangents of the outputs given tangents of the inputs. Primal inputs and
     * outputs are already defined in {@code b}; symbolic zeros stay {@link Tangent.Zero}.
     */
    List<Tangent> jvp(Jvp.Emitter b, List<Var> ins, List<Var> outs, List<Tangent> tangents);

    /** Parameters printed after the op name, e.g. {@code axes=[0]}; empty when none. */
    default String attributes() {
        return "";
    }

    /** Checks the input count; a helper for shape rules. */
    static void arity(Op op, List<Type> ins, int n) {
        if (ins.size() != n) {
            throw new IllegalArgumentException(op.name() + " takes " + n + " inputs, got " + ins.size());
        }
    }
}
