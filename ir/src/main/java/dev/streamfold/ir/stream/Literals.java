package dev.streamfold.ir.stream;

import dev.streamfold.ir.Tensor;
import java.util.ArrayList;
import java.util.List;

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

    /** The checked values of all of {@code m}'s own slots, or null when any of them is named. */
    static List<Tensor> values(StreamingMatrix m) {
        List<Tensor> out = new ArrayList<>();
        for (Slot s : m.slots()) {
            if (!(s.param() instanceof Param.Literal l)) {
                return null;
            }
            out.add(s.kind().check(m.opName(), s.name(), l.value()));
        }
        return out;
    }
}
