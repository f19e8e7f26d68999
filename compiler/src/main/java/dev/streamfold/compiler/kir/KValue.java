package dev.streamfold.compiler.kir;

/**
 * An SSA value of a kernel: defined once, by one instruction, loop index or loop-carried parameter.
 * {@code lane} says whether it may differ between batch items (one SIMD lane or GPU thread each) or is
 * uniform over the batch; it is a property of the value, so one family of instructions serves both.
 */
public record KValue(int id, KType type, boolean lane) {
    @Override
    public String toString() {
        return "%" + id;
    }
}
