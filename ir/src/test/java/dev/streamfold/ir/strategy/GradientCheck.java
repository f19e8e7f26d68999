package dev.streamfold.ir.strategy;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Central finite differences of an objective against its analytic gradient. */
final class GradientCheck {
    private GradientCheck() {}

    /** Checks every component with step {@code h * scale_i}; {@code tol} is relative to the largest gradient entry. */
    static void check(Lbfgs.Objective f, double[] x, double[] steps, double tol, String what) {
        double[] g = new double[x.length];
        f.evaluate(x, g);
        double largest = 0;
        for (double v : g) {
            largest = Math.max(largest, Math.abs(v));
        }
        for (int i = 0; i < x.length; i++) {
            double[] plus = x.clone();
            double[] minus = x.clone();
            plus[i] += steps[i];
            minus[i] -= steps[i];
            double fd = (f.evaluate(plus, new double[x.length]) - f.evaluate(minus, new double[x.length])) / (2 * steps[i]);
            assertEquals(fd, g[i], tol * Math.max(largest, 1e-300), what + ": component " + i);
        }
    }

    static double[] uniform(int d, double h) {
        double[] s = new double[d];
        java.util.Arrays.fill(s, h);
        return s;
    }
}
