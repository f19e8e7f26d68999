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

    /** y = x: the step's output is the drawn input itself. */
    static final class CopyKernel implements StepKernel {
        @Override
        public ElementType elementType() {
            return ElementType.FLOAT32;
        }

        @Override
        public int paramCount() {
            return 0;
        }

        @Override
        public java.util.List<ParamSlot> paramSlots() {
            return java.util.List.of();
        }

        @Override
        public int stateCount() {
            return 0;
        }


        @Override

        public int stateRows(int k) {

            return 1;

        }

        @Override
        public void step(long t, double[][] p, MemorySegment x, MemorySegment y, MemorySegment[] s, long ss, long from, long to) {
            for (long i = from; i < to; i++) {
                y.setAtIndex(ValueLayout.JAVA_FLOAT, i, x.getAtIndex(ValueLayout.JAVA_FLOAT, i));
            }
        }

        @Override
        public void scan(long t0, int steps, double[][] p, MemorySegment x, MemorySegment y, long stride, MemorySegment[] s,
                long ss, long from, long to) {
            throw new UnsupportedOperationException("not used");
        }
    }

    @Test
    void theRunnerReportsTheSmallestNonFiniteIndexOverAllThreads() {
        long length = 3L * StreamingRunner.CHUNK + 123;
        long[] bad = {2 * StreamingRunner.CHUNK + 5, StreamingRunner.CHUNK + 77, 3L * StreamingRunner.CHUNK + 100};
        StreamingRunner.InputSource source = (step, from, dst, count) -> {
            for (int i = 0; i < count; i++) {
                long c = from + i;
                boolean inf = step == 2 && (c == bad[0] || c == bad[1]) || step == 3 && c == bad[2];
                dst.setAtIndex(ValueLayout.JAVA_FLOAT, i, inf ? Float.POSITIVE_INFINITY : 1.0f);
            }
        };
        for (int threads : new int[] {1, 2, 4}) {
            try (StreamingRunner r = new StreamingRunner(new CopyKernel(), new double[0][], length, threads);
                    Arena a = Arena.ofShared()) {
                MemorySegment y = a.allocate(length * 4, 64);
                assertEquals(-1, r.nextCheckingFinite(source, y));
                assertEquals(-1, r.nextCheckingFinite(source, y));
                assertEquals(bad[1], r.nextCheckingFinite(source, y), threads + " threads");
                assertEquals(bad[2], r.nextCheckingFinite(source, y), threads + " threads, in the tail");
                assertEquals(4, r.step());
            }
        }
    }
}
