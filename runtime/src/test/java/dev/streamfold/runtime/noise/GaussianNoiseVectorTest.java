package dev.streamfold.runtime.noise;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;
import java.util.SplittableRandom;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;
import org.junit.jupiter.api.Test;

class GaussianNoiseVectorTest {
    private static final List<VectorSpecies<Float>> FLOATS = List.of(FloatVector.SPECIES_128,
            FloatVector.SPECIES_256, FloatVector.SPECIES_512, FloatVector.SPECIES_PREFERRED);
    private static final List<VectorSpecies<Double>> DOUBLES = List.of(DoubleVector.SPECIES_128,
            DoubleVector.SPECIES_256, DoubleVector.SPECIES_512, DoubleVector.SPECIES_PREFERRED);

    private static long[] starts(SplittableRandom random) {
        return new long[] {0, 1, 2, 3, 4, 5, 6, 7, 4L * 0xFFFFFFFFL - 5, (1L << 34) - 3, random.nextLong() >>> 1,
            random.nextLong() >>> 1 & ~3L, random.nextLong(1000)};
    }

    @Test
    void perVectorDeviatesEqualTheScalarReference() {
        SplittableRandom random = new SplittableRandom(11);
        for (int trial = 0; trial < 40; trial++) {
            long seed = trial == 0 ? 0 : random.nextLong();
            long step = trial == 1 ? Long.MAX_VALUE : trial == 2 ? -1 : random.nextLong();
            for (long start : starts(random)) {
                for (VectorSpecies<Float> s : FLOATS) {
                    FloatVector v = GaussianNoiseVector.gaussianF32(s, (int) seed, (int) (seed >>> 32), step, start);
                    for (int lane = 0; lane < s.length(); lane++) {
                        assertEquals(Float.floatToRawIntBits(GaussianNoise.gaussianF32(seed, step, start + lane)),
                                Float.floatToRawIntBits(v.lane(lane)), s + " start " + start + " lane " + lane);
                    }
                }
                for (VectorSpecies<Double> s : DOUBLES) {
                    DoubleVector v = GaussianNoiseVector.gaussianF64(s, (int) seed, (int) (seed >>> 32), step, start);
                    for (int lane = 0; lane < s.length(); lane++) {
                        assertEquals(Double.doubleToRawLongBits(GaussianNoise.gaussianF64(seed, step, start + lane)),
                                Double.doubleToRawLongBits(v.lane(lane)), s + " start " + start + " lane " + lane);
                    }
                }
            }
        }
    }

    @Test
    void vectorFillsEqualScalarFills() {
        SplittableRandom random = new SplittableRandom(12);
        int[] lengths = {0, 1, 2, 3, 5, 7, 15, 16, 17, 31, 33, 64, 100, 2047, 2048, 2049, 4096 + 13, 7001};
        for (int trial = 0; trial < 120; trial++) {
            long seed = random.nextLong();
            long step = random.nextLong();
            long start = trial % 4 == 0 ? random.nextLong() >>> 1 : random.nextInt(64);
            int len = lengths[trial % lengths.length];
            int off = random.nextInt(9);
            float s32 = trial % 5 == 0 ? 1f : (float) random.nextDouble(0.01, 10);
            double s64 = trial % 5 == 0 ? 1.0 : random.nextDouble(0.01, 10);
            assertFillsAgree(seed, step, start, off, len, s32, s64);
        }
    }

