package dev.streamfold.ir;

import java.util.List;

/** The main diagonal of a batch of matrices: {@code [..., m, n] -> [..., min(m, n)]}. */
public record DiagPart() implements Op {
    @Override
    public String name() {
        return "diag_part";
    }

    @Override
    public List<Type> outTypes(List<Type> ins) {
        Op.arity(this, ins, 1);
        Type x = ins.get(0);
        if (x.rank() < 2) {
            throw new IllegalArgumentException("diag_part needs an array of rank >= 2, got " + x);
        }
        int k = Math.min(x.shape().dim(x.rank() - 2), x.shape().dim(x.rank() - 1));
        return List.of(x.withShape(Batched.withTrailing(x.shape(), 2, k)));
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
        int r = x.shape().rank();
        int m = x.shape().dim(r - 2);
        int n = x.shape().dim(r - 1);
        int k = Math.min(m, n);
        int batch = Batched.count(x.shape(), 2);
        double[] src = x.raw();
        double[] z = new double[batch * k];
        for (int q = 0; q < batch; q++) {
            for (int i = 0; i < k; i++) {
                z[q * k + i] = src[q * m * n + i * n + i];
            }
        }
        return List.of(new Tensor(out.dtype(), out.shape(), z));
    }
}
