package dev.streamfold.ir.stream;

import dev.streamfold.ir.DType;
import dev.streamfold.ir.ProgramBuilder;
import dev.streamfold.ir.Type;
import dev.streamfold.ir.Var;
import java.util.ArrayList;
import java.util.List;

/**
 * Emits one step of an operator tree into a program. Parameters and state buffers are handed out in
 * tree order (an operator's own, then each operand's in {@link StreamingMatrix#operands()} order),
 * the same order as {@link ParamLayout}.
 */
public final class StepEmitter {
    /** An operator's step result: the output and its own next state buffers. */
    public record Out(Var y, List<Var> state) {
        public Out {
            state = List.copyOf(state);
        }
    }

    private final ProgramBuilder b;
    private final Var step;
    private final Type slice;
    private final List<Var> params;
    private final List<Var> stateIn;
    private final List<Var> stateOut = new ArrayList<>();
    private int paramCursor;

    StepEmitter(ProgramBuilder b, Var step, Type slice, List<Var> params, List<Var> stateIn) {
        this.b = b;
        this.step = step;
        this.slice = slice;
        this.params = params;
        this.stateIn = stateIn;
    }

    public ProgramBuilder builder() {
        return b;
    }

    /** The step index {@code t} (i32 scalar). */
    public Var stepIndex() {
        return step;
    }

    /** The type of one step's slice (and of every state buffer). */
    public Type sliceType() {
        return slice;
    }

    public DType dtype() {
        return slice.dtype();
    }

    /** {@code p[clip t]} broadcast to the slice. */
    public Var perStep(Var p) {
        return b.broadcastScalar(b.takeClipped(p, step), slice.shape());
    }

    /** Entry {@code j} of a 1-D parameter as a scalar (a per-buffer value, not clip-indexed by step). */
    public Var element(Var param, int j) {
        return b.takeClipped(param, b.scalar(DType.I32, j));
    }

    /** A scalar parameter broadcast to the slice. */
    public Var splat(Var scalar) {
        return b.broadcastScalar(scalar, slice.shape());
    }

    /** Emits {@code m}'s step on {@code x}, handing it its parameters and state. */
    public Var step(StreamingMatrix m, Var x) {
        int np = m.slots().size();
        List<Var> own = params.subList(paramCursor, paramCursor + np);
        paramCursor += np;
        int s0 = stateOut.size();
        int ns = m.stateCount(own.stream().map(Var::type).toList());
        List<Var> st = stateIn.subList(s0, s0 + ns);
        for (int i = 0; i < ns; i++) {
            stateOut.add(null); // reserved, filled below, so operands take the following buffers
        }
        Out out = m.emitStep(this, x, own, st);
        if (out.state().size() != ns) {
            throw new IllegalStateException(m.opName() + " returned " + out.state().size() + " state buffers, declared "
                    + ns);
        }
        for (int i = 0; i < out.state().size(); i++) {
            stateOut.set(s0 + i, out.state().get(i));
        }
        return out.y();
    }

    List<Var> stateOut() {
        return stateOut;
    }

    int paramsUsed() {
        return paramCursor;
    }
}
