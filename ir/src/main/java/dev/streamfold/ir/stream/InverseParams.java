package dev.streamfold.ir.stream;

import dev.streamfold.ir.DType;
import dev.streamfold.ir.StreamfoldException;
import dev.streamfold.ir.Tensor;
import dev.streamfold.ir.Type;
import dev.streamfold.ir.Var;
import java.util.List;

/**
 * {@code inverse_params(blt(...))}: the BLT whose matrix is the inverse of its operand's, with
 * parameters computed in closed form ({@link BltClosedForm}) when bound, so it streams forward as a
 * BLT with the same number of buffers. The operand is a {@code blt} or another {@code
 * inverse_params}.
 */
public record InverseParams(Invertible of) implements Invertible {
    public InverseParams {
        java.util.Objects.requireNonNull(of);
        if (!(of instanceof Blt || of instanceof InverseParams)) {
            throw new StreamfoldException("inverse_params is defined for blt and inverse_params(...), got " + of.opName());
        }
        List<Tensor> literal = Literals.values(of);
        if (literal != null) {
            closedForm(of, literal);
        }
    }

    @Override
    public String opName() {
        return "inverse_params";
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
        return closedForm(of, values);
    }

    private static List<Tensor> closedForm(Invertible of, List<Tensor> values) {
        List<Tensor> p = of.prepare(values);
        BltClosedForm.Params inv = BltClosedForm.inverse("inverse_params", p.get(0).raw(), p.get(1).raw());
        return List.of(Tensor.vector(DType.F64, inv.bufDecay()), Tensor.vector(DType.F64, inv.outputScale()));
    }

    @Override
    public List<Tensor> prepareTangents(List<Tensor> values, List<Tensor> tangents) {
        throw new StreamfoldException("inverse_params: derivatives with respect to its parameters are not supported");
    }

    @Override
    public StepEmitter.Out emitStep(StepEmitter e, Var x, List<Var> params, List<Var> state) {
        return Blt.forwardStep(e, x, params.get(0), params.get(1), state);
    }

    @Override
    public StepEmitter.Out emitInverseStep(StepEmitter e, Var y, List<Var> params, List<Var> state) {
        return Blt.inverseStep(e, y, params.get(0), params.get(1), state);
    }

    @Override
    public String describe() {
        return "inverse_params(" + of.describe() + ")";
    }
}
