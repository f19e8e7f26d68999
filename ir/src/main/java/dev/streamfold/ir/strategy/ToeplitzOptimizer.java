package dev.streamfold.ir.strategy;

import dev.streamfold.ir.StreamfoldException;
import java.util.Arrays;

/**
 * Optimizes a banded lower Toeplitz strategy C with b coefficients for n steps (jax_privacy's
 * {@code toeplitz.optimize_banded_toeplitz}): the objective is {@code sensitivity^2 x error} with the
 * min-separation sensitivity of a non-negative, non-increasing C, divided by {@code k + (1 + ln(n) /
 * pi)^2}. The loss does not change when C is scaled, so {@code c_0 = 1} is fixed and the other b-1
 * coefficients are the parameters. The gradient comes from the adjoint of the banded triangular
 * solve for the noising coefficients, in O(n b). Also the closed-form optimal max-error strategy.
 */
public final class ToeplitzOptimizer {
    /** The optimized coefficients (c_0 = 1), the noising coefficients of C^-1 (n of them) and the objective reached. */
    public record Result(double[] coef, double[] noisingCoef, double objective, int iterations, int evaluations,
            String stopReason) {}

    private final int bands;
    private final Participation participation;
    private final ErrorKind errorKind;
    private final double scale;

    /** An optimizer of banded Toeplitz strategies with {@code bands} bands, minimizing {@code errorKind} loss. */
    public ToeplitzOptimizer(int bands, Participation participation, ErrorKind errorKind) {
        if (bands < 1 || bands > participation.steps()) {
            throw new StreamfoldException("bands must be in [1, steps = " + participation.steps() + "], got " + bands);
        }
        this.bands = bands;
        this.participation = participation;
        this.errorKind = errorKind;
        double logTerm = 1 + Math.log(participation.steps()) / Math.PI;
        this.scale = 1 / (participation.participations() + logTerm * logTerm);
    }

    /**
     * The first n coefficients of {@code (1 - x)^(-1/2)}, {@code c_k = prod_{i<=k} (2i - 1) / (2i)}:
     * the strategy of Fichtenberger, Henzinger and Upadhyay, optimal for single-participation max
     * error (Dvijotham et al., arXiv:2404.16706).
     */
    public static double[] optimalMaxErrorStrategy(int n) {
        double[] c = new double[n];
        double v = 1;
        for (int k = 0; k < n; k++) {
            if (k > 0) {
                v *= (2.0 * k - 1) / (2.0 * k);
            }
            c[k] = v;
        }
        return c;
    }

    /**
     * The noising coefficients of the optimal max-error strategy: {@code C^-1 = A^-1 C} since {@code
     * C C = A}, so {@code c'_0 = 1} and {@code c'_k = c_k - c_{k-1}} (the coefficients of {@code (1 -
     * x)^(1/2)}).
     */
    public static double[] optimalMaxErrorNoising(int n) {
        double[] c = optimalMaxErrorStrategy(n);
        double[] out = c.clone();
        for (int k = 1; k < n; k++) {
            out[k] = c[k] - c[k - 1];
        }
        return out;
    }

    /** The first n coefficients of the inverse of the lower Toeplitz matrix with first column c ({@code c_0 != 0}). */
    public static double[] inverseCoefficients(double[] c, int n) {
        double[] inv = new double[n];
        for (int d = 0; d < n; d++) {
            double v = d == 0 ? 1 : 0;
            for (int j = 1; j < Math.min(c.length, d + 1); j++) {
                v -= c[j] * inv[d - j];
            }
            inv[d] = v / c[0];
        }
        return inv;
    }

