package dev.streamfold.ir.strategy;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** L-BFGS on functions with known minimizers, including one with an infeasible region. */
class LbfgsTest {
    /** The Rosenbrock function in d dimensions, minimum 0 at (1, ..., 1). */
    static double rosenbrock(double[] x, double[] g) {
        double f = 0;
        for (int i = 0; i + 1 < x.length; i++) {
            double a = x[i + 1] - x[i] * x[i];
            double b = 1 - x[i];
            f += 100 * a * a + b * b;
            g[i] += -400 * a * x[i] - 2 * b;
            g[i + 1] += 200 * a;
        }
        return f;
    }

    @Test
    void findsTheRosenbrockMinimum() {
        double[] start = {-1.2, 1, -0.5, 0.8, 1.5};
        Lbfgs.Result r = Lbfgs.minimize(LbfgsTest::rosenbrock, start, Lbfgs.Settings.DEFAULT.withMaxIterations(2000), null);
        assertArrayEquals(new double[] {1, 1, 1, 1, 1}, r.x(), 1e-7);
        assertTrue(r.value() < 1e-14, "value " + r.value());
    }

    @Test
    void staysInsideTheFeasibleSetWhereTheObjectiveIsInfinite() {
        // f = x - log(x) + (y - 2)^2 is infinite for x <= 0; minimum at (1, 2).
        Lbfgs.Objective f = (x, g) -> {
            if (x[0] <= 0) {
                return Double.POSITIVE_INFINITY;
            }
            g[0] = 1 - 1 / x[0];
            g[1] = 2 * (x[1] - 2);
            return x[0] - Math.log(x[0]) + (x[1] - 2) * (x[1] - 2);
        };
        Lbfgs.Result r = Lbfgs.minimize(f, new double[] {0.01, -30}, Lbfgs.Settings.DEFAULT, null);
        assertArrayEquals(new double[] {1, 2}, r.x(), 1e-7);
    }

    @Test
    void isDeterministicAndReportsEveryIteration() {
        double[] start = {-1.2, 1, 0.3};
        List<Double> values = new ArrayList<>();
        Lbfgs.Result a = Lbfgs.minimize(LbfgsTest::rosenbrock, start, Lbfgs.Settings.DEFAULT, (it, v, gn) -> values.add(v));
        Lbfgs.Result b = Lbfgs.minimize(LbfgsTest::rosenbrock, start, Lbfgs.Settings.DEFAULT, null);
        assertArrayEquals(a.x(), b.x(), 0);
        assertEquals(a.iterations(), values.size());
        for (int i = 1; i < values.size(); i++) {
            assertTrue(values.get(i) <= values.get(i - 1), "iteration " + i + " increased the value");
        }
    }
}
