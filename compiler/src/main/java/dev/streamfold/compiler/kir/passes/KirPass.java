package dev.streamfold.compiler.kir.passes;

import dev.streamfold.compiler.kir.Kernel;

/**
 * A transformation of a verified kernel into a verified kernel that the {@link dev.streamfold.compiler.kir.KirEvaluator}
 * runs to the same results, bit for bit, on every input it runs the original on without an out-of-range access.
 */
public interface KirPass {
    /** A short lower-case name, used in dump file names. */
    String name();

    Kernel run(Kernel k);
}
