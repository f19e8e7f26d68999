package dev.streamfold.runtime.batched;

import dev.streamfold.runtime.ElementType;
import java.util.Objects;

/**
 * A buffer a {@link BatchedKernel} takes. Batched roles hold {@code elements} values per item in
 * structure-of-arrays layout: element {@code e} of item {@code b} of a batch of {@code B} items is at index
 * {@code e * B + b}. A {@link Role#PARAM} buffer is shared by the batch; {@code elements == -1} means any length.
 */
public record BatchedBuffer(String name, Role role, ElementType type, int elements) {
    public enum Role {
        IN, OUT, STATE, PARAM
    }

    public BatchedBuffer {
        Objects.requireNonNull(name);
        Objects.requireNonNull(role);
        Objects.requireNonNull(type);
        if (elements < -1 || (elements == -1 && role != Role.PARAM)) {
            throw new IllegalArgumentException("buffer " + name + ": bad element count " + elements);
        }
    }

    /** Bytes this buffer needs for a batch of {@code batch} items (params: their fixed length, or 0 when free). */
    public long bytes(long batch) {
        long count = role == Role.PARAM ? Math.max(elements, 0) : Math.multiplyExact((long) elements, batch);
        return Math.multiplyExact(count, (long) type.bytes());
    }
}
