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

class EliminateDeadValuesTest {
    @Test
    void removesUnusedValuesAndLoopsWithoutEffectKeepingStoresAndIds() {
        KBuilder b = new KBuilder("dead");
        int in = b.buffer("in", KBuffer.Role.IN, KType.F32, 4);
        int out = b.buffer("out", KBuffer.Role.OUT, KType.F32, 4);
        KValue x = b.load(in, 0);
        b.sqrt(b.add(x, x));
        b.loop(0, 4, List.of(x), (i, c) -> List.of(b.mul(c.getFirst(), b.load(in, i))));
        List<KValue> used = b.loop(0, 4, List.of(x), (i, c) -> List.of(b.add(c.getFirst(), b.load(in, i))));
        b.forRange(0, 2, i -> {
            b.neg(x);
            b.store(out, i, x);
        });
        b.store(out, 3, used.getFirst());
        Kernel k = b.build();
        Kernel d = KirVerifier.verify(new EliminateDeadValues().run(k));
        assertEquals(k.nextId(), d.nextId());
        assertEquals(2, PassTesting.count(d, KInstr.Loop.class), "the loop whose results nothing uses goes");
        assertEquals(0, PassTesting.count(d, KInstr.Unary.class));
        assertEquals(1, PassTesting.count(d, KInstr.Binary.class));
        assertEquals(2, PassTesting.count(d, KInstr.Store.class));
        assertEquals(2, PassTesting.count(d, KInstr.Load.class));
        RandomKernels.assertSameResults(k, d, 41, 3);
    }

    @Test
    void aKernelOfOnlyDeadValuesBecomesEmpty() {
        KBuilder b = new KBuilder("nothing");
        int in = b.buffer("in", KBuffer.Role.IN, KType.I32, 1);
        b.add(b.load(in, 0), b.arg(b.declareArg(KType.I32)));
        assertEquals(List.of(), new EliminateDeadValues().run(b.build()).body());
    }
}
