package dev.streamfold.ir.stream;

import dev.streamfold.ir.Type;
import dev.streamfold.ir.Var;
import java.util.List;

/** The product {@code outer @ inner}: each step runs {@code inner} then {@code outer}. */
public record Compose(StreamingMatrix outer, StreamingMatrix inner) implements StreamingMatrix {
    public Compose {
        java.util.Objects.requireNonNull(outer);
        java.util.Objects.requireNonNull(inner);
    }

    @Override
    public String opName() {
        return "@";
    }

    @Override
    public List<Slot> slots() {
        return List.of();
    }

    @Override
    public List<StreamingMatrix> operands() {
        return List.of(inner, outer);
    }

    @Override
    public int stateCount(List<Type> ownParamTypes) {
        return 0;
    }

    @Override
    public StepEmitter.Out emitStep(StepEmitter e, Var x, List<Var> params, List<Var> state) {
        Var z = e.step(inner, x);
        return new StepEmitter.Out(e.step(outer, z), List.of());
    }

    @Override
    public String describe() {
        return "(" + outer.describe() + " @ " + inner.describe() + ")";
    }
}
