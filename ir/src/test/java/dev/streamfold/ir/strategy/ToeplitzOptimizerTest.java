package dev.streamfold.ir.strategy;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.streamfold.ir.DType;
import dev.streamfold.ir.Tensor;
import dev.streamfold.ir.stream.Bindings;
import dev.streamfold.ir.stream.Inverse;
import dev.streamfold.ir.stream.Param;
import dev.streamfold.ir.stream.PrefixSum;
import dev.streamfold.ir.stream.StreamingEval;
import dev.streamfold.ir.stream.StreamingMatrix;
import dev.streamfold.ir.stream.Toeplitz;
import java.util.Arrays;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The banded Toeplitz optimizer and the closed-form optimal strategy. */
class ToeplitzOptimizerTest {
    @Test
    void objectiveGradientMatchesFiniteDifferences() {
        for (Participation p : new Participation[] {Participation.single(40), Participation.minSep(40, 8, null),
            Participation.minSep(40, 3, 5)}) {
            for (ErrorKind kind : ErrorKind.values()) {
                ToeplitzOptimizer o = new ToeplitzOptimizer(6, p, kind);
                double[] x = {0.7, 0.5, -0.2, 0.3, 0.1};
                GradientCheck.check(o::objective, x, GradientCheck.uniform(x.length, 1e-6), 1e-7, p + " " + kind);
            }
        }
    }

    @Test
    void errorGradientMatchesTheJvpTransform() {
        int n = 16;
        double[] c = {1, 0.6, -0.2, 0.3};
        double[] dir = {0, 0.5, -1, 0.25};
        StreamingMatrix m = new PrefixSum().matmul(new Inverse(new Toeplitz(Param.named("c"))));
        StreamingEval.WithTangent wt = StreamingEval.runJvp(m, Bindings.NONE.with("c", Tensor.vector(DType.F64, c)),
                Map.of("c", Tensor.vector(DType.F64, dir)), StreamingEval.Query.ROW_NORMS_SQUARED, null, n, DType.F64);
        double[] dErr = wt.tangent().raw();
        double mean = 0;
        for (double v : dErr) {
            mean += v / n;
        }
        for (ErrorKind kind : ErrorKind.values()) {
            ToeplitzOptimizer o = new ToeplitzOptimizer(4, Participation.single(n), kind);
            double[] g = new double[4];
            o.error(c, g);
            double directional = 0;
            for (int j = 0; j < 4; j++) {
                directional += g[j] * dir[j];
            }
            double want = kind == ErrorKind.MAX ? dErr[n - 1] : mean;
            assertEquals(want, directional, 1e-11 * Math.abs(want), kind.toString());
        }
    }

    @Test
    void closedFormSquaresToThePrefixSum() {
        int n = 50;
        double[] c = ToeplitzOptimizer.optimalMaxErrorStrategy(n);
        assertArrayEquals(new double[] {1, 0.5, 0.375, 0.3125}, Arrays.copyOf(c, 4), 0);
        for (int d = 0; d < n; d++) {
            double s = 0;
            for (int j = 0; j <= d; j++) {
                s += c[j] * c[d - j];
            }
            assertEquals(1, s, 1e-13, "(C C)[" + d + ", 0]");
        }
        assertArrayEquals(ToeplitzOptimizer.inverseCoefficients(c, n), ToeplitzOptimizer.optimalMaxErrorNoising(n), 1e-14);
    }

    @Test
    void fullBandsReachTheClosedFormLoss() {
        int n = 32;
        ToeplitzOptimizer o = new ToeplitzOptimizer(n, Participation.single(n), ErrorKind.MAX);
        double closed = o.loss(ToeplitzOptimizer.optimalMaxErrorStrategy(n));
        // start the search away from the optimum
        Lbfgs.Result r = Lbfgs.minimize(o::objective, new double[n - 1], Lbfgs.Settings.DEFAULT, null);
        double[] coef = new double[n];
        coef[0] = 1;
        System.arraycopy(r.x(), 0, coef, 1, n - 1);
        assertEquals(closed, o.loss(coef), 1e-9 * closed);
        assertArrayEquals(ToeplitzOptimizer.optimalMaxErrorStrategy(n), coef, 1e-5);
    }

    @Test
    void twoBandsMatchABruteForceGrid() {
        for (Participation p : new Participation[] {Participation.single(8), Participation.minSep(8, 2, null)}) {
            ToeplitzOptimizer o = new ToeplitzOptimizer(2, p, ErrorKind.MEAN);
            ToeplitzOptimizer.Result r = o.optimize(Lbfgs.Settings.DEFAULT, null);
            double lo = -3;
            double hi = 3;
            double best = Double.POSITIVE_INFINITY;
            for (int round = 0; round < 8; round++) {
                double arg = 0;
                for (int i = 0; i <= 1000; i++) {
                    double c1 = lo + (hi - lo) * i / 1000;
                    double v = o.loss(new double[] {1, c1});
                    if (v < best) {
                        best = v;
                        arg = c1;
                    }
                }
                double w = 2 * (hi - lo) / 1000;
                lo = arg - w;
                hi = arg + w;
            }
            assertEquals(best, o.loss(r.coef()), 1e-10 * best, p.toString());
            assertTrue(r.objective() > 0);
        }
    }
}
