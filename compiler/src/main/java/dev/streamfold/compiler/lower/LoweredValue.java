package dev.streamfold.compiler.lower;

import dev.streamfold.ir.Tensor;

/**
 * How the lowering holds one program value: folded to a constant at compile time, or stored in a kernel
 * array. A {@link Stored} value is {@code batched} when axis 0 of the program value is the batch axis and the
 * array holds one item (the value without axis 0); otherwise it is the same for every item and the array holds
 * the whole value.
 */
sealed interface LoweredValue {
    /** A value known at compile time, the same for every item. */
    record Folded(Tensor value) implements LoweredValue {}

    /** A value computed by the kernel into {@code array}. */
    record Stored(KArray array, boolean batched) implements LoweredValue {}
}
