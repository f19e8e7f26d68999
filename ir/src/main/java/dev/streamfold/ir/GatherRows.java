package dev.streamfold.ir;

import java.util.List;

/**
 * Gathers rows of a batch of matrices: {@code out[..., i, :] = x[..., index[..., i], :]} for {@code x
 * [..., m, n]} and an int32 {@code index [..., k]} with the same leading batch axes, giving {@code [...,
 * k, n]}. Every index must lie in {@code [0, m)}.
 */
public record GatherRows() implements Op {
    @Override
    public String name() {
        return "gather_rows";
    }

    @Override
    public List<Type> outTypes(List<Type> ins) {
        Op.arity(this, ins, 2);
        Type x = ins.get(0);
        Type index = ins.get(1);
        if (x.rank() < 2) {
            throw new IllegalArgumentException("gather_rows needs an array of rank >= 2, got " + x);
        }
        if (index.dtype() != DType.I32 || index.rank() != x.rank() - 1) {
            throw new IllegalArgumentException(
                    "gather_rows needs an i32 index of rank " + (x.rank() - 1) + " for " + x + ", got " + index);
        }
        Batched.requireSameBatch(this, x, index, x.rank() - 2);
        int k = index.shape().dim(index.rank() - 1);
        return List.of(x.withShape(Batched.withTrailing(x.shape(), 2, k, x.shape().dim(x.rank() - 1))));
    }

    // Linear in x (the same gather of the tangent); the index has no tangent.
    @Override
    public List<Tangent> jvp(Jvp.Emitter b, List<Var> ins, List<Var> outs, List<Tangent> t) {
        if (t.get(0).isZero()) {
            return List.of(Tangent.zero(outs.get(0).type()));
        }
        return List.of(Tangent.of(b.gatherRows(b.instantiate(t.get(0)), ins.get(1))));
    }

    /**
     * The reference evaluation.
     *
     * @throws StreamfoldException naming the batch entry and the row when an index is out of range
     */
    public List<Tensor> evaluate(List<Tensor> ins) {
        Tensor x = ins.get(0);
        Tensor index = ins.get(1);
        Type out = outTypes(List.of(x.type(), index.type())).get(0);
        int r = x.shape().rank();
        int m = x.shape().dim(r - 2);
        int n = x.shape().dim(r - 1);
        int k = index.shape().dim(r - 2);
        int batch = Batched.count(x.shape(), 2);
        double[] src = x.raw();
        double[] idx = index.raw();
        double[] z = new double[Math.toIntExact(out.shape().size())];
        for (int q = 0; q < batch; q++) {
            for (int i = 0; i < k; i++) {
                double v = idx[q * k + i];
                if (!(v >= 0 && v < m)) {
                    throw new StreamfoldException("gather_rows: index " + (long) v + " at row " + i + " of matrix " + q
                            + " of the batch is outside [0, " + m + ")");
                }
                System.arraycopy(src, (q * m + (int) v) * n, z, (q * k + i) * n, n);
            }
        }
        return List.of(new Tensor(out.dtype(), out.shape(), z));
    }
}
