package dev.streamfold.ir;

import java.util.Arrays;
import java.util.List;

/** The block {@code [start, limit)} of every axis (unit stride). */
public record Slice(int[] start, int[] limit) implements Op {
    public Slice {
        start = start.clone();
        limit = limit.clone();
    }

    @Override
    public int[] start() {
        return start.clone();
    }

    @Override
    public int[] limit() {
        return limit.clone();
    }

    @Override
    public String name() {
        return "slice";
    }

    @Override
    public List<Type> outTypes(List<Type> ins) {
        Op.arity(this, ins, 1);
        Shape in = ins.get(0).shape();
        if (start.length != in.rank() || limit.length != in.rank()) {
            throw new IllegalArgumentException("slice " + attributes() + " of " + ins.get(0));
        }
        int[] out = new int[in.rank()];
        for (int i = 0; i < out.length; i++) {
            if (start[i] < 0 || limit[i] < start[i] || limit[i] > in.dim(i)) {
                throw new IllegalArgumentException("slice " + attributes() + " out of bounds of " + ins.get(0));
            }
            out[i] = limit[i] - start[i];
        }
        return List.of(ins.get(0).withShape(new Shape(out)));
    }

    // Linear.
    @Override
    public List<Tangent> jvp(Jvp.Emitter b, List<Var> ins, List<Var> outs, List<Tangent> t) {
        return b.linear(this, outs, t);
    }

    @Override
    public String attributes() {
        return "start=" + Arrays.toString(start) + " limit=" + Arrays.toString(limit);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Slice s && Arrays.equals(start, s.start) && Arrays.equals(limit, s.limit);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(start) * 31 + Arrays.hashCode(limit);
    }

    @Override
    public String toString() {
        return "Slice[" + attributes() + "]";
    }
}
