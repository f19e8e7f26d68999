package dev.streamfold.ir;

import java.util.Arrays;
import java.util.List;

/** Permutes axes: output axis {@code i} is input axis {@code perm[i]}. */
public record Transpose(int[] perm) implements Op {
    public Transpose {
        perm = perm.clone();
        boolean[] seen = new boolean[perm.length];
        for (int p : perm) {
            if (p < 0 || p >= perm.length || seen[p]) {
                throw new IllegalArgumentException("transpose needs a permutation, got " + Arrays.toString(perm));
            }
            seen[p] = true;
        }
    }

    @Override
    public int[] perm() {
        return perm.clone();
    }

    @Override
    public String name() {
        return "transpose";
    }

    @Override
    public List<Type> outTypes(List<Type> ins) {
        Op.arity(this, ins, 1);
        Shape in = ins.get(0).shape();
        if (in.rank() != perm.length) {
            throw new IllegalArgumentException("transpose " + Arrays.toString(perm) + " of " + ins.get(0));
        }
        int[] out = new int[perm.length];
        for (int i = 0; i < perm.length; i++) {
            out[i] = in.dim(perm[i]);
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
        return Arrays.toString(perm);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Transpose tr && Arrays.equals(perm, tr.perm);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(perm);
    }

    @Override
    public String toString() {
        return "Transpose" + attributes();
    }
}
