package dev.streamfold.ir.stream;

import dev.streamfold.ir.ProgramBuilder;
import dev.streamfold.ir.StreamfoldException;
import dev.streamfold.ir.Tensor;
import dev.streamfold.ir.Var;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * Steps of banded lower Toeplitz matrices with first column {@code c} (b = len(c) bands), whose state holds the
 * last b-1 values fed into the band. Up to {@link #MAX_SHIFT_ROWS} of them are b-1 state buffers, newest first,
 * shifted each step ({@code s_1 <- u, s_j <- s_{j-1}}); past that, one ring buffer of b-1 rows ({@link
 * dev.streamfold.ir.RingPush}, {@link dev.streamfold.ir.RingDot}), so that a step reads every row once and writes
 * one, and a compiled step is one loop over the rows instead of code per band.
 */
final class BandedSteps {
    /** The most past values kept as one state buffer each; more are kept in one ring buffer. */
    static final int MAX_SHIFT_ROWS = 16;

    private BandedSteps() {}

    /** True when {@code bands} bands keep their past values in one ring buffer. */
    static boolean isRing(int bands) {
        return bands - 1 > MAX_SHIFT_ROWS;
    }

    /** The number of state buffers for {@code bands} bands. */
    static int stateCount(int bands) {
        return isRing(bands) ? 1 : bands - 1;
    }

    /** The rows of each state buffer for {@code bands} bands. */
    static List<Integer> stateRows(int bands) {
        return isRing(bands) ? List.of(bands - 1) : Collections.nCopies(bands - 1, 1);
    }

    /** {@code y = c_0 u + sum_{j>=1} c_j s_j} with {@code u = x} or {@code u = x / colScale[clip t]}. */
    static StepEmitter.Out forward(StepEmitter e, Var x, Var coef, Var colScale, List<Var> state) {
        ProgramBuilder b = e.builder();
        Var u = colScale == null ? x : b.div(x, e.perStep(colScale));
        Var y = b.mul(e.splat(e.element(coef, 0)), u);
        if (isRing(e, state)) {
            Var ring = state.get(0);
            return new StepEmitter.Out(b.add(b.ringDot(ring, coef, e.stepIndex(), 1), y),
                    List.of(b.ringPush(ring, e.stepIndex(), u)));
        }
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
        boolean ring = isRing(e, state);
        if (ring) {
            inner = b.ringDot(state.get(0), coef, e.stepIndex(), 1);
        } else {
            for (int j = 1; j <= state.size(); j++) {
                Var term = b.mul(e.splat(e.element(coef, j)), state.get(j - 1));
                inner = inner == null ? term : b.add(term, inner);
            }
        }
        Var u = b.div(inner == null ? y : b.sub(y, inner), e.splat(e.element(coef, 0)));
        Var out = rowScale == null ? u : b.mul(u, e.perStep(rowScale));
        return new StepEmitter.Out(out, ring ? List.of(b.ringPush(state.get(0), e.stepIndex(), u)) : shifted(u, state));
    }

    /** True when the state is one ring buffer of past rows rather than one buffer per band. */
    private static boolean isRing(StepEmitter e, List<Var> state) {
        return state.size() == 1 && state.get(0).type().rank() == e.sliceType().rank() + 1;
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
