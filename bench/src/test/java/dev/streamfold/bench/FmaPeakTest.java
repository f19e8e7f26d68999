package dev.streamfold.bench;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The FMA peak loop runs on every dtype and thread count and gives a positive, finite figure (no timing asserted). */
class FmaPeakTest {
    @Test
    void peakIsPositiveForEachDtypeAndThreadCount() {
        for (String dtype : LinalgBench.DTYPES) {
            for (int threads : new int[] {1, 2}) {
                double g = FmaPeak.gflops(dtype, threads, 0.01, 0.005, 2);
                assertTrue(g > 0 && Double.isFinite(g), dtype + " " + threads + ": " + g);
            }
        }
    }

    @Test
    void loopsStayFinite() {
        assertTrue(Double.isFinite(FmaPeak.loopF32(1 << 10)));
        assertTrue(Double.isFinite(FmaPeak.loopF64(1 << 10)));
        assertTrue(FmaPeak.loopF32(1 << 10) > 0);
    }

    @Test
    void unknownDtypeIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> FmaPeak.gflops("int8", 1, 0.01, 0.01, 1));
    }
}
