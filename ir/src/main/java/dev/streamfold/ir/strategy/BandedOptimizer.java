package dev.streamfold.ir.strategy;

import dev.streamfold.ir.StreamfoldException;
import java.util.Arrays;

/**
 * Optimizes a column-normalized banded strategy (jax_privacy's {@code banded.optimize}): an n x b
 * array P sets C's first b bands, each column of the n x n matrix scaled to unit norm, so the
 * sensitivity is {@code sqrt(k)} for any min-separation pattern with minSep >= b. The objective is
 * {@code k x mean error} divided by {@code k + (1 + ln(n) / pi)^2}; its gradient with respect to C
 * is {@code -(2 / n) B^T B C^-T} with {@code B = A C^-1}, formed with banded triangular solves in
 * O(n^2 b), and then taken through the column normalization to P.
 */
public final class BandedOptimizer {
    /** The optimized P (entries outside the n x n matrix set to 0) and the objective reached. */
    public record Result(double[][] params, double objective, int iterations, int evaluations, String stopReason) {}

    private final int n;
    private final int bands;
    private final Participation participation;
    private final double scale;

    /** An optimizer of column-normalized banded strategies with {@code bands} bands, minimizing the mean loss. */
    public BandedOptimizer(int bands, Participation participation) {
        n = participation.steps();
        if (bands < 1 || bands > n) {
            throw new StreamfoldException("bands must be in [1, steps = " + n + "], got " + bands);
        }
        if (!participation.isSingle() && participation.minSep() < bands) {
            throw new StreamfoldException("banded: min_sep = " + participation.minSep() + " must be >= bands = " + bands
                    + " for the sensitivity of a column-normalized banded strategy to be sqrt(participations)");
        }
        this.bands = bands;
        this.participation = participation;
        double logTerm = 1 + Math.log(n) / Math.PI;
        this.scale = 1 / (participation.participations() + logTerm * logTerm);
    }

    /** jax_privacy's {@code ColumnNormalizedBanded.default}: every row of P the optimal max-error coefficients cut to b bands. */
    public double[][] initialParams() {
        double[] c = ToeplitzOptimizer.optimalMaxErrorStrategy(bands);
        double norm = 0;
        for (double v : c) {
            norm += v * v;
        }
        norm = Math.sqrt(norm);
        double[][] p = new double[n][bands];
        for (int j = 0; j < n; j++) {
            for (int r = 0; r < kept(j); r++) {
                p[j][r] = c[r] / norm;
            }
        }
        return p;
    }

    /** Runs L-BFGS from {@link #initialParams()}. */
    public Result optimize(Lbfgs.Settings settings, Lbfgs.Progress progress) {
        double[] x = flatten(initialParams());
        Lbfgs.Result r = Lbfgs.minimize(this::objective, x, settings, progress);
        double[][] p = new double[n][bands];
        for (int j = 0; j < n; j++) {
            for (int q = 0; q < kept(j); q++) {
                p[j][q] = r.x()[j * bands + q];
            }
        }
        return new Result(p, r.value(), r.iterations(), r.evaluations(), r.stopReason());
    }

    /** {@code k x mean error} (the loss), for P given row by row. */
    public double loss(double[][] params) {
        return participation.participations() * meanError(flatten(params), null);
    }

    /** The normalized loss at the flattened P and its gradient; {@code +inf} where a diagonal entry is 0. */
    public double objective(double[] x, double[] gradient) {
        double e = meanError(x, gradient);
        double factor = scale * participation.participations();
        for (int i = 0; i < gradient.length; i++) {
            gradient[i] *= factor;
        }
        return factor * e;
    }

    /** The mean per-query error of the prefix sum, adding its gradient with respect to P when {@code gradient} is not null. */
    private double meanError(double[] x, double[] gradient) {
        double[] norms = new double[n];
        for (int j = 0; j < n; j++) {
            double s = 0;
            for (int r = 0; r < kept(j); r++) {
                s += x[j * bands + r] * x[j * bands + r];
            }
            norms[j] = Math.sqrt(s);
            if (x[j * bands] == 0) {
                return Double.POSITIVE_INFINITY;
            }
        }
        // band[i][r] = C[i][i - r] = P[i - r][r] / N_{i - r}
        double[][] band = new double[n][bands];
        for (int j = 0; j < n; j++) {
            for (int r = 0; r < kept(j); r++) {
                band[j + r][r] = x[j * bands + r] / norms[j];
            }
        }
        double[][] b = new double[n][];
        double[] column = new double[n];
        double[][] z = new double[n][n];
        for (int m = 0; m < n; m++) {
            solveInto(band, unit(m), m, column);
            for (int i = m; i < n; i++) {
                z[i][m] = column[i];
            }
        }
        double total = 0;
        for (int i = 0; i < n; i++) {
            b[i] = z[i].clone();
            if (i > 0) {
                for (int l = 0; l < n; l++) {
                    b[i][l] += b[i - 1][l];
                }
            }
            for (int l = 0; l <= i; l++) {
                total += b[i][l] * b[i][l];
            }
        }
        double mean = total / n;
        if (gradient == null) {
            return mean;
        }
        // W = B C^-T: row i of W solves C w = b_i.
        double[][] w = new double[n][n];
        for (int i = 0; i < n; i++) {
            solveInto(band, b[i], 0, w[i]);
        }
        for (int j = 0; j < n; j++) {
            int kept = kept(j);
            double[] g = new double[kept];
            for (int r = 0; r < kept; r++) {
                double s = 0;
                for (int i = j + r; i < n; i++) {
                    s += b[i][j + r] * w[i][j];
                }
                g[r] = -2.0 / n * s;
            }
            double dot = 0;
            for (int r = 0; r < kept; r++) {
                dot += g[r] * x[j * bands + r];
            }
            double nj = norms[j];
            for (int r = 0; r < kept; r++) {
                gradient[j * bands + r] += g[r] / nj - x[j * bands + r] * dot / (nj * nj * nj);
            }
        }
        return mean;
    }

    /** Forward substitution {@code C v = rhs} for rows from {@code start} (entries before it are 0). */
    private void solveInto(double[][] band, double[] rhs, int start, double[] out) {
        Arrays.fill(out, 0, start, 0);
        for (int i = start; i < n; i++) {
            double v = rhs[i];
            for (int r = 1; r < bands && i - r >= start; r++) {
                v -= band[i][r] * out[i - r];
            }
            out[i] = v / band[i][0];
        }
    }

    private double[] unit(int m) {
        double[] e = new double[n];
        e[m] = 1;
        return e;
    }

    /** How many of P's row j fall inside the n x n matrix. */
    private int kept(int j) {
        return Math.min(bands, n - j);
    }

    private double[] flatten(double[][] p) {
        double[] x = new double[n * bands];
        for (int j = 0; j < n; j++) {
            System.arraycopy(p[j], 0, x, j * bands, bands);
        }
        return x;
    }
}
