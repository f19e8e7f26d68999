package dev.streamfold.ir;

import java.util.List;

/** An array whose entries equal their index along {@code dimension}. */
public record Iota(Type type, int dimension) implements Op {
    public Iota {
        if (dimension < 0 || dimension >= type.rank()) {
            throw new IllegalArgumentException("iota dimension " + dimension + " out of range for " + type);
        }
    }

    @Override
    public String name() {
        return "iota";
    }

    @Override
    public List<Type> outTypes(List<Type> ins) {
        Op.arity(this, ins, 0);
        return List.of(type);
    }

    @Override
    public List<Tangent> jvp(Jvp.Emitter b, List<Var> ins, List<Var> outs, List<Tangent> t) {
        return List.of(Tangent.zero(type));
    }

    @Override
    public String attributes() {
        return type + " dim=" + dimension;
    }
}
