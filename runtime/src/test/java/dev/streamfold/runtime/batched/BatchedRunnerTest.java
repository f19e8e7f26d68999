package dev.streamfold.runtime.batched;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.streamfold.runtime.ElementType;
import dev.streamfold.runtime.ParallelRanges;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The runner splits the batch over threads without changing a bit, reads the status, and refuses bad calls. */
class BatchedRunnerTest {
    private static final long[] CHECK_FINITE = {1};

    /** A batch of random 2x2 matrices; items in {@code singular} are made singular, those in {@code nan} get a NaN. */
    private static double[][][] matrices(int batch, Set<Integer> singular, Set<Integer> nan) {
        SplittableRandom random = new SplittableRandom(batch);
        double[][][] items = new double[batch][2][2];
        for (int b = 0; b < batch; b++) {
            for (double[] row : items[b]) {
                for (int j = 0; j < 2; j++) {
                    row[j] = random.nextDouble(-2, 2);
                }
            }
            if (singular.contains(b)) {
                items[b][1][0] = 2 * items[b][0][0];
                items[b][1][1] = 2 * items[b][0][1];
            }
            if (nan.contains(b)) {
                items[b][0][1] = Double.NaN;
            }
        }
        return items;
    }

    /** The buffers of a call, from {@code arena}; the status starts as garbage the runner must clear. */
    private static MemorySegment[] buffers(Arena arena, double[][][] a, double scale) {
        Inverse2x2Kernel k = new Inverse2x2Kernel();
        MemorySegment status = BatchedArrays.allocate(arena, k.buffers().get(3), a.length);
        status.fill((byte) 0x7f);
        return new MemorySegment[] {BatchedArrays.matrices(arena, ElementType.FLOAT64, a),
                arena.allocateFrom(ValueLayout.JAVA_DOUBLE, scale), BatchedArrays.allocate(arena, k.buffers().get(2), a.length),
                status};
    }

    @Test
    void resultsAreBitIdenticalForOneTwoAndThreeThreadsAndMatchEachItemsInverse() {
        for (int batch : new int[] {1, 63, 64, 65, 100003}) {
            Set<Integer> singular = new HashSet<>(List.of(0, batch - 1, batch / 2));
            double[][][] a = matrices(batch, singular, Set.of());
            MemorySegment[] reference = null;
            for (int threads = 1; threads <= 3; threads++) {
                Inverse2x2Kernel kernel = new Inverse2x2Kernel();
                try (BatchedRunner runner = new BatchedRunner(kernel, threads)) {
                    Arena arena = Arena.ofAuto();
                    MemorySegment[] bufs = buffers(arena, a, 3.0);
                    BatchResult result = runner.run(bufs, CHECK_FINITE, batch);
                    assertEquals(singular.size(), result.failedCount(), "batch " + batch);
                    checkRanges(kernel, batch, threads);
                    if (reference == null) {
                        reference = bufs;
                        checkInverses(a, bufs[2], singular);
                    } else {
                        assertEquals(-1, reference[2].mismatch(bufs[2]), "inv, batch " + batch + ", threads " + threads);
                        assertEquals(-1, reference[3].mismatch(bufs[3]), "status, batch " + batch + ", threads " + threads);
                    }
                }
            }
        }
    }

    /** The kernel ran each item once, on ranges starting on multiples of 64, one per thread once the batch is split. */
    private static void checkRanges(Inverse2x2Kernel kernel, long batch, int threads) {
        List<Inverse2x2Kernel.Call> calls = new ArrayList<>(kernel.calls);
        calls.sort(Comparator.comparingLong(Inverse2x2Kernel.Call::from));
        long next = 0;
        Set<Thread> ran = new HashSet<>();
        for (Inverse2x2Kernel.Call c : calls) {
            assertEquals(next, c.from(), "batch " + batch + ", threads " + threads);
            assertEquals(0, c.from() % 64);
            assertTrue(c.to() > c.from());
            next = c.to();
            ran.add(c.thread());
        }
        assertEquals(batch, next);
        int nonEmpty = 0;
        for (int i = 0; i < threads; i++) {
            if (ParallelRanges.boundary(batch, threads, i) < ParallelRanges.boundary(batch, threads, i + 1)) {
                nonEmpty++;
            }
        }
        assertEquals(batch == 100003 ? threads : 1, nonEmpty, "batch " + batch + ", threads " + threads);
        assertEquals(nonEmpty, calls.size(), "batch " + batch + ", threads " + threads);
        assertEquals(calls.size(), ran.size());
        if (nonEmpty == 1) {
            assertEquals(Thread.currentThread(), calls.getFirst().thread());
        }
    }

