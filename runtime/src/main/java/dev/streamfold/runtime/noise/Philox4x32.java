package dev.streamfold.runtime.noise;

/**
 * The Philox4x32-10 counter-based generator (Salmon, Moraes, Dror, Shaw, "Parallel random numbers: as easy as
 * 1, 2, 3", SC 2011), bit-compatible with Random123's {@code philox4x32_R(10, ctr, key)}.
 *
 * <p>A block maps a 128-bit counter {@code (c0, c1, c2, c3)} and a 64-bit key {@code (k0, k1)} to four 32-bit
 * words. Each of the ten rounds computes, with unsigned 32x32-to-64-bit products,
 * <pre>
 *   p0 = M0 * c0,  p1 = M1 * c2
 *   (c0, c1, c2, c3) = (hi(p1) ^ c1 ^ k0,  lo(p1),  hi(p0) ^ c3 ^ k1,  lo(p0))
 * </pre>
 * and between consecutive rounds the key is bumped: {@code k0 += W0, k1 += W1} (mod 2^32). How Streamfold maps
 * (seed, step, coordinate) onto counter and key is specified by {@link GaussianNoise}.
 */
public final class Philox4x32 {
    public static final int M0 = 0xD2511F53;
    public static final int M1 = 0xCD9E8D57;
    public static final int W0 = 0x9E3779B9;
    public static final int W1 = 0xBB67AE85;
    public static final int ROUNDS = 10;

    private static final long M0_UNSIGNED = M0 & 0xFFFFFFFFL;
    private static final long M1_UNSIGNED = M1 & 0xFFFFFFFFL;

    private Philox4x32() {}

    /** Writes the four output words of the block for counter {@code (c0..c3)}, key {@code (k0, k1)} to {@code out4}. */
    public static void block(int c0, int c1, int c2, int c3, int k0, int k1, int[] out4) {
        for (int round = 0; round < ROUNDS; round++) {
            if (round > 0) {
                k0 += W0;
                k1 += W1;
            }
            long p0 = (c0 & 0xFFFFFFFFL) * M0_UNSIGNED;
            long p1 = (c2 & 0xFFFFFFFFL) * M1_UNSIGNED;
            c0 = (int) (p1 >>> 32) ^ c1 ^ k0;
            c1 = (int) p1;
            c2 = (int) (p0 >>> 32) ^ c3 ^ k1;
            c3 = (int) p0;
        }
        out4[0] = c0;
        out4[1] = c1;
        out4[2] = c2;
        out4[3] = c3;
    }

    /**
     * Output words {@code 2*pair} (low half) and {@code 2*pair + 1} (high half) of the block, as one long;
     * {@code pair} is 0 or 1. Allocation-free.
     */
    public static long wordPair(int c0, int c1, int c2, int c3, int k0, int k1, int pair) {
        for (int round = 0; round < ROUNDS; round++) {
            if (round > 0) {
                k0 += W0;
                k1 += W1;
            }
            long p0 = (c0 & 0xFFFFFFFFL) * M0_UNSIGNED;
            long p1 = (c2 & 0xFFFFFFFFL) * M1_UNSIGNED;
            c0 = (int) (p1 >>> 32) ^ c1 ^ k0;
            c1 = (int) p1;
            c2 = (int) (p0 >>> 32) ^ c3 ^ k1;
            c3 = (int) p0;
        }
        return pair == 0
                ? (long) c1 << 32 | (c0 & 0xFFFFFFFFL)
                : (long) c3 << 32 | (c2 & 0xFFFFFFFFL);
    }

    /** Output word {@code index} (0..3) of the block. Allocation-free. */
    public static int word(int c0, int c1, int c2, int c3, int k0, int k1, int index) {
        long pair = wordPair(c0, c1, c2, c3, k0, k1, index >>> 1);
        return (int) (pair >>> ((index & 1) << 5));
    }
}
