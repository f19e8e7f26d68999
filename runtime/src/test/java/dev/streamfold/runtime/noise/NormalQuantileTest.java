package dev.streamfold.runtime.noise;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class NormalQuantileTest {
    @Test
    void log32IsWithinTwoUlpOfTheTrueLogarithm() {
        SplittableRandom random = new SplittableRandom(1);
        for (int i = 0; i < 1_000_000; i++) {
            float v = Float.intBitsToFloat(0x00800000 + random.nextInt(0x7f000000 - 0x00800000));
            double exact = StrictMath.log(v);
            float got = NormalQuantile.logF32(v);
            assertTrue(Math.abs(got - exact) <= 2 * Math.ulp((float) exact) + 1e-12,
                    () -> "log(" + v + ") = " + got + ", expected " + exact);
        }
    }

    @Test
    void log64IsWithinTwoUlpOfTheTrueLogarithm() {
        SplittableRandom random = new SplittableRandom(2);
        for (int i = 0; i < 1_000_000; i++) {
            double v = Double.longBitsToDouble(0x0010000000000000L + random.nextLong(0x7fe0000000000000L));
            double exact = StrictMath.log(v);
            double got = NormalQuantile.logF64(v);
            assertTrue(Math.abs(got - exact) <= 2 * Math.ulp(exact) + 1e-300,
                    () -> "log(" + v + ") = " + got + ", expected " + exact);
        }
    }

    @Test
    void log32SplitConstantsAreFdlibms() {
        assertEquals(0x3f317180, Float.floatToRawIntBits(NormalQuantile.LOG32_LN2_HI));
        assertEquals(0x3717f7d1, Float.floatToRawIntBits(NormalQuantile.LOG32_LN2_LO));
        assertEquals(0x3fe62e42fee00000L, Double.doubleToRawLongBits(NormalQuantile.LOG64_LN2_HI));
        assertEquals(0x3dea39ef35793c76L, Double.doubleToRawLongBits(NormalQuantile.LOG64_LN2_LO));
    }

    @Test
    void deviatesAreOddInTheWord() {
        SplittableRandom random = new SplittableRandom(3);
        for (int i = 0; i < 1_000_000; i++) {
            int w = random.nextInt();
            assertEquals(-NormalQuantile.fromWordF32(w), NormalQuantile.fromWordF32(~w));
            long x = random.nextLong();
            assertEquals(-NormalQuantile.fromBitsF64(x), NormalQuantile.fromBitsF64(~x));
        }
    }

    @Test
    void extremeWordsGiveTheExtremeDeviates() {
        assertEquals(-5.41998, NormalQuantile.fromWordF32(0), 1e-5);
        assertEquals(5.41998, NormalQuantile.fromWordF32(-1), 1e-5);
        assertEquals(-8.29236, NormalQuantile.fromBitsF64(0L), 1e-5);
        assertEquals(8.29236, NormalQuantile.fromBitsF64(-1L), 1e-5);
        assertTrue(Math.abs(NormalQuantile.fromWordF32(0x80000000)) < 1e-7);
        assertTrue(Math.abs(NormalQuantile.fromBitsF64(Long.MIN_VALUE)) < 1e-15);
    }

    /** Every binary32 input, against the binary64 transform of the same uniform (itself checked below). */
    @Test
    void binary32QuantileIsAccurateOnEveryInput() {
        double worst = 0;
        for (int m = 1 << 23; m < 1 << 24; m++) {
            float q = (2 * m + 1 - (1 << 24)) * 0x1p-25f;
            double reference = NormalQuantile.centeredQuantileF64(q);
            double error = Math.abs(NormalQuantile.centeredQuantileF32(q) - reference) / reference;
            worst = Math.max(worst, error);
        }
        assertTrue(worst < 4e-7, "worst relative error " + worst);
    }

    @Test
    void binary64QuantileMatchesTheHighPrecisionReference() {
        List<Double> qs = new ArrayList<>();
        qs.add(0x1p-54);
        qs.add(3 * 0x1p-54);
        qs.add(0.5 - 0x1p-54);
        qs.add(0.5 - 3 * 0x1p-54);
        for (double split : new double[] {0.425, 0.5 - Math.exp(-25)}) {
            for (int k = -3; k <= 3; k++) {
                qs.add(split + k * Math.ulp(split));
            }
        }
        for (int e = 2; e <= 16; e++) {
            qs.add(0.5 - Math.pow(10, -e));
            qs.add(0.5 - 3 * Math.pow(10, -e));
        }
        SplittableRandom random = new SplittableRandom(4);
        for (int i = 0; i < 120; i++) {
            qs.add((random.nextLong(1L << 53) * 2 + 1 - (1L << 53)) * 0x1p-54);
        }
        for (int i = 0; i < 60; i++) {
            qs.add(0.5 - Math.pow(2, -2 - 52 * random.nextDouble()));
        }
        double worst = 0;
        for (double q : qs) {
            for (double signed : new double[] {q, -q}) {
                double error = HighPrecisionNormal.relativeError(signed, NormalQuantile.centeredQuantileF64(signed));
                assertTrue(error < 2e-15, "q = " + signed + ": relative error " + error);
                worst = Math.max(worst, error);
            }
        }
        assertTrue(worst > 0);
    }

    @Test
    void binary32QuantileMatchesTheHighPrecisionReferenceInTheTails() {
        for (int s : new int[] {1, 3, 5, 1001, (1 << 24) - 1, (1 << 24) - 3, 16_000_001, 2_550_001}) {
            float q = s * 0x1p-25f;
            double error = HighPrecisionNormal.relativeError(q, NormalQuantile.centeredQuantileF32(q));
            assertTrue(error < 4e-7, "q = " + q + ": relative error " + error);
        }
    }
}