    private static void assertFillsAgree(long seed, long step, long start, int off, int len, float s32, double s64) {
        float[] scalar32 = new float[off + len + 3];
        float[] vector32 = new float[off + len + 3];
        double[] scalar64 = new double[off + len + 3];
        double[] vector64 = new double[off + len + 3];
        java.util.Arrays.fill(vector32, 42f);
        java.util.Arrays.fill(scalar32, 42f);
        java.util.Arrays.fill(vector64, 42.0);
        java.util.Arrays.fill(scalar64, 42.0);
        GaussianNoise.fillF32(seed, step, start, scalar32, off, len, s32);
        GaussianNoiseVector.fillF32(seed, step, start, vector32, off, len, s32);
        GaussianNoise.fillF64(seed, step, start, scalar64, off, len, s64);
        GaussianNoiseVector.fillF64(seed, step, start, vector64, off, len, s64);
        for (int i = 0; i < scalar32.length; i++) {
            assertEquals(Float.floatToRawIntBits(scalar32[i]), Float.floatToRawIntBits(vector32[i]),
                    "f32 start " + start + " off " + off + " len " + len + " at " + i);
            assertEquals(Double.doubleToRawLongBits(scalar64[i]), Double.doubleToRawLongBits(vector64[i]),
                    "f64 start " + start + " off " + off + " len " + len + " at " + i);
        }
        try (Arena arena = Arena.ofConfined()) {
            long byteOffset = off + 1;
            MemorySegment seg32 = arena.allocate(byteOffset + 4L * len);
            MemorySegment seg64 = arena.allocate(byteOffset + 8L * len);
            GaussianNoiseVector.fillF32(seed, step, start, seg32, byteOffset, len, s32);
            GaussianNoiseVector.fillF64(seed, step, start, seg64, byteOffset, len, s64);
            for (int j = 0; j < len; j++) {
                assertEquals(Float.floatToRawIntBits(scalar32[off + j]),
                        Float.floatToRawIntBits(seg32.get(ValueLayout.JAVA_FLOAT_UNALIGNED, byteOffset + 4L * j)));
                assertEquals(Double.doubleToRawLongBits(scalar64[off + j]),
                        Double.doubleToRawLongBits(seg64.get(ValueLayout.JAVA_DOUBLE_UNALIGNED, byteOffset + 8L * j)));
            }
        }
    }

    @Test
    void fillingInRandomChunksGivesTheSameBits() {
        SplittableRandom random = new SplittableRandom(13);
        int n = 20_000;
        for (int trial = 0; trial < 6; trial++) {
            long seed = random.nextLong();
            long step = random.nextLong();
            long start = random.nextInt(1 << 20);
            float[] whole32 = new float[n];
            double[] whole64 = new double[n];
            GaussianNoiseVector.fillF32(seed, step, start, whole32, 0, n, 0.5f);
            GaussianNoiseVector.fillF64(seed, step, start, whole64, 0, n, 0.5);
            float[] chunked32 = new float[n];
            double[] chunked64 = new double[n];
            for (int at = 0; at < n; ) {
                int len = Math.min(n - at, 1 + random.nextInt(trial < 3 ? 40 : 5000));
                boolean vector = random.nextBoolean();
                if (vector) {
                    GaussianNoiseVector.fillF32(seed, step, start + at, chunked32, at, len, 0.5f);
                    GaussianNoiseVector.fillF64(seed, step, start + at, chunked64, at, len, 0.5);
                } else {
                    GaussianNoise.fillF32(seed, step, start + at, chunked32, at, len, 0.5f);
                    GaussianNoise.fillF64(seed, step, start + at, chunked64, at, len, 0.5);
                }
                at += len;
            }
            for (int i = 0; i < n; i++) {
                assertEquals(Float.floatToRawIntBits(whole32[i]), Float.floatToRawIntBits(chunked32[i]), "at " + i);
                assertEquals(Double.doubleToRawLongBits(whole64[i]), Double.doubleToRawLongBits(chunked64[i]), "at " + i);
            }
        }
    }

    private static boolean tailF32(long seed, long step, long coord) {
        long group = coord >>> 2;
        int word = Philox4x32.word((int) group, (int) (group >>> 32), (int) step, (int) (step >>> 32),
                (int) seed, (int) (seed >>> 32), (int) coord & 3);
        int s = (((word >>> 8) << 1) | 1) - (1 << 24);
        return (float) Math.abs(s) * 0x1p-25f > NormalQuantile.PPND7_SPLIT1;
    }

