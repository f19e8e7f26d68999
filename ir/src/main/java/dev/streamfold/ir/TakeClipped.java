package dev.streamfold.ir;

import java.util.List;

/**
 * {@code a[clamp(i, 0, len-1)]}: the leading-axis entry of {@code a} at a scalar int32 index, where
 * indices past the end repeat the last entry (streaming matrices' clip indexing).
 */
public record TakeClipped() implements Op {
    @Override
    public String name() {
        return "take_clipped";
    }

    @Override
    public List<Type> outTypes(List<Type> ins) {
        Op.arity(this, ins, 2);
        Type a = ins.get(0);
        Type i = ins.get(1);
        if (a.rank() < 1 || a.shape().dim(0) < 1) {
            throw new IllegalArgumentException("take_clipped needs a non-empty array, got " + a);
        }
        if (!i.equals(Type.scalar(DType.I32))) {
            throw new IllegalArgumentException("take_clipped needs an i32[] index, got " + i);
        }
        return List.of(a.withShape(a.shape().dropLeading()));
    }

    // Linear in the array; the index has no tangent.
    @Override
    public List<Tangent> jvp(Jvp.Emitter b, List<Var> ins, List<Var> outs, List<Tangent> t) {
        if (t.get(0).isZero()) {
            return List.of(Tangent.zero(outs.get(0).type()));
        }
        return List.of(Tangent.of(b.takeClipped(((Tangent.Dense) t.get(0)).value(), ins.get(1))));
    }
}
