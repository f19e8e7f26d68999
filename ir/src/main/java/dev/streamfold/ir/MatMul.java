package dev.streamfold.ir;

import java.util.List;

/** Batched matrix product {@code [..., m, k] x [..., k, n] -> [..., m, n]} with equal batch axes. */
public record MatMul() implements Op {
    @Override
    public String name() {
        return "matmul";
    }

    @Override
    public List<Type> outTypes(List<Type> ins) {
        Op.arity(this, ins, 2);
        Type a = ins.get(0);
        Type b = ins.get(1);
        int r = a.rank();
        if (r < 2 || b.rank() != r || a.dtype() != b.dtype()) {
            throw new IllegalArgumentException("matmul needs two arrays of one rank >= 2, got " + a + " and " + b);
        }
        int[] da = a.shape().dims();
        int[] db = b.shape().dims();
        for (int i = 0; i < r - 2; i++) {
            if (da[i] != db[i]) {
                throw new IllegalArgumentException("matmul batch axes differ: " + a + " and " + b);
            }
        }
        if (da[r - 1] != db[r - 2]) {
            throw new IllegalArgumentException("matmul inner sizes differ: " + a + " and " + b);
        }
        int[] out = da.clone();
        out[r - 1] = db[r - 1];
        return List.of(a.withShape(new Shape(out)));
    }

    // Bilinear: d(AB) = dA B + A dB.
    @Override
    public List<Tangent> jvp(Jvp.Emitter b, List<Var> ins, List<Var> outs, List<Tangent> t) {
        Tangent l = t.get(0).isZero() ? t.get(0) : Tangent.of(b.matmul(((Tangent.Dense) t.get(0)).value(), ins.get(1)));
        Tangent r = t.get(1).isZero() ? t.get(1) : Tangent.of(b.matmul(ins.get(0), ((Tangent.Dense) t.get(1)).value()));
        if (l.isZero() && r.isZero()) {
            return List.of(Tangent.zero(outs.get(0).type()));
        }
        return List.of(b.addTangents(l, r));
    }
}
