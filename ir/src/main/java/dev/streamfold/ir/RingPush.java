package dev.streamfold.ir;

import java.util.List;

/**
 * A ring buffer with its oldest row replaced: for {@code ring [R, s...]}, the step index {@code t} (i32 scalar)
 * and {@code value [s...]} of the ring's dtype, the result is {@code ring} with row {@code floorMod(t, R)} set to
 * {@code value}. With one push per step, the ring holds the last R values, which {@link RingDot} reads by age.
 */
public record RingPush() implements Op {
    @Override
    public String name() {
        return "ring_push";
    }

    @Override
    public List<Type> outTypes(List<Type> ins) {
        Op.arity(this, ins, 3);
        Type ring = ins.get(0);
        Type t = ins.get(1);
        Type value = ins.get(2);
        if (ring.rank() < 1 || ring.shape().dim(0) < 1) {
            throw new IllegalArgumentException("ring_push needs a ring of at least one row, got " + ring);
        }
        if (!t.equals(Type.scalar(DType.I32))) {
            throw new IllegalArgumentException("ring_push needs an i32[] step index, got " + t);
        }
        if (!value.equals(ring.withShape(ring.shape().dropLeading()))) {
            throw new IllegalArgumentException("ring_push of a row " + value + " into the ring " + ring
                    + " needs a row of type " + ring.withShape(ring.shape().dropLeading()));
        }
        return List.of(ring);
    }

    // Linear in the ring and the value; the step index has no tangent.
    @Override
    public List<Tangent> jvp(Jvp.Emitter b, List<Var> ins, List<Var> outs, List<Tangent> t) {
        if (t.get(0).isZero() && t.get(2).isZero()) {
            return List.of(Tangent.zero(outs.get(0).type()));
        }
        return List.of(Tangent.of(b.ringPush(b.instantiate(t.get(0)), ins.get(1), b.instantiate(t.get(2)))));
    }
}
