package dev.streamfold.runtime;

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
}
