package dev.streamfold.ir;

import java.util.List;

/** An elementwise function of two arrays of the same type (broadcasting is explicit). */
public record Binary(Kind kind) implements Op {
    /** The functions; each one's derivative is in {@link #jvp}. */
    public enum Kind {
        ADD, SUB, MUL, DIV, MAX, MIN, POW;

        public double apply(double a, double b) {
            return switch (this) {
                case ADD -> a + b;
                case SUB -> a - b;
                case MUL -> a * b;
                case DIV -> a / b;
                case MAX -> Math.max(a, b);
                case MIN -> Math.min(a, b);
                case POW -> Math.pow(a, b);
            };
        }
    }

    @Override
    public String name() {
        return kind.name().toLowerCase(java.util.Locale.ROOT);
    }

    @Override
    public List<Type> outTypes(List<Type> ins) {
        Op.arity(this, ins, 2);
        if (!ins.get(0).equals(ins.get(1))) {
            throw new IllegalArgumentException(
                    name() + " needs inputs of one type, got " + ins.get(0) + " and " + ins.get(1));
        }
        return List.of(ins.get(0));
    }

    @Override
    public List<Tangent> jvp(Jvp.Emitter b, List<Var> ins, List<Var> outs, List<Tangent> t) {
        Var x = ins.get(0);
        Var y = ins.get(1);
        Var z = outs.get(0);
        Tangent dx = t.get(0);
        Tangent dy = t.get(1);
        if (dx.isZero() && dy.isZero()) {
            return List.of(Tangent.zero(z.type()));
        }
        return List.of(switch (kind) {
            case ADD -> b.addTangents(dx, dy); // d(x+y) = dx + dy
            case SUB -> b.addTangents(dx, b.negTangent(dy)); // d(x-y) = dx - dy
            case MUL -> b.addTangents(b.scaleTangent(dx, y), b.scaleTangent(dy, x)); // dx y + x dy
            case DIV -> // d(x/y) = dx / y - (x/y) dy / y
                b.addTangents(
                        b.divTangent(dx, y), b.negTangent(b.divTangent(b.scaleTangent(dy, z), y)));
            case MAX, MIN -> { // the derivative of the selected side (ties take x)
                Var pick = b.compare(kind == Kind.MAX ? Compare.Kind.GE : Compare.Kind.LE, x, y);
                yield b.selectTangent(pick, dx, dy);
            }
            case POW -> { // d x^y = y x^(y-1) dx + log(x) x^y dy
                Tangent a = dx.isZero()
                        ? dx
                        : b.scaleTangent(dx, b.mul(y, b.binary(Kind.POW, x, b.sub(y, b.full(y.type(), 1.0)))));
                Tangent c = dy.isZero() ? dy : b.scaleTangent(dy, b.mul(b.unary(Unary.Kind.LOG, x), z));
                yield b.addTangents(a, c);
            }
        });
    }
}
