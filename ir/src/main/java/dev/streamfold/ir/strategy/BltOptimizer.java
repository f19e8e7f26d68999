package dev.streamfold.ir.strategy;

import dev.streamfold.ir.StreamfoldException;
import dev.streamfold.ir.stream.BltClosedForm;
import java.util.Arrays;

/**
 * Optimizes a K-buffer BLT strategy for n steps, as jax_privacy's {@code buffered_toeplitz.optimize_loss}:
 * the parameters are the buf_decay of C (theta) and of C^-1 (thetaHat), which fix both output
 * scales in closed form; the objective is {@code sensitivity^2 x error} divided by jax_privacy's
 * approximate optimum {@code k + (1 + ln(n) / pi)^2}, plus its log-barrier penalties (strength
 * 1e-8) that keep theta and thetaHat in (0, 1), omega > 0, omegaHat < 0, buf_decay gaps above
 * 1e-12, sum(omega) < 1 and the Pillutla score sum(omega / theta) < 1. Minimized by L-BFGS from
 * jax_privacy's initialization, the rational approximation of (1 - x)^(-1/2).
 */
public final class BltOptimizer {
    /** jax_privacy's penalty strength. */
    public static final double PENALTY_STRENGTH = 1e-8;
    /** jax_privacy's smallest allowed buf_decay gap. */
    public static final double MIN_THETA_GAP = 1e-12;
    /** jax_privacy's bound on buf_decay and on the Pillutla score at initialization: {@code 1 - 1e-6}. */
    public static final double INIT_BOUND = 1 - 1e-6;

    /** The optimized strategy (theta decreasing), its inverse, and the objective reached. */
    public record Result(double[] theta, double[] omega, double[] thetaHat, double[] omegaHat, double objective,
            int iterations, int evaluations, String stopReason) {}

    private final int buffers;
    private final Participation participation;
    private final ErrorKind errorKind;
    private final double scale;

    /** An optimizer of BLTs with {@code buffers} buffers for {@code participation}, minimizing {@code errorKind} loss. */
    public BltOptimizer(int buffers, Participation participation, ErrorKind errorKind) {
        if (buffers < 1) {
            throw new StreamfoldException("buffers must be >= 1, got " + buffers);
        }
        this.buffers = buffers;
        this.participation = participation;
        this.errorKind = errorKind;
        double logTerm = 1 + Math.log(participation.steps()) / Math.PI;
        this.scale = 1 / (participation.participations() + logTerm * logTerm);
    }

    /**
     * Runs L-BFGS twice from {@link #initialTheta()} and keeps the lower objective: once over the
     * logits {@code log(theta / (1 - theta))} of theta and thetaHat (which scales steps near 1 by
     * {@code 1 - theta}, where the loss is steepest) and once over theta and thetaHat themselves,
     * as jax_privacy does. The two runs reach different local minima on some problems.
     */
    public Result optimize(Lbfgs.Settings settings, Lbfgs.Progress progress) {
        double[][] start = initialTheta();
        double[] y = new double[2 * buffers];
        System.arraycopy(start[0], 0, y, 0, buffers);
        System.arraycopy(start[1], 0, y, buffers, buffers);
        if (!Double.isFinite(objective(y, new double[y.length]))) {
            throw new StreamfoldException("blt: the initial strategy for " + buffers + " buffers is outside the feasible set");
        }
        double[] x = new double[2 * buffers];
        for (int i = 0; i < x.length; i++) {
            x[i] = logit(y[i]);
        }
        Lbfgs.Result logits = Lbfgs.minimize(this::objectiveOfLogits, x, settings, progress);
        Lbfgs.Result direct = Lbfgs.minimize(this::objective, y, settings, progress == null ? null
                : (it, value, gnorm) -> progress.report(logits.iterations() + it, value, gnorm));
        double[] best = direct.x();
        if (logits.value() <= direct.value()) {
            best = new double[x.length];
            for (int i = 0; i < x.length; i++) {
                best[i] = logistic(logits.x()[i]);
            }
        }
        Lbfgs.Result r = logits.value() <= direct.value() ? logits : direct;
        double[] theta = Arrays.copyOfRange(best, 0, buffers);
        double[] thetaHat = Arrays.copyOfRange(best, buffers, 2 * buffers);
        double[] omega = BltLoss.outputScales(theta, thetaHat, new double[buffers][buffers], new double[buffers][buffers]);
        double[] omegaHat = BltLoss.outputScales(thetaHat, theta, new double[buffers][buffers], new double[buffers][buffers]);
        int[] order = decreasing(theta);
        int[] hatOrder = decreasing(thetaHat);
        return new Result(permute(theta, order), permute(omega, order), permute(thetaHat, hatOrder), permute(omegaHat, hatOrder),
                r.value(), logits.iterations() + direct.iterations(), logits.evaluations() + direct.evaluations(),
                r.stopReason());
    }

