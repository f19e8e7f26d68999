package dev.streamfold.ir;

import java.util.List;

/** Elementwise conversion to another element type (rounding to float32 where it narrows). */
public record Convert(DType to) implements Op {
    @Override
    public String name() {
        return "convert";
    }

    @Override
    public List<Type> outTypes(List<Type> ins) {
        Op.arity(this, ins, 1);
        return List.of(ins.get(0).withDtype(to));
    }

    // Linear between floating types; zero into or out of integers.
    @Override
    public List<Tangent> jvp(Jvp.Emitter b, List<Var> ins, List<Var> outs, List<Tangent> t) {
        Type out = outs.get(0).type();
        if (t.get(0).isZero() || !to.isFloating() || !ins.get(0).type().dtype().isFloating()) {
            return List.of(Tangent.zero(out));
        }
        return List.of(Tangent.of(b.convert(((Tangent.Dense) t.get(0)).value(), to)));
    }

    @Override
    public String attributes() {
        return to.shortName();
    }
}
