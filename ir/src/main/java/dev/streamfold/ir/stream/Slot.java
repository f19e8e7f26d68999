package dev.streamfold.ir.stream;

/** One parameter of an operator: its keyword name, its value (literal or named) and its kind. */
public record Slot(String name, Param param, ParamKind kind) {
    public Slot {
        java.util.Objects.requireNonNull(name);
        java.util.Objects.requireNonNull(param);
        java.util.Objects.requireNonNull(kind);
    }
}
