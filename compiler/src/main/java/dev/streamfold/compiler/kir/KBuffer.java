package dev.streamfold.compiler.kir;

import java.util.Objects;

/**
 * An entry of a kernel's buffer table. Batched buffers ({@link Role#IN}, {@link Role#OUT}, {@link Role#STATE},
 * {@link Role#SCRATCH}) hold {@code elements} values per batch item in structure-of-arrays layout: element
 * {@code e} of item {@code b} is at {@code e * stride + b}, where the stride is the call's batch size
 * ({@link Role#SCRATCH} buffers are private to the backend, which picks its own stride). A {@link Role#PARAM}
 * buffer is shared by the whole batch and read by uniform index; its length is fixed when {@code elements >= 0}
 * and given by the call when {@code elements == -1}.
 */
public record KBuffer(String name, Role role, KType type, int elements) {
    public enum Role {
        /** Read only, one slice per batch item. */
        IN,
        /** Written, one slice per batch item; every element the kernel promises is stored on every path. */
        OUT,
        /** Read and written in place, one slice per batch item. */
        STATE,
        /** Kernel-private working storage, one slice per batch item. */
        SCRATCH,
        /** Read only, shared by every batch item. */
        PARAM;

        /** True for roles laid out per batch item. */
        public boolean batched() {
            return this != PARAM;
        }
    }

    public KBuffer {
        Objects.requireNonNull(name);
        Objects.requireNonNull(role);
        Objects.requireNonNull(type);
        if (type == KType.BOOL) {
            throw new IllegalArgumentException("buffer " + name + ": bool is not a buffer type");
        }
        if (elements < -1 || (elements == -1 && role != Role.PARAM)) {
            throw new IllegalArgumentException("buffer " + name + ": bad element count " + elements);
        }
    }
}
