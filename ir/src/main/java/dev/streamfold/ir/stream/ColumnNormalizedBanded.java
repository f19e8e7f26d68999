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
 * jax_privacy's {@code ColumnNormalizedBanded}: an n x b array P sets the first b bands of C, and
 * each column of the n x n matrix is scaled to unit norm, as its {@code materialize} documents:
 * {@code C[j + r, j] = P[j, r] / N_j} with {@code N_j = ||P[j, 0 .. min(b, n - j) - 1]||_2} (the
 * part of P's row j that falls inside the n x n matrix). Past step n, columns repeat P's last row
 * (clip indexing) and are scaled by its whole norm, so every column has unit norm. Streaming C^-1
 * (BandMF's noise): {@code u_t = (x_t - sum_{r>=1} P[t-r, r] u_{t-r}) / P[t, 0]}, output {@code N_t
 * u_t}; state: the last b-1 values u (in one ring past 17 bands, see {@link BandedSteps}); it is exactly the
 * inverse of the forward operator. Every
 * {@code P[j, 0]} must be non-zero. P sets the number of bands, so it is a literal.
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

    /**
     * {@code params}, then derived: band r's per-step coefficients {@code P[clip(t - r), r]} for each r (only band 0
     * when the past values live in a ring, whose step reads the other bands from P itself), and the column norms.
     */
    @Override
    public List<Slot> slots() {
        List<Slot> s = new ArrayList<>();
        s.add(new Slot("params", params, ParamKind.MATRIX));
        for (int r = 0; r < derivedBands(); r++) {
            s.add(new Slot("band" + r, DERIVED, ParamKind.DERIVED));
        }
        s.add(new Slot("column_norms", DERIVED, ParamKind.DERIVED));
        return s;
    }

    /** The bands given as their own per-step arrays: all of them, or band 0 alone with a ring of past values. */
    private int derivedBands() {
        return BandedSteps.isRing(bands()) ? 1 : bands();
    }

    @Override
    public List<StreamingMatrix> operands() {
        return List.of();
    }

    @Override
    public int stateCount(List<Type> ownParamTypes) {
        return BandedSteps.stateCount(bands());
    }

    @Override
    public List<Integer> stateRows(List<Type> ownParamTypes) {
        return BandedSteps.stateRows(bands());
    }

    @Override
    public List<Tensor> prepare(List<Tensor> values) {
        Tensor p = values.get(0);
        int n = p.shape().dim(0);
        int b = p.shape().dim(1);
        double[] v = p.raw();
        List<Tensor> out = new ArrayList<>();
        out.add(p);
        for (int r = 0; r < derivedBands(); r++) {
            double[] band = new double[n + r];
            for (int t = 0; t < band.length; t++) {
                band[t] = v[Math.clamp(t - r, 0, n - 1) * b + r];
            }
            out.add(Tensor.vector(DType.F64, band));
        }
        out.add(Tensor.vector(DType.F64, columnNorms(p)));
        return out;
    }

    /**
     * {@code N_j} for j in [0, n]: the norms of the columns of the n x n matrix for j < n (row j of P
     * cut to its first min(b, n - j) entries), then, for every column past n, the whole norm of P's
     * last row.
     */
    public static double[] columnNorms(Tensor p) {
        int n = p.shape().dim(0);
        int b = p.shape().dim(1);
        double[] v = p.raw();
        double[] norms = new double[n + 1];
        for (int j = 0; j <= n; j++) {
            int row = Math.min(j, n - 1);
            int kept = j < n ? Math.min(b, n - j) : b;
            double s = 0;
            for (int r = 0; r < kept; r++) {
                s += v[row * b + r] * v[row * b + r];
            }
            norms[j] = Math.sqrt(s);
        }
        return norms;
    }

    @Override
    public StepEmitter.Out emitStep(StepEmitter e, Var x, List<Var> params, List<Var> state) {
        ProgramBuilder b = e.builder();
        Var u = b.div(x, e.perStep(params.getLast()));
        Var y = b.mul(e.perStep(params.get(1)), u);
        if (BandedSteps.isRing(bands())) {
            Var ring = state.getFirst();
            return new StepEmitter.Out(b.add(b.ringDot(ring, params.getFirst(), e.stepIndex(), 1), y),
                    List.of(b.ringPush(ring, e.stepIndex(), u)));
        }
        for (int r = 1; r < bands(); r++) {
            y = b.add(b.mul(e.perStep(params.get(1 + r)), state.get(r - 1)), y);
        }
        return new StepEmitter.Out(y, BandedSteps.shifted(u, state));
    }

    @Override
    public StepEmitter.Out emitInverseStep(StepEmitter e, Var y, List<Var> params, List<Var> state) {
        ProgramBuilder b = e.builder();
        Var inner = null;
        boolean ring = BandedSteps.isRing(bands());
        if (ring) {
            inner = b.ringDot(state.getFirst(), params.getFirst(), e.stepIndex(), 1);
        } else {
            for (int r = 1; r < bands(); r++) {
                Var term = b.mul(e.perStep(params.get(1 + r)), state.get(r - 1));
                inner = inner == null ? term : b.add(term, inner);
            }
        }
        Var u = b.div(inner == null ? y : b.sub(y, inner), e.perStep(params.get(1)));
        Var out = b.mul(u, e.perStep(params.getLast()));
        return new StepEmitter.Out(out, ring ? List.of(b.ringPush(state.getFirst(), e.stepIndex(), u)) : BandedSteps.shifted(u, state));
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
