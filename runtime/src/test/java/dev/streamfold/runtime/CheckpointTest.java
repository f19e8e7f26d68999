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
import java.util.List;
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

        public int stateRows(int k) {

            return 1;

        }

        @Override
        public void step(long t, double[][] p, MemorySegment x, MemorySegment y, MemorySegment[] s, long ss, long from, long to) {
            for (long i = from; i < to; i++) {
                float v = s[0].getAtIndex(ValueLayout.JAVA_FLOAT, i) + x.getAtIndex(ValueLayout.JAVA_FLOAT, i);
                s[0].setAtIndex(ValueLayout.JAVA_FLOAT, i, v);
                y.setAtIndex(ValueLayout.JAVA_FLOAT, i, v);
            }
        }

        @Override
        public void scan(long t0, int steps, double[][] p, MemorySegment x, MemorySegment y, long stride, MemorySegment[] s,
                long ss, long from, long to) {
            for (int k = 0; k < steps; k++) {
                step(t0 + k, p, x.asSlice(k * stride * 4), y.asSlice(k * stride * 4), s, ss, from, to);
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

    /** A state file with the given header and buffer bytes and a valid checksum, in layout {@code magic}. */
    static byte[] craft(String magic, long step, long length, int count, byte[] buffers) {
        byte[] id = "k".getBytes(java.nio.charset.StandardCharsets.UTF_8);
        boolean v2 = magic.equals("SFSTATE2");
        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(8 + 4 + 8 + 8 + 4 + 8 + 8 + 4 + id.length + (v2 ? 16 : 0)
                + buffers.length + 4).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        b.put(magic.getBytes(java.nio.charset.StandardCharsets.US_ASCII)).putInt(0).putLong(step).putLong(length).putInt(count)
                .putLong(1).putDouble(1).putInt(id.length).put(id);
        if (v2) {
            b.putInt(-1).putLong(0).putInt(0);
        }
        b.put(buffers);
        java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
        crc.update(b.array(), 0, b.position());
        b.putInt((int) crc.getValue());
        return b.array();
    }

    @Test
    void aStepAtTheEndOfTheCounterIsRefused(@TempDir Path dir) throws IOException {
        Path f = dir.resolve("s.bin");
        try (Arena a = Arena.ofConfined()) {
            Files.write(f, craft("SFSTATE2", Checkpoint.LAST_STEP, 1, 1, new byte[4]));
            assertEquals(Checkpoint.LAST_STEP, Checkpoint.load(f, a).step(), "2^63 - 2 leaves one step");
            Files.write(f, craft("SFSTATE2", Long.MAX_VALUE, 1, 1, new byte[4]));
            assertEquals("state file " + f + " holds step 9223372036854775807, the end of the step counter: no step can follow it",
                    assertThrows(Checkpoint.CheckpointException.class, () -> Checkpoint.load(f, a)).getMessage());
        }
        try (StreamingRunner r = new StreamingRunner(new PrefixSumKernel(), new double[0][], 4, 1)) {
            r.restore(Long.MAX_VALUE, List.of(MemorySegment.ofArray(new float[4])));
            assertEquals("the step counter is at its end (2^63 - 1): no step can follow",
                    assertThrows(IllegalStateException.class, () -> run(r, 1, 4)).getMessage());
            assertEquals(Long.MAX_VALUE, r.step());
        }
    }

    @Test
    void aLengthWhoseSizeOverflowsIsRefused(@TempDir Path dir) throws IOException {
        Path f = dir.resolve("s.bin");
        try (Arena a = Arena.ofConfined()) {
            // 2^62 float32 elements are 2^64 bytes: 0 in 64-bit arithmetic, which the file without buffers would match.
            Files.write(f, craft("SFSTATE2", 0, 1L << 62, 1, new byte[0]));
            assertEquals("state file " + f + " is corrupted: its header gives 1 buffers of 4611686018427387904 elements, "
                    + "more than 2^63 bytes", assertThrows(Checkpoint.CheckpointException.class, () -> Checkpoint.load(f, a)).getMessage());
            Files.write(f, craft("SFSTATE2", 0, 1L << 61, 4, new byte[0]));
            assertTrue(assertThrows(Checkpoint.CheckpointException.class, () -> Checkpoint.load(f, a)).getMessage()
                    .endsWith("more than 2^63 bytes"));
        }
    }

    @Test
    void theRecordedOutputIsKeptAndOldFilesStillLoad(@TempDir Path dir) throws IOException {
        Path f = dir.resolve("s.bin");
        try (StreamingRunner r = new StreamingRunner(new PrefixSumKernel(), new double[0][], 64, 1); Arena a = Arena.ofConfined()) {
            run(r, 2, 64);
            Checkpoint.Output o = new Checkpoint.Output("/data/out.bin", 512, 0x1234abcd);
            Checkpoint.of(r, 1, 1, "k", a).withOutput(o).save(f);
            assertEquals(java.util.Optional.of(o), Checkpoint.load(f, a).output());
            assertEquals(java.util.Optional.of(o), Checkpoint.verifiedOutput(f));
            byte[] bytes = Files.readAllBytes(f);
            bytes[bytes.length - 20] ^= 1;
            Files.write(f, bytes);
            assertTrue(assertThrows(Checkpoint.CheckpointException.class, () -> Checkpoint.verifiedOutput(f)).getMessage()
                    .endsWith("checksum mismatch"));
            Files.write(f, craft("SFSTATE1", 3, 1, 1, new byte[] {0, 0, (byte) 0x80, 0x3f}));
            Checkpoint v1 = Checkpoint.load(f, a);
            assertEquals(3, v1.step());
            assertEquals(1.0f, v1.buffers().get(0).get(ValueLayout.JAVA_FLOAT, 0));
            assertTrue(v1.output().isEmpty());
        }
        try (var files = Files.list(dir)) {
            assertEquals(1, files.count(), "no temporary files left behind");
        }
    }
}
