package dev.streamfold.ir.stream;

import dev.streamfold.ir.Type;
import dev.streamfold.ir.Var;
import java.util.ArrayList;
import java.util.List;

/** {@code diag(row) A diag(col)}, both clip-indexed; either scale may be absent (null). */
public record ScaleRowsAndColumns(StreamingMatrix a, Param row, Param col) implements StreamingMatrix {
    public ScaleRowsAndColumns {
        java.util.Objects.requireNonNull(a);
        Literals.check("scale_rows_and_columns", "row", ParamKind.VECTOR, row);
        Literals.check("scale_rows_and_columns", "col", ParamKind.VECTOR, col);
    }

    @Override
    public String opName() {
        return "scale_rows_and_columns";
    }

    @Override
    public List<Slot> slots() {
        List<Slot> s = new ArrayList<>();
        if (row != null) {
            s.add(new Slot("row", row, ParamKind.VECTOR));
        }
        if (col != null) {
            s.add(new Slot("col", col, ParamKind.VECTOR));
        }
        return s;
    }

    @Override
    public List<StreamingMatrix> operands() {
        return List.of(a);
    }

    @Override
    public int stateCount(List<Type> ownParamTypes) {
        return 0;
    }

    @Override
    public StepEmitter.Out emitStep(StepEmitter e, Var x, List<Var> params, List<Var> state) {
        int i = 0;
        Var r = row != null ? params.get(i++) : null;
        Var c = col != null ? params.get(i) : null;
        Var in = c == null ? x : e.builder().mul(e.perStep(c), x);
        Var y = e.step(a, in);
        return new StepEmitter.Out(r == null ? y : e.builder().mul(e.perStep(r), y), List.of());
    }

    @Override
    public String describe() {
        return "scale_rows_and_columns(" + a.describe() + (row != null ? ", row=" + row : "")
                + (col != null ? ", col=" + col : "") + ")";
    }
}
