package dev.streamfold.ir.strategy;

/** Which reduction of the per-query errors a loss uses (jax_privacy's {@code error='max'|'mean'}). */
public enum ErrorKind {
    /** The largest per-query error (the last step's, for a Toeplitz mechanism). */
    MAX,
    /** The mean per-query error over the n steps. */
    MEAN
}
