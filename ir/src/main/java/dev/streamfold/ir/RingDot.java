package dev.streamfold.ir;

import java.util.List;

/**
 * A weighted sum of the rows of a ring buffer of past values, weighted by their age. For a floating {@code ring
 * [R, s...]}, floating {@code coef [m]} (each weight rounded to the ring's dtype) and the step index {@code t} (i32
 * scalar), row {@code r} was written {@code a(r) = floorMod(t - 1 - r, R)} steps before the newest one ({@link
 * RingPush} at step {@code t - 1} wrote row {@code floorMod(t - 1, R)}), and the result is the sum over {@code r = 0
 * .. R-1} of {@code coef[first + a(r)] * ring[r]}, summed from 0 in the order of {@code r} with each term fused
 * ({@code acc = fma(w, ring[r], acc)}, one rounding per row). Needs {@code m >= first + R}. With a 2-D {@code coef
 * [n, m]} the weights also depend on when a row was written: row {@code r}, written at step {@code s = t - 1 -
 * a(r)}, weighs {@code coef[clamp(s, 0, n - 1), first + a(r)]} (a banded matrix whose bands vary along its
 * columns).
 */
public record RingDot(int first) implements Op {
    public RingDot {
        if (first < 0) {
            throw new IllegalArgumentException("ring_dot first must be >= 0, got " + first);
        }
    }

    @Override
    public String name() {
        return "ring_dot";
    }

    @Override
    public List<Type> outTypes(List<Type> ins) {
        Op.arity(this, ins, 3);
        Type ring = ins.get(0);
        Type coef = ins.get(1);
        Type t = ins.get(2);
        if (ring.rank() < 1 || ring.shape().dim(0) < 1 || !ring.dtype().isFloating()) {
            throw new IllegalArgumentException("ring_dot needs a floating ring of at least one row, got " + ring);
        }
        if (coef.rank() < 1 || coef.rank() > 2 || !coef.dtype().isFloating() || coef.shape().dim(0) < 1) {
            throw new IllegalArgumentException("ring_dot needs 1-D or 2-D floating weights, got " + coef);
        }
        int rows = ring.shape().dim(0);
        if (coef.shape().dim(coef.rank() - 1) < first + rows) {
            throw new IllegalArgumentException("ring_dot of " + rows + " rows from weight " + first + " needs at least "
                    + (first + rows) + " weights, got " + coef);
        }
        if (!t.equals(Type.scalar(DType.I32))) {
            throw new IllegalArgumentException("ring_dot needs an i32[] step index, got " + t);
        }
        return List.of(ring.withShape(ring.shape().dropLeading()));
    }

    // Bilinear in the ring and the weights; the step index has no tangent.
    @Override
    public List<Tangent> jvp(Jvp.Emitter b, List<Var> ins, List<Var> outs, List<Tangent> t) {
        Tangent ring = t.get(0).isZero() ? t.get(0)
                : Tangent.of(b.ringDot(((Tangent.Dense) t.get(0)).value(), ins.get(1), ins.get(2), first));
        Tangent coef = t.get(1).isZero() ? t.get(1)
                : Tangent.of(b.ringDot(ins.get(0), ((Tangent.Dense) t.get(1)).value(), ins.get(2), first));
        if (ring.isZero() && coef.isZero()) {
            return List.of(Tangent.zero(outs.get(0).type()));
        }
        return List.of(b.addTangents(ring, coef));
    }

    @Override
    public String attributes() {
        return "first=" + first;
    }

    /**
     * The flat index of the weight of a row of age {@code age} at step {@code t}, in weights of {@code shape} (1-D,
     * or 2-D indexed by the step that wrote the row, clamped).
     */
    public int weightIndex(Shape shape, long t, int age) {
        if (shape.rank() == 1) {
            return first + age;
        }
        long written = Math.clamp(t - 1 - age, 0, shape.dim(0) - 1);
        return Math.toIntExact(written * shape.dim(1) + first + age);
    }

    /** The row of a ring of {@code rows} rows that step {@code t} writes: {@code floorMod(t, rows)}. */
    public static int rowOf(long t, int rows) {
        return (int) Math.floorMod(t, (long) rows);
    }
}
