package dev.streamfold.runtime.cuda;

import dev.streamfold.runtime.ElementType;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * The inputs and expected output of one {@link GpuCase}, a little-endian binary file:
 *
 * <pre>
 * bytes  "SFGPUCAS"                 magic
 * int32  1                          format
 * int32  element bytes              4 (float32) or 8 (float64)
 * int32  n                          steps (rows of x and y)
 * int64  d                          elements per row
 * int64  seed                       of the input generator, {@link #input}
 * int32  param count, then per parameter: int32 length, float64[length] values
 * int32  c                          checked columns
 * int64[c]        columns           ascending, each in [0, d)
 * float64[n * c]  x at the columns  row-major: step t, then column j
 * float64[n * c]  expected y        the reference interpreter's A x, same layout
 * </pre>
 *
 * The whole of x (n rows of d) is {@code input(seed, t, i, dtype)}; the file holds its values at the checked columns
 * so that a reader can confirm it generates the same x. Every column of a streaming matrix's result depends on that
 * column of x only, so the expected values at the checked columns are exact for the whole x. Arrays are shared, not
 * copied: do not modify them.
 *
 * @param params each parameter array, as the kernel receives it
 */
public record GpuCaseData(ElementType dtype, int steps, long d, long seed, double[][] params, long[] columns,
        double[] x, double[] expected) {
    private static final byte[] MAGIC = "SFGPUCAS".getBytes(StandardCharsets.US_ASCII);
    private static final int FORMAT = 1;

    public GpuCaseData {
        if (x.length != (long) steps * columns.length || expected.length != x.length) {
            throw new IllegalArgumentException("x and expected must hold n * c = " + (long) steps * columns.length
                    + " values, got " + x.length + " and " + expected.length);
        }
        for (int j = 0; j < columns.length; j++) {
            if (columns[j] < 0 || columns[j] >= d || (j > 0 && columns[j] <= columns[j - 1])) {
                throw new IllegalArgumentException("columns must ascend within [0, " + d + "): column " + j + " is "
                        + columns[j]);
            }
        }
    }

    /**
     * Element {@code i} of row {@code t} of a case's x: a hash of (seed, t, i) mapped to [-2, 2), rounded to
     * {@code dtype}.
     */
    public static double input(long seed, int t, long i, ElementType dtype) {
        long h = mix(mix(seed + 0x9E3779B97F4A7C15L * (t + 1)) + i);
        double v = (h >>> 11) * 0x1.0p-53 * 4 - 2;
        return switch (dtype) {
            case FLOAT32 -> (float) v;
            case FLOAT64 -> v;
            case INT32, INT64 -> Math.floor(v * 1000);
        };
    }

    /** Rows {@code 0 .. steps-1} of a case's x over {@code d} elements, row-major ({@link #input} each). */
    public static double[] inputs(long seed, int steps, int d, ElementType dtype) {
        double[] x = new double[Math.multiplyExact(steps, d)];
        for (int t = 0; t < steps; t++) {
            for (int j = 0; j < d; j++) {
                x[t * d + j] = input(seed, t, j, dtype);
            }
        }
        return x;
    }

    /** SplitMix64's finalizer. */
    private static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /** Element {@code (t, j)} of x: row t, checked column j. */
    public double x(int t, int j) {
        return x[t * columns.length + j];
    }

    /** Element {@code (t, j)} of the expected y: row t, checked column j. */
    public double expected(int t, int j) {
        return expected[t * columns.length + j];
    }

    /** The index of the first checked column whose stored x differs from {@link #input}, or -1 if none does. */
    public long firstInputMismatch() {
        for (int t = 0; t < steps; t++) {
            for (int j = 0; j < columns.length; j++) {
                if (Double.doubleToLongBits(x(t, j)) != Double.doubleToLongBits(input(seed, t, columns[j], dtype))) {
                    return (long) t * columns.length + j;
                }
            }
        }
        return -1;
    }

    /** The file's bytes. */
    public byte[] encode() {
        long size = MAGIC.length + 4 + 4 + 4 + 8 + 8 + 4 + 4 + 8L * columns.length + 16L * x.length;
        for (double[] p : params) {
            size += 4 + 8L * p.length;
        }
        ByteBuffer b = ByteBuffer.allocate(Math.toIntExact(size)).order(ByteOrder.LITTLE_ENDIAN);
        b.put(MAGIC).putInt(FORMAT).putInt(dtype.bytes()).putInt(steps).putLong(d).putLong(seed);
        b.putInt(params.length);
        for (double[] p : params) {
            b.putInt(p.length);
            b.asDoubleBuffer().put(p);
            b.position(b.position() + 8 * p.length);
        }
        b.putInt(columns.length);
        b.asLongBuffer().put(columns);
        b.position(b.position() + 8 * columns.length);
        b.asDoubleBuffer().put(x);
        b.position(b.position() + 8 * x.length);
        b.asDoubleBuffer().put(expected);
        return b.array();
    }

    /**
     * Parses a file's bytes.
     *
     * @throws IllegalArgumentException where they are not a case data file of this format
     */
    public static GpuCaseData decode(byte[] bytes) {
        ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        try {
            byte[] magic = new byte[MAGIC.length];
            b.get(magic);
            if (!Arrays.equals(magic, MAGIC)) {
                throw new IllegalArgumentException("not a case data file: the magic bytes are not SFGPUCAS");
            }
            int format = b.getInt();
            if (format != FORMAT) {
                throw new IllegalArgumentException("case data format " + format + " is not supported (expected "
                        + FORMAT + ")");
            }
            int elementBytes = b.getInt();
            ElementType dtype = switch (elementBytes) {
                case 4 -> ElementType.FLOAT32;
                case 8 -> ElementType.FLOAT64;
                default -> throw new IllegalArgumentException("element size " + elementBytes + " (expected 4 or 8)");
            };
            int steps = b.getInt();
            long d = b.getLong();
            long seed = b.getLong();
            double[][] params = new double[b.getInt()][];
            for (int p = 0; p < params.length; p++) {
                params[p] = new double[b.getInt()];
                b.asDoubleBuffer().get(params[p]);
                b.position(b.position() + 8 * params[p].length);
            }
            long[] columns = new long[b.getInt()];
            b.asLongBuffer().get(columns);
            b.position(b.position() + 8 * columns.length);
            double[] x = new double[Math.multiplyExact(steps, columns.length)];
            b.asDoubleBuffer().get(x);
            b.position(b.position() + 8 * x.length);
            double[] expected = new double[x.length];
            b.asDoubleBuffer().get(expected);
            b.position(b.position() + 8 * expected.length);
            if (b.hasRemaining()) {
                throw new IllegalArgumentException(b.remaining() + " bytes after the expected values");
            }
            return new GpuCaseData(dtype, steps, d, seed, params, columns, x, expected);
        } catch (java.nio.BufferUnderflowException | IndexOutOfBoundsException | NegativeArraySizeException e) {
            throw new IllegalArgumentException("case data file is truncated or malformed", e);
        }
    }

    public static GpuCaseData read(Path file) throws IOException {
        try {
            return decode(Files.readAllBytes(file));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(file + ": " + e.getMessage(), e);
        }
    }

    public void write(Path file) throws IOException {
        Files.write(file, encode());
    }

    /** Whether this file describes {@code c}: same dtype, n, d and parameter lengths. */
    public boolean matches(GpuCase c) {
        if (dtype != c.dtype() || steps != c.steps() || d != c.d() || params.length != c.paramLengths().size()) {
            return false;
        }
        for (int p = 0; p < params.length; p++) {
            if (params[p].length != c.paramLengths().get(p)) {
                return false;
            }
        }
        return true;
    }
}
