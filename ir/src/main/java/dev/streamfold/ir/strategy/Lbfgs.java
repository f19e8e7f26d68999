package dev.streamfold.ir.strategy;

import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Deque;

/**
 * Limited-memory BFGS with a strong-Wolfe line search (Nocedal and Wright, Algorithms 7.4, 3.5 and
 * 3.6). The objective may return {@code +inf} outside its feasible set; the line search then
 * shrinks the step. Deterministic: the same objective and start give the same iterates.
 */
public final class Lbfgs {
    /** A differentiable function: returns f(x) and writes its gradient into {@code gradient}. */
    @FunctionalInterface
    public interface Objective {
        double evaluate(double[] x, double[] gradient);
    }

    /** Called after each accepted iteration. */
    @FunctionalInterface
    public interface Progress {
        void report(int iteration, double value, double gradientNorm);
    }

    /** Settings: history length, iteration cap, the largest step length tried first, tolerances. */
    public record Settings(int memory, int maxIterations, double maxStep, double gradientTolerance,
            double relativeDecreaseTolerance) {
        public static final Settings DEFAULT = new Settings(15, 600, 1.0, 1e-13, 1e-15);

        public Settings withMaxIterations(int iterations) {
            return new Settings(memory, iterations, maxStep, gradientTolerance, relativeDecreaseTolerance);
        }
    }

    /** The minimizer found, its value, and how many iterations and evaluations it took. */
    public record Result(double[] x, double value, int iterations, int evaluations, String stopReason) {}

    private static final double C1 = 1e-4;
    private static final double C2 = 0.9;
    private static final int MAX_LINE_SEARCH = 60;
    /** Stop after this many consecutive iterations whose relative decrease is below tolerance. */
    private static final int STALL_ITERATIONS = 5;

    private final Objective f;
    private final Settings settings;
    private int evaluations;

    private Lbfgs(Objective f, Settings settings) {
        this.f = f;
        this.settings = settings;
    }

    /**
     * Minimizes {@code f} from {@code start}, which must be feasible (finite value and gradient).
     *
     * @throws IllegalArgumentException when f is not finite at the start
     */
    public static Result minimize(Objective f, double[] start, Settings settings, Progress progress) {
        return new Lbfgs(f, settings).run(start.clone(), progress);
    }

    private Result run(double[] x, Progress progress) {
        int d = x.length;
        double[] g = new double[d];
        double fx = eval(x, g);
        if (!Double.isFinite(fx) || !allFinite(g)) {
            throw new IllegalArgumentException("the objective is not finite at the starting point: " + fx);
        }
        Deque<double[][]> history = new ArrayDeque<>();
        int stalled = 0;
        int it = 0;
        String reason = "iteration limit";
        while (it < settings.maxIterations()) {
            double gnorm = norm(g);
            if (gnorm <= settings.gradientTolerance() * Math.max(1, Math.abs(fx))) {
                reason = "gradient below tolerance";
                break;
            }
            double[] p = direction(g, history);
            double slope = dot(p, g);
            if (!(slope < 0)) {
                history.clear();
                p = scaled(g, -1);
                slope = -gnorm * gnorm;
            }
            double first = Math.min(settings.maxStep(), history.isEmpty() ? 1 / gnorm : 1.0);
            double[] xNew = new double[d];
            double[] gNew = new double[d];
            double fNew = lineSearch(x, fx, g, p, slope, first, xNew, gNew);
            if (Double.isNaN(fNew)) {
                if (!history.isEmpty()) {
                    history.clear();
                    continue;
                }
                reason = "no step along the search direction decreases the objective";
                break;
            }
            it++;
            double[] s = new double[d];
            double[] y = new double[d];
            for (int i = 0; i < d; i++) {
                s[i] = xNew[i] - x[i];
                y[i] = gNew[i] - g[i];
            }
            double sy = dot(s, y);
            if (sy > 1e-300 * dot(y, y)) {
                history.addLast(new double[][] {s, y, {1 / sy}});
                if (history.size() > settings.memory()) {
                    history.removeFirst();
                }
            }
            double decrease = (fx - fNew) / Math.max(Math.abs(fNew), 1e-300);
            x = xNew;
            g = gNew;
            fx = fNew;
            if (progress != null) {
                progress.report(it, fx, norm(g));
            }
            stalled = decrease <= settings.relativeDecreaseTolerance() ? stalled + 1 : 0;
            if (stalled >= STALL_ITERATIONS) {
                reason = "relative decrease below tolerance";
                break;
            }
        }
        return new Result(x, fx, it, evaluations, reason);
    }

    /** The two-loop recursion: {@code -H g} with the stored curvature pairs. */
    private static double[] direction(double[] g, Deque<double[][]> history) {
        double[] q = scaled(g, -1);
        int m = history.size();
        double[] alpha = new double[m];
        double[][][] pairs = history.toArray(new double[0][][]);
        for (int i = m - 1; i >= 0; i--) {
            alpha[i] = pairs[i][2][0] * dot(pairs[i][0], q);
            axpy(-alpha[i], pairs[i][1], q);
        }
        if (m > 0) {
            double[] y = pairs[m - 1][1];
            double gamma = 1 / (pairs[m - 1][2][0] * dot(y, y));
            for (int i = 0; i < q.length; i++) {
                q[i] *= gamma;
            }
        }
        for (int i = 0; i < m; i++) {
            double beta = pairs[i][2][0] * dot(pairs[i][1], q);
            axpy(alpha[i] - beta, pairs[i][0], q);
        }
        return q;
    }

