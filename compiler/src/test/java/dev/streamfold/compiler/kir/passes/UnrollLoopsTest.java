package dev.streamfold.compiler.kir.passes;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.streamfold.compiler.kir.KBuffer;
import dev.streamfold.compiler.kir.KBuilder;
import dev.streamfold.compiler.kir.KInstr;
import dev.streamfold.compiler.kir.KType;
import dev.streamfold.compiler.kir.KValue;
import dev.streamfold.compiler.kir.Kernel;
import dev.streamfold.compiler.kir.KirVerifier;
import dev.streamfold.compiler.kir.KirWalk;
import dev.streamfold.compiler.kir.RandomKernels;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class UnrollLoopsTest {
    /** out[0] = sum over i in [0, 8) of in[i]: a body of two instructions (load, add). */
    private static Kernel sum() {
        KBuilder b = new KBuilder("sum");
        int in = b.buffer("in", KBuffer.Role.IN, KType.F32, 8);
        int out = b.buffer("out", KBuffer.Role.OUT, KType.F32, 1);
        KValue zero = b.constF(KType.F32, 0);
        List<KValue> acc = b.loop(0, 8, List.of(zero), (i, c) -> List.of(b.add(c.get(0), b.load(in, i))));
        b.store(out, 0, acc.get(0));
        return b.build();
    }

    @Test
    void unrollsALoopThatFitsTheBudgetIntoOneCopyPerTrip() {
        Kernel k = sum();
        Kernel u = KirVerifier.verify(new UnrollLoops(KirPipeline.DEFAULT_UNROLL_BUDGET).run(k));
        assertEquals(0, PassTesting.count(u, KInstr.Loop.class));
        assertEquals(8, PassTesting.count(u, KInstr.Load.class));
        assertEquals(8, PassTesting.count(u, KInstr.Binary.class));
        assertTrue(u.nextId() > k.nextId(), "the copies have fresh ids");
        RandomKernels.assertSameResults(k, u, 1, 3);
    }

    @Test
    void loadsOfTheUnrolledLoopIndexTheTripsInOrder() {
        Kernel u = new UnrollLoops(64).run(sum());
        List<Long> constants = PassTesting.all(u, KInstr.ConstI.class).stream().map(KInstr.ConstI::value).toList();
        assertEquals(List.of(0L, 1L, 2L, 3L, 4L, 5L, 6L, 7L, 0L), constants);
    }

    @Test
    void theBudgetBoundsTripsTimesBodySize() {
        assertEquals(1, PassTesting.count(new UnrollLoops(15).run(sum()), KInstr.Loop.class));
        assertEquals(0, PassTesting.count(new UnrollLoops(16).run(sum()), KInstr.Loop.class));
    }

    @Test
    void unrollsInnerLoopsFirstAndKeepsAnOuterLoopOverTheBudget() {
        KBuilder b = new KBuilder("nest");
        int in = b.buffer("in", KBuffer.Role.IN, KType.F64, 4);
        int out = b.buffer("out", KBuffer.Role.OUT, KType.F64, 100);
        b.forRange(0, 100, i -> {
            KValue zero = b.constF(KType.F64, 0);
            List<KValue> s = b.loop(0, 4, List.of(zero), (j, c) -> List.of(b.add(c.get(0), b.load(in, j))));
            b.store(out, i, s.get(0));
        });
        Kernel k = b.build();
        Kernel u = KirVerifier.verify(new UnrollLoops(64).run(k));
        assertEquals(1, PassTesting.count(u, KInstr.Loop.class), "only the outer loop is left");
        KInstr.Loop outer = (KInstr.Loop) u.body().getFirst();
        assertEquals(100, outer.trips());
        assertEquals(4, outer.body().stream().filter(x -> x instanceof KInstr.Load).count());
        RandomKernels.assertSameResults(k, u, 2, 2);
    }

    @Test
    void aLoopOfNoTripsBecomesItsInitialValuesAndItsResultsMayTurnUniform() {
        KBuilder b = new KBuilder("none");
        int in = b.buffer("in", KBuffer.Role.IN, KType.F32, 1);
        int out = b.buffer("out", KBuffer.Role.OUT, KType.F32, 1);
        KValue two = b.constF(KType.F32, 2);
        List<KValue> r = b.loop(3, 3, List.of(two), (i, c) -> List.of(b.load(in, 0)));
        assertTrue(r.getFirst().lane(), "the builder makes the carried value a lane value");
        b.store(out, 0, b.mul(r.getFirst(), r.getFirst()));
        Kernel k = b.build();
        Kernel u = KirVerifier.verify(new UnrollLoops(0).run(k));
        assertEquals(0, PassTesting.count(u, KInstr.Loop.class));
        KInstr.Binary mul = PassTesting.all(u, KInstr.Binary.class).getFirst();
        assertEquals(two, mul.a());
        assertFalse(mul.dst().lane(), "the product of uniform values is uniform");
        RandomKernels.assertSameResults(k, u, 3, 2);
    }

    @Test
    void aLoopOfManyTripsOverAnEmptyBodyIsKept() {
        KBuilder b = new KBuilder("empty");
        int out = b.buffer("out", KBuffer.Role.OUT, KType.I32, 1);
        List<KValue> r = b.loop(0, 2_000_000_000, List.of(b.index(5)), (i, c) -> c);
        b.store(out, 0, r.getFirst());
        Kernel u = new UnrollLoops(1000).run(b.build());
        assertEquals(1, PassTesting.count(u, KInstr.Loop.class));
    }

    @Test
    void keptLoopsInsideUnrolledOnesAreCopiedWithFreshIds() {
        KBuilder b = new KBuilder("copies");
        int in = b.buffer("in", KBuffer.Role.IN, KType.I32, 8);
        int out = b.buffer("out", KBuffer.Role.OUT, KType.I32, 2);
        b.forRange(0, 2, i -> {
            List<KValue> s = b.loop(0, 8, List.of(b.index(0)), (j, c) -> List.of(b.add(c.get(0), b.mul(b.load(in, j), i))));
            b.store(out, i, s.getFirst());
        });
        Kernel k = b.build();
        Kernel u = KirVerifier.verify(new UnrollLoops(20).run(k));
        List<KInstr.Loop> loops = u.body().stream().filter(x -> x instanceof KInstr.Loop).map(x -> (KInstr.Loop) x).toList();
        assertEquals(2, loops.size());
        Set<Integer> ids = loops.stream().map(l -> l.index().id()).collect(Collectors.toSet());
        assertEquals(2, ids.size());
        assertEquals(KirWalk.size(loops.get(0).body()), KirWalk.size(loops.get(1).body()));
        RandomKernels.assertSameResults(k, u, 4, 3);
    }

    @Test
    void aNegativeBudgetIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> new UnrollLoops(-1));
    }
}
