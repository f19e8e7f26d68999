package dev.streamfold.runtime.batched;

import dev.streamfold.runtime.ElementType;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Objects;

/**
 * Java arrays to and from the structure-of-arrays segments of {@link BatchedKernel} buffers. Item {@code b} of a
 * batch of {@code B} is {@code items[b]}; element {@code e} of it (for a matrix, {@code e = i * cols + j}) is at
 * index {@code e * B + b}. Every item must have the same shape; a message names the first item that does not.
 * Floating arrays are stored as {@link ElementType#FLOAT32} (rounded to the nearest float) or
 * {@link ElementType#FLOAT64}; int arrays as {@link ElementType#INT32}. Segments made here are native, zeroed
 * beyond what is written, and start on a 64-byte boundary.
 */
public final class BatchedArrays {
    private BatchedArrays() {}

    /** A zeroed native segment of {@code buffer.bytes(batch)} bytes for {@code buffer} and a batch of {@code batch}. */
    public static MemorySegment allocate(Arena arena, BatchedBuffer buffer, long batch) {
        if (batch < 1) {
            throw new IllegalArgumentException("batch " + batch + " must be at least 1");
        }
        return allocate(arena, buffer.bytes(batch));
    }

    /** A native segment holding {@code items} ({@code batch x rows x cols}) as {@code type}. */
    public static MemorySegment matrices(Arena arena, ElementType type, double[][][] items) {
        int[] shape = shape(items);
        MemorySegment s = allocate(arena, bytes(items.length, (long) shape[0] * shape[1], floating(type)));
        writeMatrices(s, type, items);
        return s;
    }

