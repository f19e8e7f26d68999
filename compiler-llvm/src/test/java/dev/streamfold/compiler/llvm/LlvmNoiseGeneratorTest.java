package dev.streamfold.compiler.llvm;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_DOUBLE;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.streamfold.ir.DType;
import dev.streamfold.runtime.noise.GaussianNoise;
import dev.streamfold.runtime.noise.NormalQuantile;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.SplittableRandom;
import java.util.TreeSet;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@link LlvmNoise}'s functions JIT-compiled for this CPU against the Java reference, bit for bit: the binary32
 * quantile on every one of its 2^24 inputs, the binary64 quantile on random and extreme inputs, and the whole
 * generator on (seed, step, coordinate) triples with high bits set.
 */
class LlvmNoiseGeneratorTest {
    /** Wrappers that run the generator's internal functions over arrays. */
    private static final String WRAPPERS = """
            define void @test_normal_f32(i64 %n, ptr %out) {
            entry:
              br label %loop
            loop:
              %i = phi i64 [ 0, %entry ], [ %i.next, %loop ]
              %i.word = trunc i64 %i to i32
              %word = shl i32 %i.word, 8
              %z = call float @sf_normal_f32(i32 %word)
              %at = getelementptr inbounds float, ptr %out, i64 %i
              store float %z, ptr %at, align 4
              %i.next = add nuw nsw i64 %i, 1
              %more = icmp slt i64 %i.next, %n
              br i1 %more, label %loop, label %done
            done:
              ret void
            }

            define void @test_normal_f64(i64 %n, ptr %bits, ptr %out) {
            entry:
              br label %loop
            loop:
              %i = phi i64 [ 0, %entry ], [ %i.next, %loop ]
              %in = getelementptr inbounds i64, ptr %bits, i64 %i
              %b = load i64, ptr %in, align 8
              %z = call double @sf_normal_f64(i64 %b)
              %at = getelementptr inbounds double, ptr %out, i64 %i
              store double %z, ptr %at, align 8
              %i.next = add nuw nsw i64 %i, 1
              %more = icmp slt i64 %i.next, %n
              br i1 %more, label %loop, label %done
            done:
              ret void
            }

            define void @test_gaussian(i64 %n, ptr %seeds, ptr %steps, ptr %coords, ptr %f32, ptr %f64) {
            entry:
              br label %loop
            loop:
              %i = phi i64 [ 0, %entry ], [ %i.next, %loop ]
              %seed.at = getelementptr inbounds i64, ptr %seeds, i64 %i
              %step.at = getelementptr inbounds i64, ptr %steps, i64 %i
              %coord.at = getelementptr inbounds i64, ptr %coords, i64 %i
              %seed = load i64, ptr %seed.at, align 8
              %step = load i64, ptr %step.at, align 8
              %coord = load i64, ptr %coord.at, align 8
              %z32 = call float @sf_gaussian_f32(i64 %seed, i64 %step, i64 %coord)
              %z64 = call double @sf_gaussian_f64(i64 %seed, i64 %step, i64 %coord)
              %f32.at = getelementptr inbounds float, ptr %f32, i64 %i
              %f64.at = getelementptr inbounds double, ptr %f64, i64 %i
              store float %z32, ptr %f32.at, align 4
              store double %z64, ptr %f64.at, align 8
              %i.next = add nuw nsw i64 %i, 1
              %more = icmp slt i64 %i.next, %n
              br i1 %more, label %loop, label %done
            done:
              ret void
            }
            """;

    private static HostModule module;
    private static MethodHandle normalF32;
    private static MethodHandle normalF64;
    private static MethodHandle gaussian;

    /** A module with both generators and the wrappers. */
    static String testModule() {
        LinkedHashSet<String> functions = new LinkedHashSet<>();
        TreeSet<String> declarations = new TreeSet<>();
        for (DType d : new DType[] {DType.F32, DType.F64}) {
            LlvmNoise.Definitions defs = LlvmNoise.of(d);
            functions.addAll(defs.functions());
            declarations.addAll(defs.declarations());
        }
        return "; ModuleID = 'noise_generator_test.ll'\n\n" + String.join("\n", functions) + "\n" + WRAPPERS + "\n"
                + String.join("\n", declarations) + "\n";
    }

    @BeforeAll
    @SuppressWarnings("restricted")
    static void compile() {
        module = new LlvmToolchain().jitHost(testModule());
        Linker linker = Linker.nativeLinker();
        normalF32 = linker.downcallHandle(module.lookup("test_normal_f32"),
                FunctionDescriptor.ofVoid(JAVA_LONG, ADDRESS));
        normalF64 = linker.downcallHandle(module.lookup("test_normal_f64"),
                FunctionDescriptor.ofVoid(JAVA_LONG, ADDRESS, ADDRESS));
        gaussian = linker.downcallHandle(module.lookup("test_gaussian"),
                FunctionDescriptor.ofVoid(JAVA_LONG, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS));
    }

    @AfterAll
    static void close() {
        module.close();
    }

