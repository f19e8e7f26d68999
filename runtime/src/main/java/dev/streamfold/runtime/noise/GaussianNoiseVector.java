package dev.streamfold.runtime.noise;

import static dev.streamfold.runtime.noise.NormalQuantile.*;
import static jdk.incubator.vector.VectorOperators.ASHR;
import static jdk.incubator.vector.VectorOperators.GT;
import static jdk.incubator.vector.VectorOperators.I2F;
import static jdk.incubator.vector.VectorOperators.LSHL;
import static jdk.incubator.vector.VectorOperators.LSHR;
import static jdk.incubator.vector.VectorOperators.NE;
import static jdk.incubator.vector.VectorOperators.XOR;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import java.util.Objects;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.LongVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * Vector API implementation of {@link GaussianNoise}, equal to it bit for bit for every species of at least 128 bits.
 *
 * <p>Philox runs on {@code N} consecutive blocks at once, one block per long lane, in two long vectors holding the
 * counter halves with their words swapped: {@code a = (c0 << 32 | c1)} and {@code b = (c2 << 32 | c3)}. A round is
 * then lane-local: {@code a' = (b >>> 32) * M1 ^ (a << 32) ^ (k0 << 32)} and
 * {@code b' = (a >>> 32) * M0 ^ (b << 32) ^ (k1 << 32)}, each product an unsigned 32x32-to-64-bit multiply. After ten
 * rounds, swapping the words back and interleaving the lanes of {@code a} and {@code b} yields the blocks' words in
 * coordinate order: as ints for binary32, as longs {@code (w[2h+1] << 32 | w[2h])} for binary64.
 *
 * <p>The bulk fills work in chunks of two passes over the destination: the raw Philox output is stored in place, then
 * transformed in place. Each pass is a method of its own that takes no vector arguments, which keeps every compiled
 * loop small enough for the JIT to inline all of its vector operations. The first and last vectors of a pass are
 * stored under a mask, so a fill may start and end anywhere.
 */
public final class GaussianNoiseVector {
    /** The species the bulk binary32 fills use. */
    public static final VectorSpecies<Float> F32_SPECIES = FloatVector.SPECIES_PREFERRED;
    /** The species the bulk binary64 fills use. */
    public static final VectorSpecies<Double> F64_SPECIES = DoubleVector.SPECIES_PREFERRED;

    private static final VectorSpecies<Long> F32_LONGS = longsOfShape(F32_SPECIES.vectorBitSize());
    private static final VectorSpecies<Long> F64_LONGS = longsOfShape(F64_SPECIES.vectorBitSize());
    private static final int CHUNK = 2048;
    private static final long LOW32 = 0xFFFFFFFFL;
    private static final long M0 = Philox4x32.M0 & LOW32;
    private static final long M1 = Philox4x32.M1 & LOW32;
    private static final long MANTISSA52 = 0x000FFFFFFFFFFFFFL;
    private static final long TWO52_BITS = 0x4330000000000000L;

    private GaussianNoiseVector() {}

    /**
     * The binary32 deviates of coordinates {@code coordStart .. coordStart + s.length() - 1} at {@code step}, for the key
     * {@code (k0, k1) = (low, high half of the seed)}. Costs two Philox vectors; the bulk fills are faster per value.
     */
    public static FloatVector gaussianF32(VectorSpecies<Float> s, int k0, int k1, long step, long coordStart) {
        LongVector lane = LongVector.zero(longsOfShape(s.vectorBitSize())).addIndex(1);
        LongVector a = rotate32(lane.add(coordStart >>> 2));
        LongVector b = rotate32(lane.broadcast(step));
        for (int round = 0; round < Philox4x32.ROUNDS; round++) {
            LongVector next = halfRound(a, b, M1, k0 + round * Philox4x32.W0);
            b = halfRound(b, a, M0, k1 + round * Philox4x32.W1);
            a = next;
        }
        LongVector x = rotate32(a);
        LongVector y = rotate32(b);
        IntVector words = interleave(x, y, lowHalf(lane), lane).reinterpretAsInts();
        int lead = (int) coordStart & 3;
        if (lead != 0) {
            words = words.slice(lead, interleave(x, y, highHalf(lane), lane).reinterpretAsInts());
        }
        return fromWordsF32(words);
    }

    /**
     * The binary64 deviates of coordinates {@code coordStart .. coordStart + s.length() - 1} at {@code step}, for the key
     * {@code (k0, k1) = (low, high half of the seed)}. Costs two Philox vectors; the bulk fills are faster per value.
     */
    public static DoubleVector gaussianF64(VectorSpecies<Double> s, int k0, int k1, long step, long coordStart) {
        LongVector lane = LongVector.zero(longsOfShape(s.vectorBitSize())).addIndex(1);
        LongVector a = rotate32(lane.add(coordStart >>> 1));
        LongVector b = rotate32(lane.broadcast(step));
        for (int round = 0; round < Philox4x32.ROUNDS; round++) {
            LongVector next = halfRound(a, b, M1, k0 + round * Philox4x32.W0);
            b = halfRound(b, a, M0, k1 + round * Philox4x32.W1);
            a = next;
        }
        LongVector x = rotate32(a);
        LongVector y = rotate32(b);
        LongVector bits = interleave(x, y, lowHalf(lane), lane);
        if ((coordStart & 1) != 0) {
            bits = bits.slice(1, interleave(x, y, highHalf(lane), lane));
        }
        return fromBitsF64(bits);
    }

    /** Vector counterpart of {@link GaussianNoise#fillF32(long, long, long, float[], int, int, float)}, same bits. */
    public static void fillF32(long seed, long step, long coordStart, float[] dst, int off, int len, float stddev) {
        Objects.checkFromIndexSize(off, len, dst.length);
        for (int j = 0; j < len; j += CHUNK) {
            int n = Math.min(CHUNK, len - j);
            wordsF32(seed, step, coordStart + j, dst, off + j, n);
            transformF32(dst, off + j, n, stddev);
        }
    }

    /** Vector counterpart of {@link GaussianNoise#fillF64(long, long, long, double[], int, int, double)}, same bits. */
    public static void fillF64(long seed, long step, long coordStart, double[] dst, int off, int len, double stddev) {
        Objects.checkFromIndexSize(off, len, dst.length);
        for (int j = 0; j < len; j += CHUNK) {
            int n = Math.min(CHUNK, len - j);
            bitsF64(seed, step, coordStart + j, dst, off + j, n);
            transformF64(dst, off + j, n, stddev);
        }
    }

    /** Vector counterpart of {@link GaussianNoise#fillF32(long, long, long, MemorySegment, long, long, float)}. */
    public static void fillF32(long seed, long step, long coordStart, MemorySegment dst, long byteOffset, long count,
                               float stddev) {
        Objects.checkFromIndexSize(byteOffset, Math.multiplyExact(count, Float.BYTES), dst.byteSize());
        for (long j = 0; j < count; j += CHUNK) {
            int n = (int) Math.min(CHUNK, count - j);
            long at = byteOffset + j * Float.BYTES;
            wordsF32(seed, step, coordStart + j, dst, at, n);
            transformF32(dst, at, n, stddev);
        }
    }

    /** Vector counterpart of {@link GaussianNoise#fillF64(long, long, long, MemorySegment, long, long, double)}. */
    public static void fillF64(long seed, long step, long coordStart, MemorySegment dst, long byteOffset, long count,
                               double stddev) {
        Objects.checkFromIndexSize(byteOffset, Math.multiplyExact(count, Double.BYTES), dst.byteSize());
        for (long j = 0; j < count; j += CHUNK) {
            int n = (int) Math.min(CHUNK, count - j);
            long at = byteOffset + j * Double.BYTES;
            bitsF64(seed, step, coordStart + j, dst, at, n);
            transformF64(dst, at, n, stddev);
        }
    }

    /** Stores the Philox words of coordinates {@code coordStart ..+ n} as raw bits at {@code dst[off ..+ n]}. */
    private static void wordsF32(long seed, long step, long coordStart, float[] dst, int off, int n) {
        LongVector lane = LongVector.zero(F32_LONGS).addIndex(1);
        VectorShuffle<Long> low = lowHalf(lane);
        VectorShuffle<Long> high = highHalf(lane);
        LongVector groups = lane.add(coordStart >>> 2);
        LongVector steps = rotate32(lane.broadcast(step));
        int k0 = (int) seed;
        int k1 = (int) (seed >>> 32);
        int lanes = 2 * lane.length();
        for (int j = -((int) coordStart & 3); j < n; j += 2 * lanes) {
            LongVector a = rotate32(groups);
            LongVector b = steps;
            for (int round = 0; round < Philox4x32.ROUNDS; round++) {
                LongVector next = halfRound(a, b, M1, k0 + round * Philox4x32.W0);
                b = halfRound(b, a, M0, k1 + round * Philox4x32.W1);
                a = next;
            }
            LongVector x = rotate32(a);
            LongVector y = rotate32(b);
            store(interleave(x, y, low, lane).reinterpretAsFloats(), dst, off, j, n);
            store(interleave(x, y, high, lane).reinterpretAsFloats(), dst, off, j + lanes, n);
            groups = groups.add(lane.length());
        }
    }

    /** Stores the 64-bit Philox values of coordinates {@code coordStart ..+ n} as raw bits at {@code dst[off ..+ n]}. */
    private static void bitsF64(long seed, long step, long coordStart, double[] dst, int off, int n) {
        LongVector lane = LongVector.zero(F64_LONGS).addIndex(1);
        VectorShuffle<Long> low = lowHalf(lane);
        VectorShuffle<Long> high = highHalf(lane);
        LongVector groups = lane.add(coordStart >>> 1);
        LongVector steps = rotate32(lane.broadcast(step));
        int k0 = (int) seed;
        int k1 = (int) (seed >>> 32);
        int lanes = lane.length();
        for (int j = -((int) coordStart & 1); j < n; j += 2 * lanes) {
            LongVector a = rotate32(groups);
            LongVector b = steps;
            for (int round = 0; round < Philox4x32.ROUNDS; round++) {
                LongVector next = halfRound(a, b, M1, k0 + round * Philox4x32.W0);
                b = halfRound(b, a, M0, k1 + round * Philox4x32.W1);
                a = next;
            }
            LongVector x = rotate32(a);
            LongVector y = rotate32(b);
            store(interleave(x, y, low, lane).reinterpretAsDoubles(), dst, off, j, n);
            store(interleave(x, y, high, lane).reinterpretAsDoubles(), dst, off, j + lanes, n);
            groups = groups.add(lanes);
        }
    }

    /** Segment counterpart of {@link #wordsF32(long, long, long, float[], int, int)}; {@code at} is a byte offset. */
    private static void wordsF32(long seed, long step, long coordStart, MemorySegment dst, long at, int n) {
        LongVector lane = LongVector.zero(F32_LONGS).addIndex(1);
        VectorShuffle<Long> low = lowHalf(lane);
        VectorShuffle<Long> high = highHalf(lane);
        LongVector groups = lane.add(coordStart >>> 2);
        LongVector steps = rotate32(lane.broadcast(step));
        int k0 = (int) seed;
        int k1 = (int) (seed >>> 32);
        int lanes = 2 * lane.length();
        for (int j = -((int) coordStart & 3); j < n; j += 2 * lanes) {
            LongVector a = rotate32(groups);
            LongVector b = steps;
            for (int round = 0; round < Philox4x32.ROUNDS; round++) {
                LongVector next = halfRound(a, b, M1, k0 + round * Philox4x32.W0);
                b = halfRound(b, a, M0, k1 + round * Philox4x32.W1);
                a = next;
            }
            LongVector x = rotate32(a);
            LongVector y = rotate32(b);
            store(interleave(x, y, low, lane).reinterpretAsFloats(), dst, at, j, n);
            store(interleave(x, y, high, lane).reinterpretAsFloats(), dst, at, j + lanes, n);
            groups = groups.add(lane.length());
        }
    }

    /** Segment counterpart of {@link #bitsF64(long, long, long, double[], int, int)}; {@code at} is a byte offset. */
    private static void bitsF64(long seed, long step, long coordStart, MemorySegment dst, long at, int n) {
        LongVector lane = LongVector.zero(F64_LONGS).addIndex(1);
        VectorShuffle<Long> low = lowHalf(lane);
        VectorShuffle<Long> high = highHalf(lane);
        LongVector groups = lane.add(coordStart >>> 1);
        LongVector steps = rotate32(lane.broadcast(step));
        int k0 = (int) seed;
        int k1 = (int) (seed >>> 32);
        int lanes = lane.length();
        for (int j = -((int) coordStart & 1); j < n; j += 2 * lanes) {
            LongVector a = rotate32(groups);
            LongVector b = steps;
            for (int round = 0; round < Philox4x32.ROUNDS; round++) {
                LongVector next = halfRound(a, b, M1, k0 + round * Philox4x32.W0);
                b = halfRound(b, a, M0, k1 + round * Philox4x32.W1);
                a = next;
            }
            LongVector x = rotate32(a);
            LongVector y = rotate32(b);
            store(interleave(x, y, low, lane).reinterpretAsDoubles(), dst, at, j, n);
            store(interleave(x, y, high, lane).reinterpretAsDoubles(), dst, at, j + lanes, n);
            groups = groups.add(lanes);
        }
    }

    private static void transformF32(float[] dst, int off, int n, float stddev) {
        VectorSpecies<Float> fs = F32_SPECIES;
        int j = 0;
        for (; j <= n - fs.length(); j += fs.length()) {
            IntVector words = FloatVector.fromArray(fs, dst, off + j).reinterpretAsInts();
            fromWordsF32(words).mul(stddev).intoArray(dst, off + j);
        }
        if (j < n) {
            transformTailF32(dst, off + j, n - j, stddev);
        }
    }

    private static void transformTailF32(float[] dst, int off, int n, float stddev) {
        VectorMask<Float> inside = F32_SPECIES.indexInRange(0, n);
        IntVector words = FloatVector.fromArray(F32_SPECIES, dst, off, inside).reinterpretAsInts();
        fromWordsF32(words).mul(stddev).intoArray(dst, off, inside);
    }

    private static void transformF64(double[] dst, int off, int n, double stddev) {
        VectorSpecies<Double> ds = F64_SPECIES;
        int j = 0;
        for (; j <= n - ds.length(); j += ds.length()) {
            LongVector bits = DoubleVector.fromArray(ds, dst, off + j).reinterpretAsLongs();
            fromBitsF64(bits).mul(stddev).intoArray(dst, off + j);
        }
        if (j < n) {
            transformTailF64(dst, off + j, n - j, stddev);
        }
    }

    private static void transformTailF64(double[] dst, int off, int n, double stddev) {
        VectorMask<Double> inside = F64_SPECIES.indexInRange(0, n);
        LongVector bits = DoubleVector.fromArray(F64_SPECIES, dst, off, inside).reinterpretAsLongs();
        fromBitsF64(bits).mul(stddev).intoArray(dst, off, inside);
    }

    private static void transformF32(MemorySegment dst, long at, int n, float stddev) {
        VectorSpecies<Float> fs = F32_SPECIES;
        ByteOrder order = ByteOrder.nativeOrder();
        int j = 0;
        for (; j <= n - fs.length(); j += fs.length()) {
            long byteAt = at + (long) j * Float.BYTES;
            IntVector words = FloatVector.fromMemorySegment(fs, dst, byteAt, order).reinterpretAsInts();
            fromWordsF32(words).mul(stddev).intoMemorySegment(dst, byteAt, order);
        }
        if (j < n) {
            transformTailF32(dst, at + (long) j * Float.BYTES, n - j, stddev);
        }
    }

    private static void transformTailF32(MemorySegment dst, long at, int n, float stddev) {
        VectorMask<Float> inside = F32_SPECIES.indexInRange(0, n);
        ByteOrder order = ByteOrder.nativeOrder();
        IntVector words = FloatVector.fromMemorySegment(F32_SPECIES, dst, at, order, inside).reinterpretAsInts();
        fromWordsF32(words).mul(stddev).intoMemorySegment(dst, at, order, inside);
    }

    private static void transformF64(MemorySegment dst, long at, int n, double stddev) {
        VectorSpecies<Double> ds = F64_SPECIES;
        ByteOrder order = ByteOrder.nativeOrder();
        int j = 0;
        for (; j <= n - ds.length(); j += ds.length()) {
            long byteAt = at + (long) j * Double.BYTES;
            LongVector bits = DoubleVector.fromMemorySegment(ds, dst, byteAt, order).reinterpretAsLongs();
            fromBitsF64(bits).mul(stddev).intoMemorySegment(dst, byteAt, order);
        }
        if (j < n) {
            transformTailF64(dst, at + (long) j * Double.BYTES, n - j, stddev);
        }
    }

    private static void transformTailF64(MemorySegment dst, long at, int n, double stddev) {
        VectorMask<Double> inside = F64_SPECIES.indexInRange(0, n);
        ByteOrder order = ByteOrder.nativeOrder();
        LongVector bits = DoubleVector.fromMemorySegment(F64_SPECIES, dst, at, order, inside).reinterpretAsLongs();
        fromBitsF64(bits).mul(stddev).intoMemorySegment(dst, at, order, inside);
    }

    /** Stores lanes {@code i} of {@code v} with {@code 0 <= j + i < n} at {@code dst[off + j + i]}. */
    private static void store(FloatVector v, float[] dst, int off, int j, int n) {
        if (j >= 0 && j <= n - v.length()) {
            v.intoArray(dst, off + j);
        } else if (j < n) {
            v.intoArray(dst, off + j, v.species().indexInRange(j, n));
        }
    }

    /** Stores lanes {@code i} of {@code v} with {@code 0 <= j + i < n} at {@code dst[off + j + i]}. */
    private static void store(DoubleVector v, double[] dst, int off, int j, int n) {
        if (j >= 0 && j <= n - v.length()) {
            v.intoArray(dst, off + j);
        } else if (j < n) {
            v.intoArray(dst, off + j, v.species().indexInRange(j, n));
        }
    }

    /** Stores lanes {@code i} of {@code v} with {@code 0 <= j + i < n} at byte {@code at + 4 * (j + i)}. */
    private static void store(FloatVector v, MemorySegment dst, long at, int j, int n) {
        long byteAt = at + (long) j * Float.BYTES;
        if (j >= 0 && j <= n - v.length()) {
            v.intoMemorySegment(dst, byteAt, ByteOrder.nativeOrder());
        } else if (j < n) {
            v.intoMemorySegment(dst, byteAt, ByteOrder.nativeOrder(), v.species().indexInRange(j, n));
        }
    }

    /** Stores lanes {@code i} of {@code v} with {@code 0 <= j + i < n} at byte {@code at + 8 * (j + i)}. */
    private static void store(DoubleVector v, MemorySegment dst, long at, int j, int n) {
        long byteAt = at + (long) j * Double.BYTES;
        if (j >= 0 && j <= n - v.length()) {
            v.intoMemorySegment(dst, byteAt, ByteOrder.nativeOrder());
        } else if (j < n) {
            v.intoMemorySegment(dst, byteAt, ByteOrder.nativeOrder(), v.species().indexInRange(j, n));
        }
    }

    /** The long species of the given shape, a constant whenever {@code bits} is one. */
    private static VectorSpecies<Long> longsOfShape(int bits) {
        return switch (bits) {
            case 128 -> LongVector.SPECIES_128;
            case 256 -> LongVector.SPECIES_256;
            case 512 -> LongVector.SPECIES_512;
            default -> {
                if (bits < 128 || bits % 128 != 0) {
                    throw new IllegalArgumentException("noise vectors need a multiple of 128 bits, got " + bits);
                }
                yield VectorSpecies.of(long.class, VectorShape.forBitSize(bits));
            }
        };
    }

    /** One half of a Philox round in the swapped layout: {@code (other >>> 32) * multiplier ^ (self << 32) ^ (key << 32)}. */
    private static LongVector halfRound(LongVector self, LongVector other, long multiplier, int key) {
        LongVector product = other.lanewise(LSHR, 32).mul(other.broadcast(multiplier).and(LOW32));
        return product.lanewise(XOR, self.lanewise(LSHL, 32)).lanewise(XOR, (long) key << 32);
    }

    private static LongVector rotate32(LongVector v) {
        return v.lanewise(LSHL, 32).or(v.lanewise(LSHR, 32));
    }

    /** Selects lanes {@code 0, 0, 1, 1, ...} of the first half. */
    private static VectorShuffle<Long> lowHalf(LongVector lane) {
        return lane.lanewise(LSHR, 1).toShuffle();
    }

    /** Selects lanes {@code n/2, n/2, n/2 + 1, n/2 + 1, ...} of the second half. */
    private static VectorShuffle<Long> highHalf(LongVector lane) {
        return lane.lanewise(LSHR, 1).add(lane.length() / 2).toShuffle();
    }

    /** {@code (x[h], y[h], x[h + 1], y[h + 1], ...)} for the half that {@code half} selects. */
    private static LongVector interleave(LongVector x, LongVector y, VectorShuffle<Long> half, LongVector lane) {
        return x.rearrange(half).blend(y.rearrange(half), lane.and(1L).compare(NE, 0L));
    }

    private static FloatVector fromWordsF32(IntVector words) {
        IntVector s = words.lanewise(LSHR, 7).or(1).sub(1 << 24);
        FloatVector a = ((FloatVector) s.abs().convert(I2F, 0)).mul(0x1p-25f);
        IntVector sign = s.and(0x80000000);
        return magnitudeF32(a).reinterpretAsInts().or(sign).reinterpretAsFloats();
    }

    /**
     * Both branches in every lane; the selected lane's operations are the contract's (numerator and denominator are
     * selected before the one division).
     */
    private static FloatVector magnitudeF32(FloatVector a) {
        FloatVector r = a.broadcast(PPND7_CONST1).sub(a.mul(a));
        FloatVector n = r.mul(PPND7_A3).add(PPND7_A2).mul(r).add(PPND7_A1).mul(r).add(PPND7_A0);
        FloatVector d = r.mul(PPND7_B3).add(PPND7_B2).mul(r).add(PPND7_B1).mul(r).add(1f);
        FloatVector t = logF32(a.broadcast(0.5f).sub(a)).neg().sqrt();
        FloatVector x = t.sub(PPND7_CONST2);
        FloatVector tn = x.mul(PPND7_C3).add(PPND7_C2).mul(x).add(PPND7_C1).mul(x).add(PPND7_C0);
        FloatVector td = x.mul(PPND7_D2).add(PPND7_D1).mul(x).add(1f);
        VectorMask<Float> tail = a.compare(GT, PPND7_SPLIT1);
        return a.mul(n).blend(tn, tail).div(d.blend(td, tail));
    }

    private static FloatVector logF32(FloatVector v) {
        IntVector b = v.reinterpretAsInts();
        IntVector e = b.lanewise(LSHR, 23).sub(127);
        IntVector mb = b.and(0x007fffff).or(0x3f800000);
        VectorMask<Integer> above = mb.compare(GT, LOG32_SQRT2_BITS);
        mb = mb.sub(1 << 23, above);
        e = e.add(1, above);
        FloatVector f = mb.reinterpretAsFloats().sub(1f);
        FloatVector s = f.div(f.add(2f));
        FloatVector z = s.mul(s);
        FloatVector r = z.mul(LOG32_LG4).add(LOG32_LG3).mul(z).add(LOG32_LG2).mul(z).add(LOG32_LG1).mul(z);
        FloatVector hf = f.mul(0.5f).mul(f);
        FloatVector u = f.sub(hf.sub(s.mul(hf.add(r))));
        FloatVector k = (FloatVector) e.convert(I2F, 0);
        return k.mul(LOG32_LN2_HI).add(k.mul(LOG32_LN2_LO).add(u));
    }

    private static DoubleVector fromBitsF64(LongVector x) {
        LongVector flip = x.not().lanewise(ASHR, 63).and(MANTISSA52);
        LongVector half = x.lanewise(LSHR, 11).and(MANTISSA52).lanewise(XOR, flip);
        DoubleVector a = half.or(TWO52_BITS).reinterpretAsDoubles().sub(0x1p52 - 0.5).mul(0x1p-53);
        LongVector sign = x.not().and(Long.MIN_VALUE);
        return magnitudeF64(a).reinterpretAsLongs().or(sign).reinterpretAsDoubles();
    }

    private static DoubleVector magnitudeF64(DoubleVector a) {
        DoubleVector central = centralF64(a);
        VectorMask<Double> tail = a.compare(GT, PPND16_SPLIT1);
        if (!tail.anyTrue()) {
            return central;
        }
        DoubleVector t = logF64(a.broadcast(0.5).sub(a)).neg().sqrt();
        DoubleVector tailValue = nearTailF64(t);
        VectorMask<Double> far = t.compare(GT, PPND16_SPLIT2).and(tail);
        if (far.anyTrue()) {
            tailValue = tailValue.blend(farTailF64(t), far);
        }
        return central.blend(tailValue, tail);
    }

    private static DoubleVector centralF64(DoubleVector a) {
        DoubleVector r = a.broadcast(PPND16_CONST1).sub(a.mul(a));
        DoubleVector n = r.mul(PPND16_A7).add(PPND16_A6).mul(r).add(PPND16_A5).mul(r).add(PPND16_A4).mul(r)
                .add(PPND16_A3).mul(r).add(PPND16_A2).mul(r).add(PPND16_A1).mul(r).add(PPND16_A0);
        DoubleVector d = r.mul(PPND16_B7).add(PPND16_B6).mul(r).add(PPND16_B5).mul(r).add(PPND16_B4).mul(r)
                .add(PPND16_B3).mul(r).add(PPND16_B2).mul(r).add(PPND16_B1).mul(r).add(1.0);
        return a.mul(n).div(d);
    }

    private static DoubleVector nearTailF64(DoubleVector t) {
        DoubleVector x = t.sub(PPND16_CONST2);
        DoubleVector n = x.mul(PPND16_C7).add(PPND16_C6).mul(x).add(PPND16_C5).mul(x).add(PPND16_C4).mul(x)
                .add(PPND16_C3).mul(x).add(PPND16_C2).mul(x).add(PPND16_C1).mul(x).add(PPND16_C0);
        DoubleVector d = x.mul(PPND16_D7).add(PPND16_D6).mul(x).add(PPND16_D5).mul(x).add(PPND16_D4).mul(x)
                .add(PPND16_D3).mul(x).add(PPND16_D2).mul(x).add(PPND16_D1).mul(x).add(1.0);
        return n.div(d);
    }

    private static DoubleVector farTailF64(DoubleVector t) {
        DoubleVector x = t.sub(PPND16_SPLIT2);
        DoubleVector n = x.mul(PPND16_E7).add(PPND16_E6).mul(x).add(PPND16_E5).mul(x).add(PPND16_E4).mul(x)
                .add(PPND16_E3).mul(x).add(PPND16_E2).mul(x).add(PPND16_E1).mul(x).add(PPND16_E0);
        DoubleVector d = x.mul(PPND16_F7).add(PPND16_F6).mul(x).add(PPND16_F5).mul(x).add(PPND16_F4).mul(x)
                .add(PPND16_F3).mul(x).add(PPND16_F2).mul(x).add(PPND16_F1).mul(x).add(1.0);
        return n.div(d);
    }

    private static DoubleVector logF64(DoubleVector v) {
        LongVector b = v.reinterpretAsLongs();
        LongVector biased = b.lanewise(LSHR, 52);
        LongVector mb = b.and(MANTISSA52).or(0x3ff0000000000000L);
        VectorMask<Long> above = mb.compare(GT, LOG64_SQRT2_BITS);
        mb = mb.sub(1L << 52, above);
        biased = biased.add(1L, above);
        DoubleVector f = mb.reinterpretAsDoubles().sub(1.0);
        DoubleVector s = f.div(f.add(2.0));
        DoubleVector z = s.mul(s);
        DoubleVector r = z.mul(LOG64_LG7).add(LOG64_LG6).mul(z).add(LOG64_LG5).mul(z).add(LOG64_LG4).mul(z)
                .add(LOG64_LG3).mul(z).add(LOG64_LG2).mul(z).add(LOG64_LG1).mul(z);
        DoubleVector hf = f.mul(0.5).mul(f);
        DoubleVector u = f.sub(hf.sub(s.mul(hf.add(r))));
        DoubleVector k = biased.or(TWO52_BITS).reinterpretAsDoubles().sub(0x1p52 + 1023);
        return k.mul(LOG64_LN2_HI).add(k.mul(LOG64_LN2_LO).add(u));
    }
}
