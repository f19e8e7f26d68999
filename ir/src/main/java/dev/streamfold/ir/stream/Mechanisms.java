package dev.streamfold.ir.stream;

import dev.streamfold.ir.StreamfoldException;
import java.util.Arrays;

/**
 * Sensitivity, error and loss of a matrix-factorization mechanism {@code A = B C} with {@code B = A
 * C^-1}, as jax_privacy defines them: sensitivity is the largest L2 norm a participation pattern
 * gives {@code C x} over unit contributions, error is {@code row_norms_squared(A C^-1)} (the
 * per-query variance for unit noise), loss = sensitivity^2 x error.
 */
public final class Mechanisms {
    /** Columns whose normalized inner product is below this count as orthogonal. */
    public static final double ORTHOGONAL = 1e-12;

    private Mechanisms() {}

    /** Single participation: the largest column L2 norm of the n x n materialized {@code c}. */
    public static double sensitivity(StreamingMatrix c, Bindings bindings, int n) {
        return sensitivity(StreamingEval.materialize(c, bindings, n).rows());
    }

    /** Single participation: the largest column L2 norm of {@code c}. */
    public static double sensitivity(double[][] c) {
        double best = 0;
        for (int j = 0; j < (c.length == 0 ? 0 : c[0].length); j++) {
            double s = 0;
            for (double[] row : c) {
                s += row[j] * row[j];
            }
            best = Math.max(best, s);
        }
        return Math.sqrt(best);
    }

    /**
     * BLT single-participation sensitivity squared over n steps (the first column's squared norm):
     * {@code 1 + sum_{j,k} omega_j omega_k sum_{m<n-1} (theta_j theta_k)^m}.
     */
    public static double bltSensitivitySquared(double[] theta, double[] omega, int n) {
        double s = 1;
        for (int j = 0; j < theta.length; j++) {
            for (int k = 0; k < theta.length; k++) {
                double r = theta[j] * theta[k];
                double terms = Math.max(0, n - 1);
                double geometric = r == 1 ? terms : (1 - Math.pow(r, terms)) / (1 - r);
                s += omega[j] * omega[k] * geometric;
            }
        }
        return s;
    }

    /** The most participations a min-sep pattern allows in n steps: {@code min(limit, ceil(n / minSep))}. */
    public static int maxParticipations(int n, int minSep, Integer limit) {
        checkMinSep(minSep);
        int ub = (n + minSep - 1) / minSep;
        return limit == null ? ub : Math.min(limit, ub);
    }

    /**
     * {@code max <x, u>} over 0/1 vectors u with at most k ones, any two at least {@code minSep}
     * apart (dynamic programming over suffixes, one pass per participation).
     */
    public static double maxParticipationForLinearFn(double[] x, int minSep, Integer limit) {
        int n = x.length;
        int k = maxParticipations(n, minSep, limit);
        double[] f = new double[n + minSep];
        for (int round = 0; round < k; round++) {
            double[] prev = f.clone();
            for (int i = 0; i < n; i++) {
                f[i] = x[i] + prev[i + minSep];
            }
            for (int i = f.length - 2; i >= 0; i--) {
                f[i] = Math.max(f[i], f[i + 1]);
            }
        }
        return n == 0 ? 0 : f[0];
    }

    /**
     * Min-separation sensitivity of a C whose columns at least {@code minSep} apart are orthogonal
     * (true for a lower-triangular C with at most minSep bands): {@code sqrt(max_u sum_{j in u}
     * ||C[:, j]||^2)} over participation patterns u. For a column-normalized C this is {@code
     * sqrt(k)}.
     */
    public static double bandedMinSepSensitivity(double[][] c, int minSep, Integer maxParticipations) {
        checkMinSep(minSep);
        int n = c.length;
        double[][] gram = gram(c);
        double[] squaredNorms = new double[n];
        for (int i = 0; i < n; i++) {
            squaredNorms[i] = gram[i][i];
        }
        for (int i = 0; i < n; i++) {
            for (int j = i + minSep; j < n; j++) {
                if (Math.abs(gram[i][j]) > ORTHOGONAL * Math.sqrt(squaredNorms[i] * squaredNorms[j])) {
                    throw new StreamfoldException("columns " + i + " and " + j + " of C are " + (j - i) + " >= min_sep = "
                            + minSep + " apart but not orthogonal; the banded sensitivity does not apply");
                }
            }
        }
        return Math.sqrt(maxParticipationForLinearFn(squaredNorms, minSep, maxParticipations));
    }

    /**
     * Min-separation sensitivity squared of the n x n lower Toeplitz C with first column {@code coef}
     * (non-negative, non-increasing): the worst pattern is k participations exactly minSep apart from
     * step 0, so it is {@code ||sum_{m<k} C[:, m minSep]||^2}.
     */
    public static double toeplitzMinSepSensitivitySquared(double[] coef, int n, int minSep, Integer maxParticipations) {
        checkMinSep(minSep);
        for (int i = 0; i < coef.length; i++) {
            if (coef[i] < 0) {
                throw new StreamfoldException("coef must be non-negative, found coef[" + i + "] = " + coef[i]);
            }
            if (i > 0 && coef[i] > coef[i - 1]) {
                throw new StreamfoldException("coef must be non-increasing, found coef[" + i + "] = " + coef[i]
                        + " > coef[" + (i - 1) + "] = " + coef[i - 1]);
            }
        }
        int k = maxParticipations(n, minSep, maxParticipations);
        double[] c = Arrays.copyOf(coef, n);
        double s = 0;
        for (int i = 0; i < n; i++) {
            double v = 0;
            for (int m = 0; m < k && m * minSep <= i; m++) {
                v += c[i - m * minSep];
            }
            s += v * v;
        }
        return s;
    }

    /** Per-query squared error of {@code B = A C^-1}: its squared row norms over n steps. */
    public static double[] perQueryError(StreamingMatrix workload, StreamingMatrix noising, Bindings bindings, int n) {
        return StreamingEval.rowNormsSquared(workload.matmul(noising), bindings, n).data();
    }

    public static double meanError(double[] perQuery) {
        return perQuery.length == 0 ? 0 : Arrays.stream(perQuery).sum() / perQuery.length;
    }

    public static double maxError(double[] perQuery) {
        return Arrays.stream(perQuery).max().orElse(0);
    }

    /** {@code sensitivity^2 x error}. */
    public static double loss(double sensitivity, double error) {
        return sensitivity * sensitivity * error;
    }

    /** {@code C^T C}. */
    private static double[][] gram(double[][] c) {
        int n = c.length == 0 ? 0 : c[0].length;
        double[][] g = new double[n][n];
        for (double[] row : c) {
            for (int i = 0; i < n; i++) {
                for (int j = 0; j < n; j++) {
                    g[i][j] += row[i] * row[j];
                }
            }
        }
        return g;
    }

    private static void checkMinSep(int minSep) {
        if (minSep <= 0) {
            throw new StreamfoldException("min_sep must be positive, got " + minSep);
        }
    }
}
