package dev.streamfold.ir;

import java.util.Arrays;
import java.util.List;

/**
 * Broadcasts an operand into {@code shape}: operand axis {@code i} becomes output axis {@code
 * dims[i]} and has the same size or size 1; other output axes repeat it.
 */
public record Broadcast(Shape shape, int[] dims) implements Op {
    public Broadcast {
        dims = dims.clone();
    }

    /** Broadcasts a scalar to {@code shape}. */
    public static Broadcast scalarTo(Shape shape) {
        return new Broadcast(shape, new int[0]);
    }

    @Override
    public int[] dims() {
        return dims.clone();
    }

    @Override
    public String name() {
        return "broadcast";
    }

    @Override
    public List<Type> outTypes(List<Type> ins) {
        Op.arity(this, ins, 1);
        Shape in = ins.get(0).shape();
        if (in.rank() != dims.length) {
            throw new IllegalArgumentException("broadcast of " + ins.get(0) + " needs " + in.rank() + " dims, got "
                    + Arrays.toString(dims));
        }
        int prev = -1;
        for (int i = 0; i < dims.length; i++) {
            int d = dims[i];
            if (d <= prev || d >= shape.rank() || (in.dim(i) != 1 && in.dim(i) != shape.dim(d))) {
                throw new IllegalArgumentException(
                        "broadcast of " + ins.get(0) + " to " + shape + " with dims " + Arrays.toString(dims));
            }
            prev = d;
        }
        return List.of(new Type(ins.get(0).dtype(), shape));
    }

    // Linear.
    @Override
    public List<Tangent> jvp(Jvp.Emitter b, List<Var> ins, List<Var> outs, List<Tangent> t) {
        return b.linear(this, outs, t);
    }

    @Override
    public String attributes() {
        return "shape=" + shape + " dims=" + Arrays.toString(dims);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Broadcast b && shape.equals(b.shape) && Arrays.equals(dims, b.dims);
    }

    @Override
    public int hashCode() {
        return shape.hashCode() * 31 + Arrays.hashCode(dims);
    }

    @Override
    public String toString() {
        return "Broadcast[" + attributes() + "]";
    }
}
