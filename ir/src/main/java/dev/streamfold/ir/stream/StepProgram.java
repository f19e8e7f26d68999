package dev.streamfold.ir.stream;

import dev.streamfold.ir.DType;
import dev.streamfold.ir.Program;
import dev.streamfold.ir.ProgramBuilder;
import dev.streamfold.ir.Type;
import dev.streamfold.ir.Var;
import java.util.ArrayList;
import java.util.List;

/**
 * One step of an operator tree as a program, in scan-body form. Parameters: the bound parameter
 * values {@code p_0..p_{P-1}}, the state buffers {@code s_0..s_{S-1}}, the step index {@code t}
 * (i32 scalar), the input slice {@code x}. Results: the next state buffers, then {@code y}. A state buffer is
 * shaped like the slice, or {@code [rows, slice...]} for a ring of past values.
 */
public record StepProgram(Program program, int numParams, int numState, Type slice) {

    /** Builds the step of {@code m} for parameter values of the given types and slices of {@code slice}. */
    public static StepProgram build(StreamingMatrix m, List<Type> paramTypes, Type slice) {
        ParamLayout layout = ParamLayout.of(m);
        if (paramTypes.size() != layout.slots().size()) {
            throw new IllegalArgumentException(
                    "step of " + m.describe() + " needs " + layout.slots().size() + " parameter values, got " + paramTypes.size());
        }
        ProgramBuilder b = new ProgramBuilder();
        List<Var> params = new ArrayList<>();
        for (Type t : paramTypes) {
            params.add(b.param(t));
        }
        List<Var> state = new ArrayList<>();
        List<Integer> rows = new ArrayList<>();
        stateRows(m, paramTypes, new int[] {0}, rows);
        for (int r : rows) {
            state.add(b.param(r == 1 ? slice : slice.withShape(slice.shape().prepend(r))));
        }
        Var t = b.param(Type.scalar(DType.I32));
        Var x = b.param(slice);
        StepEmitter e = new StepEmitter(b, t, slice, params, state);
        Var y = e.step(m, x);
        if (e.paramsUsed() != params.size() || e.stateOut().size() != state.size()) {
            throw new IllegalStateException("step of " + m.describe() + " used " + e.paramsUsed() + "/" + params.size()
                    + " parameters and " + e.stateOut().size() + "/" + state.size() + " state buffers");
        }
        List<Var> results = new ArrayList<>(e.stateOut());
        results.add(y);
        return new StepProgram(b.build(results), params.size(), state.size(), slice);
    }

    /**
     * Appends the rows of each state buffer of the tree {@code m}, whose parameters, from {@code cursor[0]} on,
     * have these types, to {@code rows}.
     */
    static void stateRows(StreamingMatrix m, List<Type> paramTypes, int[] cursor, List<Integer> rows) {
        int np = m.slots().size();
        List<Type> own = paramTypes.subList(cursor[0], cursor[0] + np);
        List<Integer> mine = m.stateRows(own);
        if (mine.size() != m.stateCount(own)) {
            throw new IllegalStateException(m.opName() + " gives rows of " + mine.size() + " state buffers, declared "
                    + m.stateCount(own));
        }
        rows.addAll(mine);
        cursor[0] += np;
        for (StreamingMatrix o : m.operands()) {
            stateRows(o, paramTypes, cursor, rows);
        }
    }

    /** Rows of state buffer {@code k}: 1, or the rows of a ring of past values (its type is {@code [rows, slice...]}). */
    public int stateRows(int k) {
        Type t = program.params().get(numParams + k).type();
        return t.rank() == slice.rank() ? 1 : t.shape().dim(0);
    }

    public Var stepIndexParam() {
        return program.params().get(numParams + numState);
    }
}
