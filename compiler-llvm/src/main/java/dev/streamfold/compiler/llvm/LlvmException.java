package dev.streamfold.compiler.llvm;

import dev.streamfold.ir.StreamfoldException;

/**
 * LLVM rejected a module: it does not parse, does not verify, cannot be optimized or compiled for the
 * requested target, or a compiled module lacks a requested symbol. The message carries LLVM's own text and
 * names the module.
 */
public final class LlvmException extends StreamfoldException {
    private static final long serialVersionUID = 1L;

    public LlvmException(String message) {
        super(message);
    }

    public LlvmException(String message, Throwable cause) {
        super(message, cause);
    }
}
