package dev.streamfold.runtime.cuda;

import dev.streamfold.runtime.ElementType;
import java.io.IOException;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The inputs and expected outputs of one {@link GpuBatchedCase}, a little-endian binary file:
 *
 * <pre>
 * bytes  "SFGPUBAT"                 magic
 * int32  1                          format
 * int32  batch                      items
 * int64  seed                       of the host's input generator (informative)
 * int32  buffer count, then per buffer, in the kernel's order:
 *   int32  role                     0 in, 1 out
 *   int32  type                     0 float32, 1 float64, 2 int32, 3 int64
 *   int32  elements                 per item
 *   float64[elements * batch]       element e of item b at e * batch + b: the input for an in buffer, the
 *                                   expected output for an out buffer (integers and float32 values held exactly)
 * </pre>
 *
 * Arrays are shared, not copied: do not modify them.
 *
 * @param values each buffer's values, {@code elements * batch} of them
 */
public record GpuBatchedData(int batch, long seed, List<GpuBatchedCase.Buffer> buffers, double[][] values) {
    private static final byte[] MAGIC = "SFGPUBAT".getBytes(StandardCharsets.US_ASCII);
    private static final int FORMAT = 1;
    private static final List<ElementType> TYPES = List.of(ElementType.FLOAT32, ElementType.FLOAT64,
            ElementType.INT32, ElementType.INT64);

    public GpuBatchedData {
        buffers = List.copyOf(buffers);
        if (batch < 1 || values.length != buffers.size()) {
            throw new IllegalArgumentException("needs batch >= 1 and one value array per buffer, got batch " + batch
                    + " and " + values.length + " arrays for " + buffers.size() + " buffers");
        }
        for (int i = 0; i < values.length; i++) {
            if (values[i].length != (long) buffers.get(i).elements() * batch) {
                throw new IllegalArgumentException("buffer " + buffers.get(i).name() + " needs elements * batch = "
                        + (long) buffers.get(i).elements() * batch + " values, got " + values[i].length);
            }
        }
    }

    /** Element {@code e} of item {@code item} of buffer {@code buffer}. */
    public double value(int buffer, int item, int e) {
        return values[buffer][e * batch + item];
    }

    /** The file's bytes. */
    public byte[] encode() {
        long size = MAGIC.length + 4 + 4 + 8 + 4;
        for (double[] v : values) {
            size += 12 + 8L * v.length;
        }
        ByteBuffer b = ByteBuffer.allocate(Math.toIntExact(size)).order(ByteOrder.LITTLE_ENDIAN);
        b.put(MAGIC).putInt(FORMAT).putInt(batch).putLong(seed).putInt(buffers.size());
        for (int i = 0; i < values.length; i++) {
            GpuBatchedCase.Buffer buf = buffers.get(i);
            b.putInt(buf.role().ordinal()).putInt(TYPES.indexOf(buf.type())).putInt(buf.elements());
            b.asDoubleBuffer().put(values[i]);
            b.position(b.position() + 8 * values[i].length);
        }
        return b.array();
    }

    /**
     * Parses a file's bytes. The buffers it returns are named {@code b0}, {@code b1}, ... as the file holds no names;
     * {@link #matches} compares everything else.
     *
     * @throws IllegalArgumentException where they are not a batched data file of this format
     */
    public static GpuBatchedData decode(byte[] bytes) {
        ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        try {
            byte[] magic = new byte[MAGIC.length];
            b.get(magic);
            if (!Arrays.equals(magic, MAGIC)) {
                throw new IllegalArgumentException("not a batched case data file: the magic bytes are not SFGPUBAT");
            }
            int format = b.getInt();
            if (format != FORMAT) {
                throw new IllegalArgumentException("batched case data format " + format + " is not supported (expected "
                        + FORMAT + ")");
            }
            int batch = b.getInt();
            long seed = b.getLong();
            int count = b.getInt();
            if (count < 0 || count > bytes.length) {
                throw new IllegalArgumentException("buffer count " + count + " is malformed");
            }
            List<GpuBatchedCase.Buffer> buffers = new ArrayList<>();
            double[][] values = new double[count][];
            for (int i = 0; i < count; i++) {
                int role = b.getInt();
                int type = b.getInt();
                int elements = b.getInt();
                if (role < 0 || role >= GpuBatchedCase.Role.values().length || type < 0 || type >= TYPES.size()) {
                    throw new IllegalArgumentException("buffer " + i + " has role " + role + " and type " + type
                            + " (expected role 0-1, type 0-3)");
                }
                buffers.add(new GpuBatchedCase.Buffer("b" + i, GpuBatchedCase.Role.values()[role], TYPES.get(type),
                        elements));
                values[i] = new double[Math.multiplyExact(elements, batch)];
                b.asDoubleBuffer().get(values[i]);
                b.position(b.position() + 8 * values[i].length);
            }
            if (b.hasRemaining()) {
                throw new IllegalArgumentException(b.remaining() + " bytes after the last buffer");
            }
            return new GpuBatchedData(batch, seed, buffers, values);
        } catch (BufferUnderflowException | IndexOutOfBoundsException | NegativeArraySizeException
                | ArithmeticException e) {
            throw new IllegalArgumentException("batched case data file is truncated or malformed", e);
        }
    }

    /** Reads a file, naming its buffers as {@code c} does where it {@link #matches} {@code c}. */
    public static GpuBatchedData read(Path file, GpuBatchedCase c) throws IOException {
        GpuBatchedData d;
        try {
            d = decode(Files.readAllBytes(file));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(file + ": " + e.getMessage(), e);
        }
        return d.matches(c) ? new GpuBatchedData(d.batch, d.seed, c.buffers(), d.values) : d;
    }

    public void write(Path file) throws IOException {
        Files.write(file, encode());
    }

    /** Whether this file describes {@code c}: same batch, and buffers of the same roles, types and sizes in order. */
    public boolean matches(GpuBatchedCase c) {
        if (batch != c.batch() || buffers.size() != c.buffers().size()) {
            return false;
        }
        for (int i = 0; i < buffers.size(); i++) {
            GpuBatchedCase.Buffer a = buffers.get(i);
            GpuBatchedCase.Buffer w = c.buffers().get(i);
            if (a.role() != w.role() || a.type() != w.type() || a.elements() != w.elements()) {
                return false;
            }
        }
        return true;
    }
}
