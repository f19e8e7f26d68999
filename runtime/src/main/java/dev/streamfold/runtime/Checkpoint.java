package dev.streamfold.runtime;

import dev.streamfold.runtime.io.StagedFile;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.zip.CRC32C;

/**
 * A saved runner state: the next step, every state row (each state buffer's rows in order, as
 * {@link StreamingRunner#state()} lists them), the noise generator's position (seed and
 * standard deviation), the kernel's identity and, optionally, the output file the state belongs to,
 * protected by a CRC-32C. Files are written to a temporary file beside the target and renamed into
 * place, so a crash never leaves a half-written checkpoint; a truncated or corrupted file is refused
 * on load.
 *
 * <p>Layout (little-endian): magic {@code SFSTATE2}; u32 element type (0 float32, 1 float64); u64
 * step; u64 elements per buffer; u32 buffer count; u64 seed; f64 stddev; u32 identity length and
 * its UTF-8 bytes; i32 output path length (-1: no output recorded) and its UTF-8 bytes, u64 output
 * length and u32 output CRC-32C; the buffers; u32 CRC-32C of everything before it. Files with magic
 * {@code SFSTATE1} have no output fields and still load.
 */
public record Checkpoint(ElementType elementType, long step, long length, long seed, double stddev, String identity,
        List<MemorySegment> buffers, Optional<Output> output) {
    private static final byte[] MAGIC_V1 = "SFSTATE1".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] MAGIC = "SFSTATE2".getBytes(StandardCharsets.US_ASCII);
    private static final int FIXED_HEADER = MAGIC.length + 4 + 8 + 8 + 4 + 8 + 8 + 4;
    /** The largest step a state may hold: a runner at step 2^63 - 1 has no step index left to run. */
    public static final long LAST_STEP = Long.MAX_VALUE - 1;
    /** The most state rows a file may hold: two rings of 4096 bands and more, far below what a corrupted count gives. */
    static final int MAX_ROWS = 1 << 16;

    /**
     * The output file a state belongs to: its absolute path, length and CRC-32C, so that a state and
     * an output can be checked to be a pair.
     */
    public record Output(String path, long bytes, int crc32c) {}

    public Checkpoint {
        buffers = List.copyOf(buffers);
        java.util.Objects.requireNonNull(output, "output");
    }

    /** This checkpoint, recorded as belonging to {@code output}. */
    public Checkpoint withOutput(Output output) {
        return new Checkpoint(elementType, step, length, seed, stddev, identity, buffers, Optional.of(output));
    }

    /** Captures {@code runner}'s state (copied into {@code arena}). */
    public static Checkpoint of(StreamingRunner runner, long seed, double stddev, String identity, Arena arena) {
        List<MemorySegment> copies = new ArrayList<>();
        for (MemorySegment s : runner.state()) {
            MemorySegment c = arena.allocate(Math.max(1, s.byteSize()), 64).asSlice(0, s.byteSize());
            c.copyFrom(s);
            copies.add(c);
        }
        return new Checkpoint(runner.kernel().elementType(), runner.step(), runner.length(), seed, stddev, identity, copies,
                Optional.empty());
    }

    /** Writes this checkpoint to {@code file} atomically (temporary file, fsync, rename); see {@link StagedFile}. */
    public void save(Path file) throws IOException {
        try (StagedFile f = StagedFile.create(file)) {
            write(f.channel());
            f.force();
            f.commit();
        }
    }

    /** Writes this checkpoint's bytes, checksum included, to {@code ch} at its position. */
    public void write(WritableByteChannel ch) throws IOException {
        CRC32C crc = new CRC32C();
        byte[] id = identity.getBytes(StandardCharsets.UTF_8);
        byte[] out = output.map(o -> o.path().getBytes(StandardCharsets.UTF_8)).orElse(new byte[0]);
        ByteBuffer h = ByteBuffer.allocate(FIXED_HEADER + id.length + 4 + out.length + 8 + 4).order(ByteOrder.LITTLE_ENDIAN);
        h.put(MAGIC).putInt(elementType.ordinal()).putLong(step).putLong(length).putInt(buffers.size())
                .putLong(seed).putDouble(stddev).putInt(id.length).put(id)
                .putInt(output.isPresent() ? out.length : -1).put(out)
                .putLong(output.map(Output::bytes).orElse(0L)).putInt(output.map(Output::crc32c).orElse(0)).flip();
        write(ch, h, crc);
        for (MemorySegment b : buffers) {
            for (long off = 0; off < b.byteSize(); off += 1 << 24) {
                ByteBuffer bb = b.asSlice(off, Math.min(1 << 24, b.byteSize() - off)).asByteBuffer();
                write(ch, bb, crc);
            }
        }
        ByteBuffer t = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt((int) crc.getValue()).flip();
        while (t.hasRemaining()) {
            ch.write(t);
        }
    }

    private static void write(WritableByteChannel ch, ByteBuffer b, CRC32C crc) throws IOException {
        crc.update(b.duplicate());
        while (b.hasRemaining()) {
            ch.write(b);
        }
    }

    /**
     * Reads and verifies a checkpoint; buffers are allocated in {@code arena}.
     *
     * @throws CheckpointException naming the file and what is wrong with it
     */
    public static Checkpoint load(Path file, Arena arena) {
        return read(file, arena);
    }

    /**
     * Verifies a state file's checksum without keeping its buffers, and returns the output it
     * records (empty for a state saved without one).
     *
     * @throws CheckpointException naming the file and what is wrong with it
     */
    public static Optional<Output> verifiedOutput(Path file) {
        return read(file, null).output();
    }

    /** Reads and verifies {@code file}; with no {@code arena}, the buffers are checked and dropped. */
    private static Checkpoint read(Path file, Arena arena) {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = ch.size();
            CRC32C crc = new CRC32C();
            ByteBuffer fixed = read(ch, file, FIXED_HEADER, crc, "header");
            byte[] magic = new byte[MAGIC.length];
            fixed.get(magic);
            boolean v1 = java.util.Arrays.equals(magic, MAGIC_V1);
            if (!v1 && !java.util.Arrays.equals(magic, MAGIC)) {
                throw new CheckpointException("state file " + file + " is not a Streamfold state file (bad magic)");
            }
            int et = fixed.getInt();
            long step = fixed.getLong();
            long length = fixed.getLong();
            int count = fixed.getInt();
            long seed = fixed.getLong();
            double stddev = fixed.getDouble();
            int idLen = fixed.getInt();
            if (et < 0 || et >= ElementType.values().length || step < 0 || length < 0 || count < 0 || count > MAX_ROWS
                    || idLen < 0 || idLen > 1 << 20) {
                throw new CheckpointException("state file " + file + " is corrupted: impossible header values");
            }
            ElementType type = ElementType.values()[et];
            long bytes;
            try {
                bytes = Math.multiplyExact(length, type.bytes());
                Math.addExact(Math.multiplyExact(bytes, (long) count), (long) FIXED_HEADER + idLen + 4 + (1 << 20) + 12 + 4);
            } catch (ArithmeticException e) {
                throw new CheckpointException("state file " + file + " is corrupted: its header gives " + count + " buffers of "
                        + length + " elements, more than 2^63 bytes");
            }
            String identity = StandardCharsets.UTF_8.decode(read(ch, file, idLen, crc, "identity")).toString();
            long headerBytes = FIXED_HEADER + idLen;
            Optional<Output> output = Optional.empty();
            if (!v1) {
                int outLen = read(ch, file, 4, crc, "output").getInt();
                if (outLen < -1 || outLen > 1 << 20) {
                    throw new CheckpointException("state file " + file + " is corrupted: impossible header values");
                }
                String path = StandardCharsets.UTF_8.decode(read(ch, file, Math.max(outLen, 0), crc, "output")).toString();
                ByteBuffer o = read(ch, file, 12, crc, "output");
                long outBytes = o.getLong();
                int outCrc = o.getInt();
                if (outLen >= 0) {
                    output = Optional.of(new Output(path, outBytes, outCrc));
                }
                headerBytes += 4 + Math.max(outLen, 0) + 12;
            }
            long expected = headerBytes + bytes * count + 4;
            if (size != expected) {
                throw new CheckpointException("state file " + file + " is truncated or corrupted: " + size
                        + " bytes, its header implies " + expected);
            }
            List<MemorySegment> buffers = new ArrayList<>();
            ByteBuffer scratch = arena == null ? ByteBuffer.allocateDirect(1 << 20) : null;
            for (int i = 0; i < count; i++) {
                if (arena == null) {
                    for (long off = 0; off < bytes; off += scratch.capacity()) {
                        scratch.clear().limit((int) Math.min(scratch.capacity(), bytes - off));
                        readFully(ch, file, scratch);
                        crc.update(scratch.flip());
                    }
                    continue;
                }
                MemorySegment b = StreamBuffers.allocate(arena, bytes);
                for (long off = 0; off < bytes; off += 1 << 24) {
                    ByteBuffer bb = b.asSlice(off, Math.min(1 << 24, bytes - off)).asByteBuffer();
                    readFully(ch, file, bb);
                    crc.update(bb.flip());
                }
                buffers.add(b);
            }
            ByteBuffer t = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN);
            readFully(ch, file, t);
            if (t.flip().getInt() != (int) crc.getValue()) {
                throw new CheckpointException("state file " + file + " is corrupted: checksum mismatch");
            }
            if (step > LAST_STEP) {
                throw new CheckpointException("state file " + file + " holds step " + step
                        + ", the end of the step counter: no step can follow it");
            }
            return new Checkpoint(type, step, length, seed, stddev, identity, buffers, output);
        } catch (NoSuchFileException e) {
            throw new CheckpointException("state file " + file + " does not exist");
        } catch (IOException e) {
            throw new CheckpointException("cannot read state file " + file + ": " + e.getMessage());
        }
    }

    private static ByteBuffer read(FileChannel ch, Path file, int n, CRC32C crc, String what) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(n).order(ByteOrder.LITTLE_ENDIAN);
        readFully(ch, file, b);
        b.flip();
        crc.update(b.duplicate());
        return b;
    }

    private static void readFully(FileChannel ch, Path file, ByteBuffer b) throws IOException {
        while (b.hasRemaining()) {
            if (ch.read(b) < 0) {
                throw new CheckpointException("state file " + file + " is truncated");
            }
        }
    }

    /** Restores this checkpoint into {@code runner}, which must run a kernel of the same identity. */
    public void restoreInto(StreamingRunner runner, String expectedIdentity) {
        if (!identity.equals(expectedIdentity)) {
            throw new CheckpointException("state file was saved for '" + identity + "', not '" + expectedIdentity + "'");
        }
        if (runner.kernel().elementType() != elementType || runner.length() != length
                || StepKernel.totalStateRows(runner.kernel()) != buffers.size()) {
            throw new CheckpointException("state file holds " + buffers.size() + " " + elementType + " buffers of " + length
                    + " elements; the run needs " + StepKernel.totalStateRows(runner.kernel()) + " "
                    + runner.kernel().elementType() + " buffers of " + runner.length());
        }
        runner.restore(step, buffers);
    }

    /** A checkpoint that cannot be used: the message names the file and the problem. */
    public static final class CheckpointException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        public CheckpointException(String message) {
            super(message);
        }
    }
}
