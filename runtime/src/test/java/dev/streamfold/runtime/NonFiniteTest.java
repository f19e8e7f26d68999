package dev.streamfold.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.junit.jupiter.api.Test;

/** Finding the first infinity or NaN of a block, in the vector part and in the tail. */
class NonFiniteTest {
    static final int N = 1000;

    @Test
    void float32FirstNonFiniteIsFoundAnywhere() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment s = a.allocate(N * 4L, 64);
            for (int i = 0; i < N; i++) {
                s.setAtIndex(ValueLayout.JAVA_FLOAT, i, i % 2 == 0 ? Float.MAX_VALUE : -Float.MIN_VALUE);
            }
            assertEquals(-1, NonFinite.first(s, ElementType.FLOAT32, 0, N));
            for (int at : new int[] {0, 1, 17, 500, N - 9, N - 1}) {
                for (float bad : new float[] {Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.NaN}) {
                    float keep = s.getAtIndex(ValueLayout.JAVA_FLOAT, at);
                    s.setAtIndex(ValueLayout.JAVA_FLOAT, at, bad);
                    assertEquals(at, NonFinite.first(s, ElementType.FLOAT32, 0, N), at + " " + bad);
                    assertEquals(at >= 3 ? at : -1, NonFinite.first(s, ElementType.FLOAT32, 3, N - 3), "from 3: " + at);
                    s.setAtIndex(ValueLayout.JAVA_FLOAT, at, keep);
                }
            }
        }
    }

    @Test
    void float64FirstNonFiniteIsFoundAnywhere() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment s = a.allocate(N * 8L, 64);
            for (int i = 0; i < N; i++) {
                s.setAtIndex(ValueLayout.JAVA_DOUBLE, i, i % 2 == 0 ? Double.MAX_VALUE : -Double.MIN_VALUE);
            }
            assertEquals(-1, NonFinite.first(s, ElementType.FLOAT64, 0, N));
            for (int at : new int[] {0, 5, 499, N - 3, N - 1}) {
                for (double bad : new double[] {Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, Double.NaN}) {
                    s.setAtIndex(ValueLayout.JAVA_DOUBLE, at, bad);
                    s.setAtIndex(ValueLayout.JAVA_DOUBLE, N - 1, at == N - 1 ? bad : Double.NaN);
                    assertEquals(at, NonFinite.first(s, ElementType.FLOAT64, 0, N), at + " " + bad);
                    assertEquals(at == N - 1 ? -1 : at, NonFinite.first(s, ElementType.FLOAT64, 0, N - 1), "without the last: " + at);
                    s.setAtIndex(ValueLayout.JAVA_DOUBLE, at, 1.0);
                    s.setAtIndex(ValueLayout.JAVA_DOUBLE, N - 1, 1.0);
                }
            }
        }
    }
}
