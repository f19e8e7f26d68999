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
     * {@code 1 + sum_{j,k} omega_j omega_k G(theta_j theta_k, n - 1)} with the geometric sum {@link
     * #geometricSum}, exact to a few ulps also as buf_decay tends to 1.
     */
    public static double bltSensitivitySquared(double[] theta, double[] omega, int n) {
        double s = 1;
        for (int j = 0; j < theta.length; j++) {
            for (int k = 0; k < theta.length; k++) {
                s += omega[j] * omega[k] * geometricSum(theta[j], theta[k], Math.max(0, n - 1));
            }
        }
        return s;
    }

    /**
     * {@code sum_{m<terms} (a b)^m} for a, b in [0, 1], without cancellation: with {@code r = a b},
     * {@code 1 - r = (1 - a) + (1 - b) - (1 - a)(1 - b)} (exact differences near 1) and {@code 1 -
     * r^terms = -expm1(terms (log1p(-(1 - a)) + log1p(-(1 - b))))}.
     */
    public static double geometricSum(double a, double b, int terms) {
        if (terms == 0) {
            return 0;
        }
        double da = 1 - a;
        double db = 1 - b;
        double oneMinusR = Math.fma(-da, db, da + db);
        if (oneMinusR == 0) {
            return terms;
        }
        if (a == 0 || b == 0) {
            return 1;
        }
        if (a < 0 || b < 0 || a > 1 || b > 1) {
            double r = a * b;
            return (1 - Math.pow(r, terms)) / (1 - r);
        }
        double logR = Math.log1p(-da) + Math.log1p(-db);
        return -Math.expm1(terms * logR) / oneMinusR;
    }

    /**
     * Min-separation sensitivity squared of {@code blt(theta, omega)} over n steps, for a BLT whose
     * Toeplitz coefficients are non-negative and non-increasing (theta in (0, 1], omega >= 0,
     * sum(omega) <= 1): the worst pattern is k participations minSep apart from step 0, and each
     * entry of {@code C u} is summed directly from coefficients {@code c_d = sum_j omega_j
     * theta_j^(d-1)} (no differences of running sums), so it stays exact as buf_decay tends to 1.
     */
    public static double bltMinSepSensitivitySquared(double[] theta, double[] omega, int n, int minSep,
            Integer maxParticipations) {
        return toeplitzMinSepSensitivitySquared(bltCoefficients(theta, omega, n), n, minSep, maxParticipations);
    }

    /** The first n Toeplitz coefficients of {@code blt(theta, omega)}: {@code 1, sum_j omega_j theta_j^(d-1)}. */
    public static double[] bltCoefficients(double[] theta, double[] omega, int n) {
        double[] c = new double[n];
        if (n > 0) {
            c[0] = 1;
        }
        for (int d = 1; d < n; d++) {
            double v = 0;
            for (int j = 0; j < theta.length; j++) {
                v += omega[j] * Math.pow(theta[j], d - 1);
            }
            c[d] = v;
        }
        return c;
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

    /** A sensitivity and whether it is only an upper bound (the exact value may be smaller). */
    public record Sensitivity(double value, boolean upperBound) {}

    /**
     * Min-separation sensitivity of the n x n lower Toeplitz matrix with first column {@code coef}:
     * exact when the first n coefficients are non-negative and non-increasing ({@link
     * #toeplitzMinSepSensitivitySquared}); otherwise jax_privacy's upper bound (Algorithm 4 of
     * arXiv:2306.08153, {@link #minSepUpperBoundSquared}) on the Toeplitz Gram matrix, flagged as one.
     */
    public static Sensitivity toeplitzMinSepSensitivity(double[] coef, int n, int minSep, Integer maxParticipations) {
        checkMinSep(minSep);
        double[] c = Arrays.copyOf(coef, n);
        boolean monotone = true;
        for (int i = 0; i < n && monotone; i++) {
            monotone = c[i] >= 0 && (i == 0 || c[i] <= c[i - 1]);
        }
        if (monotone) {
            return new Sensitivity(Math.sqrt(toeplitzMinSepSensitivitySquared(c, n, minSep, maxParticipations)), false);
        }
        return new Sensitivity(Math.sqrt(minSepUpperBoundSquared(toeplitzGram(c, n), minSep, maxParticipations)), true);
    }

    /**
     * Min-separation sensitivity of any n x n C: exact ({@link #bandedMinSepSensitivity}) when
     * columns at least minSep apart are orthogonal, otherwise the upper bound of {@link
     * #minSepUpperBoundSquared}, flagged as one.
     */
    public static Sensitivity minSepSensitivity(double[][] c, int minSep, Integer maxParticipations) {
        checkMinSep(minSep);
        double[][] gram = gram(c);
        int n = gram.length;
        boolean banded = true;
        for (int i = 0; i < n && banded; i++) {
            for (int j = i + minSep; j < n && banded; j++) {
                banded = Math.abs(gram[i][j]) <= ORTHOGONAL * Math.sqrt(gram[i][i] * gram[j][j]);
            }
        }
        if (banded) {
            return new Sensitivity(bandedMinSepSensitivity(c, minSep, maxParticipations), false);
        }
        return new Sensitivity(Math.sqrt(minSepUpperBoundSquared(gram, minSep, maxParticipations)), true);
    }

    /**
     * jax_privacy's {@code get_min_sep_sensitivity_upper_bound_for_X}: with {@code X = C^T C}, each
     * row's best pattern sum of {@code |X[i, :]|}, then the best pattern sum of those row maxima. A
     * valid upper bound on the squared sensitivity for any C; equal to it when C is minSep-banded.
     */
    public static double minSepUpperBoundSquared(double[][] gram, int minSep, Integer maxParticipations) {
        checkMinSep(minSep);
        int n = gram.length;
        double[] rowMax = new double[n];
        double[] abs = new double[n];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                abs[j] = Math.abs(gram[i][j]);
            }
            rowMax[i] = maxParticipationForNonNegative(abs, minSep, maxParticipations);
        }
        return maxParticipationForNonNegative(rowMax, minSep, maxParticipations);
    }

    /** {@link #maxParticipationForLinearFn} for x >= 0; with minSep = 1 it is the sum of the k largest entries. */
    private static double maxParticipationForNonNegative(double[] x, int minSep, Integer limit) {
        if (minSep > 1) {
            return maxParticipationForLinearFn(x, minSep, limit);
        }
        int k = maxParticipations(x.length, 1, limit);
        double[] sorted = x.clone();
        Arrays.sort(sorted);
        double s = 0;
        for (int i = 0; i < k; i++) {
            s += sorted[sorted.length - 1 - i];
        }
        return s;
    }

    /** {@code C^T C} of the n x n lower Toeplitz C with first column c: {@code X[i][j] = sum_{d <= n-1-max(i,j)} c_d c_{d+|i-j|}}. */
    static double[][] toeplitzGram(double[] c, int n) {
        double[][] x = new double[n][n];
        for (int h = 0; h < n; h++) {
            double acc = 0;
            for (int m = 1; m <= n - h; m++) {
                acc += c[m - 1] * c[m - 1 + h];
                int j = n - m;
                x[j - h][j] = acc;
                x[j][j - h] = acc;
            }
        }
        return x;
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
