package dev.streamfold.ir.stream;

import dev.streamfold.ir.StreamfoldException;
import dev.streamfold.ir.Tensor;
import dev.streamfold.ir.Type;
import dev.streamfold.ir.Var;
import java.util.List;

/**
 * A lower-triangular linear operator applied one step at a time: {@code y_t} depends on {@code
 * x_0..x_t} only. Each operator states its parameter slots, its state buffers (each shaped like one
 * step's slice, zero at the start) and how one step is emitted into IR. Operators are immutable
 * and infinite: per-step arrays repeat their last entry past their end.
 */
public sealed interface StreamingMatrix
        permits Identity, PrefixSum, Diagonal, MomentumSgd, Compose, ScaleRowsAndColumns, Invertible {

    /** The operator's name in the expression language. */
    String opName();

    /** This operator's own parameter slots (not its operands'). */
    List<Slot> slots();

    /** Operands in the order {@link #emitStep} visits them. */
    List<StreamingMatrix> operands();

    /**
     * Number of this operator's own state buffers (not its operands'), given the types of its own
     * prepared parameter values (where an array's length is structural, e.g. one buffer per entry).
     */
    int stateCount(List<Type> ownParamTypes);

    /**
     * Rows of each of this operator's own state buffers ({@link #stateCount} entries): 1 for a buffer shaped like
     * the slice, more for a ring of past values ({@link dev.streamfold.ir.RingPush}), shaped {@code [rows, slice...]}.
     */
    default List<Integer> stateRows(List<Type> ownParamTypes) {
        return java.util.Collections.nCopies(stateCount(ownParamTypes), 1);
    }

    /**
     * Checks this operator's own bound values (one per slot, already in the slot's canonical shape)
     * and returns them normalized (e.g. reordered); throws {@link StreamfoldException} naming the
     * operator and parameter.
     */
    default List<Tensor> prepare(List<Tensor> values) {
        return values;
    }

    /**
     * The directional derivative of {@link #prepare} at {@code values} (checked, in slot order) in
     * the direction {@code tangents} (one per slot, null where zero); null entries stay zero. The
     * default suits a {@code prepare} that only checks. Throws {@link StreamfoldException} where the
     * derivative is not supported.
     */
    default List<Tensor> prepareTangents(List<Tensor> values, List<Tensor> tangents) {
        return tangents;
    }

    /**
     * Emits one step. {@code params} and {@code state} are this operator's own; operands are emitted
     * through {@link StepEmitter#step}, in {@link #operands()} order.
     */
    StepEmitter.Out emitStep(StepEmitter e, Var x, List<Var> params, List<Var> state);

    /** The expression-language text of this operator. */
    String describe();

    // ---- the Java API, read like the seed's -------------------------------------------------

    /** {@code this @ other}: applies {@code other} first, then this. */
    default StreamingMatrix matmul(StreamingMatrix other) {
        return new Compose(this, other);
    }

    /** {@code this * s} = {@code this @ diagonal([s])}. */
    default StreamingMatrix times(double s) {
        return new Compose(this, new Diagonal(Param.vector(s)));
    }

    /** {@code diag(row) this diag(col)}; either may be null. */
    default StreamingMatrix scaleRowsAndColumns(double[] row, double[] col) {
        return new ScaleRowsAndColumns(
                this, row == null ? null : Param.vector(row), col == null ? null : Param.vector(col));
    }

    /** The dense n x n lower-triangular matrix (literal parameters only). */
    default double[][] materialize(int n) {
        return StreamingEval.materialize(this, Bindings.NONE, n).rows();
    }

    /** Squared norms of the first n rows. */
    default double[] rowNormsSquared(int n) {
        return StreamingEval.rowNormsSquared(this, Bindings.NONE, n).data();
    }

    /** Applies the operator to an n x d array whose rows are steps. */
    default double[][] multiply(double[][] x) {
        return StreamingEval.multiply(this, Bindings.NONE, Tensor.matrix(dev.streamfold.ir.DType.F64, x))
                .rows();
    }
}
