package dev.streamfold.ir.stream;

import dev.streamfold.ir.Type;
import dev.streamfold.ir.Var;
import java.util.List;

/** The identity: {@code y_t = x_t}. */
public record Identity() implements StreamingMatrix {
    @Override
    public String opName() {
        return "identity";
    }

    @Override
    public List<Slot> slots() {
        return List.of();
    }

    @Override
    public List<StreamingMatrix> operands() {
        return List.of();
    }

    @Override
    public int stateCount(List<Type> ownParamTypes) {
        return 0;
    }

    @Override
    public StepEmitter.Out emitStep(StepEmitter e, Var x, List<Var> params, List<Var> state) {
        return new StepEmitter.Out(x, List.of());
    }

    @Override
    public String describe() {
        return "identity";
    }
}
