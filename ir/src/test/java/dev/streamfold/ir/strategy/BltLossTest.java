package dev.streamfold.ir.strategy;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.streamfold.ir.DType;
import dev.streamfold.ir.Tensor;
import dev.streamfold.ir.stream.Bindings;
import dev.streamfold.ir.stream.Blt;
import dev.streamfold.ir.stream.Mechanisms;
import dev.streamfold.ir.stream.Param;
import dev.streamfold.ir.stream.PrefixSum;
import dev.streamfold.ir.stream.StreamingEval;
import dev.streamfold.ir.stream.StreamingMatrix;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The forward-mode gradients of BLT sensitivity and error against finite differences and against the JVP transform. */
class BltLossTest {
    static final double[] THETA = {0.95, 0.7, 0.3};
    static final double[] OMEGA = {0.1, 0.2, 0.25};
    static final double[] D_THETA = {0.3, -0.5, 0.2};
    static final double[] D_OMEGA = {-0.1, 0.4, 0.7};
    static final int N = 12;

    /** {@code f(theta + h dTheta, omega + h dOmega)} as a function of h, with its derivative from the gradients. */
    interface Along {
        double value(double[] theta, double[] omega, double[] gTheta, double[] gOmega);
    }

    static double[] derivativeAndFiniteDifference(Along f) {
        double[] gt = new double[3];
        double[] go = new double[3];
        f.value(THETA, OMEGA, gt, go);
        double analytic = 0;
        for (int j = 0; j < 3; j++) {
            analytic += gt[j] * D_THETA[j] + go[j] * D_OMEGA[j];
        }
        double h = 1e-6;
        double fd = (f.value(shift(THETA, D_THETA, h), shift(OMEGA, D_OMEGA, h), new double[3], new double[3])
                - f.value(shift(THETA, D_THETA, -h), shift(OMEGA, D_OMEGA, -h), new double[3], new double[3])) / (2 * h);
        return new double[] {analytic, fd};
    }

    static double[] shift(double[] v, double[] d, double h) {
        double[] out = v.clone();
        for (int i = 0; i < v.length; i++) {
            out[i] += h * d[i];
        }
        return out;
    }

    @Test
    void sensitivityGradientMatchesFiniteDifferences() {
        for (Participation p : new Participation[] {Participation.single(N), Participation.minSep(N, 3, null),
            Participation.minSep(N, 4, 2)}) {
            double[] r = derivativeAndFiniteDifference((t, o, gt, go) -> BltLoss.sensitivitySquared(t, o, p, gt, go));
            assertEquals(r[1], r[0], 1e-8 * Math.abs(r[1]), p.toString());
        }
    }

    @Test
    void errorGradientMatchesFiniteDifferences() {
        for (ErrorKind kind : ErrorKind.values()) {
            double[] r = derivativeAndFiniteDifference((t, o, gt, go) -> BltLoss.error(t, o, N, kind, gt, go));
            assertEquals(r[1], r[0], 1e-8 * Math.abs(r[1]), kind.toString());
        }
    }

    @Test
    void valuesMatchTheStreamingOperators() {
        Blt c = Blt.of(THETA, OMEGA);
        double[][] m = c.materialize(N);
        double single = 0;
        for (double[] row : m) {
            single += row[0] * row[0];
        }
        assertEquals(single, BltLoss.sensitivitySquared(THETA, OMEGA, Participation.single(N), new double[3], new double[3]), 1e-13);
        assertEquals(Mechanisms.bltMinSepSensitivitySquared(THETA, OMEGA, N, 3, null),
                BltLoss.sensitivitySquared(THETA, OMEGA, Participation.minSep(N, 3, null), new double[3], new double[3]), 1e-12);
        double[] err = Mechanisms.perQueryError(new PrefixSum(), c, Bindings.NONE, N);
        assertEquals(Mechanisms.maxError(err), BltLoss.error(THETA, OMEGA, N, ErrorKind.MAX, new double[3], new double[3]), 1e-11);
        assertEquals(Mechanisms.meanError(err), BltLoss.error(THETA, OMEGA, N, ErrorKind.MEAN, new double[3], new double[3]), 1e-11);
    }

