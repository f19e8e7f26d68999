package dev.streamfold.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Saving, loading and refusing runner state files. */
class CheckpointTest {
    /** y = running sum of x (one float32 state buffer). */
    static final class PrefixSumKernel implements StepKernel {
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
            return 1;
        }

        @Override
        public void step(long t, double[][] p, MemorySegment x, MemorySegment y, MemorySegment[] s, long from, long to) {
            for (long i = from; i < to; i++) {
                float v = s[0].getAtIndex(ValueLayout.JAVA_FLOAT, i) + x.getAtIndex(ValueLayout.JAVA_FLOAT, i);
                s[0].setAtIndex(ValueLayout.JAVA_FLOAT, i, v);
                y.setAtIndex(ValueLayout.JAVA_FLOAT, i, v);
            }
        }

        @Override
        public void scan(long t0, int steps, double[][] p, MemorySegment x, MemorySegment y, long stride, MemorySegment[] s,
                long from, long to) {
            for (int k = 0; k < steps; k++) {
                step(t0 + k, p, x.asSlice(k * stride * 4), y.asSlice(k * stride * 4), s, from, to);
            }
        }
    }

    static float[] run(StreamingRunner r, int steps, int d) {
        float[] out = new float[steps * d];
        try (Arena a = Arena.ofShared()) {
            MemorySegment x = a.allocate(d * 4L);
            MemorySegment y = a.allocate(d * 4L);
            for (int t = 0; t < steps; t++) {
                for (int i = 0; i < d; i++) {
                    x.setAtIndex(ValueLayout.JAVA_FLOAT, i, (float) Math.sin(1 + (r.step() * 31 + i)));
                }
                r.next(x, y);
                MemorySegment.copy(y, ValueLayout.JAVA_FLOAT, 0, out, t * d, d);
            }
        }
        return out;
    }

    @Test
    void resumeContinuesBitIdentically(@TempDir Path dir) throws IOException {
        int d = 1000;
        float[] whole;
        try (StreamingRunner r = new StreamingRunner(new PrefixSumKernel(), new double[0][], d, 1)) {
            whole = run(r, 7, d);
        }
        Path f = dir.resolve("state.bin");
        float[] first;
        try (StreamingRunner r = new StreamingRunner(new PrefixSumKernel(), new double[0][], d, 1); Arena a = Arena.ofConfined()) {
            first = run(r, 3, d);
            Checkpoint.of(r, 42, 1.5, "prefix_sum f32", a).save(f);
        }
        float[] second;
        try (StreamingRunner r = new StreamingRunner(new PrefixSumKernel(), new double[0][], d, 2); Arena a = Arena.ofConfined()) {
            Checkpoint c = Checkpoint.load(f, a);
            assertEquals(42, c.seed());
            assertEquals(1.5, c.stddev());
            c.restoreInto(r, "prefix_sum f32");
            assertEquals(3, r.step());
            second = run(r, 4, d);
        }
        float[] joined = new float[whole.length];
        System.arraycopy(first, 0, joined, 0, first.length);
        System.arraycopy(second, 0, joined, first.length, second.length);
        assertTrue(java.util.Arrays.equals(whole, joined), "3 steps + resume 4 steps == 7 steps, bit for bit");
    }

    @Test
    void damagedFilesAreRefused(@TempDir Path dir) throws IOException {
        Path f = dir.resolve("s.bin");
        try (StreamingRunner r = new StreamingRunner(new PrefixSumKernel(), new double[0][], 64, 1); Arena a = Arena.ofConfined()) {
            run(r, 2, 64);
            Checkpoint.of(r, 1, 1, "k", a).save(f);
        }
        byte[] good = Files.readAllBytes(f);
        try (Arena a = Arena.ofConfined()) {
            Files.write(f, java.util.Arrays.copyOf(good, good.length - 10));
            assertTrue(assertThrows(Checkpoint.CheckpointException.class, () -> Checkpoint.load(f, a)).getMessage()
                    .contains("is truncated or corrupted"));
            byte[] flipped = good.clone();
            flipped[good.length / 2] ^= 1;
            Files.write(f, flipped);
            assertTrue(assertThrows(Checkpoint.CheckpointException.class, () -> Checkpoint.load(f, a)).getMessage()
                    .endsWith("is corrupted: checksum mismatch"));
            byte[] magic = good.clone();
            magic[0] = 'X';
            Files.write(f, magic);
            assertTrue(assertThrows(Checkpoint.CheckpointException.class, () -> Checkpoint.load(f, a)).getMessage()
                    .contains("not a Streamfold state file"));
            Files.write(f, good);
            Checkpoint c = Checkpoint.load(f, a);
            try (StreamingRunner other = new StreamingRunner(new PrefixSumKernel(), new double[0][], 65, 1)) {
                assertTrue(assertThrows(Checkpoint.CheckpointException.class, () -> c.restoreInto(other, "k")).getMessage()
                        .contains("buffers of 65"));
                assertTrue(assertThrows(Checkpoint.CheckpointException.class, () -> c.restoreInto(other, "other")).getMessage()
                        .contains("was saved for 'k'"));
            }
            assertTrue(assertThrows(Checkpoint.CheckpointException.class, () -> Checkpoint.load(dir.resolve("none"), a))
                    .getMessage().contains("does not exist"));
        }
    }
}
