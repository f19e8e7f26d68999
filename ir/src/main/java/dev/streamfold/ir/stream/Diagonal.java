package dev.streamfold.ir.stream;

import dev.streamfold.ir.Type;
import dev.streamfold.ir.Var;
import java.util.List;

/** A diagonal matrix: {@code y_t = d[clip t] x_t}. */
public record Diagonal(Param d) implements StreamingMatrix {
    public Diagonal {
        Literals.check("diagonal", "d", ParamKind.VECTOR, d);
    }

    @Override
    public String opName() {
        return "diagonal";
    }

    @Override
    public List<Slot> slots() {
        return List.of(new Slot("d", d, ParamKind.VECTOR));
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
        return new StepEmitter.Out(e.builder().mul(e.perStep(params.get(0)), x), List.of());
    }

    @Override
    public String describe() {
        return "diagonal(" + d + ")";
    }
}
