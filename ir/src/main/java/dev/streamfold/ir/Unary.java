package dev.streamfold.ir;

import java.util.List;

/** An elementwise function of one floating-point array. */
public record Unary(Kind kind) implements Op {
    /** The functions; each one's derivative is in {@link #jvp}. */
    public enum Kind {
        NEG, ABS, SQRT, EXP, LOG, SQUARE, SIGN, RECIPROCAL;

        public double apply(double x) {
            return switch (this) {
                case NEG -> -x;
                case ABS -> Math.abs(x);
                case SQRT -> Math.sqrt(x);
                case EXP -> Math.exp(x);
                case LOG -> Math.log(x);
                case SQUARE -> x * x;
                case SIGN -> Math.signum(x);
                case RECIPROCAL -> 1.0 / x;
            };
        }
    }

    @Override
    public String name() {
        return kind.name().toLowerCase(java.util.Locale.ROOT);
    }

    @Override
    public List<Type> outTypes(List<Type> ins) {
        Op.arity(this, ins, 1);
        if (!ins.get(0).dtype().isFloating()) {
            throw new IllegalArgumentException(name() + " needs a floating-point input, got " + ins.get(0));
        }
        return List.of(ins.get(0));
    }

    @Override
    public List<Tangent> jvp(Jvp.Emitter b, List<Var> ins, List<Var> outs, List<Tangent> t) {
        if (t.get(0).isZero()) {
            return List.of(Tangent.zero(outs.get(0).type()));
        }
        Var x = ins.get(0);
        Var y = outs.get(0);
        Var dx = ((Tangent.Dense) t.get(0)).value();
        Var dy = switch (kind) {
            case NEG -> b.neg(dx); // d(-x) = -dx
            case ABS -> b.mul(b.unary(Kind.SIGN, x), dx); // d|x| = sign(x) dx
            case SQRT -> b.div(dx, b.mul(b.full(y.type(), 2.0), y)); // d sqrt x = dx / (2 sqrt x)
            case EXP -> b.mul(y, dx); // d e^x = e^x dx
            case LOG -> b.div(dx, x); // d log x = dx / x
            case SQUARE -> b.mul(b.mul(b.full(x.type(), 2.0), x), dx); // d x^2 = 2 x dx
            case SIGN -> null; // piecewise constant
            case RECIPROCAL -> b.neg(b.mul(b.mul(y, y), dx)); // d(1/x) = -dx / x^2
        };
        return List.of(dy == null ? Tangent.zero(y.type()) : Tangent.of(dy));
    }

    @Override
    public String attributes() {
        return "";
    }
}
