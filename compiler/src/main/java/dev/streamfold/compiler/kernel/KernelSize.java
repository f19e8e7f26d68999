package dev.streamfold.compiler.kernel;

import dev.streamfold.ir.StreamfoldException;

/**
 * The size limit every compiled backend shares, checked before any backend renders a kernel. A
 * kernel's size is its statements (per-step scalars and per-element body) plus its state buffers.
 * The Vector API backend renders the body twice in one Java method (vector loop and scalar tail),
 * and javac limits a method to 64 KiB of bytecode; at 1500 that method stays below about 48 KiB.
 * The reference interpreter has no such limit.
 */
public final class KernelSize {
    /** The largest kernel size a compiled backend takes. */
    public static final int MAX = 1500;

    private KernelSize() {}

    /** Statements plus state buffers of {@code k}. */
    public static int of(StepKernelIr k) {
        return k.prologue().size() + k.body().size() + k.stateCount();
    }

    /**
     * Returns {@code k} if its size is at most {@link #MAX}.
     *
     * @throws StreamfoldException naming the size and the limit otherwise
     */
    public static StepKernelIr check(StepKernelIr k) {
        int size = of(k);
        if (size > MAX) {
            throw new StreamfoldException("the expression's step kernel has " + k.prologue().size() + " per-step statements, "
                    + k.body().size() + " per-element statements and " + k.stateCount() + " state buffers (" + size
                    + " in all), more than the " + MAX + " a compiled backend takes (eval --backend interpreter has no such limit)");
        }
        return k;
    }
}
