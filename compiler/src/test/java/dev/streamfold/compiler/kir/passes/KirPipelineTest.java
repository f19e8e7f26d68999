package dev.streamfold.compiler.kir.passes;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.streamfold.compiler.kir.KBuffer;
import dev.streamfold.compiler.kir.KBuilder;
import dev.streamfold.compiler.kir.KInstr;
import dev.streamfold.compiler.kir.KType;
import dev.streamfold.compiler.kir.KValue;
import dev.streamfold.compiler.kir.Kernel;
import dev.streamfold.compiler.kir.KirPrinter;
import dev.streamfold.compiler.kir.KirWalk;
import dev.streamfold.compiler.kir.RandomKernels;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KirPipelineTest {
    private static final int N = 8;

    /**
     * Row sums of A^T * A elementwise, through scratch: T = A^T (an 8x8 loop nest), then P = T * A accumulated in
     * scratch, then out[i] = sum over j of P[i][j].
     */
    private static Kernel throughScratch() {
        KBuilder b = new KBuilder("gram");
        int a = b.buffer("a", KBuffer.Role.IN, KType.F32, N * N);
        int t = b.buffer("t", KBuffer.Role.SCRATCH, KType.F32, N * N);
        int p = b.buffer("p", KBuffer.Role.SCRATCH, KType.F32, N * N);
        int out = b.buffer("out", KBuffer.Role.OUT, KType.F32, N);
        KValue n = b.index(N);
        b.forRange(0, N, i -> b.forRange(0, N, j -> b.store(t, b.add(b.mul(j, n), i), b.load(a, b.add(b.mul(i, n), j)))));
        b.forRange(0, N, i -> b.forRange(0, N, j -> {
            KValue at = b.add(b.mul(i, n), j);
            b.store(p, at, b.constF(KType.F32, 0));
            b.store(p, at, b.fma(b.load(t, at), b.load(a, at), b.load(p, at)));
        }));
        b.forRange(0, N, i -> {
            List<KValue> s = b.loop(0, N, List.of(b.constF(KType.F32, 0)),
                    (j, c) -> List.of(b.add(c.getFirst(), b.load(p, b.add(b.mul(i, n), j)))));
            b.store(out, i, s.getFirst());
        });
        return b.build();
    }

    @Test
    void aFullyUnrolledNestThroughScratchBecomesStraightLineCodeWithoutScratch() {
        Kernel k = throughScratch();
        Kernel o = KirPipeline.optimize(k, KirPipeline.DEFAULT_UNROLL_BUDGET);
        assertEquals(0, PassTesting.count(o, KInstr.Loop.class));
        assertEquals(0, PassTesting.loads(o, KBuffer.Role.SCRATCH));
        assertEquals(0, PassTesting.stores(o, KBuffer.Role.SCRATCH));
        assertEquals(N * N, PassTesting.loads(o, KBuffer.Role.IN), "each element of a once");
        assertEquals(N, PassTesting.stores(o, KBuffer.Role.OUT));
        assertEquals(N * N, PassTesting.count(o, KInstr.Fma.class));
        RandomKernels.assertSameResults(k, o, 51, 3);
    }

    @Test
    void unrollingFoldingAndForwardingAloneRemoveTheScratchTraffic() {
        Kernel k = throughScratch();
        Kernel o = new ForwardStores().run(new FoldConstants().run(new UnrollLoops(KirPipeline.DEFAULT_UNROLL_BUDGET).run(k)));
        assertEquals(0, PassTesting.loads(o, KBuffer.Role.SCRATCH));
        assertEquals(0, PassTesting.stores(o, KBuffer.Role.SCRATCH));
        RandomKernels.assertSameResults(k, o, 54, 2);
    }

    @Test
    void aBudgetTooSmallKeepsTheOuterLoopsAndTheResults() {
        Kernel k = throughScratch();
        Kernel o = KirPipeline.optimize(k, 64);
        assertTrue(PassTesting.count(o, KInstr.Loop.class) > 0);
        RandomKernels.assertSameResults(k, o, 52, 2);
    }

    @Test
    void kernelsOfTensOfThousandsOfInstructionsAreOptimized() {
        KBuilder b = new KBuilder("large");
        int a = b.buffer("a", KBuffer.Role.IN, KType.F64, 64 * 64);
        int s = b.buffer("s", KBuffer.Role.SCRATCH, KType.F64, 64 * 64);
        int out = b.buffer("out", KBuffer.Role.OUT, KType.F64, 64);
        KValue n = b.index(64);
        b.forRange(0, 64, i -> b.forRange(0, 64, j -> {
            KValue at = b.add(b.mul(i, n), j);
            b.store(s, at, b.mul(b.load(a, at), b.load(a, b.add(b.mul(j, n), i))));
        }));
        b.forRange(0, 64, i -> {
            List<KValue> sum = b.loop(0, 64, List.of(b.constF(KType.F64, 0)),
                    (j, c) -> List.of(b.add(c.getFirst(), b.load(s, b.add(b.mul(j, n), i)))));
            b.store(out, i, sum.getFirst());
        });
        Kernel k = b.build();
        Kernel u = new UnrollLoops(1 << 20).run(k);
        assertTrue(KirWalk.size(u.body()) > 50_000, "unrolled to " + KirWalk.size(u.body()));
        Kernel o = KirPipeline.optimize(k, 1 << 20);
        assertEquals(0, PassTesting.loads(o, KBuffer.Role.SCRATCH));
        RandomKernels.assertSameResults(k, o, 53, 2);
    }

    @Test
    void anInvalidKernelIsRefusedBeforeAnyPass() {
        KBuilder b = new KBuilder("bad");
        KValue x = b.constF(KType.F32, 1);
        Kernel k = b.build();
        Kernel bad = k.withBody(List.of(new KInstr.Unary(new KValue(1, KType.F32, false), KInstr.UnaryKind.NEG, x)), 2);
        assertThrows(IllegalStateException.class, () -> KirPipeline.optimize(bad, 0));
    }

    @Test
    void dumpsThePrintedKernelAfterEachPass(@TempDir Path dir) throws IOException {
        Path dump = dir.resolve("dump");
        String old = System.getProperty("streamfold.dump");
        System.setProperty("streamfold.dump", dump.toString());
        Kernel o;
        try {
            o = KirPipeline.optimize(throughScratch(), KirPipeline.DEFAULT_UNROLL_BUDGET);
        } finally {
            if (old == null) {
                System.clearProperty("streamfold.dump");
            } else {
                System.setProperty("streamfold.dump", old);
            }
        }
        List<String> names;
        try (Stream<Path> files = Files.list(dump)) {
            names = files.map(f -> f.getFileName().toString()).sorted().toList();
        }
        assertEquals(List.of("00-input.kir", "01-unroll.kir", "02-fold.kir", "03-cse.kir", "04-forward.kir", "05-fold.kir",
                "06-dead.kir"), names);
        assertEquals(KirPrinter.print(o), Files.readString(dump.resolve("06-dead.kir")));
        assertEquals(KirPrinter.print(throughScratch()), Files.readString(dump.resolve("00-input.kir")));
    }
}
