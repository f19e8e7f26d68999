package dev.streamfold.ir;

/** An SSA value: defined once, by a program parameter or by one equation. Identity is {@code id}. */
public record Var(int id, Type type) {
    public Var {
        java.util.Objects.requireNonNull(type);
    }

    @Override
    public String toString() {
        return "%" + id;
    }
}