    /**
     * A step length satisfying the strong Wolfe conditions along p; writes the new point and
     * gradient and returns f there, or NaN when no step decreases f.
     */
    private double lineSearch(double[] x, double f0, double[] g0, double[] p, double slope0, double first,
            double[] xOut, double[] gOut) {
        double prevAlpha = 0;
        double prevF = f0;
        double prevSlope = slope0;
        double alpha = first;
        double[] gTry = new double[x.length];
        double[] xTry = new double[x.length];
        for (int i = 0; i < MAX_LINE_SEARCH; i++) {
            double fa = trial(x, p, alpha, xTry, gTry);
            if (!Double.isFinite(fa) || fa > f0 + C1 * alpha * slope0 || (i > 0 && fa >= prevF)) {
                return zoom(x, f0, slope0, p, prevAlpha, prevF, prevSlope, alpha, fa, xOut, gOut);
            }
            double sa = dot(gTry, p);
            if (Math.abs(sa) <= -C2 * slope0) {
                return accept(xTry, gTry, fa, xOut, gOut);
            }
            if (sa >= 0) {
                return zoom(x, f0, slope0, p, alpha, fa, sa, prevAlpha, prevF, xOut, gOut);
            }
            prevAlpha = alpha;
            prevF = fa;
            prevSlope = sa;
            alpha *= 2;
        }
        return accept(xTry, gTry, prevF, xOut, gOut);
    }

    private double zoom(double[] x, double f0, double slope0, double[] p, double lo, double fLo, double slopeLo,
            double hi, double fHi, double[] xOut, double[] gOut) {
        double[] xTry = new double[x.length];
        double[] gTry = new double[x.length];
        double bestAlpha = lo;
        for (int i = 0; i < MAX_LINE_SEARCH; i++) {
            double alpha = interpolate(lo, fLo, slopeLo, hi, fHi);
            if (alpha == lo || alpha == hi) {
                break;
            }
            double fa = trial(x, p, alpha, xTry, gTry);
            if (!Double.isFinite(fa) || fa > f0 + C1 * alpha * slope0 || fa >= fLo) {
                hi = alpha;
                fHi = fa;
            } else {
                double sa = dot(gTry, p);
                if (Math.abs(sa) <= -C2 * slope0) {
                    return accept(xTry, gTry, fa, xOut, gOut);
                }
                if (sa * (hi - lo) >= 0) {
                    hi = lo;
                    fHi = fLo;
                }
                lo = alpha;
                fLo = fa;
                slopeLo = sa;
                bestAlpha = alpha;
            }
        }
        if (bestAlpha == 0 || !(fLo < f0)) {
            return Double.NaN;
        }
        double fa = trial(x, p, bestAlpha, xTry, gTry);
        return accept(xTry, gTry, fa, xOut, gOut);
    }

    /** The minimizer of the quadratic through (lo, fLo) with slope slopeLo and (hi, fHi), kept inside the bracket. */
    private static double interpolate(double lo, double fLo, double slopeLo, double hi, double fHi) {
        double width = hi - lo;
        double mid = lo + 0.5 * width;
        if (!Double.isFinite(fHi)) {
            return lo + 0.25 * width;
        }
        double curvature = fHi - fLo - slopeLo * width;
        if (curvature <= 0) {
            return mid;
        }
        double alpha = lo - slopeLo * width * width / (2 * curvature);
        double low = lo + 0.1 * width;
        double high = lo + 0.9 * width;
        return Math.clamp(alpha, Math.min(low, high), Math.max(low, high));
    }

    private double trial(double[] x, double[] p, double alpha, double[] xTry, double[] gTry) {
        for (int i = 0; i < x.length; i++) {
            xTry[i] = x[i] + alpha * p[i];
        }
        double v = eval(xTry, gTry);
        return Double.isFinite(v) && allFinite(gTry) ? v : Double.POSITIVE_INFINITY;
    }

    private double eval(double[] x, double[] g) {
        evaluations++;
        Arrays.fill(g, 0);
        return f.evaluate(x, g);
    }

    private static double accept(double[] xTry, double[] gTry, double fa, double[] xOut, double[] gOut) {
        System.arraycopy(xTry, 0, xOut, 0, xTry.length);
        System.arraycopy(gTry, 0, gOut, 0, gTry.length);
        return fa;
    }

    static double dot(double[] a, double[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s += a[i] * b[i];
        }
        return s;
    }

    static double norm(double[] a) {
        return Math.sqrt(dot(a, a));
    }

    private static void axpy(double a, double[] x, double[] y) {
        for (int i = 0; i < x.length; i++) {
            y[i] += a * x[i];
        }
    }

    private static double[] scaled(double[] a, double s) {
        double[] out = new double[a.length];
        for (int i = 0; i < a.length; i++) {
            out[i] = s * a[i];
        }
        return out;
    }

    private static boolean allFinite(double[] a) {
        for (double v : a) {
            if (!Double.isFinite(v)) {
                return false;
            }
        }
        return true;
    }
}
