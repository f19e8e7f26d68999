package dev.streamfold.compiler.kir.passes;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;

import dev.streamfold.compiler.kir.KBuffer;
import dev.streamfold.compiler.kir.KBuilder;
import dev.streamfold.compiler.kir.KInstr;
import dev.streamfold.compiler.kir.KType;
import dev.streamfold.compiler.kir.KValue;
import dev.streamfold.compiler.kir.Kernel;
import dev.streamfold.compiler.kir.KirVerifier;
import dev.streamfold.compiler.kir.RandomKernels;
import java.util.List;
import java.util.function.BiFunction;
import org.junit.jupiter.api.Test;

class FoldConstantsTest {
    /** A kernel storing {@code make(builder, lane input)} to its one output; the folded kernel is checked against it. */
    private static Kernel fold(KType type, BiFunction<KBuilder, KValue, KValue> make) {
        KBuilder b = new KBuilder("fold");
        int in = b.buffer("in", KBuffer.Role.IN, type, 1);
        int out = b.buffer("out", KBuffer.Role.OUT, type, 1);
        b.store(out, 0, make.apply(b, b.load(in, 0)));
        Kernel k = b.build();
        Kernel f = KirVerifier.verify(new FoldConstants().run(k));
        RandomKernels.assertSameResults(k, f, 11, 4);
        return f;
    }

    /** The value the kernel's last store writes. */
    private static KValue stored(Kernel k) {
        return PassTesting.all(k, KInstr.Store.class).getLast().value();
    }

    private static double storedConstant(Kernel k) {
        KValue v = stored(k);
        for (KInstr i : k.body()) {
            if (i instanceof KInstr.ConstI c && c.dst().equals(v)) {
                return c.value();
            }
            if (i instanceof KInstr.ConstF c && c.dst().equals(v)) {
                return c.value();
            }
        }
        throw new AssertionError(v + " is not a constant in\n" + k);
    }

    @Test
    void foldsIntegerArithmeticWithWrapping() {
        Kernel f = fold(KType.I32, (b, x) -> b.add(b.mul(b.index(7), b.index(6)), b.index(Integer.MAX_VALUE)));
        assertEquals(0, PassTesting.count(f, KInstr.Binary.class));
        assertEquals((double) (42 + Integer.MAX_VALUE), storedConstant(f));
    }

    @Test
    void foldsIntegerDivisionByZeroToZeroAsTheEvaluatorDefinesIt() {
        Kernel f = fold(KType.I32, (b, x) -> b.add(b.div(b.index(9), b.index(0)), b.binary(KInstr.BinaryKind.REM, b.index(-7), b.index(3))));
        assertEquals(-1.0, storedConstant(f));
    }

    @Test
    void foldsComparisonsAndSelectsOnConstantConditions() {
        Kernel f = fold(KType.F32, (b, x) -> b.select(b.compare(KInstr.CompareKind.LT, b.index(2), b.index(3)), x, b.constF(KType.F32, 9)));
        assertEquals(0, PassTesting.count(f, KInstr.Select.class));
        assertEquals(PassTesting.all(f, KInstr.Load.class).getFirst().dst(), stored(f));
    }

    @Test
    void aSelectOfOneValueTwiceIsThatValue() {
        Kernel f = fold(KType.F64, (b, x) -> b.select(b.compare(KInstr.CompareKind.GT, x, x), x, x));
        assertEquals(0, PassTesting.count(f, KInstr.Select.class));
    }

    @Test
    void floatingArithmeticIsFoldedRoundedToFloat32() {
        Kernel f = fold(KType.F32, (b, x) -> b.add(b.constF(KType.F32, 0.1), b.constF(KType.F32, 0.2)));
        assertEquals((double) (0.1f + 0.2f), storedConstant(f));
        Kernel g = fold(KType.F32, (b, x) -> b.fma(b.constF(KType.F32, 1 + 0x1p-12), b.constF(KType.F32, 1 + 0x1p-12),
                b.constF(KType.F32, -(1 + 0x1p-11))));
        assertEquals(0x1p-24, storedConstant(g), "fma rounds once");
    }