    @Test
    void gradientsMatchTheJvpTransform() {
        Bindings at = Bindings.NONE.with("theta", Tensor.vector(DType.F64, THETA)).with("omega", Tensor.vector(DType.F64, OMEGA));
        Map<String, Tensor> dir = Map.of("theta", Tensor.vector(DType.F64, D_THETA), "omega", Tensor.vector(DType.F64, D_OMEGA));
        StreamingMatrix named = new Blt(Param.named("theta"), Param.named("omega"));

        // d ||C u||^2 = 2 (C u) . (dC u) with u the min-sep pattern
        Participation p = Participation.minSep(N, 4, null);
        StreamingEval.WithTangent c = StreamingEval.runJvp(named, at, dir, StreamingEval.Query.MATERIALIZE, null, N, DType.F64);
        double[][] cv = c.value().rows();
        double[][] dc = c.tangent().rows();
        double jvp = 0;
        for (int i = 0; i < N; i++) {
            double v = 0;
            double dv = 0;
            for (int j = 0; j < N; j++) {
                if (p.participatesAt(j)) {
                    v += cv[i][j];
                    dv += dc[i][j];
                }
            }
            jvp += 2 * v * dv;
        }
        double[] r = derivativeAndFiniteDifference((t, o, gt, go) -> BltLoss.sensitivitySquared(t, o, p, gt, go));
        assertEquals(jvp, r[0], 1e-12 * Math.abs(jvp), "sensitivity");

        StreamingEval.WithTangent e = StreamingEval.runJvp(new PrefixSum().matmul(named), at, dir,
                StreamingEval.Query.ROW_NORMS_SQUARED, null, N, DType.F64);
        double[] de = e.tangent().raw();
        double mean = 0;
        for (double v : de) {
            mean += v / N;
        }
        double[] max = derivativeAndFiniteDifference((t, o, gt, go) -> BltLoss.error(t, o, N, ErrorKind.MAX, gt, go));
        double[] avg = derivativeAndFiniteDifference((t, o, gt, go) -> BltLoss.error(t, o, N, ErrorKind.MEAN, gt, go));
        assertEquals(de[N - 1], max[0], 1e-12 * Math.abs(de[N - 1]), "max error");
        assertEquals(mean, avg[0], 1e-12 * Math.abs(mean), "mean error");
    }

    @Test
    void outputScalesMakeAnInversePair() {
        double[] theta = {0.9, 0.6, 0.2};
        double[] thetaHat = {0.8, 0.45, 0.1};
        int k = 3;
        double[] omega = BltLoss.outputScales(theta, thetaHat, new double[k][k], new double[k][k]);
        double[] omegaHat = BltLoss.outputScales(thetaHat, theta, new double[k][k], new double[k][k]);
        double[][] c = Blt.of(theta, omega).materialize(10);
        double[][] inv = Blt.of(thetaHat, omegaHat).materialize(10);
        for (int i = 0; i < 10; i++) {
            for (int j = 0; j < 10; j++) {
                double s = 0;
                for (int l = 0; l < 10; l++) {
                    s += c[i][l] * inv[l][j];
                }
                assertEquals(i == j ? 1 : 0, s, 1e-13, "(C C^-1)[" + i + "][" + j + "]");
            }
        }
        double[][] dPoles = new double[k][k];
        double[][] dZeros = new double[k][k];
        BltLoss.outputScales(theta, thetaHat, dPoles, dZeros);
        double h = 1e-7;
        for (int m = 0; m < k; m++) {
            double[] tp = theta.clone();
            double[] tm = theta.clone();
            tp[m] += h;
            tm[m] -= h;
            double[] zp = thetaHat.clone();
            double[] zm = thetaHat.clone();
            zp[m] += h;
            zm[m] -= h;
            double[] a = BltLoss.outputScales(tp, thetaHat, new double[k][k], new double[k][k]);
            double[] b = BltLoss.outputScales(tm, thetaHat, new double[k][k], new double[k][k]);
            double[] c2 = BltLoss.outputScales(theta, zp, new double[k][k], new double[k][k]);
            double[] d2 = BltLoss.outputScales(theta, zm, new double[k][k], new double[k][k]);
            for (int i = 0; i < k; i++) {
                assertEquals((a[i] - b[i]) / (2 * h), dPoles[i][m], 1e-7, "d omega_" + i + " / d theta_" + m);
                assertEquals((c2[i] - d2[i]) / (2 * h), dZeros[i][m], 1e-7, "d omega_" + i + " / d thetaHat_" + m);
            }
        }
    }
}
