package dev.streamfold.ir.stream;

import dev.streamfold.ir.DType;
import dev.streamfold.ir.ProgramBuilder;
import dev.streamfold.ir.StreamfoldException;
import dev.streamfold.ir.Tensor;
import dev.streamfold.ir.Type;
import dev.streamfold.ir.Var;
import java.util.ArrayList;
import java.util.List;

/**
 * jax_privacy's {@code ColumnNormalizedBanded}: an n x b array P sets the first b bands of C,
 * {@code C[j + r, j] = P[j, r] / ||P[j, :]||_2} (column j is P's row j scaled to unit norm); rows of
 * P past step n repeat P's last row (clip indexing, as JAX's index clamping gives). Streaming C^-1
 * (BandMF's noise): {@code u_t = (x_t - sum_{r>=1} P[t-r, r] u_{t-r}) / P[t, 0]}, output {@code
 * ||P[t, :]|| u_t}; state: the last b-1 values u. Every {@code P[j, 0]} must be non-zero. P sets the
 * number of bands, so it is a literal.
 */
public record ColumnNormalizedBanded(Param params) implements Invertible {
    private static final Param DERIVED = Param.vector();

    public ColumnNormalizedBanded {
        if (!(params instanceof Param.Literal)) {
            throw new StreamfoldException("column_normalized_banded: params sets the number of bands and must be a literal"
                    + " 2-D array, not " + params);
        }
        checkDiagonal(Literals.check("column_normalized_banded", "params", ParamKind.MATRIX, params));
    }

    /** Number of bands b (P's columns). */
    public int bands() {
        return ((Param.Literal) params).value().shape().dim(1);
    }

    @Override
    public String opName() {
        return "column_normalized_banded";
    }

    /** {@code params}, then derived: band r's per-step coefficients {@code P[clip(t - r), r]} for each r, and the column norms. */
    @Override
    public List<Slot> slots() {
        List<Slot> s = new ArrayList<>();
        s.add(new Slot("params", params, ParamKind.MATRIX));
        for (int r = 0; r < bands(); r++) {
            s.add(new Slot("band" + r, DERIVED, ParamKind.DERIVED));
        }
        s.add(new Slot("column_norms", DERIVED, ParamKind.DERIVED));
        return s;
    }

    @Override
    public List<StreamingMatrix> operands() {
        return List.of();
    }

    @Override
    public int stateCount(List<Type> ownParamTypes) {
        return bands() - 1;
    }

    @Override
    public List<Tensor> prepare(List<Tensor> values) {
        Tensor p = values.get(0);
        int n = p.shape().dim(0);
        int b = p.shape().dim(1);
        double[] v = p.raw();
        List<Tensor> out = new ArrayList<>();
        out.add(p);
        for (int r = 0; r < b; r++) {
            double[] band = new double[n + r];
            for (int t = 0; t < band.length; t++) {
                band[t] = v[Math.clamp(t - r, 0, n - 1) * b + r];
            }
            out.add(Tensor.vector(DType.F64, band));
        }
        double[] norms = new double[n];
        for (int j = 0; j < n; j++) {
            double s = 0;
            for (int r = 0; r < b; r++) {
                s += v[j * b + r] * v[j * b + r];
            }
            norms[j] = Math.sqrt(s);
        }
        out.add(Tensor.vector(DType.F64, norms));
        return out;
    }

    @Override
    public StepEmitter.Out emitStep(StepEmitter e, Var x, List<Var> params, List<Var> state) {
        ProgramBuilder b = e.builder();
        Var u = b.div(x, e.perStep(params.get(bands() + 1)));
        Var y = b.mul(e.perStep(params.get(1)), u);
        for (int r = 1; r < bands(); r++) {
            y = b.add(b.mul(e.perStep(params.get(1 + r)), state.get(r - 1)), y);
        }
        return new StepEmitter.Out(y, BandedSteps.shifted(u, state));
    }

    @Override
    public StepEmitter.Out emitInverseStep(StepEmitter e, Var y, List<Var> params, List<Var> state) {
        ProgramBuilder b = e.builder();
        Var inner = null;
        for (int r = 1; r < bands(); r++) {
            Var term = b.mul(e.perStep(params.get(1 + r)), state.get(r - 1));
            inner = inner == null ? term : b.add(term, inner);
        }
        Var u = b.div(inner == null ? y : b.sub(y, inner), e.perStep(params.get(1)));
        return new StepEmitter.Out(b.mul(u, e.perStep(params.get(bands() + 1))), BandedSteps.shifted(u, state));
    }

    private static void checkDiagonal(Tensor p) {
        int b = p.shape().dim(1);
        for (int j = 0; j < p.shape().dim(0); j++) {
            if (p.raw()[j * b] == 0) {
                throw new StreamfoldException("column_normalized_banded: params[" + j + "][0] = 0.0 must not be 0");
            }
        }
    }

    @Override
    public String describe() {
        return "column_normalized_banded(params=" + matrixText(((Param.Literal) params).value()) + ")";
    }

    private static String matrixText(Tensor t) {
        StringBuilder s = new StringBuilder("[");
        for (double[] row : t.rows()) {
            s.append(s.length() > 1 ? "," : "").append(java.util.Arrays.toString(row).replace(" ", ""));
        }
        return s.append("]").toString();
    }
}
