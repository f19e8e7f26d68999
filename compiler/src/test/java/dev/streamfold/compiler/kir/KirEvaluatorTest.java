package dev.streamfold.compiler.kir;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

class KirEvaluatorTest {
    /** Runs a one-item kernel that stores {@code make(builder)} to out[0] of {@code type}; returns out[0]. */
    private static double one(KType type, Function<KBuilder, KValue> make) {
        KBuilder b = new KBuilder("one");
        int out = b.buffer("out", KBuffer.Role.OUT, type, 1);
        b.store(out, 0, make.apply(b));
        double[][] buffers = {new double[1]};
        KirEvaluator.run(b.build(), buffers, new double[0], 1);
        return buffers[0][0];
    }

    private static KValue f32(KBuilder b, double x) {
        return b.constF(KType.F32, x);
    }

    @Test
    void float32IsRoundedAfterEveryOperation() {
        assertEquals(1.0, one(KType.F32, b -> b.add(b.add(f32(b, 1), f32(b, 0x1p-24)), f32(b, 0x1p-24))),
                "each add rounds 1 + 2^-24 back to 1");
        assertEquals(1 + 0x1p-23, one(KType.F64, b -> b.add(b.add(b.constF(KType.F64, 1), b.constF(KType.F64, 0x1p-24)),
                b.constF(KType.F64, 0x1p-24))));
        assertEquals((double) (float) 0.1, one(KType.F32, b -> f32(b, 0.1)), "a constant is rounded too");
        assertEquals((double) (float) Math.sqrt(2), one(KType.F32, b -> b.sqrt(f32(b, 2))));
        assertEquals((double) (1f / 3f), one(KType.F32, b -> b.div(f32(b, 1), f32(b, 3))));
    }

    @Test
    void fmaIsRoundedOnce() {
        double x = 1 + 0x1p-12;
        assertEquals(0x1p-24, one(KType.F32, b -> b.fma(f32(b, x), f32(b, x), f32(b, -(1 + 0x1p-11)))));
        assertEquals(0.0, one(KType.F32, b -> b.add(b.mul(f32(b, x), f32(b, x)), f32(b, -(1 + 0x1p-11)))),
                "a rounded product loses the 2^-24");
    }

    @Test
    void int32WrapsAndInt64DoesNotAtThirtyTwoBits() {
        assertEquals(Integer.MIN_VALUE, one(KType.I32, b -> b.add(b.index(Integer.MAX_VALUE), b.index(1))));
        assertEquals((double) (65536 * 65536 + 7), one(KType.I32, b -> b.add(b.mul(b.index(65536), b.index(65536)), b.index(7))));
        assertEquals(Integer.MIN_VALUE, one(KType.I32, b -> b.neg(b.index(Integer.MIN_VALUE))));
        assertEquals(1L << 32, one(KType.I64, b -> b.mul(b.constI(KType.I64, 65536), b.constI(KType.I64, 65536))));
        assertEquals(0.0, one(KType.I32, b -> b.div(b.index(5), b.index(0))), "division by zero is zero");
    }

    @Test
    void conversionsTruncateSaturateAndRoundToNearest() {
        assertEquals(-2.0, one(KType.I32, b -> b.convert(KType.I32, f32(b, -2.75))));
        assertEquals(0.0, one(KType.I32, b -> b.convert(KType.I32, b.constF(KType.F64, Double.NaN))));
        assertEquals(Integer.MAX_VALUE, one(KType.I32, b -> b.convert(KType.I32, b.constF(KType.F64, 1e12))));
        assertEquals(1.0, one(KType.I32, b -> b.convert(KType.I32, b.convert(KType.BOOL, b.constF(KType.F64, -0.5)))));
        assertEquals(0.0, one(KType.I32, b -> b.convert(KType.I32, b.convert(KType.BOOL, b.constF(KType.F64, -0.0)))));
        assertEquals(1.0, one(KType.F32, b -> b.convert(KType.F32, b.bool(true))));
        assertEquals((double) (float) 0.1, one(KType.F32, b -> b.convert(KType.F32, b.constF(KType.F64, 0.1))));
        assertEquals(-1.0, one(KType.I32, b -> b.convert(KType.I32, b.constI(KType.I64, (1L << 32) - 1))), "i64 to i32 wraps");
        long big = (1L << 62) + (1L << 38) + 1;
        assertEquals((double) (float) big, one(KType.F32, b -> b.convert(KType.F32, b.constI(KType.I64, big))),
                "i64 to f32 rounds once, not through a double");
    }

