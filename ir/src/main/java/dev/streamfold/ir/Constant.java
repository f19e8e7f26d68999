package dev.streamfold.ir;

import java.util.List;

/** A literal array. */
public record Constant(Tensor value) implements Op {
    public Constant {
        java.util.Objects.requireNonNull(value);
    }

    @Override
    public String name() {
        return "constant";
    }

    @Override
    public List<Type> outTypes(List<Type> ins) {
        Op.arity(this, ins, 0);
        return List.of(value.type());
    }

    // d(const) = 0.
    @Override
    public List<Tangent> jvp(Jvp.Emitter b, List<Var> ins, List<Var> outs, List<Tangent> t) {
        return List.of(Tangent.zero(outs.get(0).type()));
    }

    @Override
    public String attributes() {
        return value.size() <= 8 ? value.toString() : "<" + value.type() + ">";
    }
}
