package dev.streamfold.ir.stream;

import dev.streamfold.ir.ProgramBuilder;
import dev.streamfold.ir.StreamfoldException;
import dev.streamfold.ir.Tensor;
import dev.streamfold.ir.Type;
import dev.streamfold.ir.Var;
import java.util.List;

/**
 * SGD with momentum as a matrix: {@code m_t = mu m_{t-1} + x_t; y_t = y_{t-1} + lr[clip t] m_t}.
 * Learning rates must be positive; the momentum is not restricted.
 */
public record MomentumSgd(Param momentum, Param learningRates) implements StreamingMatrix {
    public MomentumSgd {
        Literals.check("momentum_sgd", "momentum", ParamKind.SCALAR, momentum);
        Tensor lr = Literals.check("momentum_sgd", "learning_rates", ParamKind.VECTOR, learningRates);
        if (lr != null) {
            checkLearningRates(lr);
        }
    }

    /** {@code momentum_sgd(mu)} with learning rates {@code [1.0]}. */
    public MomentumSgd(Param momentum) {
        this(momentum, Param.vector(1.0));
    }

    private static void checkLearningRates(Tensor lr) {
        double[] v = lr.raw();
        for (int i = 0; i < v.length; i++) {
            if (!(v[i] > 0)) {
                throw new StreamfoldException(
                        "momentum_sgd: learning_rates[" + i + "] = " + v[i] + " must be > 0");
            }
        }
    }

    @Override
    public String opName() {
        return "momentum_sgd";
    }

    @Override
    public List<Slot> slots() {
        return List.of(
                new Slot("momentum", momentum, ParamKind.SCALAR),
                new Slot("learning_rates", learningRates, ParamKind.VECTOR));
    }

    @Override
    public List<Tensor> prepare(List<Tensor> values) {
        checkLearningRates(values.get(1));
        return values;
    }

    @Override
    public List<StreamingMatrix> operands() {
        return List.of();
    }

    @Override
    public int stateCount(List<Type> ownParamTypes) {
        return 2;
    }

    @Override
    public StepEmitter.Out emitStep(StepEmitter e, Var x, List<Var> params, List<Var> state) {
        ProgramBuilder b = e.builder();
        Var m = b.add(b.mul(e.splat(params.get(0)), state.get(0)), x);
        Var y = b.add(state.get(1), b.mul(e.perStep(params.get(1)), m));
        return new StepEmitter.Out(y, List.of(m, y));
    }

    @Override
    public String describe() {
        return "momentum_sgd(momentum=" + momentum + ", learning_rates=" + learningRates + ")";
    }
}
