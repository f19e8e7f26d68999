package dev.streamfold.ir;

import java.util.Arrays;
import java.util.List;

/** Reduces the given axes (strictly increasing) with sum, max or min. */
public record Reduce(Kind kind, int[] axes) implements Op {
    public enum Kind {
        SUM, MAX, MIN;

        public double identity() {
            return switch (this) {
                case SUM -> 0.0;
                case MAX -> Double.NEGATIVE_INFINITY;
                case MIN -> Double.POSITIVE_INFINITY;
            };
        }

        public double combine(double acc, double x) {
            return switch (this) {
                case SUM -> acc + x;
                case MAX -> Math.max(acc, x);
                case MIN -> Math.min(acc, x);
            };
        }
    }

    public Reduce {
        axes = axes.clone();
    }

    @Override
    public int[] axes() {
        return axes.clone();
    }

    @Override
    public String name() {
        return "reduce_" + kind.name().toLowerCase(java.util.Locale.ROOT);
    }

    @Override
    public List<Type> outTypes(List<Type> ins) {
        Op.arity(this, ins, 1);
        Shape in = ins.get(0).shape();
        int prev = -1;
        for (int a : axes) {
            if (a <= prev || a >= in.rank()) {
                throw new IllegalArgumentException(name() + " of " + ins.get(0) + " over axes " + Arrays.toString(axes));
            }
            prev = a;
        }
        return List.of(ins.get(0).withShape(reducedShape(in)));
    }

    /** The input shape without the reduced axes. */
    public Shape reducedShape(Shape in) {
        int[] out = new int[in.rank() - axes.length];
        int j = 0;
        for (int i = 0; i < in.rank(); i++) {
            if (Arrays.binarySearch(axes, i) < 0) {
                out[j++] = in.dim(i);
            }
        }
        return new Shape(out);
    }

    // Sum is linear; max/min pass the tangent of the selected element (first on ties).
    @Override
    public List<Tangent> jvp(Jvp.Emitter b, List<Var> ins, List<Var> outs, List<Tangent> t) {
        return switch (kind) {
            case SUM -> b.linear(this, outs, t);
            case MAX, MIN -> {
                if (t.get(0).isZero()) {
                    yield List.of(Tangent.zero(outs.get(0).type()));
                }
                Var x = ins.get(0);
                Var y = b.broadcastBack(outs.get(0), x.type().shape(), axes);
                Var hit = b.compare(Compare.Kind.EQ, x, y);
                Var one = b.full(x.type(), 1.0);
                Var zero = b.full(x.type(), 0.0);
                Var mask = b.select(hit, one, zero);
                Var count = b.broadcastBack(b.reduce(Kind.SUM, mask, axes), x.type().shape(), axes);
                Var dx = ((Tangent.Dense) t.get(0)).value();
                yield List.of(Tangent.of(b.reduce(Kind.SUM, b.div(b.mul(mask, dx), count), axes)));
            }
        };
    }

    @Override
    public String attributes() {
        return "axes=" + Arrays.toString(axes);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Reduce r && kind == r.kind && Arrays.equals(axes, r.axes);
    }

    @Override
    public int hashCode() {
        return kind.hashCode() * 31 + Arrays.hashCode(axes);
    }

    @Override
    public String toString() {
        return "Reduce[" + kind + " " + attributes() + "]";
    }
}
