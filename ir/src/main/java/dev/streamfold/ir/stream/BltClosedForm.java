package dev.streamfold.ir.stream;

import dev.streamfold.ir.StreamfoldException;
import java.util.Arrays;

/**
 * The closed-form inverse of a BLT. With {@code u = 1/z} the generating function of C's Toeplitz
 * coefficients is {@code f(u) = 1 + sum_k omega_k / (u - theta_k)}; {@code 1/f(u) = 1 + sum_j
 * omega'_j / (u - theta'_j)} where the theta'_j are the roots of f (the eigenvalues of {@code
 * diag(theta) - omega 1^T}) and {@code omega'_j = 1 / f'(theta'_j) = -1 / sum_k omega_k /
 * (theta'_j - theta_k)^2} (the residues of 1/f).
 */
public final class BltClosedForm {
    /** Two buf_decay values closer than this have no closed-form inverse. */
    public static final double MIN_GAP = 1e-9;

    private BltClosedForm() {}

    /** A BLT's parameters, sorted by decreasing buf_decay. */
    public record Params(double[] bufDecay, double[] outputScale) {}

    /**
     * The parameters of the BLT whose matrix is the inverse of {@code blt(theta, omega)} (theta
     * sorted decreasing).
     *
     * @throws StreamfoldException when two buf_decay values are closer than {@link #MIN_GAP}, or
     *     the inverse's buf_decay are complex or repeated
     */
    public static Params inverse(String op, double[] theta, double[] omega) {
        int k = theta.length;
        for (int i = 0; i + 1 < k; i++) {
            if (Math.abs(theta[i] - theta[i + 1]) < MIN_GAP) {
                throw new StreamfoldException(op + ": buf_decay[" + i + "] = " + theta[i] + " and buf_decay[" + (i + 1)
                        + "] = " + theta[i + 1] + " are closer than " + MIN_GAP
                        + "; the closed-form inverse needs distinct buf_decay");
            }
        }
        int active = 0;
        for (double w : omega) {
            active += w != 0 ? 1 : 0;
        }
        double[] poles = new double[active];
        double[] weights = new double[active];
        double[] newTheta = new double[k];
        double[] newOmega = new double[k];
        int a = 0;
        int z = active;
        boolean positive = true;
        for (int i = 0; i < k; i++) {
            if (omega[i] == 0) {
                newTheta[z++] = theta[i];
            } else {
                poles[a] = theta[i];
                weights[a++] = omega[i];
                positive &= omega[i] > 0;
            }
        }
        double[][] roots = positive ? bracketedRoots(poles, weights) : generalRoots(op, poles, weights);
        for (int j = 0; j < active; j++) {
            double pole = roots[j][0];
            double offset = roots[j][1];
            newTheta[j] = pole + offset;
            double slope = 0;
            for (int i = 0; i < active; i++) {
                double d = (pole - poles[i]) + offset;
                slope += weights[i] / (d * d);
            }
            newOmega[j] = -1 / slope;
        }
        for (int j = 0; j < k; j++) {
            if (!Double.isFinite(newTheta[j]) || !Double.isFinite(newOmega[j])) {
                throw new StreamfoldException(op + ": the inverse has a repeated buf_decay; it has no closed form");
            }
        }
        int[] order = Blt.decayOrder(newTheta);
        double[] t = new double[k];
        double[] w = new double[k];
        for (int i = 0; i < k; i++) {
            t[i] = newTheta[order[i]];
            w[i] = newOmega[order[i]];
        }
        return new Params(t, w);
    }

    /**
     * Roots of f when every weight is positive: f decreases from +inf to -inf between consecutive
     * poles (one root each) and from 1 to -inf below the smallest pole, where the root lies within
     * sum(omega) of it. Each root is returned as {@code {pole, offset}} (root = pole + offset,
     * offset found by bisection so differences to the poles keep their relative accuracy).
     */
    private static double[][] bracketedRoots(double[] poles, double[] weights) {
        int m = poles.length;
        double[][] out = new double[m][];
        double total = 0;
        for (double w : weights) {
            total += w;
        }
        for (int j = 0; j < m; j++) {
            double pole = poles[j];
            double lo = j + 1 < m ? poles[j + 1] - pole : -total;
            double hi = 0;
            for (int it = 0; it < 4000; it++) {
                double mid = 0.5 * (lo + hi);
                if (mid <= lo || mid >= hi) {
                    break;
                }
                if (secular(poles, weights, pole, mid) > 0) {
                    lo = mid;
                } else {
                    hi = mid;
                }
            }
            out[j] = new double[] {pole, 0.5 * (lo + hi)};
        }
        return out;
    }