    private static void checkInverses(double[][][] a, MemorySegment inv, Set<Integer> singular) {
        double[][][] got = BatchedArrays.readMatrices(inv, ElementType.FLOAT64, a.length, 2, 2);
        for (int b = 0; b < a.length; b++) {
            double[] want = Inverse2x2Kernel.inverse(a[b][0][0], a[b][0][1], a[b][1][0], a[b][1][1], 3.0);
            if (singular.contains(b)) {
                assertArrayEquals(new double[][] {{0, 0}, {0, 0}}, got[b], "item " + b);
                continue;
            }
            assertArrayEquals(new double[][] {{want[0], want[1]}, {want[2], want[3]}}, got[b], "item " + b);
            double p00 = a[b][0][0] * got[b][0][0] + a[b][0][1] * got[b][1][0];
            double p01 = a[b][0][0] * got[b][0][1] + a[b][0][1] * got[b][1][1];
            assertEquals(3.0, p00, 1e-6 * Math.max(1, Math.abs(got[b][0][0]) + Math.abs(got[b][1][0])), "item " + b);
            assertEquals(0.0, p01, 1e-6 * Math.max(1, Math.abs(got[b][0][1]) + Math.abs(got[b][1][1])), "item " + b);
        }
    }

    @Test
    void namesTheFirstFailedItemsInItemOrderWhateverTheThreadCount() {
        int batch = 100003;
        Set<Integer> singular = Set.of(17, 40, 41, 33279, 33280, 66700, 99999, 100002);
        double[][][] a = matrices(batch, singular, Set.of(5));
        BatchResult first = null;
        for (int threads = 1; threads <= 3; threads++) {
            try (BatchedRunner runner = new BatchedRunner(new Inverse2x2Kernel(), threads)) {
                BatchResult r = runner.run(buffers(Arena.ofAuto(), a, 1.0), CHECK_FINITE, batch);
                assertEquals(9, r.failedCount());
                assertFalse(r.ok());
                assertTrue(r.hasStatus());
                assertEquals(new BatchResult.Failure(5, BatchStatus.NON_FINITE_INPUT), r.firstFailures().get(0));
                assertEquals(List.of(5L, 17L, 40L, 41L, 33279L, 33280L, 66700L, 99999L),
                        r.firstFailures().stream().map(BatchResult.Failure::item).toList());
                assertEquals(BatchStatus.ZERO_PIVOT, r.firstFailures().get(7).status());
                if (first == null) {
                    first = r;
                } else {
                    assertEquals(first, r, "threads " + threads);
                }
            }
        }
        BatchResult failed = first;
        BatchFailureException e = assertThrows(BatchFailureException.class, failed::throwIfFailed);
        assertEquals("kernel inv2x2_f64: item 5 of 100003 failed with NON_FINITE_INPUT (a non-finite entry in the input); "
                + "8 more items failed (item 17 ZERO_PIVOT, item 40 ZERO_PIVOT, item 41 ZERO_PIVOT, item 33279 ZERO_PIVOT, "
                + "item 33280 ZERO_PIVOT, item 66700 ZERO_PIVOT, item 99999 ZERO_PIVOT, ...)", e.getMessage());
        assertSame(failed, e.result());
    }

