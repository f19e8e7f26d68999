package dev.streamfold.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.streamfold.runtime.ElementType;
import dev.streamfold.runtime.batched.BatchedBuffer;
import dev.streamfold.runtime.batched.BatchedBuffer.Role;
import dev.streamfold.runtime.batched.BatchedKernel;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * How the bench drives a batched kernel: inputs in structure-of-arrays layout from {@link LinalgInputs},
 * the batch split over threads into whole blocks, failing items counted from the status buffer. The
 * kernel here checks what it is handed; it computes no decomposition.
 */
class KernelSamplerTest {
    static final int N = 4;

    /** Checks A and dA against the bench's inputs and flags every seventh item in {@code status}. */
    static final class CheckingKernel implements BatchedKernel {
        final List<BatchedBuffer> buffers;
        final AtomicLong mismatches = new AtomicLong();
        final List<long[]> ranges = Collections.synchronizedList(new ArrayList<>());

        CheckingKernel(List<BatchedBuffer> buffers) {
            this.buffers = buffers;
        }

        @Override
        public String name() {
            return "check_f64_4x4";
        }

        @Override
        public List<BatchedBuffer> buffers() {
            return buffers;
        }

        @Override
        public int argCount() {
            return 1;
        }

        @Override
        public void run(MemorySegment[] segs, long[] args, long batch, long from, long to) {
            ranges.add(new long[] {from, to});
            for (long b = from; b < to; b++) {
                double[] a = LinalgInputs.a("lu", N, b);
                double[] da = LinalgInputs.tangent("lu", N, b, 0);
                for (int e = 0; e < N * N; e++) {
                    if (segs[0].getAtIndex(ValueLayout.JAVA_DOUBLE, e * batch + b) != a[e]
                            || segs[1].getAtIndex(ValueLayout.JAVA_FLOAT, e * batch + b) != (float) da[e]) {
                        mismatches.incrementAndGet();
                    }
                }
                segs[3].setAtIndex(ValueLayout.JAVA_INT, b, b % 7 == 0 ? 1 : 0);
            }
        }
    }

    static List<BatchedBuffer> buffers(BatchedBuffer extra) {
        List<BatchedBuffer> l = new ArrayList<>(List.of(new BatchedBuffer("A", Role.IN, ElementType.FLOAT64, N * N),
                new BatchedBuffer("dA", Role.IN, ElementType.FLOAT32, N * N), new BatchedBuffer("lu", Role.OUT, ElementType.FLOAT64, N * N),
                new BatchedBuffer("status", Role.OUT, ElementType.INT32, 1)));
        if (extra != null) {
            l.add(extra);
        }
        return l;
    }

    @Test
    void inputsAreFilledItemByItemAndTheBatchIsSplitIntoBlocks() throws Exception {
        CheckingKernel k = new CheckingKernel(buffers(null));
        long batch = 1000;
        try (KernelSampler s = new KernelSampler("kernel+jvp", "lu", N, k, new long[] {7}, batch, 3)) {
            assertEquals(2 * batch, s.run(2));
            assertEquals(0, k.mismatches.get());
            assertEquals(6, k.ranges.size(), "3 ranges a run");
            long covered = 0;
            for (long[] r : k.ranges) {
                assertEquals(0, r[0] % KernelSampler.BLOCK, "a range starts on a block");
                covered += r[1] - r[0];
            }
            assertEquals(2 * batch, covered);
            assertEquals((batch + 6) / 7, s.failedItems());
        }
    }

    @Test
    void oneThreadRunsTheWholeBatchInOneCall() throws Exception {
        CheckingKernel k = new CheckingKernel(buffers(null));
        try (KernelSampler s = new KernelSampler("kernel", "lu", N, k, new long[1], 100, 1)) {
            s.run(1);
            assertEquals(1, k.ranges.size());
            assertEquals(100, k.ranges.get(0)[1]);
        }
    }

    @Test
    void buffersTheBenchCannotFillAreNamed() {
        KernelSampler.Unfillable e = assertThrows(KernelSampler.Unfillable.class, () -> new KernelSampler("kernel", "lu", N,
                new CheckingKernel(buffers(new BatchedBuffer("scale", Role.PARAM, ElementType.FLOAT32, 1))), new long[1], 64, 1));
        assertEquals("buffer scale is a PARAM, which the bench cannot fill", e.getMessage());
        e = assertThrows(KernelSampler.Unfillable.class, () -> new KernelSampler("kernel", "lu", N,
                new CheckingKernel(buffers(new BatchedBuffer("C", Role.IN, ElementType.FLOAT32, N * N))), new long[1], 64, 1));
        assertEquals("input buffer C is none of A, B, dA, dB", e.getMessage());
        e = assertThrows(KernelSampler.Unfillable.class, () -> new KernelSampler("kernel", "lu", N,
                new CheckingKernel(buffers(new BatchedBuffer("B", Role.IN, ElementType.FLOAT32, N * N))), new long[1], 64, 1));
        assertEquals("lu has no input B", e.getMessage());
        e = assertThrows(KernelSampler.Unfillable.class,
                () -> new KernelSampler("kernel", "lu", N, new CheckingKernel(buffers(null)), new long[0], 64, 1));
        assertEquals("check_f64_4x4 takes 1 arguments, the supplier gave 0", e.getMessage());
    }
}
