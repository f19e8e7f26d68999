package dev.streamfold.ir;

/** Element types of IR values. Integers and booleans are held exactly by the float64 interpreter. */
public enum DType {
    F32("f32", "float32"),
    F64("f64", "float64"),
    I32("i32", "int32"),
    BOOL("bool", "bool");

    private final String shortName;
    private final String longName;

    DType(String shortName, String longName) {
        this.shortName = shortName;
        this.longName = longName;
    }

    /** The short name used by the IR printer, e.g. {@code f32}. */
    public String shortName() {
        return shortName;
    }

    /** The user-facing name, e.g. {@code float32}. */
    public String longName() {
        return longName;
    }

    public boolean isFloating() {
        return this == F32 || this == F64;
    }

    /** Parses {@code float32}/{@code float64} (and the short forms); throws {@link StreamfoldException}. */
    public static DType parseFloating(String s) {
        return switch (s) {
            case "float32", "f32" -> F32;
            case "float64", "f64" -> F64;
            default -> throw new StreamfoldException("unknown dtype '" + s + "' (expected float32 or float64)");
        };
    }

    /** Rounds {@code v} to this type's precision, as a kernel of this type would store it. */
    public double round(double v) {
        return switch (this) {
            case F32 -> (double) (float) v;
            case F64, I32, BOOL -> v;
        };
    }
}
