package dev.streamfold.ir.stream;

/** Brute force over participation patterns: the exact min-separation sensitivity of small matrices. */
public final class ParticipationOracle {
    private ParticipationOracle() {}

    /**
     * The largest squared norm of {@code C u} over 0/1 vectors {@code u} with at most {@code
     * Mechanisms.maxParticipations(n, minSep, limit)} ones, any two at least {@code minSep} apart.
     */
    public static double bruteForceSquared(double[][] c, int minSep, Integer limit) {
        int n = c.length;
        int k = Mechanisms.maxParticipations(n, minSep, limit);
        double best = 0;
        for (int mask = 1; mask < 1 << n; mask++) {
            if (Integer.bitCount(mask) > k) {
                continue;
            }
            int last = -minSep;
            boolean ok = true;
            for (int j = 0; j < n && ok; j++) {
                if ((mask >> j & 1) == 1) {
                    ok = j - last >= minSep;
                    last = j;
                }
            }
            if (!ok) {
                continue;
            }
            double s = 0;
            for (double[] row : c) {
                double v = 0;
                for (int j = 0; j < n; j++) {
                    v += (mask >> j & 1) * row[j];
                }
                s += v * v;
            }
            best = Math.max(best, s);
        }
        return best;
    }
}
