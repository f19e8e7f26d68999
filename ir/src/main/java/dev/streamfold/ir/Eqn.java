package dev.streamfold.ir;

import java.util.List;

/** One operation applied to input values, defining output values. */
public record Eqn(List<Var> outs, Op op, List<Var> ins) {
    public Eqn {
        outs = List.copyOf(outs);
        ins = List.copyOf(ins);
        java.util.Objects.requireNonNull(op);
    }
}