    @Test
    void passesTheArgumentsAndNamesASingleFailure() {
        double[][][] a = matrices(100, Set.of(64), Set.of(5));
        try (BatchedRunner runner = new BatchedRunner(new Inverse2x2Kernel(), 2)) {
            BatchResult r = runner.run(buffers(Arena.ofAuto(), a, 1.0), new long[] {0}, 100);
            assertEquals(List.of(new BatchResult.Failure(64, BatchStatus.ZERO_PIVOT)), r.firstFailures());
            assertEquals("kernel inv2x2_f64: item 64 of 100 failed with ZERO_PIVOT (a zero pivot: the matrix is singular)",
                    assertThrows(BatchFailureException.class, r::throwIfFailed).getMessage());
            BatchResult ok = runner.run(buffers(Arena.ofAuto(), matrices(100, Set.of(), Set.of()), 1.0), CHECK_FINITE, 100);
            assertTrue(ok.ok());
            assertSame(ok, ok.throwIfFailed());
            assertEquals(List.of(), ok.firstFailures());
        }
    }

    @Test
    void runsWithBuffersGivenByName() {
        double[][][] a = matrices(70, Set.of(3), Set.of());
        try (BatchedRunner runner = new BatchedRunner(new Inverse2x2Kernel(), 3); Arena arena = Arena.ofShared()) {
            MemorySegment[] bufs = buffers(arena, a, 2.0);
            Map<String, MemorySegment> named = new LinkedHashMap<>();
            named.put("status", bufs[3]);
            named.put("inv", bufs[2]);
            named.put("scale", bufs[1]);
            named.put("a", bufs[0]);
            BatchResult r = runner.run(named, CHECK_FINITE, 70);
            assertEquals(List.of(new BatchResult.Failure(3, BatchStatus.ZERO_PIVOT)), r.firstFailures());
            double[] want = Inverse2x2Kernel.inverse(a[69][0][0], a[69][0][1], a[69][1][0], a[69][1][1], 2.0);
            assertEquals(want[2], bufs[2].getAtIndex(ValueLayout.JAVA_DOUBLE, 2 * 70 + 69));
        }
    }

    /** A refused call's message; the kernel did not run and the status was not touched. */
    private static String refusal(int threads, MemorySegment[] bufs, long[] args, long batch) {
        Inverse2x2Kernel kernel = new Inverse2x2Kernel();
        try (BatchedRunner runner = new BatchedRunner(kernel, threads)) {
            String m = assertThrows(IllegalArgumentException.class, () -> runner.run(bufs, args, batch)).getMessage();
            assertEquals(List.of(), List.copyOf(kernel.calls), m);
            return m;
        }
    }

    @Test
    void refusesWrongCountsAndBatchSizes() {
        try (Arena arena = Arena.ofShared()) {
            MemorySegment[] bufs = buffers(arena, matrices(10, Set.of(), Set.of()), 1);
            assertEquals("kernel inv2x2_f64: the kernel takes 4 buffers (a, scale, inv, status), got 3",
                    refusal(2, new MemorySegment[] {bufs[0], bufs[1], bufs[2]}, CHECK_FINITE, 10));
            assertEquals("kernel inv2x2_f64: the kernel takes 1 i64 argument, got 2", refusal(2, bufs, new long[2], 10));
            assertEquals("kernel inv2x2_f64: batch 0 must be in [1, 2^40]", refusal(2, bufs, CHECK_FINITE, 0));
            assertEquals("kernel inv2x2_f64: batch 1099511627777 must be in [1, 2^40]",
                    refusal(2, bufs, CHECK_FINITE, BatchedRunner.MAX_BATCH + 1));
        }
    }

