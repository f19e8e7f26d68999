package dev.streamfold.runtime;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/** Element types of kernel buffers: streaming buffers are floating; batched kernels also take integers (pivots, status). */
public enum ElementType {
    FLOAT32(4),
    FLOAT64(8),
    INT32(4),
    INT64(8);

    private final int bytes;

    ElementType(int bytes) {
        this.bytes = bytes;
    }

    public boolean isFloating() {
        return this == FLOAT32 || this == FLOAT64;
    }

    /** Bytes per element. */
    public int bytes() {
        return bytes;
    }

    /** Element {@code index} of {@code s}, native order, as a double (exact for every int32, int64 up to 2^53). */
    public double get(MemorySegment s, long index) {
        return switch (this) {
            case FLOAT32 -> s.getAtIndex(ValueLayout.JAVA_FLOAT, index);
            case FLOAT64 -> s.getAtIndex(ValueLayout.JAVA_DOUBLE, index);
            case INT32 -> s.getAtIndex(ValueLayout.JAVA_INT, index);
            case INT64 -> (double) s.getAtIndex(ValueLayout.JAVA_LONG, index);
        };
    }

    /** Writes {@code value} as element {@code index} of {@code s}: rounded to float32, or cast to the integer type. */
    public void set(MemorySegment s, long index, double value) {
        switch (this) {
            case FLOAT32 -> s.setAtIndex(ValueLayout.JAVA_FLOAT, index, (float) value);
            case FLOAT64 -> s.setAtIndex(ValueLayout.JAVA_DOUBLE, index, value);
            case INT32 -> s.setAtIndex(ValueLayout.JAVA_INT, index, (int) value);
            case INT64 -> s.setAtIndex(ValueLayout.JAVA_LONG, index, (long) value);
        }
    }
}
