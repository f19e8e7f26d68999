package dev.streamfold.runtime.cuda;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_DOUBLE;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/** Packs kernel arguments into the {@code void **kernelParams} array that {@code cuLaunchKernel} reads. */
final class KernelParams {
    /** Bytes reserved per argument: enough for, and aligned to, the widest argument type. */
    static final long SLOT_BYTES = 8;

    /** A device address passed as a {@code .u64} kernel parameter. */
    record DevicePointer(long address) {}

    private KernelParams() {}

    /**
     * Replaces each {@link DeviceBuffer} of {@code args} by its {@link DevicePointer}.
     *
     * @throws IllegalStateException where a buffer is closed
     */
    static Object[] resolveBuffers(Object[] args) {
        Object[] resolved = args.clone();
        for (int i = 0; i < resolved.length; i++) {
            if (resolved[i] instanceof DeviceBuffer buffer) {
                resolved[i] = new DevicePointer(buffer.address());
            }
        }
        return resolved;
    }

    /**
     * An array of {@code args.length} pointers, allocated in {@code arena}, the {@code i}th pointing at the
     * value of {@code args[i]} in its C representation: a {@link DevicePointer} or {@link Long} as 8 bytes,
     * an {@link Integer} or {@link Float} as 4, a {@link Double} as 8. {@link MemorySegment#NULL} for no
     * arguments.
     *
     * @throws IllegalArgumentException naming the argument where one is null or of another type
     */
    static MemorySegment pack(Arena arena, Object[] args) {
        if (args.length == 0) {
            return MemorySegment.NULL;
        }
        MemorySegment values = arena.allocate(SLOT_BYTES * args.length, SLOT_BYTES);
        MemorySegment pointers = arena.allocate(ADDRESS, args.length);
        for (int i = 0; i < args.length; i++) {
            long offset = SLOT_BYTES * i;
            switch (args[i]) {
                case DevicePointer p -> values.set(JAVA_LONG, offset, p.address());
                case Long v -> values.set(JAVA_LONG, offset, v);
                case Integer v -> values.set(JAVA_INT, offset, v);
                case Float v -> values.set(JAVA_FLOAT, offset, v);
                case Double v -> values.set(JAVA_DOUBLE, offset, v);
                case null -> throw new IllegalArgumentException("kernel argument " + i + " is null");
                default -> throw new IllegalArgumentException("kernel argument " + i + " is a "
                        + args[i].getClass().getName() + "; expected DeviceBuffer, Long, Integer, Float or Double");
            }
            pointers.setAtIndex(ADDRESS, i, values.asSlice(offset, SLOT_BYTES));
        }
        return pointers;
    }

    /**
     * Checks a one-dimensional launch configuration.
     *
     * @throws IllegalArgumentException naming the value out of range
     */
    static void checkLaunch(int gridX, int blockX, int sharedBytes) {
        if (gridX < 1) {
            throw new IllegalArgumentException("grid size must be at least 1 block, got " + gridX);
        }
        if (blockX < 1) {
            throw new IllegalArgumentException("block size must be at least 1 thread, got " + blockX);
        }
        if (sharedBytes < 0) {
            throw new IllegalArgumentException("dynamic shared memory must not be negative, got " + sharedBytes + " bytes");
        }
    }
}
