package dev.streamfold.compiler.batched;

import dev.streamfold.compiler.NativeBackend;
import dev.streamfold.compiler.kir.Kernel;
import dev.streamfold.compiler.vector.VectorKirKernels;
import dev.streamfold.runtime.batched.BatchedKernel;

/** The CPU backends that run batched kernels in process: the Vector API, and LLVM's host JIT. */
public enum BatchedBackend {
    VECTOR("vector"), LLVM("llvm");

    private final String option;

    BatchedBackend(String option) {
        this.option = option;
    }

    /** The backend's {@code --backend} word. */
    public String option() {
        return option;
    }

    /** {@code k} compiled for this backend and loaded (cached by the kernel's text). */
    public BatchedKernel load(Kernel k) {
        return switch (this) {
            case VECTOR -> VectorKirKernels.load(k);
            case LLVM -> NativeBackend.require("--backend llvm").batchedHost(k);
        };
    }

    /** The backend called {@code option}, or null. */
    public static BatchedBackend parse(String option) {
        for (BatchedBackend b : values()) {
            if (b.option.equals(option)) {
                return b;
            }
        }
        return null;
    }
}
