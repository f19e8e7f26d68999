package dev.streamfold.runtime;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.LongVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Finds infinities and NaNs in a block of values. A value is non-finite exactly when its exponent
 * bits are all ones, so the fast pass keeps the lane-wise maximum of the masked exponents (one AND
 * and one MAX per vector) and the block is scanned element by element only when it holds one.
 */
public final class NonFinite {
    private static final VectorSpecies<Integer> INTS = IntVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Long> LONGS = LongVector.SPECIES_PREFERRED;
    private static final int F32_EXPONENT = 0x7f80_0000;
    private static final long F64_EXPONENT = 0x7ff0_0000_0000_0000L;

    private NonFinite() {}

    /**
     * The index of the first non-finite element among {@code count} elements of {@code type} in
     * {@code s} starting at element {@code from}, or -1 when all are finite (integers always are). The index counts from
     * the start of {@code s}.
     */
    public static long first(MemorySegment s, ElementType type, long from, int count) {
        return switch (type) {
            case FLOAT32 -> firstF32(s, from, count);
            case FLOAT64 -> firstF64(s, from, count);
            case INT32, INT64 -> -1;
        };
    }

    private static long firstF32(MemorySegment s, long from, int count) {
        IntVector max = IntVector.zero(INTS);
        int bound = INTS.loopBound(count);
        int i = 0;
        for (; i < bound; i += INTS.length()) {
            IntVector v = IntVector.fromMemorySegment(INTS, s, (from + i) * 4, ByteOrder.nativeOrder());
            max = max.max(v.and(F32_EXPONENT));
        }
        boolean found = max.reduceLanes(VectorOperators.MAX) == F32_EXPONENT;
        for (int j = i; j < count && !found; j++) {
            found = !Float.isFinite(s.getAtIndex(ValueLayout.JAVA_FLOAT, from + j));
        }
        if (!found) {
            return -1;
        }
        for (int j = 0; j < count; j++) {
            if (!Float.isFinite(s.getAtIndex(ValueLayout.JAVA_FLOAT, from + j))) {
                return from + j;
            }
        }
        throw new IllegalStateException("a non-finite float32 was found and then not found");
    }

    private static long firstF64(MemorySegment s, long from, int count) {
        LongVector max = LongVector.zero(LONGS);
        int bound = LONGS.loopBound(count);
        int i = 0;
        for (; i < bound; i += LONGS.length()) {
            LongVector v = LongVector.fromMemorySegment(LONGS, s, (from + i) * 8, ByteOrder.nativeOrder());
            max = max.max(v.and(F64_EXPONENT));
        }
        boolean found = max.reduceLanes(VectorOperators.MAX) == F64_EXPONENT;
        for (int j = i; j < count && !found; j++) {
            found = !Double.isFinite(s.getAtIndex(ValueLayout.JAVA_DOUBLE, from + j));
        }
        if (!found) {
            return -1;
        }
        for (int j = 0; j < count; j++) {
            if (!Double.isFinite(s.getAtIndex(ValueLayout.JAVA_DOUBLE, from + j))) {
                return from + j;
            }
        }
        throw new IllegalStateException("a non-finite float64 was found and then not found");
    }
}
