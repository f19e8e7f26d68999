package dev.streamfold.runtime.noise;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Objects;

/**
 * Counter-based Gaussian noise: the deviate for (seed, step, coordinate) is a pure function of those three values, so
 * any backend, thread count or chunking produces the same bits. This class is the scalar reference; see
 * {@link GaussianNoiseVector} for the Vector API implementation and {@link NormalQuantile} for the transform's
 * operation-order contract.
 *
 * <h2>Counter layout</h2>
 * Seed, step and coordinate are 64-bit values taken as unsigned. With {@code lo(v) = (int) v} and
 * {@code hi(v) = (int) (v >>> 32)}:
 * <pre>
 * key     = (k0, k1) = (lo(seed), hi(seed))
 * counter = (c0, c1, c2, c3) = (lo(g), hi(g), lo(step), hi(step))
 * w[0..3] = Philox4x32-10(counter, key)
 *
 * binary32: g = i >>> 2;  z(i) = NormalQuantile.fromWordF32(w[i &amp; 3])
 * binary64: g = i >>> 1;  h = i &amp; 1;  x = (w[2h+1] &lt;&lt; 32) | (w[2h] &amp; 0xffffffff)   (unsigned words)
 *           z(i) = NormalQuantile.fromBitsF64(x)       (so x >>> 11 takes all 32 bits of w[2h+1], then the top 21 of w[2h])
 * </pre>
 * One block thus yields four consecutive binary32 deviates, or two consecutive binary64 deviates, of one step.
 * Binary32 and binary64 draws with the same seed and step read the same blocks; independent noise streams must differ in
 * seed or step.
 *
 * <p>Bulk fills write {@code stddev * z(coordStart + j)} (one multiply after the transform) to element {@code j};
 * memory-segment fills write native-byte-order values that need not be aligned. A fill's coordinate range must not wrap
 * past {@code 2^64}.
 */
public final class GaussianNoise {
    private GaussianNoise() {}

    /** The binary32 standard normal deviate of {@code coord} at {@code step}. */
    public static float gaussianF32(long seed, long step, long coord) {
        long group = coord >>> 2;
        int word = Philox4x32.word((int) group, (int) (group >>> 32), (int) step, (int) (step >>> 32),
                (int) seed, (int) (seed >>> 32), (int) coord & 3);
        return NormalQuantile.fromWordF32(word);
    }

    /** The binary64 standard normal deviate of {@code coord} at {@code step}. */
    public static double gaussianF64(long seed, long step, long coord) {
        long group = coord >>> 1;
        long bits = Philox4x32.wordPair((int) group, (int) (group >>> 32), (int) step, (int) (step >>> 32),
                (int) seed, (int) (seed >>> 32), (int) coord & 1);
        return NormalQuantile.fromBitsF64(bits);
    }

    /** Writes {@code stddev * z(coordStart + j)} to {@code dst[off + j]} for {@code 0 <= j < len}. */
    public static void fillF32(long seed, long step, long coordStart, float[] dst, int off, int len, float stddev) {
        Objects.checkFromIndexSize(off, len, dst.length);
        int[] words = new int[4];
        int j = 0;
        while (j < len) {
            long coord = coordStart + j;
            long group = coord >>> 2;
            Philox4x32.block((int) group, (int) (group >>> 32), (int) step, (int) (step >>> 32),
                    (int) seed, (int) (seed >>> 32), words);
            for (int w = (int) coord & 3; w < 4 && j < len; w++, j++) {
                dst[off + j] = NormalQuantile.fromWordF32(words[w]) * stddev;
            }
        }
    }

    /** Writes {@code stddev * z(coordStart + j)} to {@code dst[off + j]} for {@code 0 <= j < len}. */
    public static void fillF64(long seed, long step, long coordStart, double[] dst, int off, int len, double stddev) {
        Objects.checkFromIndexSize(off, len, dst.length);
        int[] words = new int[4];
        int j = 0;
        while (j < len) {
            long coord = coordStart + j;
            long group = coord >>> 1;
            Philox4x32.block((int) group, (int) (group >>> 32), (int) step, (int) (step >>> 32),
                    (int) seed, (int) (seed >>> 32), words);
            for (int h = (int) coord & 1; h < 2 && j < len; h++, j++) {
                long bits = (long) words[2 * h + 1] << 32 | (words[2 * h] & 0xFFFFFFFFL);
                dst[off + j] = NormalQuantile.fromBitsF64(bits) * stddev;
            }
        }
    }

    /** Writes {@code count} binary32 values {@code stddev * z(coordStart + j)} at {@code byteOffset + 4 * j}. */
    public static void fillF32(long seed, long step, long coordStart, MemorySegment dst, long byteOffset, long count,
                               float stddev) {
        Objects.checkFromIndexSize(byteOffset, Math.multiplyExact(count, Float.BYTES), dst.byteSize());
        int[] words = new int[4];
        long j = 0;
        while (j < count) {
            long coord = coordStart + j;
            long group = coord >>> 2;
            Philox4x32.block((int) group, (int) (group >>> 32), (int) step, (int) (step >>> 32),
                    (int) seed, (int) (seed >>> 32), words);
            for (int w = (int) coord & 3; w < 4 && j < count; w++, j++) {
                dst.set(ValueLayout.JAVA_FLOAT_UNALIGNED, byteOffset + j * Float.BYTES,
                        NormalQuantile.fromWordF32(words[w]) * stddev);
            }
        }
    }

    /** Writes {@code count} binary64 values {@code stddev * z(coordStart + j)} at {@code byteOffset + 8 * j}. */
    public static void fillF64(long seed, long step, long coordStart, MemorySegment dst, long byteOffset, long count,
                               double stddev) {
        Objects.checkFromIndexSize(byteOffset, Math.multiplyExact(count, Double.BYTES), dst.byteSize());
        int[] words = new int[4];
        long j = 0;
        while (j < count) {
            long coord = coordStart + j;
            long group = coord >>> 1;
            Philox4x32.block((int) group, (int) (group >>> 32), (int) step, (int) (step >>> 32),
                    (int) seed, (int) (seed >>> 32), words);
            for (int h = (int) coord & 1; h < 2 && j < count; h++, j++) {
                long bits = (long) words[2 * h + 1] << 32 | (words[2 * h] & 0xFFFFFFFFL);
                dst.set(ValueLayout.JAVA_DOUBLE_UNALIGNED, byteOffset + j * Double.BYTES,
                        NormalQuantile.fromBitsF64(bits) * stddev);
            }
        }
    }
}
