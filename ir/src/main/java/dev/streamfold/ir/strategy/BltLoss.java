package dev.streamfold.ir.strategy;

/**
 * Sensitivity and error of BLT mechanisms with their exact gradients, each in one O(n K) pass over
 * the steps that carries the derivatives along every parameter at once (forward mode with 2K
 * tangent directions). The strategy C has Toeplitz coefficients {@code c_0 = 1, c_d = sum_j omega_j
 * theta_j^(d-1)}; the workload is the prefix sum.
 */
public final class BltLoss {
    private BltLoss() {}

    /**
     * {@code ||C u||^2} for the worst-case pattern u of {@code p} (participations at 0, minSep, ...;
     * the sensitivity squared of a non-negative, non-increasing C). Adds the gradient to {@code
     * dTheta} and {@code dOmega}. Stream: {@code v_i = u_i + sum_j omega_j s_j}, {@code s_j <-
     * theta_j s_j + u_i}; the tangent of s_j along theta_j is {@code t_j <- s_j + theta_j t_j}.
     */
    public static double sensitivitySquared(double[] theta, double[] omega, Participation p, double[] dTheta,
            double[] dOmega) {
        int k = theta.length;
        double[] s = new double[k];
        double[] t = new double[k];
        double total = 0;
        for (int i = 0; i < p.steps(); i++) {
            double u = p.participatesAt(i) ? 1 : 0;
            double v = u;
            for (int j = 0; j < k; j++) {
                v += omega[j] * s[j];
            }
            total += v * v;
            for (int j = 0; j < k; j++) {
                dOmega[j] += 2 * v * s[j];
                dTheta[j] += 2 * v * omega[j] * t[j];
                t[j] = s[j] + theta[j] * t[j];
                s[j] = theta[j] * s[j] + u;
            }
        }
        return total;
    }

    /**
     * The max or mean per-query error of the prefix-sum workload for the noising BLT {@code C^-1 =
     * blt(thetaHat, omegaHat)}; adds its gradient. Row i of {@code B = A C^-1} holds {@code b_0 ..
     * b_i} with {@code b_d = 1 + sum_j omegaHat_j g_j(d)}, {@code g_j(d) = sum_{e<d} thetaHat_j^e}
     * (so {@code g <- thetaHat g + 1}); max error {@code = sum_{d<n} b_d^2}, mean error {@code =
     * sum_d (n - d) b_d^2 / n}.
     */
    public static double error(double[] thetaHat, double[] omegaHat, int n, ErrorKind kind, double[] dThetaHat,
            double[] dOmegaHat) {
        int k = thetaHat.length;
        double[] g = new double[k];
        double[] h = new double[k];
        double total = 0;
        for (int d = 0; d < n; d++) {
            double w = kind == ErrorKind.MAX ? 1 : (double) (n - d) / n;
            double b = 1;
            for (int j = 0; j < k; j++) {
                b += omegaHat[j] * g[j];
            }
            total += w * b * b;
            for (int j = 0; j < k; j++) {
                dOmegaHat[j] += 2 * w * b * g[j];
                dThetaHat[j] += 2 * w * b * omegaHat[j] * h[j];
                h[j] = g[j] + thetaHat[j] * h[j];
                g[j] = thetaHat[j] * g[j] + 1;
            }
        }
        return total;
    }

    /**
     * The output scales of the BLT with buf_decay {@code poles} whose generating function has zeros
     * {@code zeros}: {@code omega_i = prod_j (a_i - b_j) / prod_{m != i} (a_i - a_m)} (the residues
     * of {@code prod (u - b) / prod (u - a)}), with {@code dPoles[i][m] = d omega_i / d a_m} and
     * {@code dZeros[i][j] = d omega_i / d b_j} (from the logarithmic derivative). The BLT with
     * buf_decay b and the output scales of {@code (b, a)} is its inverse.
     */
    public static double[] outputScales(double[] poles, double[] zeros, double[][] dPoles, double[][] dZeros) {
        int k = poles.length;
        double[] omega = new double[k];
        for (int i = 0; i < k; i++) {
            double num = 1;
            double den = 1;
            double logSlope = 0;
            for (int j = 0; j < k; j++) {
                num *= poles[i] - zeros[j];
                logSlope += 1 / (poles[i] - zeros[j]);
                if (j != i) {
                    den *= poles[i] - poles[j];
                    logSlope -= 1 / (poles[i] - poles[j]);
                }
            }
            omega[i] = num / den;
            for (int j = 0; j < k; j++) {
                dZeros[i][j] = -omega[i] / (poles[i] - zeros[j]);
                dPoles[i][j] = j == i ? omega[i] * logSlope : omega[i] / (poles[i] - poles[j]);
            }
        }
        return omega;
    }
}
