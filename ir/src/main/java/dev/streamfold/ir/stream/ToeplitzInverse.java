package dev.streamfold.ir.stream;

import dev.streamfold.ir.DType;
import dev.streamfold.ir.StreamfoldException;
import dev.streamfold.ir.Tensor;
import dev.streamfold.ir.Type;
import dev.streamfold.ir.Var;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The streaming inverse of the banded lower Toeplitz matrix T with first column {@code coef}
 * ({@code c[0] != 0}): {@code y_t = (x_t - sum_{j>=1} c_j y_{t-j}) / c_0}; state: the last
 * len(c)-1 solutions. With {@code column_normalize_for_n = N} (BandMF's column normalization) the
 * strategy is T's N x N truncation with each column scaled to unit L2 norm: coef is cut to its
 * first N entries and row i of the inverse is multiplied by {@code ||c[0 .. N-1-i]||_2}, the norm of
 * T's column i (clip-indexed: rows past N use {@code |c_0|}).
 */
public record ToeplitzInverse(Param coef, Integer columnNormalizeForN) implements Invertible {
    private static final Param DERIVED = Param.vector();

    public ToeplitzInverse {
        Tensor c = Literals.check("toeplitz_inverse", "coef", ParamKind.VECTOR, coef);
        if (columnNormalizeForN != null && columnNormalizeForN < 1) {
            throw new StreamfoldException(
                    "toeplitz_inverse: column_normalize_for_n must be a positive integer, got " + columnNormalizeForN);
        }
        if (c != null) {
            BandedSteps.checkLeading("toeplitz_inverse", "", c);
        }
    }

    public ToeplitzInverse(Param coef) {
        this(coef, null);
    }

    @Override
    public String opName() {
        return "toeplitz_inverse";
    }

    @Override
    public List<Slot> slots() {
        Slot c = new Slot("coef", coef, ParamKind.VECTOR);
        return columnNormalizeForN == null ? List.of(c) : List.of(c, new Slot("row_scale", DERIVED, ParamKind.DERIVED));
    }

    @Override
    public List<StreamingMatrix> operands() {
        return List.of();
    }

    @Override
    public int stateCount(List<Type> ownParamTypes) {
        return BandedSteps.stateCount(ownParamTypes.get(0).shape().dim(0));
    }

    @Override
    public List<Integer> stateRows(List<Type> ownParamTypes) {
        return BandedSteps.stateRows(ownParamTypes.get(0).shape().dim(0));
    }

    @Override
    public List<Tensor> prepare(List<Tensor> values) {
        Tensor c = values.get(0);
        BandedSteps.checkLeading(opName(), "", c);
        if (columnNormalizeForN == null) {
            return values;
        }
        double[] kept = truncated(c.raw());
        return List.of(Tensor.vector(DType.F64, kept), Tensor.vector(DType.F64, columnNorms(kept, columnNormalizeForN)));
    }

    @Override
    public List<Tensor> prepareTangents(List<Tensor> values, List<Tensor> tangents) {
        if (columnNormalizeForN == null || tangents.get(0) == null) {
            return tangents;
        }
        int n = columnNormalizeForN;
        double[] c = truncated(values.get(0).raw());
        double[] dc = truncated(tangents.get(0).raw());
        double[] norms = columnNorms(c, n);
        double[] dNorms = new double[n];
        double acc = 0;
        for (int i = n - 1; i >= 0; i--) {
            int j = n - 1 - i;
            acc += j < c.length ? c[j] * dc[j] : 0;
            dNorms[i] = acc / norms[i];
        }
        List<Tensor> out = new ArrayList<>();
        out.add(Tensor.vector(DType.F64, dc));
        out.add(Tensor.vector(DType.F64, dNorms));
        return out;
    }

    private double[] truncated(double[] c) {
        return Arrays.copyOf(c, Math.min(c.length, columnNormalizeForN));
    }

    /** {@code ||c[0 .. n-1-i]||_2} for i in [0, n): the column norms of the n x n banded Toeplitz matrix. */
    static double[] columnNorms(double[] c, int n) {
        double[] norms = new double[n];
        double acc = 0;
        for (int i = n - 1; i >= 0; i--) {
            int j = n - 1 - i;
            acc += j < c.length ? c[j] * c[j] : 0;
            norms[i] = Math.sqrt(acc);
        }
        return norms;
    }

    @Override
    public StepEmitter.Out emitStep(StepEmitter e, Var x, List<Var> params, List<Var> state) {
        return BandedSteps.solve(e, x, params.get(0), columnNormalizeForN == null ? null : params.get(1), state);
    }

    @Override
    public StepEmitter.Out emitInverseStep(StepEmitter e, Var y, List<Var> params, List<Var> state) {
        return BandedSteps.forward(e, y, params.get(0), columnNormalizeForN == null ? null : params.get(1), state);
    }

    @Override
    public String describe() {
        return "toeplitz_inverse(coef=" + coef
                + (columnNormalizeForN == null ? "" : ", column_normalize_for_n=" + columnNormalizeForN) + ")";
    }
}