    @Test
    void refusesMissingAndUnknownBuffers() {
        try (Arena arena = Arena.ofShared(); BatchedRunner runner = new BatchedRunner(new Inverse2x2Kernel(), 2)) {
            MemorySegment[] bufs = buffers(arena, matrices(10, Set.of(), Set.of()), 1);
            assertEquals("kernel inv2x2_f64: buffer inv (OUT FLOAT64 x 4 per item) is missing",
                    assertThrows(IllegalArgumentException.class, () -> runner.run(
                            Map.of("a", bufs[0], "scale", bufs[1], "status", bufs[3]), CHECK_FINITE, 10)).getMessage());
            assertEquals("kernel inv2x2_f64: no buffer is named invv (the kernel's buffers: a, scale, inv, status)",
                    assertThrows(IllegalArgumentException.class, () -> runner.run(
                            Map.of("a", bufs[0], "scale", bufs[1], "invv", bufs[2], "status", bufs[3]), CHECK_FINITE, 10))
                            .getMessage());
            assertEquals("kernel inv2x2_f64: buffer scale (PARAM FLOAT64 x 1) is missing",
                    refusal(2, new MemorySegment[] {bufs[0], null, bufs[2], bufs[3]}, CHECK_FINITE, 10));
        }
    }

    @Test
    void refusesBuffersOfTheWrongSize() {
        try (Arena arena = Arena.ofShared()) {
            MemorySegment[] bufs = buffers(arena, matrices(10, Set.of(), Set.of()), 1);
            MemorySegment[] short9 = bufs.clone();
            short9[0] = BatchedArrays.matrices(arena, ElementType.FLOAT64, matrices(9, Set.of(), Set.of()));
            assertEquals("kernel inv2x2_f64: buffer a (IN FLOAT64 x 4 per item) has 288 bytes, a batch of 10 items needs "
                    + "exactly 320 (element e of item i at e * 10 + i)", refusal(2, short9, CHECK_FINITE, 10));
            MemorySegment[] long11 = bufs.clone();
            long11[3] = arena.allocate(44, 4);
            assertEquals("kernel inv2x2_f64: buffer status (OUT INT32 x 1 per item) has 44 bytes, a batch of 10 items needs "
                    + "exactly 40 (element e of item i at e * 10 + i)", refusal(1, long11, CHECK_FINITE, 10));
            MemorySegment[] twoScales = bufs.clone();
            twoScales[1] = arena.allocateFrom(ValueLayout.JAVA_DOUBLE, 1, 2);
            assertEquals("kernel inv2x2_f64: buffer scale (PARAM FLOAT64 x 1) has 16 bytes, its fixed length needs exactly 8",
                    refusal(2, twoScales, CHECK_FINITE, 10));
        }
    }

    @Test
    void refusesMisalignedHeapReadOnlyAndOverlappingBuffers() {
        try (Arena arena = Arena.ofShared()) {
            MemorySegment[] bufs = buffers(arena, matrices(10, Set.of(), Set.of()), 1);
            MemorySegment[] misaligned = bufs.clone();
            misaligned[2] = arena.allocate(320 + 8, 8).asSlice(4, 320);
            String m = refusal(2, misaligned, CHECK_FINITE, 10);
            assertTrue(m.startsWith("kernel inv2x2_f64: buffer inv (OUT FLOAT64 x 4 per item) starts at address 0x"), m);
            assertTrue(m.endsWith(", which is not a multiple of its element size 8"), m);
            MemorySegment[] heap = bufs.clone();
            heap[0] = MemorySegment.ofArray(new double[40]);
            assertEquals("kernel inv2x2_f64: buffer a (IN FLOAT64 x 4 per item) is a heap segment, but batched kernels take "
                    + "native memory: allocate it from an Arena", refusal(1, heap, CHECK_FINITE, 10));
            MemorySegment[] readOnly = bufs.clone();
            readOnly[2] = bufs[2].asReadOnly();
            assertEquals("kernel inv2x2_f64: buffer inv (OUT FLOAT64 x 4 per item) is read-only, but the kernel writes it",
                    refusal(2, readOnly, CHECK_FINITE, 10));
            MemorySegment[] inPlace = bufs.clone();
            inPlace[2] = bufs[0];
            assertEquals("kernel inv2x2_f64: buffer inv (OUT) shares memory with buffer a: a buffer the kernel writes must "
                    + "not overlap another buffer", refusal(2, inPlace, CHECK_FINITE, 10));
            MemorySegment[] readOnlyIn = bufs.clone();
            readOnlyIn[0] = bufs[0].asReadOnly();
            try (BatchedRunner runner = new BatchedRunner(new Inverse2x2Kernel(), 2)) {
                assertTrue(runner.run(readOnlyIn, CHECK_FINITE, 10).ok());
            }
        }
    }

