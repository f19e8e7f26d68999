package dev.streamfold.ir.stream;

import dev.streamfold.ir.Tensor;
import dev.streamfold.ir.Type;
import dev.streamfold.ir.Var;
import java.util.List;

/**
 * The banded lower Toeplitz matrix with first column {@code coef}: {@code y_t = sum_j c_j x_{t-j}}
 * (BandInvMF's noising matrix). State: the last len(c)-1 inputs, laid out as {@link BandedSteps} says.
 */
public record Toeplitz(Param coef) implements Invertible {
    public Toeplitz {
        Literals.check("toeplitz", "coef", ParamKind.VECTOR, coef);
    }

    @Override
    public String opName() {
        return "toeplitz";
    }

    @Override
    public List<Slot> slots() {
        return List.of(new Slot("coef", coef, ParamKind.VECTOR));
    }

    @Override
    public List<StreamingMatrix> operands() {
        return List.of();
    }

    @Override
    public int stateCount(List<Type> ownParamTypes) {
        return BandedSteps.stateCount(ownParamTypes.get(0).shape().dim(0));
    }

    @Override
    public List<Integer> stateRows(List<Type> ownParamTypes) {
        return BandedSteps.stateRows(ownParamTypes.get(0).shape().dim(0));
    }

    @Override
    public List<Tensor> prepareInverse(List<Tensor> values) {
        BandedSteps.checkLeading(opName(), " to invert the matrix", values.get(0));
        return values;
    }

    @Override
    public StepEmitter.Out emitStep(StepEmitter e, Var x, List<Var> params, List<Var> state) {
        return BandedSteps.forward(e, x, params.get(0), null, state);
    }

    @Override
    public StepEmitter.Out emitInverseStep(StepEmitter e, Var y, List<Var> params, List<Var> state) {
        return BandedSteps.solve(e, y, params.get(0), null, state);
    }

    @Override
    public String describe() {
        return "toeplitz(coef=" + coef + ")";
    }
}