    @Test
    void comparisonsWithNaNAreFalseExceptNotEqual() {
        for (KInstr.CompareKind kind : KInstr.CompareKind.values()) {
            double r = one(KType.I32, b -> b.convert(KType.I32, b.compare(kind, b.constF(KType.F64, Double.NaN), b.constF(KType.F64, 1))));
            assertEquals(kind == KInstr.CompareKind.NE ? 1.0 : 0.0, r, kind.name());
        }
        assertEquals(0.0, one(KType.I32, b -> {
            KValue nan = f32(b, Double.NaN);
            return b.convert(KType.I32, b.compare(KInstr.CompareKind.EQ, nan, nan));
        }));
    }

    @Test
    void selectChoosesPerItemAndKeepsInt64Exact() {
        KBuilder b = new KBuilder("select");
        int in = b.buffer("in", KBuffer.Role.IN, KType.F64, 1);
        int out = b.buffer("out", KBuffer.Role.OUT, KType.F64, 1);
        KValue x = b.load(in, 0);
        b.store(out, 0, b.select(b.compare(KInstr.CompareKind.GT, x, b.constF(KType.F64, 0)), x, b.neg(x)));
        double[][] buffers = {{3, -4, -0.0}, new double[3]};
        KirEvaluator.run(b.build(), buffers, new double[0], 3);
        assertArrayEquals(new double[] {3, 4, 0.0}, buffers[1]);

        long odd = (1L << 53) + 1;
        assertEquals(1.0, one(KType.I32, c -> {
            KValue v = c.constI(KType.I64, odd);
            return c.convert(KType.I32, c.compare(KInstr.CompareKind.EQ, c.select(c.bool(true), v, c.constI(KType.I64, 0)), v));
        }));
    }

    @Test
    void loopsCarryValuesAndALoopOfNoTripsGivesItsInitialValues() {
        assertEquals(10.0, one(KType.I32, b -> b.loop(0, 5, List.of(b.index(0)), (i, c) -> List.of(b.add(c.getFirst(), i))).getFirst()));
        assertEquals(7.0, one(KType.I32, b -> b.loop(4, 2, List.of(b.index(7)), (i, c) -> List.of(b.add(c.getFirst(), i))).getFirst()));
        assertEquals(3.0 * 4, one(KType.I32, b -> b.loop(0, 3, List.of(b.index(0)), (i, c) -> b.loop(0, 4, List.of(c.getFirst()),
                (j, d) -> List.of(b.add(d.getFirst(), b.index(1)))))
                .getFirst()));
        assertEquals(2.0, one(KType.I32, b -> {
            List<KValue> swapped = b.loop(0, 3, List.of(b.index(1), b.index(2)), (i, c) -> List.of(c.get(1), c.get(0)));
            return swapped.getFirst();
        }), "carried values are updated together");
        long odd = (1L << 53) + 1;
        assertEquals(1.0, one(KType.I32, b -> {
            KValue v = b.constI(KType.I64, odd);
            KValue r = b.loop(0, 2, List.of(v), (i, c) -> c).getFirst();
            return b.convert(KType.I32, b.compare(KInstr.CompareKind.EQ, r, v));
        }), "an i64 carried value stays exact");
    }

