package dev.streamfold.ir.stream;

import dev.streamfold.ir.StreamfoldException;
import dev.streamfold.ir.Tensor;

/** The rank a parameter slot accepts, and the check of a bound value against it. */
public enum ParamKind {
    /** A single number (a one-element array is accepted and read as its element). */
    SCALAR,
    /** A non-empty 1-D array; per-step arrays are clip-indexed. */
    VECTOR,
    /**
     * A 1-D array with one entry per state buffer (entry k belongs to buffer k, never clip-indexed);
     * may be empty. Its length is structural: it sets the number of buffers of the kernel.
     */
    BUFFERS,
    /** A 2-D array with at least one row and one column. */
    MATRIX,
    /** A value computed by the operator's {@code prepare} from its other slots; never bound by name. */
    DERIVED;

    /**
     * Returns {@code v} in this kind's canonical shape, or throws naming {@code op} and {@code param}.
     */
    public Tensor check(String op, String param, Tensor v) {
        for (int i = 0; i < v.size(); i++) {
            double x = v.raw()[i];
            if (!Double.isFinite(x)) {
                throw new StreamfoldException(op + ": " + param + (v.size() > 1 ? "[" + i + "]" : "") + " = " + x
                        + " is not finite");
            }
        }
        return switch (this) {
            case SCALAR -> {
                if (v.size() != 1 || v.shape().rank() > 1) {
                    throw new StreamfoldException(op + ": " + param + " must be a number, got an array of shape " + v.shape());
                }
                yield Tensor.scalar(v.dtype(), v.raw()[0]);
            }
            case VECTOR -> {
                if (v.shape().rank() != 1) {
                    throw new StreamfoldException(op + ": " + param + " must be a 1-D array, got "
                            + (v.shape().rank() == 0 ? "a number" : "an array of shape " + v.shape()));
                }
                if (v.size() == 0) {
                    throw new StreamfoldException(op + ": " + param + " must not be empty");
                }
                yield v;
            }
            case BUFFERS -> {
                if (v.shape().rank() != 1) {
                    throw new StreamfoldException(op + ": " + param + " must be a 1-D array, got "
                            + (v.shape().rank() == 0 ? "a number" : "an array of shape " + v.shape()));
                }
                yield v;
            }
            case MATRIX -> {
                if (v.shape().rank() != 2 || v.size() == 0) {
                    throw new StreamfoldException(op + ": " + param + " must be a non-empty 2-D array, got "
                            + (v.shape().rank() == 0 ? "a number" : "an array of shape " + v.shape()));
                }
                yield v;
            }
            case DERIVED -> v;
        };
    }
}
