package dev.streamfold.ir;

import java.util.List;

/** An elementwise comparison of two arrays of one type, giving booleans. */
public record Compare(Kind kind) implements Op {
    public enum Kind {
        LT, LE, GT, GE, EQ, NE;

        public boolean apply(double a, double b) {
            return switch (this) {
                case LT -> a < b;
                case LE -> a <= b;
                case GT -> a > b;
                case GE -> a >= b;
                case EQ -> a == b;
                case NE -> a != b;
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
        return List.of(ins.get(0).withDtype(DType.BOOL));
    }

    // Booleans have no tangent.
    @Override
    public List<Tangent> jvp(Jvp.Emitter b, List<Var> ins, List<Var> outs, List<Tangent> t) {
        return List.of(Tangent.zero(outs.get(0).type()));
    }
}
