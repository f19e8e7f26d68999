package dev.streamfold.ir.stream;

import dev.streamfold.ir.StreamfoldException;
import dev.streamfold.ir.Tensor;
import dev.streamfold.ir.Type;
import dev.streamfold.ir.Var;
import java.util.List;

/**
 * {@code inverse(m)}: streams {@code m^-1} by forward substitution with m's own parameters and as
 * many state buffers as m; its own inverse is m again.
 */
public record Inverse(Invertible of) implements Invertible {
    public Inverse {
        java.util.Objects.requireNonNull(of);
        List<Tensor> literal = Literals.values(of);
        if (literal != null) {
            of.prepareInverse(literal);
        }
    }

    /** {@code inverse(m)}, or a clear error when m's inverse does not stream. */
    public static Inverse of(StreamingMatrix m) {
        if (m instanceof Invertible i) {
            return new Inverse(i);
        }
        throw new StreamfoldException("inverse is defined for " + Invertible.SUPPORTED + ", got " + m.opName());
    }

    @Override
    public String opName() {
        return "inverse";
    }

    @Override
    public List<Slot> slots() {
        return of.slots();
    }

    @Override
    public List<StreamingMatrix> operands() {
        return List.of();
    }

    @Override
    public int stateCount(List<Type> ownParamTypes) {
        return of.stateCount(ownParamTypes);
    }

    @Override
    public List<Integer> stateRows(List<Type> ownParamTypes) {
        return of.stateRows(ownParamTypes);
    }

    @Override
    public List<Tensor> prepare(List<Tensor> values) {
        return of.prepareInverse(values);
    }

    @Override
    public List<Tensor> prepareInverse(List<Tensor> values) {
        return of.prepare(values);
    }

    @Override
    public List<Tensor> prepareTangents(List<Tensor> values, List<Tensor> tangents) {
        return of.prepareTangents(values, tangents);
    }

    @Override
    public StepEmitter.Out emitStep(StepEmitter e, Var x, List<Var> params, List<Var> state) {
        return of.emitInverseStep(e, x, params, state);
    }

    @Override
    public StepEmitter.Out emitInverseStep(StepEmitter e, Var y, List<Var> params, List<Var> state) {
        return of.emitStep(e, y, params, state);
    }

    @Override
    public String describe() {
        return "inverse(" + of.describe() + ")";
    }
}
