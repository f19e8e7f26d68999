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
import org.junit.jupiter.api.Test;

class ForwardStoresTest {
    private static Kernel forward(Kernel k) {
        Kernel f = KirVerifier.verify(new ForwardStores().run(k));
        RandomKernels.assertSameResults(k, f, 31, 3);
        return f;
    }

    @Test
    void aLoadAfterAStoreAtTheSameConstantIndexIsTheStoredValue() {
        KBuilder b = new KBuilder("forward");
        int in = b.buffer("in", KBuffer.Role.IN, KType.F32, 2);
        int s = b.buffer("s", KBuffer.Role.SCRATCH, KType.F32, 2);
        int out = b.buffer("out", KBuffer.Role.OUT, KType.F32, 1);
        b.store(s, 0, b.load(in, 0));
        b.store(s, 1, b.constF(KType.F32, 3));
        b.store(out, 0, b.mul(b.load(s, 0), b.load(s, 1)));
        Kernel f = forward(b.build());
        assertEquals(0, PassTesting.loads(f, KBuffer.Role.SCRATCH));
        assertEquals(0, PassTesting.stores(f, KBuffer.Role.SCRATCH), "nothing loads the scratch buffer any more");
        KInstr.Binary mul = PassTesting.all(f, KInstr.Binary.class).getFirst();
        assertEquals(false, mul.b().lane(), "the forwarded constant is uniform");
    }

    @Test
    void aLoadRepeatedWithoutAStoreBetweenIsTheFirstLoad() {
        KBuilder b = new KBuilder("again");
        int p = b.buffer("p", KBuffer.Role.PARAM, KType.F64, 2);
        int out = b.buffer("out", KBuffer.Role.OUT, KType.F64, 1);
        b.store(out, 0, b.add(b.load(p, 1), b.load(p, 1)));
        assertEquals(1, PassTesting.count(forward(b.build()), KInstr.Load.class));
    }

    @Test
    void aStoreAtAnUnknownIndexOrALoopStoringForgetsTheBuffer() {
        KBuilder b = new KBuilder("alias");
        int in = b.buffer("in", KBuffer.Role.IN, KType.I32, 4);
        int s = b.buffer("s", KBuffer.Role.SCRATCH, KType.I32, 4);
        int out = b.buffer("out", KBuffer.Role.OUT, KType.I32, 4);
        KValue arg = b.load(in, 3);
        b.store(s, 2, b.index(5));
        b.forRange(0, 4, i -> b.store(s, i, b.load(in, i)));
        b.store(out, 0, b.load(s, 2));
        b.store(s, 1, b.index(6));
        b.forRange(1, 2, i -> b.store(s, b.add(i, b.index(1)), arg));
        b.store(out, 1, b.load(s, 1));
        Kernel f = forward(b.build());
        assertEquals(2, PassTesting.loads(f, KBuffer.Role.SCRATCH));
    }

    @Test
    void aLoopBodyForwardsWithinOneTripAndKnowsWhatTheLoopLeavesAlone() {
        KBuilder b = new KBuilder("body");
        int in = b.buffer("in", KBuffer.Role.IN, KType.F32, 4);
        int s = b.buffer("s", KBuffer.Role.SCRATCH, KType.F32, 1);
        int out = b.buffer("out", KBuffer.Role.OUT, KType.F32, 4);
        KValue first = b.load(in, 0);
        b.forRange(0, 4, i -> {
            b.store(s, 0, b.load(in, i));
            b.store(out, i, b.add(b.load(s, 0), b.load(in, 0)));
        });
        Kernel f = forward(b.build());
        assertEquals(0, PassTesting.loads(f, KBuffer.Role.SCRATCH));
        assertEquals(2, PassTesting.loads(f, KBuffer.Role.IN), "in[0] inside the loop is the load before it");
        assertEquals(first, PassTesting.all(f, KInstr.Binary.class).getFirst().b());
    }

    @Test
    void aLoopStoringToABufferDoesNotSeeWhatWasStoredBeforeItAfterItsFirstTrip() {
        KBuilder b = new KBuilder("carried");
        int in = b.buffer("in", KBuffer.Role.IN, KType.F32, 4);
        int s = b.buffer("s", KBuffer.Role.SCRATCH, KType.F32, 1);
        int out = b.buffer("out", KBuffer.Role.OUT, KType.F32, 1);
        b.store(s, 0, b.constF(KType.F32, 1));
        b.forRange(0, 4, i -> b.store(s, 0, b.fma(b.load(s, 0), b.constF(KType.F32, 2), b.load(in, i))));
        b.store(out, 0, b.load(s, 0));
        Kernel f = forward(b.build());
        assertEquals(2, PassTesting.loads(f, KBuffer.Role.SCRATCH), "in the loop and after it");
    }

    @Test
    void anInt64StoreIsNotForwardedSinceTheEvaluatorsBuffersHoldItAsADouble() {
        KBuilder b = new KBuilder("wide");
        int s = b.buffer("s", KBuffer.Role.SCRATCH, KType.I64, 1);
        int out = b.buffer("out", KBuffer.Role.OUT, KType.I32, 1);
        KValue odd = b.constI(KType.I64, (1L << 53) + 1);
        b.store(s, 0, odd);
        b.store(out, 0, b.convert(KType.I32, b.compare(KInstr.CompareKind.EQ, b.load(s, 0), odd)));
        Kernel f = forward(b.build());
        assertEquals(1, PassTesting.loads(f, KBuffer.Role.SCRATCH));
    }

    @Test
    void storesOverwrittenBeforeAnyReadAreRemovedFromOutAndScratchOnly() {
        KBuilder b = new KBuilder("dead");
        int in = b.buffer("in", KBuffer.Role.IN, KType.F64, 1);
        int out = b.buffer("out", KBuffer.Role.OUT, KType.F64, 2);
        int st = b.buffer("st", KBuffer.Role.STATE, KType.F64, 1);
        KValue x = b.load(in, 0);
        b.store(out, 0, x);
        b.store(out, 1, x);
        b.store(st, 0, x);
        b.store(out, 0, b.add(x, x));
        b.store(st, 0, b.add(x, x));
        b.store(out, 1, b.mul(b.load(out, 1), x));
        b.store(out, 1, b.mul(x, x));
        Kernel f = forward(b.build());
        assertEquals(2, PassTesting.stores(f, KBuffer.Role.OUT), "out[0] and out[1] once each");
        assertEquals(2, PassTesting.stores(f, KBuffer.Role.STATE), "state stores are kept");
    }

    @Test
    void aStoreReadByALaterLoopIsKept() {
        KBuilder b = new KBuilder("read");
        int in = b.buffer("in", KBuffer.Role.IN, KType.F32, 2);
        int s = b.buffer("s", KBuffer.Role.SCRATCH, KType.F32, 2);
        int out = b.buffer("out", KBuffer.Role.OUT, KType.F32, 2);
        b.store(s, 0, b.load(in, 0));
        b.store(s, 1, b.load(in, 1));
        b.forRange(0, 2, i -> b.store(out, i, b.load(s, i)));
        b.store(s, 0, b.load(in, 1));
        b.store(s, 1, b.load(in, 0));
        b.forRange(0, 2, i -> b.store(out, i, b.add(b.load(out, i), b.load(s, i))));
        Kernel f = forward(b.build());
        assertEquals(4, PassTesting.stores(f, KBuffer.Role.SCRATCH));
    }
}