    /** {@link #objective} at {@code theta = logistic(x)}, with the gradient with respect to x. */
    public double objectiveOfLogits(double[] x, double[] gradient) {
        double[] theta = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            theta[i] = logistic(x[i]);
        }
        double v = objective(theta, gradient);
        for (int i = 0; i < x.length; i++) {
            // d theta / d x = theta (1 - theta), with 1 - theta = 1 / (1 + e^x) formed without cancellation
            gradient[i] *= theta[i] / (1 + Math.exp(x[i]));
        }
        return v;
    }

    static double logistic(double x) {
        return x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x));
    }

    static double logit(double theta) {
        return Math.log(theta) - Math.log1p(-theta);
    }

    /**
     * jax_privacy's {@code get_init_blt}: the BLT of Proposition 4.5 of arXiv:2404.16706 (a rational
     * approximation of sqrt(1 - x) for C^-1, inverted), with buf_decay scaled to at most 1 - 1e-6
     * and output scales to a Pillutla score of at most 1 - 1e-6. Returns {theta, thetaHat}.
     */
    public double[][] initialTheta() {
        int degree = buffers;
        int d1 = (degree + 1) / 2;
        double h = 1.6 * Math.PI / Math.sqrt(2.0 * (d1 + 1));
        double[] c = new double[degree];
        double[] scales = new double[degree];
        double constant = 0;
        for (int i = 0; i < degree; i++) {
            double k = -d1 + 1 + i - 1;
            c[i] = 1 / (1 + Math.exp(2 * h * k));
            scales[i] = -(c[i] * c[i]) * Math.exp(3 * h * k);
            constant += Math.exp(h * k) * c[i];
        }
        for (int i = 0; i < degree; i++) {
            scales[i] /= constant;
        }
        int[] order = decreasing(c);
        BltClosedForm.Params strategy = BltClosedForm.inverse("blt", permute(c, order), permute(scales, order));
        double[] theta = strategy.bufDecay().clone();
        double[] omega = strategy.outputScale().clone();
        double thetaScale = Math.min(1, INIT_BOUND / theta[0]);
        double score = 0;
        for (int i = 0; i < degree; i++) {
            theta[i] *= thetaScale;
            score += omega[i] / theta[i];
        }
        double omegaScale = Math.min(1, INIT_BOUND / score);
        for (int i = 0; i < degree; i++) {
            omega[i] *= omegaScale;
        }
        BltClosedForm.Params inverse = BltClosedForm.inverse("blt", theta, omega);
        return new double[][] {theta, inverse.bufDecay()};
    }

    /**
     * The penalized, normalized loss at {@code x = (theta, thetaHat)} and its gradient; {@code +inf}
     * outside the feasible set.
     */
    public double objective(double[] x, double[] gradient) {
        int k = buffers;
        double[] theta = Arrays.copyOfRange(x, 0, k);
        double[] thetaHat = Arrays.copyOfRange(x, k, 2 * k);
        double[][] dOmegaDTheta = new double[k][k];
        double[][] dOmegaDThetaHat = new double[k][k];
        double[][] dOmegaHatDThetaHat = new double[k][k];
        double[][] dOmegaHatDTheta = new double[k][k];
        double[] omega = BltLoss.outputScales(theta, thetaHat, dOmegaDTheta, dOmegaDThetaHat);
        double[] omegaHat = BltLoss.outputScales(thetaHat, theta, dOmegaHatDThetaHat, dOmegaHatDTheta);
        double[] gTheta = new double[k];
        double[] gOmega = new double[k];
        double[] gThetaHat = new double[k];
        double[] gOmegaHat = new double[k];
        double penalty = penalties(theta, omega, thetaHat, omegaHat, gTheta, gOmega, gThetaHat, gOmegaHat);
        if (!Double.isFinite(penalty)) {
            return Double.POSITIVE_INFINITY;
        }
        double[] sTheta = new double[k];
        double[] sOmega = new double[k];
        double[] eThetaHat = new double[k];
        double[] eOmegaHat = new double[k];
        double sens = BltLoss.sensitivitySquared(theta, omega, participation, sTheta, sOmega);
        double err = BltLoss.error(thetaHat, omegaHat, participation.steps(), errorKind, eThetaHat, eOmegaHat);
        for (int j = 0; j < k; j++) {
            gTheta[j] += scale * err * sTheta[j];
            gOmega[j] += scale * err * sOmega[j];
            gThetaHat[j] += scale * sens * eThetaHat[j];
            gOmegaHat[j] += scale * sens * eOmegaHat[j];
        }
        for (int m = 0; m < k; m++) {
            double dt = gTheta[m];
            double dth = gThetaHat[m];
            for (int i = 0; i < k; i++) {
                dt += gOmega[i] * dOmegaDTheta[i][m] + gOmegaHat[i] * dOmegaHatDTheta[i][m];
                dth += gOmega[i] * dOmegaDThetaHat[i][m] + gOmegaHat[i] * dOmegaHatDThetaHat[i][m];
            }
            gradient[m] = dt;
            gradient[k + m] = dth;
        }
        return scale * sens * err + penalty;
    }

    /** The loss without penalties or normalization: {@code sensitivity^2 x error}. */
    public double loss(double[] theta, double[] omega, double[] thetaHat, double[] omegaHat) {
        int k = theta.length;
        double sens = BltLoss.sensitivitySquared(theta, omega, participation, new double[k], new double[k]);
        return sens * BltLoss.error(thetaHat, omegaHat, participation.steps(), errorKind, new double[k], new double[k]);
    }

    /** jax_privacy's barrier penalties times {@link #PENALTY_STRENGTH}, adding their gradients; inf when infeasible. */
    private static double penalties(double[] theta, double[] omega, double[] thetaHat, double[] omegaHat,
            double[] gTheta, double[] gOmega, double[] gThetaHat, double[] gOmegaHat) {
        int k = theta.length;
        double p = 0;
        double sumOmega = 0;
        double score = 0;
        for (int j = 0; j < k; j++) {
            if (!(theta[j] > 0 && theta[j] < 1 && omega[j] > 0 && thetaHat[j] > 0 && thetaHat[j] < 1 && omegaHat[j] < 0)) {
                return Double.POSITIVE_INFINITY;
            }
            p -= Math.log(theta[j]) + Math.log1p(-theta[j]) + Math.log(omega[j]);
            p -= Math.log(thetaHat[j]) + Math.log1p(-thetaHat[j]) + Math.log(-omegaHat[j]);
            gTheta[j] -= PENALTY_STRENGTH * (1 / theta[j] - 1 / (1 - theta[j]));
            gThetaHat[j] -= PENALTY_STRENGTH * (1 / thetaHat[j] - 1 / (1 - thetaHat[j]));
            gOmega[j] -= PENALTY_STRENGTH / omega[j];
            gOmegaHat[j] -= PENALTY_STRENGTH / omegaHat[j];
            sumOmega += omega[j];
            score += omega[j] / theta[j];
        }
        if (k > 1) {
            double gap = gapPenalty(theta, gTheta) + gapPenalty(thetaHat, gThetaHat);
            if (!Double.isFinite(gap)) {
                return Double.POSITIVE_INFINITY;
            }
            p += gap;
        }
        if (!(sumOmega < 1 && score < 1)) {
            return Double.POSITIVE_INFINITY;
        }
        p -= Math.log1p(-sumOmega) + Math.log1p(-score);
        for (int j = 0; j < k; j++) {
            gOmega[j] += PENALTY_STRENGTH * (1 / (1 - sumOmega) + 1 / ((1 - score) * theta[j]));
            gTheta[j] -= PENALTY_STRENGTH * omega[j] / (theta[j] * theta[j] * (1 - score));
        }
        return PENALTY_STRENGTH * p;
    }

    /** {@code -log(min gap - MIN_THETA_GAP)} (unscaled); adds its scaled gradient along the closest pair. */
    private static double gapPenalty(double[] v, double[] g) {
        int a = -1;
        int b = -1;
        double gap = Double.POSITIVE_INFINITY;
        for (int i = 0; i < v.length; i++) {
            for (int j = i + 1; j < v.length; j++) {
                double d = Math.abs(v[i] - v[j]);
                if (d < gap) {
                    gap = d;
                    a = i;
                    b = j;
                }
            }
        }
        double slack = gap - MIN_THETA_GAP;
        if (!(slack > 0)) {
            return Double.POSITIVE_INFINITY;
        }
        double sign = Math.signum(v[a] - v[b]);
        g[a] -= PENALTY_STRENGTH * sign / slack;
        g[b] += PENALTY_STRENGTH * sign / slack;
        return -Math.log(slack);
    }

    private static int[] decreasing(double[] v) {
        Integer[] idx = new Integer[v.length];
        for (int i = 0; i < v.length; i++) {
            idx[i] = i;
        }
        Arrays.sort(idx, (x, y) -> Double.compare(v[y], v[x]));
        int[] out = new int[v.length];
        for (int i = 0; i < v.length; i++) {
            out[i] = idx[i];
        }
        return out;
    }

    private static double[] permute(double[] v, int[] order) {
        double[] out = new double[v.length];
        for (int i = 0; i < v.length; i++) {
            out[i] = v[order[i]];
        }
        return out;
    }
}
