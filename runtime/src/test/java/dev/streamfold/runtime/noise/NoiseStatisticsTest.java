package dev.streamfold.runtime.noise;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** Distribution checks on one million draws per format. */
class NoiseStatisticsTest {
    private static final int N = 1_000_000;
    private static final long SEED = 0x5DEECE66DL;

    @Test
    void binary32DrawsLookStandardNormal() {
        double[] z = new double[N];
        double[] nextStep = new double[N];
        float[] buffer = new float[N];
        GaussianNoiseVector.fillF32(SEED, 17, 3, buffer, 0, N, 1f);
        for (int i = 0; i < N; i++) {
            z[i] = buffer[i];
        }
        GaussianNoiseVector.fillF32(SEED, 18, 3, buffer, 0, N, 1f);
        for (int i = 0; i < N; i++) {
            nextStep[i] = buffer[i];
        }
        assertStandardNormal(z, nextStep);
    }

    @Test
    void binary64DrawsLookStandardNormal() {
        double[] z = new double[N];
        double[] nextStep = new double[N];
        GaussianNoiseVector.fillF64(SEED, 17, 3, z, 0, N, 1.0);
        GaussianNoiseVector.fillF64(SEED, 18, 3, nextStep, 0, N, 1.0);
        assertStandardNormal(z, nextStep);
    }

    private static void assertStandardNormal(double[] z, double[] nextStep) {
        double mean = Arrays.stream(z).sum() / N;
        assertTrue(Math.abs(mean) < 5 / Math.sqrt(N), "mean " + mean);
        double variance = Arrays.stream(z).map(v -> (v - mean) * (v - mean)).sum() / (N - 1);
        assertTrue(Math.abs(variance - 1) < 5 * Math.sqrt(2.0 / N), "variance " + variance);

        double r = 5 / Math.sqrt(N);
        double adjacent = correlation(Arrays.copyOfRange(z, 0, N - 1), Arrays.copyOfRange(z, 1, N));
        assertTrue(Math.abs(adjacent) < r, "adjacent-coordinate correlation " + adjacent);
        double steps = correlation(z, nextStep);
        assertTrue(Math.abs(steps) < r, "consecutive-step correlation " + steps);

        double[] sorted = z.clone();
        Arrays.sort(sorted);
        double d = 0;
        for (int i = 0; i < N; i++) {
            double cdf = normalCdf(sorted[i]);
            d = Math.max(d, Math.max((i + 1.0) / N - cdf, cdf - (double) i / N));
        }
        assertTrue(d < 1.95 / Math.sqrt(N), "Kolmogorov-Smirnov D " + d);
    }

    private static double correlation(double[] x, double[] y) {
        double mx = Arrays.stream(x).average().orElseThrow();
        double my = Arrays.stream(y).average().orElseThrow();
        double sxy = 0;
        double sxx = 0;
        double syy = 0;
        for (int i = 0; i < x.length; i++) {
            sxy += (x[i] - mx) * (y[i] - my);
            sxx += (x[i] - mx) * (x[i] - mx);
            syy += (y[i] - my) * (y[i] - my);
        }
        return sxy / Math.sqrt(sxx * syy);
    }

    /** Phi via the Numerical Recipes Chebyshev erfc (fractional error below 1.2e-7). */
    static double normalCdf(double x) {
        double z = Math.abs(x) / Math.sqrt(2);
        double t = 1 / (1 + 0.5 * z);
        double erfc = t * Math.exp(-z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418
                + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587
                + t * (-0.82215223 + t * 0.17087277)))))))));
        return x >= 0 ? 1 - 0.5 * erfc : 0.5 * erfc;
    }
}
