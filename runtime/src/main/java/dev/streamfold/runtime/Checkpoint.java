package dev.streamfold.runtime;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32C;

/**
 * A saved runner state: the next step, every state buffer, the noise generator's position (seed and
 * standard deviation) and the kernel's identity, protected by a CRC-32C. Files are written to a
 * temporary file beside the target and renamed into place, so a crash never leaves a half-written
 * checkpoint; a truncated or corrupted file is refused on load.
 *
 * <p>Layout (little-endian): magic {@code SFSTATE1}; u32 element type (0 float32, 1 float64); u64
 * step; u64 elements per buffer; u32 buffer count; u64 seed; f64 stddev; u32 identity length and
 * its UTF-8 bytes; the buffers; u32 CRC-32C of everything before it.
 */
public record Checkpoint(ElementType elementType, long step, long length, long seed, double stddev, String identity,
        List<MemorySegment> buffers) {
    private static final byte[] MAGIC = "SFSTATE1".getBytes(StandardCharsets.US_ASCII);

    public Checkpoint {
        buffers = List.copyOf(buffers);
    }

    /** Captures {@code runner}'s state (copied into {@code arena}). */
    public static Checkpoint of(StreamingRunner runner, long seed, double stddev, String identity, Arena arena) {
        List<MemorySegment> copies = new ArrayList<>();
        for (MemorySegment s : runner.state()) {
            MemorySegment c = arena.allocate(Math.max(1, s.byteSize()), 64).asSlice(0, s.byteSize());
            c.copyFrom(s);
            copies.add(c);
        }
        return new Checkpoint(runner.kernel().elementType(), runner.step(), runner.length(), seed, stddev, identity, copies);
    }

    /** Writes this checkpoint to {@code file} atomically (temporary file, fsync, rename). */
    public void save(Path file) throws IOException {
        Path dir = file.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        Path tmp = Files.createTempFile(dir, "." + file.getFileName() + ".", ".tmp");
        try {
            CRC32C crc = new CRC32C();
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
                byte[] id = identity.getBytes(StandardCharsets.UTF_8);
                ByteBuffer h = ByteBuffer.allocate(MAGIC.length + 4 + 8 + 8 + 4 + 8 + 8 + 4 + id.length)
                        .order(ByteOrder.LITTLE_ENDIAN);
                h.put(MAGIC).putInt(elementType.ordinal()).putLong(step).putLong(length).putInt(buffers.size())
                        .putLong(seed).putDouble(stddev).putInt(id.length).put(id).flip();
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
                ch.force(true);
            }
            try {
                Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    private static void write(FileChannel ch, ByteBuffer b, CRC32C crc) throws IOException {
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
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = ch.size();
            CRC32C crc = new CRC32C();
            ByteBuffer fixed = read(ch, file, MAGIC.length + 4 + 8 + 8 + 4 + 8 + 8 + 4, crc, "header");
            byte[] magic = new byte[MAGIC.length];
            fixed.get(magic);
            if (!java.util.Arrays.equals(magic, MAGIC)) {
                throw new CheckpointException("state file " + file + " is not a Streamfold state file (bad magic)");
            }
            int et = fixed.getInt();
            long step = fixed.getLong();
            long length = fixed.getLong();
            int count = fixed.getInt();
            long seed = fixed.getLong();
            double stddev = fixed.getDouble();
            int idLen = fixed.getInt();
            if (et < 0 || et >= ElementType.values().length || step < 0 || length < 0 || count < 0 || count > 4096
                    || idLen < 0 || idLen > 1 << 20) {
                throw new CheckpointException("state file " + file + " is corrupted: impossible header values");
            }
            ElementType type = ElementType.values()[et];
            long expected = fixed.capacity() + idLen + (long) count * length * type.bytes() + 4;
            if (size != expected) {
                throw new CheckpointException("state file " + file + " is truncated or corrupted: " + size
                        + " bytes, its header implies " + expected);
            }
            String identity = StandardCharsets.UTF_8.decode(read(ch, file, idLen, crc, "identity")).toString();
            List<MemorySegment> buffers = new ArrayList<>();
            for (int i = 0; i < count; i++) {
                long bytes = length * type.bytes();
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
            return new Checkpoint(type, step, length, seed, stddev, identity, buffers);
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
                || runner.kernel().stateCount() != buffers.size()) {
            throw new CheckpointException("state file holds " + buffers.size() + " " + elementType + " buffers of " + length
                    + " elements; the run needs " + runner.kernel().stateCount() + " " + runner.kernel().elementType()
                    + " buffers of " + runner.length());
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