    /** {@code f(pole + offset)}, with differences to the poles formed as {@code (pole - theta_i) + offset}. */
    private static double secular(double[] poles, double[] weights, double pole, double offset) {
        double f = 1;
        for (int i = 0; i < poles.length; i++) {
            f += weights[i] / ((pole - poles[i]) + offset);
        }
        return f;
    }

    /**
     * Roots of f for weights of any sign: Aberth's simultaneous iteration in complex arithmetic on
     * {@code p(u) = f(u) prod_i (u - theta_i)} (evaluated in pole form, never expanded), then Newton
     * polishing of the real roots.
     */
    private static double[][] generalRoots(String op, double[] poles, double[] weights) {
        int m = poles.length;
        double scale = 1;
        double center = 0;
        for (int i = 0; i < m; i++) {
            scale += Math.abs(poles[i]) + Math.abs(weights[i]);
            center += poles[i] / m;
        }
        double[] re = new double[m];
        double[] im = new double[m];
        for (int j = 0; j < m; j++) {
            double angle = 2 * Math.PI * (j + 0.25) / m + 0.4;
            re[j] = center + scale * Math.cos(angle);
            im[j] = scale * Math.sin(angle);
        }
        for (int it = 0; it < 1000; it++) {
            double worst = 0;
            for (int j = 0; j < m; j++) {
                // p'/p = f'/f + sum_i 1/(u - theta_i)
                double fr = 1;
                double fi = 0;
                double dr = 0;
                double di = 0;
                double sr = 0;
                double si = 0;
                for (int i = 0; i < m; i++) {
                    double[] inv = recip(re[j] - poles[i], im[j]);
                    fr += weights[i] * inv[0];
                    fi += weights[i] * inv[1];
                    double[] inv2 = mul(inv[0], inv[1], inv[0], inv[1]);
                    dr -= weights[i] * inv2[0];
                    di -= weights[i] * inv2[1];
                    sr += inv[0];
                    si += inv[1];
                }
                double[] ratio = mul(dr, di, recip(fr, fi)[0], recip(fr, fi)[1]);
                double lr = ratio[0] + sr;
                double li = ratio[1] + si;
                double ar = 0;
                double ai = 0;
                for (int i = 0; i < m; i++) {
                    if (i != j) {
                        double[] inv = recip(re[j] - re[i], im[j] - im[i]);
                        ar += inv[0];
                        ai += inv[1];
                    }
                }
                double[] step = recip(lr - ar, li - ai);
                if (!Double.isFinite(step[0]) || !Double.isFinite(step[1])) {
                    continue;
                }
                re[j] -= step[0];
                im[j] -= step[1];
                worst = Math.max(worst, Math.hypot(step[0], step[1]) / (1 + Math.hypot(re[j], im[j])));
            }
            if (worst < 1e-16) {
                break;
            }
        }
        double[][] out = new double[m][];
        for (int j = 0; j < m; j++) {
            if (Math.abs(im[j]) > 1e-9 * (1 + Math.abs(re[j]))) {
                throw new StreamfoldException(op + ": the inverse's buf_decay are complex (" + re[j] + (im[j] < 0 ? " - " : " + ")
                        + Math.abs(im[j]) + "i); it has no real closed form");
            }
            double u = re[j];
            for (int it = 0; it < 8; it++) {
                double f = 1;
                double d = 0;
                for (int i = 0; i < m; i++) {
                    double q = u - poles[i];
                    f += weights[i] / q;
                    d -= weights[i] / (q * q);
                }
                double next = u - f / d;
                if (!Double.isFinite(next) || next == u) {
                    break;
                }
                u = next;
            }
            out[j] = new double[] {u, 0};
        }
        Arrays.sort(out, (x, y) -> Double.compare(y[0], x[0]));
        for (int j = 0; j + 1 < m; j++) {
            if (Math.abs(out[j][0] - out[j + 1][0]) < MIN_GAP) {
                throw new StreamfoldException(op + ": the inverse has a repeated buf_decay (" + out[j][0]
                        + "); it has no closed form");
            }
        }
        return out;
    }

    private static double[] recip(double r, double i) {
        double d = r * r + i * i;
        return new double[] {r / d, -i / d};
    }

    private static double[] mul(double ar, double ai, double br, double bi) {
        return new double[] {ar * br - ai * bi, ar * bi + ai * br};
    }
}