    @Test
    void refusesConfinedBuffersOnWorkerThreadsAndClosedOrForeignArenas() throws InterruptedException {
        double[][][] a = matrices(10, Set.of(), Set.of());
        try (Arena confined = Arena.ofConfined()) {
            MemorySegment[] bufs = buffers(confined, a, 1);
            String m = refusal(2, bufs, CHECK_FINITE, 10);
            assertTrue(m.startsWith("kernel inv2x2_f64: buffer a (IN FLOAT64 x 4 per item) belongs to a confined arena, "
                    + "which only its owner thread may access, but this runner runs on 2 worker threads"), m);
            assertTrue(m.contains("Arena.ofShared(), Arena.global() or Arena.ofAuto()"), m);
            try (BatchedRunner one = new BatchedRunner(new Inverse2x2Kernel(), 1)) {
                assertTrue(one.run(bufs, CHECK_FINITE, 10).ok());
            }
        }
        Arena closed = Arena.ofShared();
        MemorySegment[] stale = buffers(closed, a, 1);
        closed.close();
        assertEquals("kernel inv2x2_f64: buffer a (IN FLOAT64 x 4 per item) belongs to an arena that is closed",
                refusal(1, stale, CHECK_FINITE, 10));
        MemorySegment[] foreign = new MemorySegment[4];
        Thread owner = Thread.ofPlatform().start(() -> {
            MemorySegment[] made = buffers(Arena.ofConfined(), a, 1);
            System.arraycopy(made, 0, foreign, 0, 4);
        });
        owner.join();
        assertEquals("kernel inv2x2_f64: buffer a (IN FLOAT64 x 4 per item) belongs to a confined arena of another thread, "
                + "which this thread may not access", refusal(1, foreign, CHECK_FINITE, 10));
    }

    @Test
    void refusesFreeParamsThatAreNoWholeNumberOfElements() {
        try (Arena arena = Arena.ofShared(); BatchedRunner runner = new BatchedRunner(new LookupKernel(), 2)) {
            MemorySegment idx = BatchedArrays.intVectors(arena, new int[][] {{2}, {0}, {1}});
            MemorySegment out = arena.allocate(24, 8);
            MemorySegment ragged = arena.allocate(20, 8);
            assertEquals("kernel lookup: buffer table (PARAM FLOAT64, any length) has 20 bytes, not a whole number of "
                    + "FLOAT64 elements (8 bytes each)", assertThrows(IllegalArgumentException.class,
                            () -> runner.run(new MemorySegment[] {idx, ragged, out}, new long[0], 3)).getMessage());
            MemorySegment table = arena.allocateFrom(ValueLayout.JAVA_DOUBLE, 10, 20, 30);
            BatchResult r = runner.run(new MemorySegment[] {idx, table, out}, new long[0], 3);
            assertFalse(r.hasStatus());
            assertTrue(r.ok());
            assertArrayEquals(new double[] {30, 10, 20}, out.toArray(ValueLayout.JAVA_DOUBLE));
        }
    }

    /** {@code out = table[idx]}: a kernel with a free-length param and no status. */
    private static final class LookupKernel implements BatchedKernel {
        @Override
        public String name() {
            return "lookup";
        }

        @Override
        public List<BatchedBuffer> buffers() {
            return List.of(new BatchedBuffer("idx", BatchedBuffer.Role.IN, ElementType.INT32, 1),
                    new BatchedBuffer("table", BatchedBuffer.Role.PARAM, ElementType.FLOAT64, -1),
                    new BatchedBuffer("out", BatchedBuffer.Role.OUT, ElementType.FLOAT64, 1));
        }

        @Override
        public int argCount() {
            return 0;
        }

        @Override
        public void run(MemorySegment[] buffers, long[] args, long batch, long from, long to) {
            for (long b = from; b < to; b++) {
                int i = buffers[0].getAtIndex(ValueLayout.JAVA_INT, b);
                buffers[2].setAtIndex(ValueLayout.JAVA_DOUBLE, b, buffers[1].getAtIndex(ValueLayout.JAVA_DOUBLE, i));
            }
        }
    }

