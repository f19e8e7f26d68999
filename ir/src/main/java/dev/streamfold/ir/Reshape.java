package dev.streamfold.ir;

import java.util.List;

/** Reinterprets an array in row-major order with another shape of the same size. */
public record Reshape(Shape shape) implements Op {
    @Override
    public String name() {
        return "reshape";
    }

    @Override
    public List<Type> outTypes(List<Type> ins) {
        Op.arity(this, ins, 1);
        if (ins.get(0).shape().size() != shape.size()) {
            throw new IllegalArgumentException("reshape of " + ins.get(0) + " to " + shape + " changes its size");
        }
        return List.of(ins.get(0).withShape(shape));
    }

    // Linear.
    @Override
    public List<Tangent> jvp(Jvp.Emitter b, List<Var> ins, List<Var> outs, List<Tangent> t) {
        return b.linear(this, outs, t);
    }

    @Override
    public String attributes() {
        return shape.toString();
    }
}
