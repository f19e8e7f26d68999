package dev.streamfold.compiler.lower;

import dev.streamfold.ir.Cholesky;
import dev.streamfold.ir.Eqn;
import dev.streamfold.ir.Op;
import dev.streamfold.ir.Lu;
import dev.streamfold.ir.Qr;
import dev.streamfold.ir.Svd;
import dev.streamfold.ir.Eigh;
import dev.streamfold.ir.TriangularSolve;
import java.util.List;

/**
 * Expands the decompositions (lu, triangular_solve, cholesky, qr, eigh, svd) of a program into kernel-level
 * code over the batch axis. The lowering hands every such equation to {@link #expand}.
 */
public final class ExpandLinalg {
    private ExpandLinalg() {}

    /** True for the ops this pass expands. */
    public static boolean expands(Op op) {
        return op instanceof Lu || op instanceof TriangularSolve || op instanceof Cholesky || op instanceof Qr
                || op instanceof Eigh || op instanceof Svd;
    }

    /**
     * Emits code that writes every element of {@code outs} (allocated by the caller, typed and shaped as the
     * equation's outputs without the batch axis) from {@code ins}, flagging failing items through {@code cx}.
     */
    public static void expand(LowerContext cx, Eqn eqn, List<KArray> ins, List<KArray> outs) {
        throw new IllegalStateException("expansion of " + eqn.op().name() + " is being written");
    }
}
