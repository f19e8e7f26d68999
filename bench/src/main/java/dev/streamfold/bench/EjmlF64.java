package dev.streamfold.bench;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.decomposition.TriangularSolver_DDRM;
import org.ejml.dense.row.factory.DecompositionFactory_DDRM;
import org.ejml.interfaces.decomposition.CholeskyDecomposition_F64;
import org.ejml.interfaces.decomposition.DecompositionInterface;
import org.ejml.interfaces.decomposition.EigenDecomposition_F64;
import org.ejml.interfaces.decomposition.LUDecomposition_F64;
import org.ejml.interfaces.decomposition.QRDecomposition;
import org.ejml.interfaces.decomposition.SingularValueDecomposition_F64;

/** {@link EjmlBaseline} in float64 ({@code DMatrixRMaj}). */
final class EjmlF64 implements EjmlBaseline {
    private final String op;
    private final int n;
    private final DMatrixRMaj[] a;
    private final DMatrixRMaj[] b;
    private final DMatrixRMaj work;
    private final DMatrixRMaj q;
    private final DMatrixRMaj r;
    private final LUDecomposition_F64<DMatrixRMaj> lu;
    private final CholeskyDecomposition_F64<DMatrixRMaj> chol;
    private final QRDecomposition<DMatrixRMaj> qr;
    private final EigenDecomposition_F64<DMatrixRMaj> eig;
    private final SingularValueDecomposition_F64<DMatrixRMaj> svd;

    EjmlF64(String op, int n, List<List<double[]>> inputs) {
        this.op = op;
        this.n = n;
        a = new DMatrixRMaj[inputs.size()];
        b = new DMatrixRMaj[op.equals("triangular_solve") ? inputs.size() : 0];
        for (int i = 0; i < inputs.size(); i++) {
            a[i] = new DMatrixRMaj(n, n, true, inputs.get(i).get(0));
            if (b.length > 0) {
                b[i] = new DMatrixRMaj(n, n, true, inputs.get(i).get(1));
            }
        }
        work = new DMatrixRMaj(n, n);
        q = new DMatrixRMaj(n, n);
        r = new DMatrixRMaj(n, n);
        lu = op.equals("lu") ? DecompositionFactory_DDRM.lu(n, n) : null;
        chol = op.equals("cholesky") ? DecompositionFactory_DDRM.chol(n, true) : null;
        qr = op.equals("qr") ? DecompositionFactory_DDRM.qr(n, n) : null;
        eig = op.equals("eigh") ? DecompositionFactory_DDRM.eig(n, true, true) : null;
        svd = op.equals("svd") ? DecompositionFactory_DDRM.svd(n, n, true, true, true) : null;
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
                TriangularSolver_DDRM.solveL(a[i].data, work.data, n, n);
                yield true;
            }
            default -> throw new IllegalStateException(op);
        };
        if (!ok) {
            throw new IllegalStateException("EJML " + op + " failed on input " + i);
        }
    }

    private DMatrixRMaj input(DecompositionInterface<DMatrixRMaj> d, DMatrixRMaj m) {
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
                out.put("l", lu.getLower(null).data.clone());
                out.put("u", lu.getUpper(null).data.clone());
                out.put("p", lu.getRowPivot(null).data.clone());
            }
            case "cholesky" -> {
                double[] l = chol.getT(null).data.clone();
                for (int i = 0; i < n; i++) {
                    for (int j = i + 1; j < n; j++) {
                        l[i * n + j] = 0;
                    }
                }
                out.put("l", l);
            }
            case "qr" -> {
                out.put("q", q.data.clone());
                out.put("r", r.data.clone());
            }
            case "eigh" -> {
                double[] w = new double[n];
                double[] v = new double[n * n];
                for (int j = 0; j < n; j++) {
                    w[j] = eig.getEigenvalue(j).real;
                    DMatrixRMaj vj = eig.getEigenVector(j);
                    for (int i = 0; i < n; i++) {
                        v[i * n + j] = vj.get(i, 0);
                    }
                }
                out.put("w", w);
                out.put("v", v);
            }
            case "svd" -> {
                out.put("u", svd.getU(null, false).data.clone());
                out.put("s", svd.getSingularValues().clone());
                out.put("v", svd.getV(null, false).data.clone());
            }
            case "triangular_solve" -> out.put("x", work.data.clone());
            default -> throw new IllegalStateException(op);
        }
        return out;
    }
}