    @Test
    void expLogAndPowOfConstantsAreLeftToTheBackend() {
        Kernel f = fold(KType.F64, (b, x) -> b.binary(KInstr.BinaryKind.POW, b.unary(KInstr.UnaryKind.EXP, b.constF(KType.F64, 1)),
                b.unary(KInstr.UnaryKind.LOG, b.constF(KType.F64, 2))));
        assertEquals(2, PassTesting.count(f, KInstr.Unary.class));
        assertEquals(1, PassTesting.count(f, KInstr.Binary.class));
    }

    @Test
    void floatingPlusZeroIsKeptButExactIdentitiesFold() {
        Kernel plusZero = fold(KType.F64, (b, x) -> b.add(x, b.constF(KType.F64, 0.0)));
        assertEquals(1, PassTesting.count(plusZero, KInstr.Binary.class), "-0.0 + 0.0 is 0.0, so x + 0.0 is not x");
        Kernel minusZero = fold(KType.F64, (b, x) -> b.add(b.constF(KType.F64, -0.0), x));
        assertEquals(0, PassTesting.count(minusZero, KInstr.Binary.class));
        Kernel times = fold(KType.F32, (b, x) -> b.div(b.mul(b.constF(KType.F32, 1), b.sub(x, b.constF(KType.F32, 0))),
                b.constF(KType.F32, 1)));
        assertEquals(0, PassTesting.count(times, KInstr.Binary.class));
        Kernel selfMinus = fold(KType.F64, (b, x) -> b.sub(x, x));
        assertEquals(1, PassTesting.count(selfMinus, KInstr.Binary.class), "x - x is NaN for an infinite x");
    }

    @Test
    void integerIdentitiesFoldAndLaneResultsBecomeUniformConstants() {
        Kernel f = fold(KType.I32, (b, x) -> b.add(b.mul(x, b.index(0)), b.binary(KInstr.BinaryKind.XOR, x, x)));
        assertEquals(0, PassTesting.count(f, KInstr.Binary.class));
        assertFalse(stored(f).lane());
        assertEquals(0.0, storedConstant(f));
        Kernel g = fold(KType.I32, (b, x) -> b.or(b.and(b.add(b.index(0), b.sub(b.mul(x, b.index(1)), b.index(0))), b.index(-1)),
                b.index(0)));
        assertEquals(0, PassTesting.count(g, KInstr.Binary.class));
        assertEquals(PassTesting.all(g, KInstr.Load.class).getFirst().dst(), stored(g));
    }

    @Test
    void conversionsFoldAsTheEvaluatorConverts() {
        assertEquals(-2.0, storedConstant(fold(KType.I32, (b, x) -> b.convert(KType.I32, b.constF(KType.F32, -2.75)))));
        assertEquals(0.0, storedConstant(fold(KType.I32, (b, x) -> b.convert(KType.I32, b.constF(KType.F64, Double.NaN)))));
        assertEquals(Integer.MAX_VALUE, storedConstant(fold(KType.I32, (b, x) -> b.convert(KType.I32, b.constF(KType.F64, 1e10)))));
        long big = (1L << 62) + (1L << 38) + 1;
        assertEquals((double) (float) big, storedConstant(fold(KType.F32, (b, x) -> b.convert(KType.F32, b.constI(KType.I64, big)))));
        assertEquals(1.0, storedConstant(fold(KType.I32, (b, x) -> b.convert(KType.I32, b.convert(KType.BOOL, b.index(-5))))));
    }

    @Test
    void aLoopOfNoTripsIsReplacedByItsInitialValues() {
        KBuilder b = new KBuilder("none");
        int out = b.buffer("out", KBuffer.Role.OUT, KType.I32, 1);
        KValue seven = b.index(7);
        List<KValue> r = b.loop(5, 2, List.of(seven), (i, c) -> List.of(b.add(c.getFirst(), i)));
        b.store(out, 0, r.getFirst());
        Kernel k = b.build();
        Kernel f = KirVerifier.verify(new FoldConstants().run(k));
        assertEquals(0, PassTesting.count(f, KInstr.Loop.class));
        assertSame(seven, stored(f));
        RandomKernels.assertSameResults(k, f, 5, 1);
    }
}
