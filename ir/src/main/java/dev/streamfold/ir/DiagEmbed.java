package dev.streamfold.ir;

import java.util.List;

/** Square matrices with the given diagonals, zero elsewhere: {@code [..., k] -> [..., k, k]}. */
public record DiagEmbed() implements Op {
    @Override
    public String name() {
        return "diag_embed";
    }

    @Override
    public List<Type> outTypes(List<Type> ins) {
        Op.arity(this, ins, 1);
        Type x = ins.get(0);
        if (x.rank() < 1) {
            throw new IllegalArgumentException("diag_embed needs an array of rank >= 1, got " + x);
        }
        int k = x.shape().dim(x.rank() - 1);
        return List.of(x.withShape(Batched.withTrailing(x.shape(), 1, k, k)));
    }

    // Linear.
    @Override
    public List<Tangent> jvp(Jvp.Emitter b, List<Var> ins, List<Var> outs, List<Tangent> t) {
        return b.linear(this, outs, t);
    }

    /** The reference evaluation. */
    public List<Tensor> evaluate(List<Tensor> ins) {
        Tensor x = ins.get(0);
        Type out = outTypes(List.of(x.type())).get(0);
        int k = x.shape().dim(x.shape().rank() - 1);
        int batch = Batched.count(x.shape(), 1);
        double[] src = x.raw();
        double[] z = new double[batch * k * k];
        for (int q = 0; q < batch; q++) {
            for (int i = 0; i < k; i++) {
                z[q * k * k + i * k + i] = src[q * k + i];
            }
        }
        return List.of(new Tensor(out.dtype(), out.shape(), z));
    }
}
