package dev.streamfold.ir.stream;

import dev.streamfold.ir.Type;
import dev.streamfold.ir.Var;
import java.util.List;

/** The running sum: {@code s_t = s_{t-1} + x_t; y_t = s_t} (the all-ones lower triangle). */
public record PrefixSum() implements StreamingMatrix {
    @Override
    public String opName() {
        return "prefix_sum";
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
        return 1;
    }

    @Override
    public StepEmitter.Out emitStep(StepEmitter e, Var x, List<Var> params, List<Var> state) {
        Var s = e.builder().add(state.get(0), x);
        return new StepEmitter.Out(s, List.of(s));
    }

    @Override
    public String describe() {
        return "prefix_sum";
    }
}