    /** Runs L-BFGS from the optimal max-error strategy cut to b bands. */
    public Result optimize(Lbfgs.Settings settings, Lbfgs.Progress progress) {
        double[] start = Arrays.copyOfRange(optimalMaxErrorStrategy(bands), 1, bands);
        double[] x = start;
        int iterations = 0;
        int evaluations = 0;
        String reason = "nothing to optimize: one band";
        if (bands > 1) {
            Lbfgs.Result r = Lbfgs.minimize(this::objective, start, settings, progress);
            x = r.x();
            iterations = r.iterations();
            evaluations = r.evaluations();
            reason = r.stopReason();
        }
        double[] coef = withLeadingOne(x);
        double value = objective(x, new double[x.length]);
        return new Result(coef, inverseCoefficients(coef, participation.steps()), value, iterations, evaluations, reason);
    }

    /** The normalized loss at {@code x = (c_1 .. c_{b-1})} and its gradient. */
    public double objective(double[] x, double[] gradient) {
        double[] c = withLeadingOne(x);
        double[] gc = new double[bands];
        double sens = sensitivitySquared(c, gc);
        double[] ge = new double[bands];
        double err = error(c, ge);
        for (int j = 1; j < bands; j++) {
            gradient[j - 1] = scale * (gc[j] * err + sens * ge[j]);
        }
        return scale * sens * err;
    }

    /** The loss without normalization: {@code sensitivity^2 x error}. */
    public double loss(double[] coef) {
        return sensitivitySquared(coef, new double[coef.length]) * error(coef, new double[coef.length]);
    }

    /**
     * {@code ||C u||^2} for participations at 0, minSep, ... (k of them), adding its gradient: {@code
     * v_i = sum_m c_{i - m minSep}}, {@code d/dc_j = 2 sum_m v_{j + m minSep}}.
     */
    double sensitivitySquared(double[] c, double[] gc) {
        int n = participation.steps();
        int sep = participation.minSep();
        int k = participation.participations();
        double[] v = new double[n];
        for (int m = 0; m < k; m++) {
            for (int j = 0; j < c.length && m * sep + j < n; j++) {
                v[m * sep + j] += c[j];
            }
        }
        double s = 0;
        for (double e : v) {
            s += e * e;
        }
        for (int j = 0; j < c.length; j++) {
            for (int m = 0; m < k && j + m * sep < n; m++) {
                gc[j] += 2 * v[j + m * sep];
            }
        }
        return s;
    }

    /**
     * The max or mean per-query error of the prefix sum with noising coefficients {@code cHat =
     * T(c)^-1 e_0}, adding its gradient by the adjoint: with {@code gbar = d error / d cHat}, {@code
     * lambda = T^-T gbar} and {@code d error / d c_j = -sum_d lambda_d cHat_{d-j}}.
     */
    double error(double[] c, double[] gc) {
        int n = participation.steps();
        double[] inv = inverseCoefficients(c, n);
        double[] w = new double[n];
        double b = 0;
        double total = 0;
        double[] prefix = new double[n];
        for (int d = 0; d < n; d++) {
            b += inv[d];
            prefix[d] = b;
            w[d] = errorKind == ErrorKind.MAX ? 1 : (double) (n - d) / n;
            total += w[d] * b * b;
        }
        double[] gbar = new double[n];
        double suffix = 0;
        for (int e = n - 1; e >= 0; e--) {
            suffix += 2 * w[e] * prefix[e];
            gbar[e] = suffix;
        }
        double[] lambda = new double[n];
        for (int e = n - 1; e >= 0; e--) {
            double v = gbar[e];
            for (int j = 1; j < c.length && e + j < n; j++) {
                v -= c[j] * lambda[e + j];
            }
            lambda[e] = v / c[0];
        }
        for (int j = 0; j < c.length; j++) {
            double s = 0;
            for (int d = j; d < n; d++) {
                s += lambda[d] * inv[d - j];
            }
            gc[j] -= s;
        }
        return total;
    }

    private double[] withLeadingOne(double[] x) {
        double[] c = new double[bands];
        c[0] = 1;
        System.arraycopy(x, 0, c, 1, bands - 1);
        return c;
    }
}