    private static boolean tailF64(long seed, long step, long coord) {
        long group = coord >>> 1;
        long bits = Philox4x32.wordPair((int) group, (int) (group >>> 32), (int) step, (int) (step >>> 32),
                (int) seed, (int) (seed >>> 32), (int) coord & 1);
        long s = (((bits >>> 11) << 1) | 1) - (1L << 53);
        return (double) Math.abs(s) * 0x1p-54 > NormalQuantile.PPND16_SPLIT1;
    }

    @Test
    void vectorsWithAllOrNoLanesInTheTailAgree() {
        long seed = 0x5EED;
        long step = 7;
        long all32 = 49_271_472;
        long all64 = 9_760;
        for (int lane = 0; lane < 8; lane++) {
            assertTrue(tailF32(seed, step, all32 + lane));
        }
        for (int lane = 0; lane < 4; lane++) {
            assertTrue(tailF64(seed, step, all64 + lane));
        }
        long none32 = 0;
        while (!noTail(seed, step, none32, 16, true)) {
            none32 += 16;
        }
        long none64 = 0;
        while (!noTail(seed, step, none64, 8, false)) {
            none64 += 8;
        }
        for (long start : new long[] {all32, all64, none32, none64}) {
            for (int lead = 0; lead <= 17; lead++) {
                for (int len : new int[] {1, 4, 8, 16, 33}) {
                    if (start - lead >= 0) {
                        assertFillsAgree(seed, step, start - lead, lead % 3, lead + len, 1.5f, 1.5);
                    }
                }
            }
        }
    }

    private static boolean noTail(long seed, long step, long start, int n, boolean f32) {
        for (long c = start; c < start + n; c++) {
            if (f32 ? tailF32(seed, step, c) : tailF64(seed, step, c)) {
                return false;
            }
        }
        return true;
    }

    @Test
    void longFillsEqualTheScalarReference() {
        int n = 1 << 19;
        for (long start : new long[] {0, 3, (1L << 40) + 1}) {
            float[] scalar32 = new float[n];
            float[] vector32 = new float[n];
            double[] scalar64 = new double[n];
            double[] vector64 = new double[n];
            GaussianNoise.fillF32(99, 5, start, scalar32, 0, n, 2f);
            GaussianNoiseVector.fillF32(99, 5, start, vector32, 0, n, 2f);
            GaussianNoise.fillF64(99, 5, start, scalar64, 0, n, 2.0);
            GaussianNoiseVector.fillF64(99, 5, start, vector64, 0, n, 2.0);
            for (int i = 0; i < n; i++) {
                assertEquals(Float.floatToRawIntBits(scalar32[i]), Float.floatToRawIntBits(vector32[i]), "at " + i);
                assertEquals(Double.doubleToRawLongBits(scalar64[i]), Double.doubleToRawLongBits(vector64[i]), "at " + i);
            }
        }
    }

    @Test
    void rejectsVectorsNarrowerThanOneBlock() {
        assertThrows(IllegalArgumentException.class,
                () -> GaussianNoiseVector.gaussianF32(FloatVector.SPECIES_64, 0, 0, 0, 0));
        assertThrows(IllegalArgumentException.class,
                () -> GaussianNoiseVector.gaussianF64(DoubleVector.SPECIES_64, 0, 0, 0, 0));
    }

    @Test
    void rejectsOutOfRangeDestinations() {
        assertThrows(IndexOutOfBoundsException.class,
                () -> GaussianNoiseVector.fillF32(0, 0, 0, new float[10], 5, 6, 1f));
        assertThrows(IndexOutOfBoundsException.class,
                () -> GaussianNoiseVector.fillF64(0, 0, 0, new double[10], -1, 2, 1.0));
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment segment = arena.allocate(40);
            assertThrows(IndexOutOfBoundsException.class,
                    () -> GaussianNoiseVector.fillF32(0, 0, 0, segment, 4, 10, 1f));
            assertThrows(IndexOutOfBoundsException.class,
                    () -> GaussianNoiseVector.fillF64(0, 0, 0, segment, 0, 6, 1.0));
        }
    }
}
