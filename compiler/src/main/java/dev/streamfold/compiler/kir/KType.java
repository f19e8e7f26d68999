package dev.streamfold.compiler.kir;

import dev.streamfold.runtime.ElementType;

/** Element types of kernel-IR values and buffers. Booleans exist only as values (masks), never in buffers. */
public enum KType {
    F32("f32", 4), F64("f64", 8), I32("i32", 4), I64("i64", 8), BOOL("bool", 1);

    private final String text;
    private final int bytes;

    KType(String text, int bytes) {
        this.text = text;
        this.bytes = bytes;
    }

    /** The printer's name, e.g. {@code f32}. */
    public String text() {
        return text;
    }

    /** Bytes per element in a buffer. */
    public int bytes() {
        return bytes;
    }

    public boolean isFloat() {
        return this == F32 || this == F64;
    }

    public boolean isInteger() {
        return this == I32 || this == I64;
    }

    /**
     * The runtime's element type of a buffer of this type.
     *
     * @throws IllegalArgumentException for {@code bool}, which is no buffer type
     */
    public ElementType elementType() {
        return switch (this) {
            case F32 -> ElementType.FLOAT32;
            case F64 -> ElementType.FLOAT64;
            case I32 -> ElementType.INT32;
            case I64 -> ElementType.INT64;
            case BOOL -> throw new IllegalArgumentException("bool is not a buffer type");
        };
    }

    /** The type printed as {@code text}, or null. */
    public static KType parse(String text) {
        for (KType t : values()) {
            if (t.text.equals(text)) {
                return t;
            }
        }
        return null;
    }
}
