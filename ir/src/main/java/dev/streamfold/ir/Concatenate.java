package dev.streamfold.ir;

import java.util.List;

/** Joins arrays of one type along {@code axis}; the other axes must agree. */
public record Concatenate(int axis) implements Op {
    @Override
    public String name() {
        return "concatenate";
    }

    @Override
    public List<Type> outTypes(List<Type> ins) {
        if (ins.isEmpty()) {
            throw new IllegalArgumentException("concatenate needs at least one input");
        }
        Type first = ins.get(0);
        if (axis < 0 || axis >= first.rank()) {
            throw new IllegalArgumentException("concatenate axis " + axis + " out of range for " + first);
        }
        int total = 0;
        for (Type t : ins) {
            int[] a = t.shape().dims();
            int[] f = first.shape().dims();
            if (t.dtype() != first.dtype() || a.length != f.length) {
                throw new IllegalArgumentException("concatenate of " + first + " and " + t);
            }
            for (int i = 0; i < a.length; i++) {
                if (i != axis && a[i] != f[i]) {
                    throw new IllegalArgumentException("concatenate of " + first + " and " + t + " on axis " + axis);
                }
            }
            total += a[axis];
        }
        int[] out = first.shape().dims();
        out[axis] = total;
        return List.of(first.withShape(new Shape(out)));
    }

    // Linear: zero parts are instantiated only when some part is non-zero.
    @Override
    public List<Tangent> jvp(Jvp.Emitter b, List<Var> ins, List<Var> outs, List<Tangent> t) {
        return b.linear(this, outs, t);
    }

    @Override
    public String attributes() {
        return "axis=" + axis;
    }
}
