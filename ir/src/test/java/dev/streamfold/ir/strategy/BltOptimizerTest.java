package dev.streamfold.ir.strategy;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.streamfold.ir.stream.Blt;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** The BLT optimizer: its objective's gradient, and the optima it reaches against known ones. */
class BltOptimizerTest {
    static double[] start(BltOptimizer o) {
        double[][] s = o.initialTheta();
        double[] x = new double[2 * s[0].length];
        System.arraycopy(s[0], 0, x, 0, s[0].length);
        System.arraycopy(s[1], 0, x, s[0].length, s[0].length);
        return x;
    }

    @Test
    void objectiveGradientMatchesFiniteDifferences() {
        for (Participation p : new Participation[] {Participation.single(64), Participation.minSep(64, 8, 4)}) {
            for (ErrorKind kind : ErrorKind.values()) {
                BltOptimizer o = new BltOptimizer(3, p, kind);
                double[] x = start(o);
                double[] steps = new double[x.length];
                for (int i = 0; i < x.length; i++) {
                    steps[i] = 1e-4 * Math.min(x[i], 1 - x[i]);
                }
                GradientCheck.check(o::objective, x, steps, 1e-5, p + " " + kind);
                double[] logits = new double[x.length];
                for (int i = 0; i < x.length; i++) {
                    logits[i] = BltOptimizer.logit(x[i]);
                }
                GradientCheck.check(o::objectiveOfLogits, logits, GradientCheck.uniform(x.length, 1e-6), 1e-6,
                        "logits " + p + " " + kind);
            }
        }
    }

    @Test
    void oneBufferMatchesABruteForceGrid() {
        // One buffer: omega = theta - thetaHat, feasible for 0 < thetaHat < theta < 1.
        for (Participation p : new Participation[] {Participation.single(16), Participation.minSep(16, 4, null)}) {
            BltOptimizer o = new BltOptimizer(1, p, ErrorKind.MAX);
            BltOptimizer.Result r = o.optimize(Lbfgs.Settings.DEFAULT, null);
            double got = o.loss(r.theta(), r.omega(), r.thetaHat(), r.omegaHat());
            double lo1 = 0;
            double hi1 = 1;
            double lo2 = 0;
            double hi2 = 1;
            double best = Double.POSITIVE_INFINITY;
            for (int round = 0; round < 6; round++) {
                int steps = 200;
                double b1 = 0;
                double b2 = 0;
                for (int i = 1; i < steps; i++) {
                    double t = lo1 + (hi1 - lo1) * i / steps;
                    for (int j = 1; j < steps; j++) {
                        double th = lo2 + (hi2 - lo2) * j / steps;
                        if (!(th > 0 && th < t && t < 1)) {
                            continue;
                        }
                        double v = o.loss(new double[] {t}, new double[] {t - th}, new double[] {th}, new double[] {th - t});
                        if (v < best) {
                            best = v;
                            b1 = t;
                            b2 = th;
                        }
                    }
                }
                double w1 = 2 * (hi1 - lo1) / steps;
                double w2 = 2 * (hi2 - lo2) / steps;
                lo1 = Math.max(0, b1 - w1);
                hi1 = Math.min(1, b1 + w1);
                lo2 = Math.max(0, b2 - w2);
                hi2 = Math.min(1, b2 + w2);
            }
            assertEquals(best, got, 1e-6 * best, p.toString());
        }
    }

    @Test
    void threeBuffersComeCloseToTheOptimalToeplitzStrategy() {
        int n = 1000;
        double optimal = new ToeplitzOptimizer(n, Participation.single(n), ErrorKind.MAX)
                .loss(ToeplitzOptimizer.optimalMaxErrorStrategy(n));
        double previous = Double.POSITIVE_INFINITY;
        for (int k = 1; k <= 3; k++) {
            BltOptimizer o = new BltOptimizer(k, Participation.single(n), ErrorKind.MAX);
            BltOptimizer.Result r = o.optimize(Lbfgs.Settings.DEFAULT, null);
            double loss = o.loss(r.theta(), r.omega(), r.thetaHat(), r.omegaHat());
            assertTrue(loss >= optimal * (1 - 1e-12), k + " buffers beat the optimal Toeplitz strategy: " + loss);
            assertTrue(loss < previous, k + " buffers: " + loss + " not below " + previous);
            previous = loss;
        }
        assertEquals(optimal, previous, 0.005 * optimal, "3 buffers within 0.5% of the optimal Toeplitz loss");
    }

    @Test
    void resultIsDeterministicValidAndSorted() {
        Participation p = Participation.minSep(200, 25, 8);
        BltOptimizer o = new BltOptimizer(3, p, ErrorKind.MAX);
        BltOptimizer.Result a = o.optimize(Lbfgs.Settings.DEFAULT, null);
        BltOptimizer.Result b = new BltOptimizer(3, p, ErrorKind.MAX).optimize(Lbfgs.Settings.DEFAULT, null);
        assertArrayEquals(a.theta(), b.theta(), 0);
        assertArrayEquals(a.omega(), b.omega(), 0);
        for (int j = 0; j < 3; j++) {
            assertTrue(a.theta()[j] > 0 && a.theta()[j] < 1 && a.omega()[j] > 0, "buffer " + j);
            assertTrue(j == 0 || a.theta()[j] < a.theta()[j - 1], "sorted");
        }
        double[] coef = dev.streamfold.ir.stream.Mechanisms.bltCoefficients(a.theta(), a.omega(), 200);
        for (int d = 1; d < coef.length; d++) {
            assertTrue(coef[d] >= 0 && coef[d] <= coef[d - 1], "coefficient " + d + " increases");
        }
        MechanismReport report = MechanismReport.of(Blt.of(a.theta(), a.omega()), 200, 25, 8);
        assertEquals(report.maxLoss(), o.loss(a.theta(), a.omega(), a.thetaHat(), a.omegaHat()), 1e-9 * report.maxLoss());
        assertEquals(false, report.minSep().upperBound());
        assertTrue(Arrays.stream(a.omegaHat()).allMatch(w -> w < 0));
    }
}
