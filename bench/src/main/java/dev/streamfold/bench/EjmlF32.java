package dev.streamfold.bench;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.ejml.data.FMatrixRMaj;
import org.ejml.dense.row.decomposition.TriangularSolver_FDRM;
import org.ejml.dense.row.factory.DecompositionFactory_FDRM;
import org.ejml.interfaces.decomposition.CholeskyDecomposition_F32;
import org.ejml.interfaces.decomposition.DecompositionInterface;
import org.ejml.interfaces.decomposition.EigenDecomposition_F32;
import org.ejml.interfaces.decomposition.LUDecomposition_F32;
import org.ejml.interfaces.decomposition.QRDecomposition;
import org.ejml.interfaces.decomposition.SingularValueDecomposition_F32;

/** {@link EjmlBaseline} in float32 ({@code FMatrixRMaj}). */
final class EjmlF32 implements EjmlBaseline {
    private final String op;
    private final int n;
    private final FMatrixRMaj[] a;
    private final FMatrixRMaj[] b;
    private final FMatrixRMaj work;
    private final FMatrixRMaj q;
    private final FMatrixRMaj r;
    private final LUDecomposition_F32<FMatrixRMaj> lu;
    private final CholeskyDecomposition_F32<FMatrixRMaj> chol;
    private final QRDecomposition<FMatrixRMaj> qr;
    private final EigenDecomposition_F32<FMatrixRMaj> eig;
    private final SingularValueDecomposition_F32<FMatrixRMaj> svd;

    EjmlF32(String op, int n, List<List<double[]>> inputs) {
        this.op = op;
        this.n = n;
        a = new FMatrixRMaj[inputs.size()];
        b = new FMatrixRMaj[op.equals("triangular_solve") ? inputs.size() : 0];
        for (int i = 0; i < inputs.size(); i++) {
            a[i] = new FMatrixRMaj(n, n, true, narrow(inputs.get(i).get(0)));
            if (b.length > 0) {
                b[i] = new FMatrixRMaj(n, n, true, narrow(inputs.get(i).get(1)));
            }
        }
        work = new FMatrixRMaj(n, n);
        q = new FMatrixRMaj(n, n);
        r = new FMatrixRMaj(n, n);
        lu = op.equals("lu") ? DecompositionFactory_FDRM.lu(n, n) : null;
        chol = op.equals("cholesky") ? DecompositionFactory_FDRM.chol(n, true) : null;
        qr = op.equals("qr") ? DecompositionFactory_FDRM.qr(n, n) : null;
        eig = op.equals("eigh") ? DecompositionFactory_FDRM.eig(n, true, true) : null;
        svd = op.equals("svd") ? DecompositionFactory_FDRM.svd(n, n, true, true, true) : null;
        if (!List.of("lu", "cholesky", "qr", "eigh", "svd", "triangular_solve").contains(op)) {
            throw new IllegalArgumentException("unknown op " + op);
        }
    }

    @Override
    public void run(int i) {
        boolean ok = switch (op) {
            case "lu" -> lu.decompose(input(lu, a[i]));
            case "cholesky" -> chol.decompose(input(chol, a[i]));
            case "qr" -> {
                boolean done = qr.decompose(input(qr, a[i]));
                qr.getQ(q, true);
                qr.getR(r, true);
                yield done;
            }
            case "eigh" -> eig.decompose(input(eig, a[i]));
            case "svd" -> svd.decompose(input(svd, a[i]));
            case "triangular_solve" -> {
                work.setTo(b[i]);
                TriangularSolver_FDRM.solveL(a[i].data, work.data, n, n);
                yield true;
            }
            default -> throw new IllegalStateException(op);
        };
        if (!ok) {
            throw new IllegalStateException("EJML " + op + " failed on input " + i);
        }
    }

    private FMatrixRMaj input(DecompositionInterface<FMatrixRMaj> d, FMatrixRMaj m) {
        if (!d.inputModified()) {
            return m;
        }
        work.setTo(m);
        return work;
    }

    @Override
    public Map<String, double[]> outputs() {
        Map<String, double[]> out = new LinkedHashMap<>();
        switch (op) {
            case "lu" -> {
                out.put("l", widen(lu.getLower(null).data));
                out.put("u", widen(lu.getUpper(null).data));
                out.put("p", widen(lu.getRowPivot(null).data));
            }
            case "cholesky" -> {
                double[] l = widen(chol.getT(null).data);
                for (int i = 0; i < n; i++) {
                    for (int j = i + 1; j < n; j++) {
                        l[i * n + j] = 0;
                    }
                }
                out.put("l", l);
            }
            case "qr" -> {
                out.put("q", widen(q.data));
                out.put("r", widen(r.data));
            }
            case "eigh" -> {
                double[] w = new double[n];
                double[] v = new double[n * n];
                for (int j = 0; j < n; j++) {
                    w[j] = eig.getEigenvalue(j).real;
                    FMatrixRMaj vj = eig.getEigenVector(j);
                    for (int i = 0; i < n; i++) {
                        v[i * n + j] = vj.get(i, 0);
                    }
                }
                out.put("w", w);
                out.put("v", v);
            }
            case "svd" -> {
                out.put("u", widen(svd.getU(null, false).data));
                out.put("s", widen(svd.getSingularValues()));
                out.put("v", widen(svd.getV(null, false).data));
            }
            case "triangular_solve" -> out.put("x", widen(work.data));
            default -> throw new IllegalStateException(op);
        }
        return out;
    }

    private static float[] narrow(double[] d) {
        float[] f = new float[d.length];
        for (int i = 0; i < d.length; i++) {
            f[i] = (float) d[i];
        }
        return f;
    }

    private static double[] widen(float[] f) {
        double[] d = new double[f.length];
        for (int i = 0; i < f.length; i++) {
            d[i] = f[i];
        }
        return d;
    }
}
