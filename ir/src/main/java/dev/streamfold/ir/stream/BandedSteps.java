package dev.streamfold.ir.stream;

import dev.streamfold.ir.ProgramBuilder;
import dev.streamfold.ir.StreamfoldException;
import dev.streamfold.ir.Tensor;
import dev.streamfold.ir.Var;
import java.util.ArrayList;
import java.util.List;

/**
 * Steps of banded lower Toeplitz matrices with first column {@code c} (b = len(c) bands), whose
 * b-1 state buffers hold the last values fed into the band, newest first: a ring shift {@code s_1
 * <- u, s_j <- s_{j-1}}.
 */
final class BandedSteps {
    private BandedSteps() {}

    /** {@code y = c_0 u + sum_{j>=1} c_j s_j} with {@code u = x} or {@code u = x / colScale[clip t]}. */
    static StepEmitter.Out forward(StepEmitter e, Var x, Var coef, Var colScale, List<Var> state) {
        ProgramBuilder b = e.builder();
        Var u = colScale == null ? x : b.div(x, e.perStep(colScale));
        Var y = b.mul(e.splat(e.element(coef, 0)), u);
        for (int j = 1; j <= state.size(); j++) {
            y = b.add(b.mul(e.splat(e.element(coef, j)), state.get(j - 1)), y);
        }
        return new StepEmitter.Out(y, shifted(u, state));
    }

    /**
     * Forward substitution: {@code u = (y - sum_{j>=1} c_j s_j) / c_0}, output {@code u} or {@code u
     * rowScale[clip t]}; the state keeps u.
     */
    static StepEmitter.Out solve(StepEmitter e, Var y, Var coef, Var rowScale, List<Var> state) {
        ProgramBuilder b = e.builder();
        Var inner = null;
        for (int j = 1; j <= state.size(); j++) {
            Var term = b.mul(e.splat(e.element(coef, j)), state.get(j - 1));
            inner = inner == null ? term : b.add(term, inner);
        }
        Var u = b.div(inner == null ? y : b.sub(y, inner), e.splat(e.element(coef, 0)));
        Var out = rowScale == null ? u : b.mul(u, e.perStep(rowScale));
        return new StepEmitter.Out(out, shifted(u, state));
    }

    /** The ring shift {@code s_1 <- u, s_j <- s_{j-1}}. */
    static List<Var> shifted(Var u, List<Var> state) {
        List<Var> next = new ArrayList<>();
        if (!state.isEmpty()) {
            next.add(u);
            next.addAll(state.subList(0, state.size() - 1));
        }
        return next;
    }

    /** Rejects {@code c[0] == 0} (the matrix is singular). */
    static void checkLeading(String op, String context, Tensor coef) {
        if (coef.raw()[0] == 0) {
            throw new StreamfoldException(op + ": coef[0] = 0.0 must not be 0" + context);
        }
    }
}
