package dev.streamfold.ir.strategy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.streamfold.ir.DType;
import dev.streamfold.ir.StreamfoldException;
import dev.streamfold.ir.Tensor;
import dev.streamfold.ir.stream.Bindings;
import dev.streamfold.ir.stream.ColumnNormalizedBanded;
import dev.streamfold.ir.stream.Inverse;
import dev.streamfold.ir.stream.Mechanisms;
import dev.streamfold.ir.stream.Param;
import dev.streamfold.ir.stream.PrefixSum;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The column-normalized banded optimizer: gradient, loss against the streaming operator, a brute-force optimum. */
class BandedOptimizerTest {
    @Test
    void objectiveGradientMatchesFiniteDifferences() {
        int n = 12;
        int b = 3;
        BandedOptimizer o = new BandedOptimizer(b, Participation.minSep(n, 4, null));
        double[][] p = o.initialParams();
        Random r = new Random(3);
        double[] x = new double[n * b];
        for (int j = 0; j < n; j++) {
            for (int q = 0; q < b; q++) {
                x[j * b + q] = p[j][q] * (1 + 0.2 * r.nextGaussian());
            }
        }
        GradientCheck.check(o::objective, x, GradientCheck.uniform(x.length, 1e-6), 1e-7, "banded");
    }

    @Test
    void lossIsParticipationsTimesTheMeanErrorOfTheStreamedInverse() {
        int n = 9;
        BandedOptimizer o = new BandedOptimizer(3, Participation.minSep(n, 3, null));
        double[][] p = o.initialParams();
        p[4][1] = -0.7;
        p[8][0] = 2;
        ColumnNormalizedBanded c = new ColumnNormalizedBanded(new Param.Literal(Tensor.matrix(DType.F64, p)));
        double mean = Mechanisms.meanError(Mechanisms.perQueryError(new PrefixSum(), new Inverse(c), Bindings.NONE, n));
        assertEquals(3 * mean, o.loss(p), 1e-12 * mean);
    }

    @Test
    void threeStepsTwoBandsMatchABruteForceGrid() {
        // Columns 0 and 1 are unit vectors at angles a and b; column 2 is e_2.
        BandedOptimizer o = new BandedOptimizer(2, Participation.single(3));
        BandedOptimizer.Result r = o.optimize(Lbfgs.Settings.DEFAULT, null);
        double best = Double.POSITIVE_INFINITY;
        double ca = 0;
        double cb = 0;
        double width = Math.PI;
        for (int round = 0; round < 6; round++) {
            double ba = ca;
            double bb = cb;
            for (int i = -100; i <= 100; i++) {
                for (int j = -100; j <= 100; j++) {
                    double a = ca + width * i / 100;
                    double b = cb + width * j / 100;
                    if (Math.abs(Math.cos(a)) < 1e-9 || Math.abs(Math.cos(b)) < 1e-9) {
                        continue;
                    }
                    double v = o.loss(new double[][] {{Math.cos(a), Math.sin(a)}, {Math.cos(b), Math.sin(b)}, {1, 0}});
                    if (v < best) {
                        best = v;
                        ba = a;
                        bb = b;
                    }
                }
            }
            ca = ba;
            cb = bb;
            width *= 0.04;
        }
        assertEquals(best, o.loss(r.params()), 1e-9 * best);
        assertTrue(o.loss(r.params()) < o.loss(o.initialParams()));
    }

    @Test
    void refusesMinSepBelowTheBands() {
        StreamfoldException e = assertThrows(StreamfoldException.class,
                () -> new BandedOptimizer(4, Participation.minSep(20, 3, null)));
        assertEquals("banded: min_sep = 3 must be >= bands = 4 for the sensitivity of a column-normalized banded strategy"
                + " to be sqrt(participations)", e.getMessage());
    }
}
