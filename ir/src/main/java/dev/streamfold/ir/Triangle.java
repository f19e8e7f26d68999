package dev.streamfold.ir;

import java.util.List;

/**
 * The lower or upper triangle of a batch of matrices {@code [..., m, n]}, other entries zero: with
 * {@code lower}, entry {@code (i, j)} is kept when {@code j - i <= offset} (numpy's {@code tril(x,
 * offset)}); otherwise when {@code j - i >= offset} ({@code triu(x, offset)}).
 */
public record Triangle(boolean lower, int offset) implements Op {
    @Override
    public String name() {
        return "triangle";
    }

    @Override
    public List<Type> outTypes(List<Type> ins) {
        Op.arity(this, ins, 1);
        if (ins.get(0).rank() < 2) {
            throw new IllegalArgumentException("triangle needs an array of rank >= 2, got " + ins.get(0));
        }
        return List.of(ins.get(0));
    }

    /** Whether entry {@code (i, j)} is kept. */
    public boolean keeps(int i, int j) {
        return lower ? j - i <= offset : j - i >= offset;
    }

    // Linear.
    @Override
    public List<Tangent> jvp(Jvp.Emitter b, List<Var> ins, List<Var> outs, List<Tangent> t) {
        return b.linear(this, outs, t);
    }

    /** The reference evaluation. */
    public List<Tensor> evaluate(List<Tensor> ins) {
        Tensor x = ins.get(0);
        int r = x.shape().rank();
        int m = x.shape().dim(r - 2);
        int n = x.shape().dim(r - 1);
        double[] z = x.data();
        for (int flat = 0; flat < z.length; flat++) {
            int j = flat % n;
            int i = flat / n % m;
            if (!keeps(i, j)) {
                z[flat] = 0;
            }
        }
        return List.of(new Tensor(x.dtype(), x.shape(), z));
    }

    @Override
    public String attributes() {
        return "lower=" + lower + " offset=" + offset;
    }
}