    @Test
    void scratchIsPrivateToEachItemAndStartsAtZero() {
        KBuilder b = new KBuilder("scratch");
        int in = b.buffer("in", KBuffer.Role.IN, KType.F32, 1);
        int s = b.buffer("s", KBuffer.Role.SCRATCH, KType.F32, 1);
        int out = b.buffer("out", KBuffer.Role.OUT, KType.F32, 2);
        b.store(out, 0, b.load(s, 0));
        b.store(s, 0, b.load(in, 0));
        b.store(out, 1, b.load(s, 0));
        double[][] buffers = {{5, 6, 7}, null, new double[6]};
        KirEvaluator.run(b.build(), buffers, new double[0], 3);
        assertArrayEquals(new double[] {0, 0, 0, 5, 6, 7}, buffers[2]);
    }

    @Test
    void paramsAreSharedAndLengthIsTheGivenLength() {
        KBuilder b = new KBuilder("param");
        int p = b.buffer("p", KBuffer.Role.PARAM, KType.F64, -1);
        int out = b.buffer("out", KBuffer.Role.OUT, KType.F64, 2);
        KValue length = b.length(p);
        b.store(out, 0, b.convert(KType.F64, length));
        b.store(out, 1, b.load(p, b.sub(length, b.constI(KType.I64, 1))));
        double[][] buffers = {{1, 2, 3, 4, 9.5}, new double[4]};
        KirEvaluator.run(b.build(), buffers, new double[0], 2);
        assertArrayEquals(new double[] {5, 5, 9.5, 9.5}, buffers[1]);
    }

    @Test
    void batchedBuffersAreStructureOfArrays() {
        KBuilder b = new KBuilder("soa");
        int in = b.buffer("in", KBuffer.Role.IN, KType.I32, 3);
        int out = b.buffer("out", KBuffer.Role.OUT, KType.I32, 3);
        KValue arg = b.arg(b.declareArg(KType.I32));
        b.forRange(0, 3, e -> b.store(out, b.sub(b.index(2), e), b.add(b.load(in, e), arg)));
        double[] items = {0, 1, 2, 3, 10, 11, 12, 13, 20, 21, 22, 23};
        double[][] buffers = {items, new double[12]};
        KirEvaluator.run(b.build(), buffers, new double[] {100}, 4);
        assertArrayEquals(new double[] {120, 121, 122, 123, 110, 111, 112, 113, 100, 101, 102, 103}, buffers[1]);
    }

    @Test
    void anIndexOutsideItsBufferIsAnError() {
        KBuilder b = new KBuilder("range");
        int in = b.buffer("in", KBuffer.Role.IN, KType.F32, 2);
        int out = b.buffer("out", KBuffer.Role.OUT, KType.F32, 2);
        b.forRange(0, 3, i -> b.store(out, 0, b.load(in, i)));
        Kernel k = b.build();
        assertThrows(IndexOutOfBoundsException.class, () -> KirEvaluator.run(k, new double[][] {new double[2], new double[2]},
                new double[0], 1));

        KBuilder c = new KBuilder("negative");
        int p = c.buffer("p", KBuffer.Role.PARAM, KType.F32, -1);
        int o = c.buffer("o", KBuffer.Role.OUT, KType.F32, 1);
        c.store(o, 0, c.load(p, c.index(-1)));
        assertThrows(IndexOutOfBoundsException.class, () -> KirEvaluator.run(c.build(), new double[][] {new double[3], new double[1]},
                new double[0], 1));
    }

    @Test
    void buffersTooShortForTheBatchAreRefused() {
        KBuilder b = new KBuilder("short");
        int out = b.buffer("out", KBuffer.Role.OUT, KType.F32, 2);
        b.store(out, 1, b.constF(KType.F32, 1));
        assertThrows(IllegalArgumentException.class, () -> KirEvaluator.run(b.build(), new double[][] {new double[5]}, new double[0], 3));
    }
}
