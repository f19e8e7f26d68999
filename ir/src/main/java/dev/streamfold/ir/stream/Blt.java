package dev.streamfold.ir.stream;

import dev.streamfold.ir.DType;
import dev.streamfold.ir.ProgramBuilder;
import dev.streamfold.ir.StreamfoldException;
import dev.streamfold.ir.Tensor;
import dev.streamfold.ir.Type;
import dev.streamfold.ir.Var;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.IntStream;

/**
 * Buffered Linear Toeplitz: {@code C[i,i] = 1}, {@code C[i,j] = sum_k omega_k theta_k^(i-j-1)} for
 * {@code i > j}. One state buffer per entry of {@code buf_decay} (theta): {@code y = x + sum_k
 * omega_k s_k; s_k <- theta_k s_k + x}. Entries are sorted by decreasing theta (omega moves with
 * its theta) when built or bound; the two arrays must have equal lengths; none means the identity.
 */
public record Blt(Param bufDecay, Param outputScale) implements Invertible {
    public Blt {
        Tensor theta = Literals.check("blt", "buf_decay", ParamKind.BUFFERS, bufDecay);
        Tensor omega = Literals.check("blt", "output_scale", ParamKind.BUFFERS, outputScale);
        if (theta != null && omega != null) {
            List<Tensor> sorted = sortedByDecay("blt", theta, omega);
            bufDecay = new Param.Literal(sorted.get(0));
            outputScale = new Param.Literal(sorted.get(1));
        }
    }

    /** {@code blt(buf_decay=theta, output_scale=omega)} with literal values. */
    public static Blt of(double[] theta, double[] omega) {
        return new Blt(Param.vector(theta), Param.vector(omega));
    }

    @Override
    public String opName() {
        return "blt";
    }

    @Override
    public List<Slot> slots() {
        return List.of(new Slot("buf_decay", bufDecay, ParamKind.BUFFERS),
                new Slot("output_scale", outputScale, ParamKind.BUFFERS));
    }

    @Override
    public List<StreamingMatrix> operands() {
        return List.of();
    }

    @Override
    public int stateCount(List<Type> ownParamTypes) {
        return ownParamTypes.get(0).shape().dim(0);
    }

    @Override
    public List<Tensor> prepare(List<Tensor> values) {
        return sortedByDecay(opName(), values.get(0), values.get(1));
    }

    @Override
    public List<Tensor> prepareTangents(List<Tensor> values, List<Tensor> tangents) {
        int[] order = decayOrder(values.get(0).raw());
        List<Tensor> out = new ArrayList<>();
        for (Tensor t : tangents) {
            out.add(t == null ? null : permuted(t, order));
        }
        return out;
    }

    @Override
    public StepEmitter.Out emitStep(StepEmitter e, Var x, List<Var> params, List<Var> state) {
        return forwardStep(e, x, params.get(0), params.get(1), state);
    }

    @Override
    public StepEmitter.Out emitInverseStep(StepEmitter e, Var y, List<Var> params, List<Var> state) {
        return inverseStep(e, y, params.get(0), params.get(1), state);
    }

    @Override
    public String describe() {
        return "blt(buf_decay=" + bufDecay + ", output_scale=" + outputScale + ")";
    }

    /** {@code y = x + sum_k omega_k s_k; s_k <- theta_k s_k + x}. */
    static StepEmitter.Out forwardStep(StepEmitter e, Var x, Var theta, Var omega, List<Var> state) {
        ProgramBuilder b = e.builder();
        Var y = x;
        List<Var> next = new ArrayList<>();
        for (int k = 0; k < state.size(); k++) {
            y = b.add(b.mul(e.splat(e.element(omega, k)), state.get(k)), y);
            next.add(b.add(b.mul(e.splat(e.element(theta, k)), state.get(k)), x));
        }
        return new StepEmitter.Out(y, next);
    }

    /** Forward substitution: {@code x = y - sum_k omega_k s_k; s_k <- theta_k s_k + x}. */
    static StepEmitter.Out inverseStep(StepEmitter e, Var y, Var theta, Var omega, List<Var> state) {
        ProgramBuilder b = e.builder();
        if (state.isEmpty()) {
            return new StepEmitter.Out(y, List.of());
        }
        Var inner = null;
        for (int k = 0; k < state.size(); k++) {
            Var term = b.mul(e.splat(e.element(omega, k)), state.get(k));
            inner = inner == null ? term : b.add(term, inner);
        }
        Var x = b.sub(y, inner);
        List<Var> next = new ArrayList<>();
        for (int k = 0; k < state.size(); k++) {
            next.add(b.add(b.mul(e.splat(e.element(theta, k)), state.get(k)), x));
        }
        return new StepEmitter.Out(x, next);
    }

    /** Checks equal lengths and returns both arrays reordered by decreasing theta (stable). */
    static List<Tensor> sortedByDecay(String op, Tensor theta, Tensor omega) {
        if (theta.size() != omega.size()) {
            throw new StreamfoldException(op + ": buf_decay has " + theta.size() + " entries but output_scale has "
                    + omega.size());
        }
        int[] order = decayOrder(theta.raw());
        return List.of(permuted(theta, order), permuted(omega, order));
    }

    static int[] decayOrder(double[] theta) {
        return IntStream.range(0, theta.length).boxed()
                .sorted(Comparator.comparingDouble((Integer i) -> theta[i]).reversed())
                .mapToInt(Integer::intValue).toArray();
    }

    private static Tensor permuted(Tensor t, int[] order) {
        double[] v = t.raw();
        double[] out = new double[order.length];
        for (int i = 0; i < order.length; i++) {
            out[i] = v[order[i]];
        }
        return Tensor.vector(DType.F64, out).astype(t.dtype());
    }
}
