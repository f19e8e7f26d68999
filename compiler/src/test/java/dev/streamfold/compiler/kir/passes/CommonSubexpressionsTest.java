package dev.streamfold.compiler.kir.passes;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.streamfold.compiler.kir.KBuffer;
import dev.streamfold.compiler.kir.KBuilder;
import dev.streamfold.compiler.kir.KInstr;
import dev.streamfold.compiler.kir.KType;
import dev.streamfold.compiler.kir.KValue;
import dev.streamfold.compiler.kir.Kernel;
import dev.streamfold.compiler.kir.KirVerifier;
import dev.streamfold.compiler.kir.RandomKernels;
import java.util.List;
import org.junit.jupiter.api.Test;

class CommonSubexpressionsTest {
    private static Kernel cse(Kernel k) {
        Kernel c = KirVerifier.verify(new CommonSubexpressions().run(k));
        RandomKernels.assertSameResults(k, c, 21, 3);
        return c;
    }

    @Test
    void mergesEqualComputationsCommutedOperandsIncluded() {
        KBuilder b = new KBuilder("cse");
        int in = b.buffer("in", KBuffer.Role.IN, KType.F32, 2);
        int out = b.buffer("out", KBuffer.Role.OUT, KType.F32, 3);
        KValue x = b.load(in, 0);
        KValue y = b.load(in, 1);
        b.store(out, 0, b.mul(b.add(x, y), b.add(y, x)));
        b.store(out, 1, b.fma(x, y, b.sub(x, y)));
        b.store(out, 2, b.fma(y, x, b.sub(y, x)));
        Kernel c = cse(b.build());
        assertEquals(2, PassTesting.count(c, KInstr.Load.class), "in[0] and in[1]: the second index constants merge");
        assertEquals(4, PassTesting.count(c, KInstr.Binary.class), "one add, one mul and both subtractions");
        assertEquals(2, PassTesting.count(c, KInstr.Fma.class), "fma(x, y, x - y) and fma(y, x, y - x) differ in c");
        assertEquals(3, PassTesting.count(c, KInstr.ConstI.class));
    }

    @Test
    void mergesLoadsOnlyWithoutAStoreToTheirBufferBetween() {
        KBuilder b = new KBuilder("loads");
        int in = b.buffer("in", KBuffer.Role.IN, KType.F64, 1);
        int s = b.buffer("s", KBuffer.Role.SCRATCH, KType.F64, 1);
        int t = b.buffer("t", KBuffer.Role.SCRATCH, KType.F64, 1);
        int out = b.buffer("out", KBuffer.Role.OUT, KType.F64, 1);
        KValue zero = b.index(0);
        b.store(s, zero, b.load(in, zero));
        KValue a = b.load(s, zero);
        b.store(t, zero, a);
        KValue a2 = b.load(s, zero);
        b.store(s, zero, b.add(a, a2));
        KValue a3 = b.load(s, zero);
        b.store(out, zero, b.add(a3, b.load(in, zero)));
        Kernel c = cse(b.build());
        assertEquals(3, PassTesting.count(c, KInstr.Load.class), "in once, s before and after the store to it");
    }

    @Test
    void aLoopStoringToABufferSeparatesLoadsAroundItAndAloneIsUntouched() {
        KBuilder b = new KBuilder("loop");
        int in = b.buffer("in", KBuffer.Role.IN, KType.I32, 4);
        int s = b.buffer("s", KBuffer.Role.SCRATCH, KType.I32, 4);
        int out = b.buffer("out", KBuffer.Role.OUT, KType.I32, 4);
        KValue zero = b.index(0);
        KValue before = b.load(s, zero);
        KValue inBefore = b.load(in, zero);
        b.forRange(0, 4, i -> {
            KValue inside = b.load(s, zero);
            b.store(s, i, b.add(inside, b.load(in, zero)));
        });
        KValue after = b.load(s, zero);
        b.store(out, zero, b.add(b.add(before, after), b.load(in, zero)));
        b.store(out, 1, inBefore);
        Kernel c = cse(b.build());
        assertEquals(4, PassTesting.count(c, KInstr.Load.class), "s before, inside and after the loop; in once");
    }

    @Test
    void aLoopBodyReusesValuesFromBeforeTheLoopButForgetsItsOwn() {
        KBuilder b = new KBuilder("scope");
        int in = b.buffer("in", KBuffer.Role.IN, KType.F32, 4);
        int out = b.buffer("out", KBuffer.Role.OUT, KType.F32, 4);
        KValue x = b.load(in, 0);
        KValue twice = b.add(x, x);
        List<KValue> r = b.loop(0, 4, List.of(twice), (i, c) -> {
            KValue again = b.add(x, x);
            KValue inner = b.mul(again, c.getFirst());
            b.store(out, i, inner);
            return List.of(inner);
        });
        b.store(out, 0, b.add(r.getFirst(), b.mul(twice, twice)));
        Kernel c = cse(b.build());
        KInstr.Loop loop = PassTesting.all(c, KInstr.Loop.class).getFirst();
        assertEquals(1, loop.body().stream().filter(i -> i instanceof KInstr.Binary).count(), "the add inside is the one before");
        assertEquals(4, PassTesting.count(c, KInstr.Binary.class), "x + x, the product in the body, twice * twice and the sum");
    }
}