    @Test
    void binary32QuantileEqualsTheReferenceOnEveryInput() throws Throwable {
        int n = 1 << 24;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment out = arena.allocate((long) n * 4, 64);
            normalF32.invokeExact((long) n, out);
            int tails = 0;
            for (int i = 0; i < n; i++) {
                float want = NormalQuantile.fromWordF32(i << 8);
                float got = out.getAtIndex(JAVA_FLOAT, i);
                if (Float.floatToRawIntBits(want) != Float.floatToRawIntBits(got)) {
                    fail("word " + Integer.toHexString(i << 8) + ": " + want + " vs " + got);
                }
                if (Math.abs(got) > 1.44f) {
                    tails++;
                }
            }
            assertTrue(tails > n / 10, "tail inputs covered: " + tails);
        }
    }

    @Test
    void binary64QuantileEqualsTheReference() throws Throwable {
        List<Long> inputs = new ArrayList<>();
        for (long b : new long[] {0, -1, 1, -2, Long.MIN_VALUE, Long.MAX_VALUE, 1L << 11, -(1L << 11), 0x7ff,
            ~0x7ffL}) {
            inputs.add(b);
        }
        for (int k = 0; k < 64; k++) {
            inputs.add(1L << k);
            inputs.add(~(1L << k));
            inputs.add((1L << k) - 1);
        }
        SplittableRandom r = new SplittableRandom(2024);
        while (inputs.size() < 1 << 20) {
            long b = r.nextLong();
            inputs.add(b);
            inputs.add(b >>> r.nextInt(64));
        }
        int n = inputs.size();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment bits = arena.allocate((long) n * 8, 64);
            MemorySegment out = arena.allocate((long) n * 8, 64);
            for (int i = 0; i < n; i++) {
                bits.setAtIndex(JAVA_LONG, i, inputs.get(i));
            }
            normalF64.invokeExact((long) n, bits, out);
            int far = 0;
            for (int i = 0; i < n; i++) {
                double want = NormalQuantile.fromBitsF64(inputs.get(i));
                double got = out.getAtIndex(JAVA_DOUBLE, i);
                assertEquals(Double.doubleToRawLongBits(want), Double.doubleToRawLongBits(got),
                        "bits " + Long.toHexString(inputs.get(i)) + ": " + want + " vs " + got);
                if (Math.abs(got) > 7.0) {
                    far++;
                }
            }
            assertTrue(far > 0, "inputs past sqrt(-log p) = 5 covered");
        }
    }

    @Test
    void generatorEqualsTheReferenceForSeedsStepsAndCoordinatesOfAnySize() throws Throwable {
        List<long[]> triples = new ArrayList<>();
        long[] seeds = {0, 1, 42, -1, Long.MIN_VALUE, 0xDEADBEEF_CAFEF00DL, 0x1_0000_0000L};
        long[] steps = {0, 1, 7, 1L << 32, (1L << 32) - 1, Long.MAX_VALUE, Long.MAX_VALUE - 1};
        long[] coords = {0, 1, 2, 3, 4, 5, (1L << 34) - 3, (1L << 34) - 1, 1L << 34, (1L << 34) + 1,
            (1L << 33) - 1, 1L << 33, (1L << 33) + 1, -1, -2, -5, Long.MAX_VALUE, Long.MIN_VALUE};
        for (long seed : seeds) {
            for (long step : steps) {
                for (long coord : coords) {
                    triples.add(new long[] {seed, step, coord});
                }
            }
        }
        SplittableRandom r = new SplittableRandom(7);
        while (triples.size() < 200_000) {
            triples.add(new long[] {r.nextLong(), r.nextLong() >>> r.nextInt(1, 64), r.nextLong() >>> r.nextInt(64)});
        }
        int n = triples.size();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment seed = arena.allocate((long) n * 8, 64);
            MemorySegment step = arena.allocate((long) n * 8, 64);
            MemorySegment coord = arena.allocate((long) n * 8, 64);
            MemorySegment f32 = arena.allocate((long) n * 4, 64);
            MemorySegment f64 = arena.allocate((long) n * 8, 64);
            for (int i = 0; i < n; i++) {
                seed.setAtIndex(JAVA_LONG, i, triples.get(i)[0]);
                step.setAtIndex(JAVA_LONG, i, triples.get(i)[1]);
                coord.setAtIndex(JAVA_LONG, i, triples.get(i)[2]);
            }
            gaussian.invokeExact((long) n, seed, step, coord, f32, f64);
            for (int i = 0; i < n; i++) {
                long[] t = triples.get(i);
                String where = "seed " + Long.toUnsignedString(t[0]) + " step " + t[1] + " coord "
                        + Long.toUnsignedString(t[2]);
                assertEquals(Float.floatToRawIntBits(GaussianNoise.gaussianF32(t[0], t[1], t[2])),
                        Float.floatToRawIntBits(f32.getAtIndex(JAVA_FLOAT, i)), "f32 " + where);
                assertEquals(Double.doubleToRawLongBits(GaussianNoise.gaussianF64(t[0], t[1], t[2])),
                        Double.doubleToRawLongBits(f64.getAtIndex(JAVA_DOUBLE, i)), "f64 " + where);
            }
        }
    }
}
