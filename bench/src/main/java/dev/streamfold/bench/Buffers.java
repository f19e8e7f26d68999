package dev.streamfold.bench;

import dev.streamfold.runtime.StreamBuffers;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.SplittableRandom;

/** Benchmark input buffers. */
final class Buffers {
    private Buffers() {}

    /** {@code n} float32 values uniform in [-1, 1), 64-byte aligned. */
    static MemorySegment random(Arena arena, long n, long seed) {
        MemorySegment s = StreamBuffers.allocate(arena, n * 4);
        SplittableRandom r = new SplittableRandom(seed);
        for (long i = 0; i < n; i++) {
            s.setAtIndex(ValueLayout.JAVA_FLOAT, i, (float) (r.nextDouble() * 2 - 1));
        }
        return s;
    }
}
