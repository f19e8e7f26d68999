package dev.streamfold.ir;

/** A tangent in the JVP transform: a symbolic zero (never allocated) or a dense value. */
public sealed interface Tangent {
    Type type();

    /** A tangent known to be zero; carries only its type. */
    record Zero(Type type) implements Tangent {}

    /** A tangent held in a program value. */
    record Dense(Var value) implements Tangent {
        @Override
        public Type type() {
            return value.type();
        }
    }

    static Tangent zero(Type t) {
        return new Zero(t);
    }

    static Tangent of(Var v) {
        return new Dense(v);
    }

    default boolean isZero() {
        return this instanceof Zero;
    }
}
