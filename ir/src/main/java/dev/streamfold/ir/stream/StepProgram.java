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
 * (i32 scalar), the input slice {@code x}. Results: the next state buffers, then {@code y}.
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
        int numState = stateCount(m, paramTypes, new int[] {0});
        for (int i = 0; i < numState; i++) {
            state.add(b.param(slice));
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

    /** Number of state buffers of the tree {@code m} whose parameters, from {@code cursor[0]} on, have these types. */
    static int stateCount(StreamingMatrix m, List<Type> paramTypes, int[] cursor) {
        int np = m.slots().size();
        int n = m.stateCount(paramTypes.subList(cursor[0], cursor[0] + np));
        cursor[0] += np;
        for (StreamingMatrix o : m.operands()) {
            n += stateCount(o, paramTypes, cursor);
        }
        return n;
    }

    public Var stepIndexParam() {
        return program.params().get(numParams + numState);
    }
}
