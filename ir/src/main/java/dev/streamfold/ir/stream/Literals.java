package dev.streamfold.ir.stream;

import dev.streamfold.ir.Tensor;

/** Checks literal parameter values when an operator is built. */
final class Literals {
    private Literals() {}

    /** The checked value of a literal {@code p}; null when {@code p} is null or named. */
    static Tensor check(String op, String name, ParamKind kind, Param p) {
        if (p instanceof Param.Literal l) {
            return kind.check(op, name, l.value());
        }
        return null;
    }
}
