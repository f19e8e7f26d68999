package dev.streamfold.ir;

import java.util.List;

/** {@code pred ? a : b} elementwise; pred is boolean of the same shape. */
public record Select() implements Op {
    @Override
    public String name() {
        return "select";
    }

    @Override
    public List<Type> outTypes(List<Type> ins) {
        Op.arity(this, ins, 3);
        Type p = ins.get(0);
        if (p.dtype() != DType.BOOL || !p.shape().equals(ins.get(1).shape())) {
            throw new IllegalArgumentException("select needs a bool predicate shaped like its operands, got " + p);
        }
        if (!ins.get(1).equals(ins.get(2))) {
            throw new IllegalArgumentException(
                    "select needs operands of one type, got " + ins.get(1) + " and " + ins.get(2));
        }
        return List.of(ins.get(1));
    }

    // d(p ? a : b) = p ? da : db.
    @Override
    public List<Tangent> jvp(Jvp.Emitter b, List<Var> ins, List<Var> outs, List<Tangent> t) {
        return List.of(b.selectTangent(ins.get(0), t.get(1), t.get(2)));
    }
}