    /** Writes {@code items} ({@code batch x rows x cols}) to {@code dst}, which holds exactly that many {@code type}s. */
    public static void writeMatrices(MemorySegment dst, ElementType type, double[][][] items) {
        int[] shape = shape(items);
        int batch = items.length;
        int rows = shape[0];
        int cols = shape[1];
        checkSize(dst, floating(type), batch, (long) rows * cols);
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < cols; j++) {
                long base = ((long) i * cols + j) * batch;
                for (int b = 0; b < batch; b++) {
                    setDouble(dst, type, base + b, items[b][i][j]);
                }
            }
        }
    }

    /** Reads a batch of {@code batch} matrices of {@code rows x cols} {@code type}s from {@code src}. */
    public static double[][][] readMatrices(MemorySegment src, ElementType type, int batch, int rows, int cols) {
        if (batch < 1 || rows < 0 || cols < 0) {
            throw new IllegalArgumentException("no batch of " + batch + " matrices of " + rows + " x " + cols);
        }
        checkSize(src, floating(type), batch, (long) rows * cols);
        double[][][] items = new double[batch][rows][cols];
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < cols; j++) {
                long base = ((long) i * cols + j) * batch;
                for (int b = 0; b < batch; b++) {
                    items[b][i][j] = getDouble(src, type, base + b);
                }
            }
        }
        return items;
    }

    /** A native segment holding {@code items} ({@code batch x n}) as {@code type}. */
    public static MemorySegment vectors(Arena arena, ElementType type, double[][] items) {
        int n = length(items);
        MemorySegment s = allocate(arena, bytes(items.length, n, floating(type)));
        writeVectors(s, type, items);
        return s;
    }

    /** Writes {@code items} ({@code batch x n}) to {@code dst}, which holds exactly that many {@code type}s. */
    public static void writeVectors(MemorySegment dst, ElementType type, double[][] items) {
        int n = length(items);
        int batch = items.length;
        checkSize(dst, floating(type), batch, n);
        for (int e = 0; e < n; e++) {
            long base = (long) e * batch;
            for (int b = 0; b < batch; b++) {
                setDouble(dst, type, base + b, items[b][e]);
            }
        }
    }

    /** Reads a batch of {@code batch} vectors of {@code n} {@code type}s from {@code src}. */
    public static double[][] readVectors(MemorySegment src, ElementType type, int batch, int n) {
        checkCounts(batch, n);
        checkSize(src, floating(type), batch, n);
        double[][] items = new double[batch][n];
        for (int e = 0; e < n; e++) {
            long base = (long) e * batch;
            for (int b = 0; b < batch; b++) {
                items[b][e] = getDouble(src, type, base + b);
            }
        }
        return items;
    }

    /** A native segment holding {@code items} ({@code batch x n}) as INT32. */
    public static MemorySegment intVectors(Arena arena, int[][] items) {
        int n = length(items);
        MemorySegment s = allocate(arena, bytes(items.length, n, ElementType.INT32));
        writeIntVectors(s, items);
        return s;
    }

    /** Writes {@code items} ({@code batch x n}) to {@code dst}, which holds exactly that many INT32s. */
    public static void writeIntVectors(MemorySegment dst, int[][] items) {
        int n = length(items);
        int batch = items.length;
        checkSize(dst, ElementType.INT32, batch, n);
        for (int e = 0; e < n; e++) {
            long base = (long) e * batch;
            for (int b = 0; b < batch; b++) {
                dst.setAtIndex(ValueLayout.JAVA_INT_UNALIGNED, base + b, items[b][e]);
            }
        }
    }

    /** Reads a batch of {@code batch} vectors of {@code n} INT32s from {@code src}, e.g. a kernel's status. */
    public static int[][] readIntVectors(MemorySegment src, int batch, int n) {
        checkCounts(batch, n);
        checkSize(src, ElementType.INT32, batch, n);
        int[][] items = new int[batch][n];
        for (int e = 0; e < n; e++) {
            long base = (long) e * batch;
            for (int b = 0; b < batch; b++) {
                items[b][e] = src.getAtIndex(ValueLayout.JAVA_INT_UNALIGNED, base + b);
            }
        }
        return items;
    }

    /**
     * The common shape {@code {rows, cols}} of a batch of matrices.
     *
     * @throws IllegalArgumentException when the batch is empty, or naming the first item that is missing, ragged
     *     (rows of different lengths) or shaped unlike item 0
     */
    public static int[] shape(double[][][] items) {
        Objects.requireNonNull(items, "items");
        if (items.length == 0) {
            throw new IllegalArgumentException("a batch needs at least one item");
        }
        int[] first = itemShape(items, 0);
        for (int b = 1; b < items.length; b++) {
            int[] s = itemShape(items, b);
            if (s[0] != first[0] || s[1] != first[1]) {
                throw new IllegalArgumentException("item " + b + " is " + s[0] + " x " + s[1] + ", but item 0 is " + first[0]
                        + " x " + first[1] + ": every item of a batch has the same shape");
            }
        }
        return first;
    }

    private static int[] itemShape(double[][][] items, int b) {
        double[][] m = items[b];
        if (m == null) {
            throw new IllegalArgumentException("item " + b + " is null");
        }
        int cols = m.length == 0 ? 0 : rowLength(m, b, 0);
        for (int i = 1; i < m.length; i++) {
            int c = rowLength(m, b, i);
            if (c != cols) {
                throw new IllegalArgumentException("item " + b + " is ragged: its row " + i + " has " + c
                        + " entries, its row 0 has " + cols);
            }
        }
        return new int[] {m.length, cols};
    }

    private static int rowLength(double[][] m, int b, int i) {
        if (m[i] == null) {
            throw new IllegalArgumentException("item " + b + ": row " + i + " is null");
        }
        return m[i].length;
    }

    /** The common length of a batch of vectors, as {@link #shape} checks matrices. */
    private static int length(double[][] items) {
        Objects.requireNonNull(items, "items");
        int[] lengths = new int[items.length];
        for (int b = 0; b < items.length; b++) {
            lengths[b] = items[b] == null ? -1 : items[b].length;
        }
        return commonLength(lengths);
    }

    private static int length(int[][] items) {
        Objects.requireNonNull(items, "items");
        int[] lengths = new int[items.length];
        for (int b = 0; b < items.length; b++) {
            lengths[b] = items[b] == null ? -1 : items[b].length;
        }
        return commonLength(lengths);
    }

    /** The length every item has; {@code lengths[b]} is -1 for a null item. */
    private static int commonLength(int[] lengths) {
        if (lengths.length == 0) {
            throw new IllegalArgumentException("a batch needs at least one item");
        }
        for (int b = 0; b < lengths.length; b++) {
            if (lengths[b] < 0) {
                throw new IllegalArgumentException("item " + b + " is null");
            }
            if (lengths[b] != lengths[0]) {
                throw new IllegalArgumentException("item " + b + " has " + lengths[b] + " entries, but item 0 has "
                        + lengths[0] + ": every item of a batch has the same shape");
            }
        }
        return lengths[0];
    }

    private static ElementType floating(ElementType type) {
        return switch (Objects.requireNonNull(type, "type")) {
            case FLOAT32, FLOAT64 -> type;
            case INT32, INT64 -> throw new IllegalArgumentException("double arrays are stored as FLOAT32 or FLOAT64, not "
                    + type);
        };
    }

    private static void checkCounts(int batch, int n) {
        if (batch < 1 || n < 0) {
            throw new IllegalArgumentException("no batch of " + batch + " vectors of " + n + " entries");
        }
    }

    private static long bytes(long batch, long elements, ElementType type) {
        return Math.multiplyExact(Math.multiplyExact(batch, elements), (long) type.bytes());
    }

    private static void checkSize(MemorySegment s, ElementType type, int batch, long elements) {
        long need = bytes(batch, elements, type);
        if (s.byteSize() != need) {
            throw new IllegalArgumentException("the segment has " + s.byteSize() + " bytes, a batch of " + batch
                    + " items of " + elements + " " + type + " needs exactly " + need);
        }
    }

    private static MemorySegment allocate(Arena arena, long bytes) {
        return arena.allocate(Math.max(bytes, 1), 64).asSlice(0, bytes);
    }

    private static void setDouble(MemorySegment s, ElementType type, long index, double v) {
        if (type == ElementType.FLOAT32) {
            s.setAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, index, (float) v);
        } else {
            s.setAtIndex(ValueLayout.JAVA_DOUBLE_UNALIGNED, index, v);
        }
    }

    private static double getDouble(MemorySegment s, ElementType type, long index) {
        return type == ElementType.FLOAT32 ? s.getAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, index)
                : s.getAtIndex(ValueLayout.JAVA_DOUBLE_UNALIGNED, index);
    }
}
