package dev.streamfold.runtime.noise;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class GaussianNoiseTest {
    private static final long[] SEEDS = {0L, 1L, -1L, 0x0123456789ABCDEFL, 0x8000000000000000L};
    private static final long[] STEPS = {0L, 1L, 0xFFFFFFFFL, 0x100000000L, Long.MAX_VALUE, -1L};
    private static final long[] COORDS = {0L, 1L, 2L, 3L, 5L, 4L * 0xFFFFFFFFL + 3, 1L << 34, (1L << 35) + 7, -2L};

    @Test
    void binary32FollowsTheDocumentedCounterLayout() {
        int[] words = new int[4];
        for (long seed : SEEDS) {
            for (long step : STEPS) {
                for (long coord : COORDS) {
                    long g = coord >>> 2;
                    Philox4x32.block((int) g, (int) (g >>> 32), (int) step, (int) (step >>> 32),
                            (int) seed, (int) (seed >>> 32), words);
                    float expected = NormalQuantile.fromWordF32(words[(int) (coord & 3)]);
                    assertEquals(Float.floatToRawIntBits(expected),
                            Float.floatToRawIntBits(GaussianNoise.gaussianF32(seed, step, coord)));
                }
            }
        }
    }

    @Test
    void binary64FollowsTheDocumentedCounterLayout() {
        int[] words = new int[4];
        for (long seed : SEEDS) {
            for (long step : STEPS) {
                for (long coord : COORDS) {
                    long g = coord >>> 1;
                    Philox4x32.block((int) g, (int) (g >>> 32), (int) step, (int) (step >>> 32),
                            (int) seed, (int) (seed >>> 32), words);
                    int h = (int) (coord & 1);
                    long x = (long) words[2 * h + 1] << 32 | (words[2 * h] & 0xFFFFFFFFL);
                    assertEquals(Double.doubleToRawLongBits(NormalQuantile.fromBitsF64(x)),
                            Double.doubleToRawLongBits(GaussianNoise.gaussianF64(seed, step, coord)));
                }
            }
        }
    }

    /** Pinned outputs: any backend must reproduce these bits. */
    @Test
    void reproducesPinnedValues() {
        long seed = 0x0123456789ABCDEFL;
        long step = 42;
        int[] f32 = {0x3f1f6f36, 0xbf36104b, 0xbf41661f, 0xbf8454ed, 0xbe65a290, 0xbbb695f9, 0x3e7ac569};
        long[] f64 = {0xbfe6c2096dbba5d5L, 0xbff08a9dbe2781dcL, 0x4002905da45f021cL, 0xbfffe801f504b132L,
            0xbff1b73aff3c92b4L, 0x3fdfa4d15a0aeb73L, 0x3fe13219f4519795L};
        long[] coords = {0, 1, 2, 3, 4, (1L << 33) + 5, 999_999_999_999L};
        for (int i = 0; i < coords.length; i++) {
            assertEquals(f32[i], Float.floatToRawIntBits(GaussianNoise.gaussianF32(seed, step, coords[i])), "f32 " + i);
            assertEquals(f64[i], Double.doubleToRawLongBits(GaussianNoise.gaussianF64(seed, step, coords[i])), "f64 " + i);
        }
    }

    @Test
    void fillsAgreeWithPointwiseDeviatesTimesStddev() {
        SplittableRandom random = new SplittableRandom(5);
        for (int trial = 0; trial < 200; trial++) {
            long seed = random.nextLong();
            long step = random.nextLong();
            long start = trial % 3 == 0 ? random.nextLong() >>> 1 : random.nextInt(100);
            int len = random.nextInt(40);
            int off = random.nextInt(5);
            float s32 = (float) random.nextDouble(0.1, 3);
            double s64 = random.nextDouble(0.1, 3);
            float[] a = new float[off + len];
            double[] b = new double[off + len];
            GaussianNoise.fillF32(seed, step, start, a, off, len, s32);
            GaussianNoise.fillF64(seed, step, start, b, off, len, s64);
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment sa = arena.allocate(4L * len + 3);
                MemorySegment sb = arena.allocate(8L * len + 5);
                GaussianNoise.fillF32(seed, step, start, sa, 3, len, s32);
                GaussianNoise.fillF64(seed, step, start, sb, 5, len, s64);
                for (int j = 0; j < len; j++) {
                    float e32 = GaussianNoise.gaussianF32(seed, step, start + j) * s32;
                    double e64 = GaussianNoise.gaussianF64(seed, step, start + j) * s64;
                    assertEquals(Float.floatToRawIntBits(e32), Float.floatToRawIntBits(a[off + j]));
                    assertEquals(Double.doubleToRawLongBits(e64), Double.doubleToRawLongBits(b[off + j]));
                    assertEquals(Float.floatToRawIntBits(e32),
                            Float.floatToRawIntBits(sa.get(ValueLayout.JAVA_FLOAT_UNALIGNED, 3 + 4L * j)));
                    assertEquals(Double.doubleToRawLongBits(e64),
                            Double.doubleToRawLongBits(sb.get(ValueLayout.JAVA_DOUBLE_UNALIGNED, 5 + 8L * j)));
                }
            }
        }
    }

    @Test
    void fillsLeaveEverythingOutsideTheRangeAlone() {
        float[] a = new float[20];
        double[] b = new double[20];
        java.util.Arrays.fill(a, 7f);
        java.util.Arrays.fill(b, 7.0);
        GaussianNoise.fillF32(1, 2, 3, a, 5, 9, 1f);
        GaussianNoise.fillF64(1, 2, 3, b, 5, 9, 1.0);
        for (int i = 0; i < 20; i++) {
            boolean inside = i >= 5 && i < 14;
            assertEquals(!inside, a[i] == 7f);
            assertEquals(!inside, b[i] == 7.0);
        }
    }
}