    /** A kernel whose {@code status} buffer is {@code type}, that writes {@code code} as item 70001's status and throws on
     * the range holding item 90000 when {@code args[0]} is 1. */
    private static BatchedKernel statusKernel(ElementType type, int code) {
        return new BatchedKernel() {
            @Override
            public String name() {
                return "status_writer";
            }

            @Override
            public List<BatchedBuffer> buffers() {
                return List.of(new BatchedBuffer("status", BatchedBuffer.Role.OUT, type, 1));
            }

            @Override
            public int argCount() {
                return 1;
            }

            @Override
            public void run(MemorySegment[] buffers, long[] args, long batch, long from, long to) {
                if (args[0] == 1 && from <= 90000 && 90000 < to) {
                    throw new ArithmeticException("range " + from);
                }
                if (from <= 70001 && 70001 < to) {
                    buffers[0].setAtIndex(ValueLayout.JAVA_INT, 70001, code);
                }
            }
        };
    }

    @Test
    void refusesUnknownStatusCodesAndPassesOnKernelFailures() {
        try (Arena arena = Arena.ofShared(); BatchedRunner runner = new BatchedRunner(statusKernel(ElementType.INT32, 77), 3)) {
            MemorySegment[] status = {arena.allocate(100003L * 4, 4)};
            assertEquals("kernel status_writer: item 70001 has status code 77, which is no BatchStatus",
                    assertThrows(IllegalStateException.class, () -> runner.run(status, new long[] {0}, 100003)).getMessage());
            assertEquals("range 66624",
                    assertThrows(ArithmeticException.class, () -> runner.run(status, new long[] {1}, 100003)).getMessage());
        }
        try (Arena arena = Arena.ofShared(); BatchedRunner runner = new BatchedRunner(statusKernel(ElementType.INT32, 3), 3)) {
            BatchResult r = runner.run(new MemorySegment[] {arena.allocate(100003L * 4, 4)}, new long[] {0}, 100003);
            assertEquals(List.of(new BatchResult.Failure(70001, BatchStatus.NOT_CONVERGED)), r.firstFailures());
        }
    }

    @Test
    void refusesKernelsWithABadStatusBufferOrDuplicateNamesAndCallsAfterClose() {
        assertEquals("kernel status_writer: buffer status must be an OUT INT32 buffer of 1 element per item, it is "
                + "OUT FLOAT32 x 1 per item", assertThrows(IllegalArgumentException.class,
                        () -> new BatchedRunner(statusKernel(ElementType.FLOAT32, 0), 1)).getMessage());
        BatchedKernel duplicate = new BatchedKernel() {
            @Override
            public String name() {
                return "dup";
            }

            @Override
            public List<BatchedBuffer> buffers() {
                BatchedBuffer x = new BatchedBuffer("x", BatchedBuffer.Role.IN, ElementType.FLOAT32, 1);
                return List.of(x, x);
            }

            @Override
            public int argCount() {
                return 0;
            }

            @Override
            public void run(MemorySegment[] buffers, long[] args, long batch, long from, long to) {}
        };
        assertEquals("kernel dup has two buffers named x",
                assertThrows(IllegalArgumentException.class, () -> new BatchedRunner(duplicate, 1)).getMessage());
        assertEquals("threads 0 must be in [1, 4096]",
                assertThrows(IllegalArgumentException.class, () -> new BatchedRunner(new Inverse2x2Kernel(), 0)).getMessage());
        BatchedRunner runner = new BatchedRunner(new Inverse2x2Kernel(), 2);
        runner.close();
        MemorySegment[] bufs = buffers(Arena.ofAuto(), matrices(4, Set.of(), Set.of()), 1);
        assertEquals("kernel inv2x2_f64: the runner is closed",
                assertThrows(IllegalStateException.class, () -> runner.run(bufs, CHECK_FINITE, 4)).getMessage());
    }
}
