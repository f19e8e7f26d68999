package dev.streamfold.runtime.noise;

import static dev.streamfold.runtime.noise.NormalQuantile.*;
import static jdk.incubator.vector.VectorOperators.ASHR;
import static jdk.incubator.vector.VectorOperators.GT;
import static jdk.incubator.vector.VectorOperators.I2F;
import static jdk.incubator.vector.VectorOperators.LSHL;
import static jdk.incubator.vector.VectorOperators.LSHR;
import static jdk.incubator.vector.VectorOperators.NE;
import static jdk.incubator.vector.VectorOperators.ROR;
import static jdk.incubator.vector.VectorOperators.XOR;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
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
 * <p>Philox works in a "swapped" layout where each 64-bit lane holds two counter words high word first:
 * {@code a = (c0 << 32 | c1)}, {@code b = (c2 << 32 | c3)}. A round is then
 * {@code a' = (b >>> 32) * M1 ^ (a << 32) ^ (k0 << 32)}, {@code b' = (a >>> 32) * M0 ^ (b << 32) ^ (k1 << 32)}, each
 * product an unsigned 32x32-to-64-bit multiply, and swapping the words back gives the block's output words in
 * coordinate order: as ints {@code w0, w1, w2, w3} for binary32, as longs {@code (w[2h+1] << 32 | w[2h])} for binary64.
 * The per-vector functions keep {@code a} and {@code b} of each block in adjacent lanes of one vector (one lane swap per
 * round); the bulk fills keep all {@code a} in one vector and all {@code b} in another (no lane crossing until the final
 * interleave).
 *
 * <p>The bulk fills run one loop per chunk that draws the Philox blocks of two vectors, evaluates the central branch in
 * all their lanes and stores the results, and queues the tail lanes (about 15% of them) with their positions; the tail
 * branch then runs on the queue, whole vectors at a time, and its results overwrite the queued positions. A fill
 * allocates its queue (one chunk's worth) once; the loops allocate nothing. Each loop keeps all of its vector code in one
 * method body and takes no vector arguments: the JIT compiles it as a unit, whatever it decides to inline, so no vector
 * is ever boxed. The per-vector functions are written with helpers and are meant to be inlined by the caller.
 */
public final class GaussianNoiseVector {
    /** The species the bulk binary32 fills use. */
    public static final VectorSpecies<Float> F32_SPECIES = FloatVector.SPECIES_PREFERRED;
    /** The species the bulk binary64 fills use. */
    public static final VectorSpecies<Double> F64_SPECIES = DoubleVector.SPECIES_PREFERRED;

    private static final VectorSpecies<Long> LONGS = longsOfShape(F32_SPECIES.vectorBitSize());
    private static final int CHUNK = 2048;
    private static final long LOW32 = 0xFFFFFFFFL;
    private static final long M0 = Philox4x32.M0 & LOW32;
    private static final long M1 = Philox4x32.M1 & LOW32;
    private static final int W0 = Philox4x32.W0;
    private static final int W1 = Philox4x32.W1;
    private static final ByteOrder NATIVE = ByteOrder.nativeOrder();
    private static final long MANTISSA52 = 0x000FFFFFFFFFFFFFL;
    private static final float[] PPND7_CENTRAL_NUMERATOR = {PPND7_A0, PPND7_A1, PPND7_A2, PPND7_A3};
    private static final float[] PPND7_CENTRAL_DENOMINATOR = {1f, PPND7_B1, PPND7_B2, PPND7_B3};
    private static final float[] PPND7_TAIL_NUMERATOR = {PPND7_C0, PPND7_C1, PPND7_C2, PPND7_C3};
    private static final float[] PPND7_TAIL_DENOMINATOR = {1f, PPND7_D1, PPND7_D2};
    private static final float[] LOG32_POLYNOMIAL = {LOG32_LG1, LOG32_LG2, LOG32_LG3, LOG32_LG4};
    private static final double[] PPND16_CENTRAL_NUMERATOR = {PPND16_A0, PPND16_A1, PPND16_A2, PPND16_A3,
        PPND16_A4, PPND16_A5, PPND16_A6, PPND16_A7};
    private static final double[] PPND16_CENTRAL_DENOMINATOR = {1.0, PPND16_B1, PPND16_B2, PPND16_B3,
        PPND16_B4, PPND16_B5, PPND16_B6, PPND16_B7};
    private static final double[] PPND16_NEAR_NUMERATOR = {PPND16_C0, PPND16_C1, PPND16_C2, PPND16_C3,
        PPND16_C4, PPND16_C5, PPND16_C6, PPND16_C7};
    private static final double[] PPND16_NEAR_DENOMINATOR = {1.0, PPND16_D1, PPND16_D2, PPND16_D3,
        PPND16_D4, PPND16_D5, PPND16_D6, PPND16_D7};
    private static final double[] PPND16_FAR_NUMERATOR = {PPND16_E0, PPND16_E1, PPND16_E2, PPND16_E3,
        PPND16_E4, PPND16_E5, PPND16_E6, PPND16_E7};
    private static final double[] PPND16_FAR_DENOMINATOR = {1.0, PPND16_F1, PPND16_F2, PPND16_F3,
        PPND16_F4, PPND16_F5, PPND16_F6, PPND16_F7};
    private static final double[] LOG64_POLYNOMIAL = {LOG64_LG1, LOG64_LG2, LOG64_LG3, LOG64_LG4, LOG64_LG5,
        LOG64_LG6, LOG64_LG7};
    private static final long TWO52_BITS = 0x4330000000000000L;

    private GaussianNoiseVector() {}

    /**
     * The binary32 deviates of coordinates {@code coordStart .. coordStart + s.length() - 1} at {@code step}, for the key
     * {@code (k0, k1) = (low, high half of the seed)}. The bulk fills are faster per value.
     */
    public static FloatVector gaussianF32(VectorSpecies<Float> s, int k0, int k1, long step, long coordStart) {
        VectorSpecies<Long> ls = longsOfShape(s.vectorBitSize());
        long group = coordStart >>> 2;
        IntVector words = philoxInterleaved(ls, k0, k1, step, group).reinterpretAsInts();
        int lead = (int) coordStart & 3;
        if (lead != 0) {
            long next = group + ls.length() / 2;
            words = words.slice(lead, philoxInterleaved(ls, k0, k1, step, next).reinterpretAsInts());
        }
        return fromWordsF32(words);
    }

    /**
     * The binary64 deviates of coordinates {@code coordStart .. coordStart + s.length() - 1} at {@code step}, for the key
     * {@code (k0, k1) = (low, high half of the seed)}. The bulk fills are faster per value.
     */
    public static DoubleVector gaussianF64(VectorSpecies<Double> s, int k0, int k1, long step, long coordStart) {
        VectorSpecies<Long> ls = longsOfShape(s.vectorBitSize());
        long group = coordStart >>> 1;
        LongVector bits = philoxInterleaved(ls, k0, k1, step, group);
        if ((coordStart & 1) != 0) {
            bits = bits.slice(1, philoxInterleaved(ls, k0, k1, step, group + ls.length() / 2));
        }
        return fromBitsF64(bits);
    }

    /** Vector counterpart of {@link GaussianNoise#fillF32(long, long, long, float[], int, int, float)}, same bits. */
    public static void fillF32(long seed, long step, long coordStart, float[] dst, int off, int len, float stddev) {
        Objects.checkFromIndexSize(off, len, dst.length);
        fillChunksF32(seed, step, coordStart, dst, off, len, stddev);
    }

    /** Vector counterpart of {@link GaussianNoise#fillF64(long, long, long, double[], int, int, double)}, same bits. */
    public static void fillF64(long seed, long step, long coordStart, double[] dst, int off, int len, double stddev) {
        Objects.checkFromIndexSize(off, len, dst.length);
        fillChunksF64(seed, step, coordStart, dst, off, len, stddev);
    }

    /** Vector counterpart of {@link GaussianNoise#fillF32(long, long, long, MemorySegment, long, long, float)}. */
    public static void fillF32(long seed, long step, long coordStart, MemorySegment dst, long byteOffset, long count,
                               float stddev) {
        Objects.checkFromIndexSize(byteOffset, Math.multiplyExact(count, Float.BYTES), dst.byteSize());
        fillChunksF32(seed, step, coordStart, dst, byteOffset, count, stddev);
    }

    /** Vector counterpart of {@link GaussianNoise#fillF64(long, long, long, MemorySegment, long, long, double)}. */
    public static void fillF64(long seed, long step, long coordStart, MemorySegment dst, long byteOffset, long count,
                               double stddev) {
        Objects.checkFromIndexSize(byteOffset, Math.multiplyExact(count, Double.BYTES), dst.byteSize());
        fillChunksF64(seed, step, coordStart, dst, byteOffset, count, stddev);
    }

    /**
     * The fills' chunk loop. {@code dst} is a {@code float[]} addressed by element index {@code at} or a
     * {@link MemorySegment} addressed by byte offset {@code at}.
     */
    private static void fillChunksF32(long seed, long step, long coordStart, Object dst, long at, long count,
                                      float stddev) {
        long unit = dst instanceof MemorySegment ? Float.BYTES : 1;
        int queue = (int) Math.min(CHUNK, count) + 4 * F32_SPECIES.length();
        float[] tailIn = new float[queue];
        int[] tailAt = new int[queue];
        for (long j = 0; j < count; ) {
            int n = (int) Math.min(CHUNK - ((coordStart + j) & 3), count - j);
            int queued = fusedF32(seed, step, coordStart + j, dst, at + j * unit, n, stddev, tailIn, tailAt);
            tailF32(dst, at + j * unit, n, stddev, tailIn, tailAt, queued);
            j += n;
        }
    }

    /** As {@link #fillChunksF32} for {@code double[]} or segments. */
    private static void fillChunksF64(long seed, long step, long coordStart, Object dst, long at, long count,
                                      double stddev) {
        long unit = dst instanceof MemorySegment ? Double.BYTES : 1;
        int queue = (int) Math.min(CHUNK, count) + 4 * F64_SPECIES.length();
        double[] tailIn = new double[queue];
        long[] tailAt = new long[queue];
        for (long j = 0; j < count; ) {
            int n = (int) Math.min(CHUNK - ((coordStart + j) & 1), count - j);
            int queued = fusedF64(seed, step, coordStart + j, dst, at + j * unit, n, stddev, tailIn, tailAt);
            tailF64(dst, at + j * unit, n, stddev, tailIn, tailAt, queued);
            j += n;
        }
    }

    /**
     * Writes {@code stddev * z} for the {@code n} binary32 coordinates from {@code coordStart} at {@code at}, the central
     * branch's result in every lane. Each iteration runs Philox on the blocks of two float vectors and the contract's
     * central branch on all their lanes, and queues the tail lanes ({@code s * 2^-25} and position) in {@code tailIn}
     * and {@code tailAt} for {@link #tailF32}. Returns the number of queued lanes.
     */
    private static int fusedF32(long seed, long step, long coordStart, Object dst, long at, int n, float stddev,
                                 float[] tailIn, int[] tailAt) {
        LongVector lane = LongVector.zero(LONGS).addIndex(1);
        VectorShuffle<Long> low = lane.lanewise(LSHR, 1).toShuffle();
        VectorShuffle<Long> high = lane.lanewise(LSHR, 1).add(lane.length() / 2).toShuffle();
        VectorMask<Long> odd = lane.and(1L).compare(NE, 0L);
        // Masked so that both factors of each product visibly fit in 32 bits: the JIT then emits one unsigned 32x32-bit
        // multiply (vpmuludq on x86) instead of a full 64-bit product.
        LongVector m0 = lane.broadcast(M0).and(LOW32);
        LongVector m1 = lane.broadcast(M1).and(LOW32);
        LongVector b0 = lane.broadcast(step).lanewise(ROR, 32);
        LongVector ka0 = lane.broadcast((long) (int) seed << 32);
        LongVector kb0 = lane.broadcast(seed & ~LOW32);
        LongVector wa = lane.broadcast((long) W0 << 32);
        LongVector wb = lane.broadcast((long) W1 << 32);
        LongVector groups = lane.add(coordStart >>> 2);
        IntVector position = IntVector.zero(F32_SPECIES.withLanes(int.class)).addIndex(1);
        int half = 2 * lane.length();
        int queued = 0;
        for (int j = -((int) coordStart & 3); j < n; j += 2 * half) {
            LongVector a = groups.lanewise(ROR, 32);
            LongVector b = b0;
            LongVector ka = ka0;
            LongVector kb = kb0;
            for (int round = 0; round < Philox4x32.ROUNDS; round++) {
                LongVector next = b.lanewise(LSHR, 32).mul(m1).lanewise(XOR, a.lanewise(LSHL, 32).lanewise(XOR, ka));
                b = a.lanewise(LSHR, 32).mul(m0).lanewise(XOR, b.lanewise(LSHL, 32).lanewise(XOR, kb));
                a = next;
                ka = ka.add(wa);
                kb = kb.add(wb);
            }
            LongVector x = a.lanewise(ROR, 32);
            LongVector y = b.lanewise(ROR, 32);
            IntVector s0 = x.rearrange(low).blend(y.rearrange(low), odd).reinterpretAsInts()
                    .lanewise(LSHR, 7).or(1).sub(1 << 24);
            IntVector s1 = x.rearrange(high).blend(y.rearrange(high), odd).reinterpretAsInts()
                    .lanewise(LSHR, 7).or(1).sub(1 << 24);
            FloatVector signed0 = ((FloatVector) s0.convert(I2F, 0)).mul(0x1p-25f);
            FloatVector signed1 = ((FloatVector) s1.convert(I2F, 0)).mul(0x1p-25f);
            FloatVector u0 = signed0.abs();
            FloatVector u1 = signed1.abs();
            FloatVector r0 = u0.broadcast(PPND7_CONST1).sub(u0.mul(u0));
            FloatVector r1 = u1.broadcast(PPND7_CONST1).sub(u1.mul(u1));
            FloatVector cn0 = r0.broadcast(PPND7_CENTRAL_NUMERATOR[3]);
            FloatVector cn1 = r1.broadcast(PPND7_CENTRAL_NUMERATOR[3]);
            FloatVector cd0 = r0.broadcast(PPND7_CENTRAL_DENOMINATOR[3]);
            FloatVector cd1 = r1.broadcast(PPND7_CENTRAL_DENOMINATOR[3]);
            for (int k = 2; k >= 0; k--) {
                cn0 = cn0.mul(r0).add(PPND7_CENTRAL_NUMERATOR[k]);
                cn1 = cn1.mul(r1).add(PPND7_CENTRAL_NUMERATOR[k]);
                cd0 = cd0.mul(r0).add(PPND7_CENTRAL_DENOMINATOR[k]);
                cd1 = cd1.mul(r1).add(PPND7_CENTRAL_DENOMINATOR[k]);
            }
            FloatVector out0 = u0.mul(cn0).div(cd0).reinterpretAsInts().or(s0.and(0x80000000)).reinterpretAsFloats()
                    .mul(stddev);
            FloatVector out1 = u1.mul(cn1).div(cd1).reinterpretAsInts().or(s1.and(0x80000000)).reinterpretAsFloats()
                    .mul(stddev);
            for (int part = 0; part < 2; part++) {
                FloatVector signed = part == 0 ? signed0 : signed1;
                FloatVector u = part == 0 ? u0 : u1;
                FloatVector out = part == 0 ? out0 : out1;
                int i = j + part * half;
                VectorMask<Float> tail = u.compare(GT, PPND7_SPLIT1);
                signed.compress(tail).intoArray(tailIn, queued);
                position.add(i).compress(tail.cast(position.species())).intoArray(tailAt, queued);
                queued += tail.trueCount();
                if (i >= 0 && i <= n - half) {
                    if (dst instanceof float[] array) {
                        out.intoArray(array, (int) at + i);
                    } else {
                        out.intoMemorySegment((MemorySegment) dst, at + 4L * i, NATIVE);
                    }
                } else {
                    VectorMask<Float> inside = out.species().indexInRange(i, n);
                    if (dst instanceof float[] array) {
                        out.intoArray(array, (int) at + i, inside);
                    } else {
                        out.intoMemorySegment((MemorySegment) dst, at + 4L * i, NATIVE, inside);
                    }
                }
            }
            groups = groups.add(lane.length());
        }
        return queued;
    }

    /**
     * The tail branch for the {@code queued} lanes that {@link #fusedF32} left in {@code tailIn} (as
     * {@code s * 2^-25}) and {@code tailAt}, whole vectors at a time; the results overwrite the central
     * ones at the queued positions inside {@code [0, n)}.
     */
    private static void tailF32(Object dst, long at, int n, float stddev, float[] tailIn, int[] tailAt,
                                int queued) {
        for (int k = 0; k < queued; k += F32_SPECIES.length()) {
            FloatVector signed = FloatVector.fromArray(F32_SPECIES, tailIn, k);
            FloatVector v = signed.abs();
            IntVector pb = v.broadcast(0.5f).sub(v).reinterpretAsInts();
            IntVector mb = pb.and(0x007fffff).or(0x3f800000);
            VectorMask<Integer> above = mb.compare(GT, LOG32_SQRT2_BITS);
            FloatVector e = (FloatVector) pb.lanewise(LSHR, 23).sub(127).add(1, above).convert(I2F, 0);
            FloatVector f = mb.sub(1 << 23, above).reinterpretAsFloats().sub(1f);
            FloatVector q = f.div(f.add(2f));
            FloatVector z = q.mul(q);
            FloatVector h = z.broadcast(LOG32_POLYNOMIAL[3]);
            for (int c = 2; c >= 0; c--) {
                h = h.mul(z).add(LOG32_POLYNOMIAL[c]);
            }
            FloatVector hf = f.mul(0.5f).mul(f);
            FloatVector u = f.sub(hf.sub(q.mul(hf.add(z.mul(h)))));
            FloatVector log = e.mul(LOG32_LN2_HI).add(e.mul(LOG32_LN2_LO).add(u));
            FloatVector t = log.neg().sqrt().sub(PPND7_CONST2);
            FloatVector tn = t.broadcast(PPND7_TAIL_NUMERATOR[3]);
            for (int c = 2; c >= 0; c--) {
                tn = tn.mul(t).add(PPND7_TAIL_NUMERATOR[c]);
            }
            FloatVector td = t.broadcast(PPND7_TAIL_DENOMINATOR[2]);
            for (int c = 1; c >= 0; c--) {
                td = td.mul(t).add(PPND7_TAIL_DENOMINATOR[c]);
            }
            tn.div(td).reinterpretAsInts().or(signed.reinterpretAsInts().and(0x80000000)).reinterpretAsFloats()
                    .mul(stddev).intoArray(tailIn, k);
        }
        for (int k = 0; k < queued; k++) {
            int i = tailAt[k];
            if (i >= 0 && i < n) {
                if (dst instanceof float[] array) {
                    array[(int) at + i] = tailIn[k];
                } else {
                    ((MemorySegment) dst).set(ValueLayout.JAVA_FLOAT_UNALIGNED, at + 4L * i, tailIn[k]);
                }
            }
        }
    }

    /**
     * As {@link #fusedF32} for binary64: Philox on the blocks of two double vectors, the central branch on all their
     * lanes, the tail lanes queued as {@code s * 2^-54} and position for {@link #tailF64}.
     */
    private static int fusedF64(long seed, long step, long coordStart, Object dst, long at, int n, double stddev,
                                 double[] tailIn, long[] tailAt) {
        LongVector lane = LongVector.zero(LONGS).addIndex(1);
        VectorShuffle<Long> low = lane.lanewise(LSHR, 1).toShuffle();
        VectorShuffle<Long> high = lane.lanewise(LSHR, 1).add(lane.length() / 2).toShuffle();
        VectorMask<Long> odd = lane.and(1L).compare(NE, 0L);
        LongVector m0 = lane.broadcast(M0).and(LOW32);
        LongVector m1 = lane.broadcast(M1).and(LOW32);
        LongVector b0 = lane.broadcast(step).lanewise(ROR, 32);
        LongVector ka0 = lane.broadcast((long) (int) seed << 32);
        LongVector kb0 = lane.broadcast(seed & ~LOW32);
        LongVector wa = lane.broadcast((long) W0 << 32);
        LongVector wb = lane.broadcast((long) W1 << 32);
        LongVector groups = lane.add(coordStart >>> 1);
        int half = lane.length();
        int queued = 0;
        for (int j = -((int) coordStart & 1); j < n; j += 2 * half) {
            LongVector a = groups.lanewise(ROR, 32);
            LongVector b = b0;
            LongVector ka = ka0;
            LongVector kb = kb0;
            for (int round = 0; round < Philox4x32.ROUNDS; round++) {
                LongVector next = b.lanewise(LSHR, 32).mul(m1).lanewise(XOR, a.lanewise(LSHL, 32).lanewise(XOR, ka));
                b = a.lanewise(LSHR, 32).mul(m0).lanewise(XOR, b.lanewise(LSHL, 32).lanewise(XOR, kb));
                a = next;
                ka = ka.add(wa);
                kb = kb.add(wb);
            }
            LongVector x = a.lanewise(ROR, 32);
            LongVector y = b.lanewise(ROR, 32);
            LongVector bits0 = x.rearrange(low).blend(y.rearrange(low), odd);
            LongVector bits1 = x.rearrange(high).blend(y.rearrange(high), odd);
            LongVector sign0 = bits0.not().and(Long.MIN_VALUE);
            LongVector sign1 = bits1.not().and(Long.MIN_VALUE);
            LongVector mantissa0 = bits0.lanewise(LSHR, 11).and(MANTISSA52)
                    .lanewise(XOR, sign0.lanewise(ASHR, 63).and(MANTISSA52));
            LongVector mantissa1 = bits1.lanewise(LSHR, 11).and(MANTISSA52)
                    .lanewise(XOR, sign1.lanewise(ASHR, 63).and(MANTISSA52));
            DoubleVector u0 = mantissa0.or(TWO52_BITS).reinterpretAsDoubles().sub(0x1p52 - 0.5).mul(0x1p-53);
            DoubleVector u1 = mantissa1.or(TWO52_BITS).reinterpretAsDoubles().sub(0x1p52 - 0.5).mul(0x1p-53);
            DoubleVector r0 = u0.broadcast(PPND16_CONST1).sub(u0.mul(u0));
            DoubleVector r1 = u1.broadcast(PPND16_CONST1).sub(u1.mul(u1));
            DoubleVector cn0 = r0.broadcast(PPND16_CENTRAL_NUMERATOR[7]);
            DoubleVector cn1 = r1.broadcast(PPND16_CENTRAL_NUMERATOR[7]);
            DoubleVector cd0 = r0.broadcast(PPND16_CENTRAL_DENOMINATOR[7]);
            DoubleVector cd1 = r1.broadcast(PPND16_CENTRAL_DENOMINATOR[7]);
            for (int k = 6; k >= 0; k--) {
                cn0 = cn0.mul(r0).add(PPND16_CENTRAL_NUMERATOR[k]);
                cn1 = cn1.mul(r1).add(PPND16_CENTRAL_NUMERATOR[k]);
                cd0 = cd0.mul(r0).add(PPND16_CENTRAL_DENOMINATOR[k]);
                cd1 = cd1.mul(r1).add(PPND16_CENTRAL_DENOMINATOR[k]);
            }
            DoubleVector out0 = u0.mul(cn0).div(cd0).reinterpretAsLongs().or(sign0).reinterpretAsDoubles().mul(stddev);
            DoubleVector out1 = u1.mul(cn1).div(cd1).reinterpretAsLongs().or(sign1).reinterpretAsDoubles().mul(stddev);
            for (int part = 0; part < 2; part++) {
                DoubleVector u = part == 0 ? u0 : u1;
                LongVector sign = part == 0 ? sign0 : sign1;
                DoubleVector out = part == 0 ? out0 : out1;
                int i = j + part * half;
                VectorMask<Double> tail = u.compare(GT, PPND16_SPLIT1);
                u.reinterpretAsLongs().or(sign).reinterpretAsDoubles().compress(tail).intoArray(tailIn, queued);
                lane.add(i).compress(tail.cast(LONGS)).intoArray(tailAt, queued);
                queued += tail.trueCount();
                if (i >= 0 && i <= n - half) {
                    if (dst instanceof double[] array) {
                        out.intoArray(array, (int) at + i);
                    } else {
                        out.intoMemorySegment((MemorySegment) dst, at + 8L * i, NATIVE);
                    }
                } else {
                    VectorMask<Double> inside = out.species().indexInRange(i, n);
                    if (dst instanceof double[] array) {
                        out.intoArray(array, (int) at + i, inside);
                    } else {
                        out.intoMemorySegment((MemorySegment) dst, at + 8L * i, NATIVE, inside);
                    }
                }
            }
            groups = groups.add(lane.length());
        }
        return queued;
    }

    /**
     * The tail branch for the {@code queued} lanes that {@link #fusedF64} left in {@code tailIn} (as
     * {@code s * 2^-54}) and {@code tailAt}, whole vectors at a time, the far part only for vectors with a
     * far lane; the results overwrite the central ones at the queued positions inside {@code [0, n)}.
     */
    private static void tailF64(Object dst, long at, int n, double stddev, double[] tailIn, long[] tailAt,
                                int queued) {
        for (int k = 0; k < queued; k += F64_SPECIES.length()) {
            DoubleVector signed = DoubleVector.fromArray(F64_SPECIES, tailIn, k);
            DoubleVector v = signed.abs();
            LongVector pb = v.broadcast(0.5).sub(v).reinterpretAsLongs();
            LongVector mb = pb.and(MANTISSA52).or(0x3ff0000000000000L);
            VectorMask<Long> above = mb.compare(GT, LOG64_SQRT2_BITS);
            DoubleVector e = pb.lanewise(LSHR, 52).add(1L, above).or(TWO52_BITS).reinterpretAsDoubles()
                    .sub(0x1p52 + 1023);
            DoubleVector f = mb.sub(1L << 52, above).reinterpretAsDoubles().sub(1.0);
            DoubleVector q = f.div(f.add(2.0));
            DoubleVector z = q.mul(q);
            DoubleVector h = z.broadcast(LOG64_POLYNOMIAL[6]);
            for (int c = 5; c >= 0; c--) {
                h = h.mul(z).add(LOG64_POLYNOMIAL[c]);
            }
            DoubleVector hf = f.mul(0.5).mul(f);
            DoubleVector u = f.sub(hf.sub(q.mul(hf.add(z.mul(h)))));
            DoubleVector t = e.mul(LOG64_LN2_HI).add(e.mul(LOG64_LN2_LO).add(u)).neg().sqrt();
            VectorMask<Double> far = t.compare(GT, PPND16_SPLIT2);
            boolean anyFar = far.anyTrue();
            DoubleVector x = t.sub(PPND16_CONST2).blend(t.sub(PPND16_SPLIT2), far);
            DoubleVector tn = x.broadcast(PPND16_NEAR_NUMERATOR[7]);
            DoubleVector td = x.broadcast(PPND16_NEAR_DENOMINATOR[7]);
            if (anyFar) {
                tn = tn.blend(PPND16_FAR_NUMERATOR[7], far);
                td = td.blend(PPND16_FAR_DENOMINATOR[7], far);
            }
            for (int c = 6; c >= 0; c--) {
                DoubleVector cn = x.broadcast(PPND16_NEAR_NUMERATOR[c]);
                DoubleVector cd = x.broadcast(PPND16_NEAR_DENOMINATOR[c]);
                if (anyFar) {
                    cn = cn.blend(PPND16_FAR_NUMERATOR[c], far);
                    cd = cd.blend(PPND16_FAR_DENOMINATOR[c], far);
                }
                tn = tn.mul(x).add(cn);
                td = td.mul(x).add(cd);
            }
            LongVector sign = signed.reinterpretAsLongs().and(Long.MIN_VALUE);
            tn.div(td).reinterpretAsLongs().or(sign).reinterpretAsDoubles().mul(stddev).intoArray(tailIn, k);
        }
        for (int k = 0; k < queued; k++) {
            long i = tailAt[k];
            if (i >= 0 && i < n) {
                if (dst instanceof double[] array) {
                    array[(int) (at + i)] = tailIn[k];
                } else {
                    ((MemorySegment) dst).set(ValueLayout.JAVA_DOUBLE_UNALIGNED, at + 8L * i, tailIn[k]);
                }
            }
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

    private static LongVector rotate32(LongVector v) {
        return v.lanewise(LSHL, 32).or(v.lanewise(LSHR, 32));
    }

    /**
     * Philox on the {@code ls.length() / 2} blocks from {@code group}, {@code a} and {@code b} of a block in adjacent
     * lanes; the result holds the output in coordinate order.
     */
    private static LongVector philoxInterleaved(VectorSpecies<Long> ls, int k0, int k1, long step, long group) {
        LongVector lane = LongVector.zero(ls).addIndex(1);
        VectorMask<Long> odd = lane.and(1L).compare(NE, 0L);
        LongVector multiplier = lane.broadcast(M0).blend(M1, odd).and(LOW32);
        VectorShuffle<Long> swap = lane.lanewise(XOR, 1L).toShuffle();
        LongVector key = lane.broadcast((long) k0 << 32).blend((long) k1 << 32, odd);
        LongVector bump = lane.broadcast((long) W0 << 32).blend((long) W1 << 32, odd);
        LongVector v = rotate32(lane.lanewise(LSHR, 1).add(group).blend(step, odd));
        for (int round = 0; round < Philox4x32.ROUNDS; round++) {
            LongVector product = v.lanewise(LSHR, 32).mul(multiplier);
            v = product.rearrange(swap).lanewise(XOR, v.lanewise(LSHL, 32)).lanewise(XOR, key);
            key = key.add(bump);
        }
        return rotate32(v);
    }

    private static FloatVector fromWordsF32(IntVector words) {
        IntVector s = words.lanewise(LSHR, 7).or(1).sub(1 << 24);
        FloatVector a = ((FloatVector) s.abs().convert(I2F, 0)).mul(0x1p-25f);
        IntVector sign = s.and(0x80000000);
        return magnitudeF32(a).reinterpretAsInts().or(sign).reinterpretAsFloats();
    }

    /**
     * Both branches in every lane; each lane's selected operations are the contract's, with numerator and denominator
     * selected before the one division.
     */
    private static FloatVector magnitudeF32(FloatVector a) {
        FloatVector r = a.broadcast(PPND7_CONST1).sub(a.mul(a));
        FloatVector x = logF32(a.broadcast(0.5f).sub(a)).neg().sqrt().sub(PPND7_CONST2);
        VectorMask<Float> tail = a.compare(GT, PPND7_SPLIT1);
        FloatVector numerator = a.mul(horner(r, PPND7_CENTRAL_NUMERATOR)).blend(horner(x, PPND7_TAIL_NUMERATOR), tail);
        FloatVector denominator = horner(r, PPND7_CENTRAL_DENOMINATOR).blend(horner(x, PPND7_TAIL_DENOMINATOR), tail);
        return numerator.div(denominator);
    }

    /** {@code c[n]}, then {@code h = h * x + c[k]} for {@code k = n-1 .. 0}, one rounding per operation. */
    private static FloatVector horner(FloatVector x, float[] ascending) {
        FloatVector h = x.broadcast(ascending[ascending.length - 1]);
        for (int k = ascending.length - 2; k >= 0; k--) {
            h = h.mul(x).add(ascending[k]);
        }
        return h;
    }

    /** {@code c[n]}, then {@code h = h * x + c[k]} for {@code k = n-1 .. 0}, one rounding per operation. */
    private static DoubleVector horner(DoubleVector x, double[] ascending) {
        DoubleVector h = x.broadcast(ascending[ascending.length - 1]);
        for (int k = ascending.length - 2; k >= 0; k--) {
            h = h.mul(x).add(ascending[k]);
        }
        return h;
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
        FloatVector r = z.mul(horner(z, LOG32_POLYNOMIAL));
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

    /** Like {@link #magnitudeF32}; the tail lanes are evaluated only when there are any. */
    private static DoubleVector magnitudeF64(DoubleVector a) {
        DoubleVector r = a.broadcast(PPND16_CONST1).sub(a.mul(a));
        DoubleVector numerator = a.mul(horner(r, PPND16_CENTRAL_NUMERATOR));
        DoubleVector denominator = horner(r, PPND16_CENTRAL_DENOMINATOR);
        VectorMask<Double> tail = a.compare(GT, PPND16_SPLIT1);
        if (tail.anyTrue()) {
            DoubleVector t = logF64(a.broadcast(0.5).sub(a)).neg().sqrt();
            DoubleVector x = t.sub(PPND16_CONST2);
            numerator = numerator.blend(horner(x, PPND16_NEAR_NUMERATOR), tail);
            denominator = denominator.blend(horner(x, PPND16_NEAR_DENOMINATOR), tail);
            VectorMask<Double> far = t.compare(GT, PPND16_SPLIT2).and(tail);
            if (far.anyTrue()) {
                DoubleVector y = t.sub(PPND16_SPLIT2);
                numerator = numerator.blend(horner(y, PPND16_FAR_NUMERATOR), far);
                denominator = denominator.blend(horner(y, PPND16_FAR_DENOMINATOR), far);
            }
        }
        return numerator.div(denominator);
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
        DoubleVector r = z.mul(horner(z, LOG64_POLYNOMIAL));
        DoubleVector hf = f.mul(0.5).mul(f);
        DoubleVector u = f.sub(hf.sub(s.mul(hf.add(r))));
        DoubleVector k = biased.or(TWO52_BITS).reinterpretAsDoubles().sub(0x1p52 + 1023);
        return k.mul(LOG64_LN2_HI).add(k.mul(LOG64_LN2_LO).add(u));
    }
}
