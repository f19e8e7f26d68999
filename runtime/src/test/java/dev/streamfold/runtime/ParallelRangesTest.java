package dev.streamfold.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The split is aligned and covers the range once; work runs on workers, results come back in range order. */
class ParallelRangesTest {
    @Test
    void boundariesAreAlignedIncreasingAndCoverTheRange() {
        for (long length : new long[] {0, 1, 63, 64, 65, 127, 128, 1000, 100003, ParallelRanges.MAX_LENGTH}) {
            for (int threads : new int[] {1, 2, 3, 7, 64, ParallelRanges.MAX_THREADS}) {
                assertEquals(0, ParallelRanges.boundary(length, threads, 0));
                assertEquals(length, ParallelRanges.boundary(length, threads, threads));
                long previous = 0;
                for (int i = 1; i < threads; i++) {
                    long b = ParallelRanges.boundary(length, threads, i);
                    assertEquals(0, b % ParallelRanges.ALIGNMENT, length + " over " + threads + ", boundary " + i);
                    assertTrue(b >= previous && b <= length, length + " over " + threads + ", boundary " + i);
                    previous = b;
                }
            }
        }
        assertEquals(33280, ParallelRanges.boundary(100003, 3, 1));
        assertEquals(66624, ParallelRanges.boundary(100003, 3, 2));
    }

    @Test
    void refusesBoundariesOutsideTheSplit() {
        assertThrows(IllegalArgumentException.class, () -> ParallelRanges.boundary(10, 2, 3));
        assertThrows(IllegalArgumentException.class, () -> ParallelRanges.boundary(ParallelRanges.MAX_LENGTH + 1, 2, 1));
        assertEquals("threads 0 must be in [1, 4096]",
                assertThrows(IllegalArgumentException.class, () -> new ParallelRanges(0, "w")).getMessage());
    }

    @Test
    void runsEachNonEmptyRangeOnAWorkerAndReturnsResultsInRangeOrder() {
        try (ParallelRanges p = new ParallelRanges(3, "test-worker")) {
            Thread caller = Thread.currentThread();
            List<long[]> ranges = p.map(100003, 0, (from, to) -> {
                assertNotEquals(caller, Thread.currentThread());
                assertEquals("test-worker", Thread.currentThread().getName());
                return new long[] {from, to};
            });
            assertEquals(3, ranges.size());
            long next = 0;
            for (long[] r : ranges) {
                assertEquals(next, r[0]);
                next = r[1];
            }
            assertEquals(100003, next);
        }
    }

    @Test
    void shortRangesAndSingleRangeSplitsRunOnTheCaller() {
        try (ParallelRanges p = new ParallelRanges(4, "test-worker")) {
            Thread caller = Thread.currentThread();
            for (long[] lengthAndSerialBelow : new long[][] {{1000, 1001}, {85, 0}, {0, 0}}) {
                List<Thread> ran = p.map(lengthAndSerialBelow[0], lengthAndSerialBelow[1], (from, to) -> {
                    assertEquals(0, from);
                    assertEquals(lengthAndSerialBelow[0], to);
                    return Thread.currentThread();
                });
                assertEquals(List.of(caller), ran);
            }
        }
    }

    @Test
    void firstReturnsTheSmallestIndexAnyRangeFound() {
        try (ParallelRanges p = new ParallelRanges(4, "test-worker")) {
            assertEquals(ParallelRanges.boundary(400000, 4, 2) - 1, p.first(400000, 0, (from, to) -> from == 0 ? -1 : to - 1));
            assertEquals(-1, p.first(400000, 0, (from, to) -> -1));
        }
    }

    @Test
    void waitsForEveryRangeThenRethrowsTheFirstFailureInRangeOrder() {
        try (ParallelRanges p = new ParallelRanges(3, "test-worker")) {
            AtomicInteger finished = new AtomicInteger();
            IllegalStateException first = new IllegalStateException("range 1");
            RuntimeException thrown = assertThrows(RuntimeException.class, () -> p.map(100003, 0, (from, to) -> {
                if (from > 0) {
                    finished.incrementAndGet();
                    throw from < 50000 ? first : new IllegalArgumentException("range 2");
                }
                finished.incrementAndGet();
                return from;
            }));
            assertSame(first, thrown);
            assertEquals(3, finished.get());
            List<Long> after = new ArrayList<>(p.map(100003, 0, (from, to) -> to - from));
            assertEquals(100003, after.stream().mapToLong(Long::longValue).sum());
        }
    }
}
