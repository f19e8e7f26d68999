package dev.streamfold.runtime;

import java.util.Arrays;

/**
 * What a kernel requires of one of its parameter slots. {@link StreamingRunner} checks every slot once, before the
 * first step, so a value that would make the kernel compute another mechanism than the one compiled is refused
 * instead of clip-indexed.
 *
 * @param name the operator and the parameter, as error messages name them (e.g. {@code "blt buf_decay"})
 * @param length the exact number of entries (structure, e.g. one per BLT buffer), or {@link #PER_STEP} for a
 *     clip-indexed per-step array, which needs at least one entry
 * @param rule what the values must satisfy besides being finite
 */
public record ParamSlot(String name, int length, Rule rule) {
    /** The {@link #length} of a per-step array read with clip indexing. */
    public static final int PER_STEP = -1;

    /** A requirement on a slot's values. */
    public enum Rule {
        /** Finite values only. */
        FINITE,
        /** Every entry {@code > 0} (e.g. momentum_sgd's learning rates). */
        POSITIVE,
        /**
         * Sorted by decreasing value, ties allowed (a BLT's buf_decay, in the order the expression language binds
         * it; its output_scale is permuted alike).
         */
        DECREASING,
        /** Entry 0 is not zero (the leading coefficient of a Toeplitz matrix that is inverted). */
        NONZERO_FIRST
    }

    public ParamSlot {
        java.util.Objects.requireNonNull(name);
        java.util.Objects.requireNonNull(rule);
        if (length < PER_STEP) {
            throw new IllegalArgumentException("slot " + name + ": length " + length + " must be >= 0 or PER_STEP");
        }
    }

    /**
     * Checks {@code values} against this slot.
     *
     * @throws IllegalArgumentException naming the slot, the entry and what is wrong
     */
    public void check(double[] values) {
        if (values == null) {
            throw new IllegalArgumentException(name + " has no value");
        }
        if (length == PER_STEP && values.length == 0) {
            throw new IllegalArgumentException(name + " must have at least one entry (it is a per-step array)");
        }
        if (length != PER_STEP && values.length != length) {
            throw new IllegalArgumentException(name + " has " + values.length + " entries, but the kernel was compiled for "
                    + length + " (the number of entries is structure: compile a kernel for " + values.length + ")");
        }
        for (int i = 0; i < values.length; i++) {
            if (!Double.isFinite(values[i])) {
                throw new IllegalArgumentException(name + "[" + i + "] = " + values[i] + " is not finite");
            }
        }
        switch (rule) {
            case FINITE -> {}
            case POSITIVE -> {
                for (int i = 0; i < values.length; i++) {
                    if (!(values[i] > 0)) {
                        throw new IllegalArgumentException(name + "[" + i + "] = " + values[i] + " must be > 0");
                    }
                }
            }
            case DECREASING -> {
                for (int i = 1; i < values.length; i++) {
                    if (values[i] > values[i - 1]) {
                        throw new IllegalArgumentException(name + " must be sorted by decreasing value, as the expression "
                                + "language binds it, but " + name + "[" + i + "] = " + values[i] + " > " + name + "[" + (i - 1)
                                + "] = " + values[i - 1] + " in " + Arrays.toString(values)
                                + " (the index's bind(name, values) sorts it and permutes its output_scale alike)");
                    }
                }
            }
            case NONZERO_FIRST -> {
                if (values.length > 0 && values[0] == 0) {
                    throw new IllegalArgumentException(name + "[0] = 0.0 must not be 0");
                }
            }
        }
    }
}
