package dev.streamfold.compiler.vector;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.streamfold.compiler.kir.KBuffer;
import dev.streamfold.compiler.kir.KBuilder;
import dev.streamfold.compiler.kir.KInstr;
import dev.streamfold.compiler.kir.KType;
import dev.streamfold.compiler.kir.KValue;
import dev.streamfold.compiler.kir.Kernel;
import dev.streamfold.compiler.kir.KirEvaluator;
import dev.streamfold.compiler.kir.KirWalk;
import dev.streamfold.runtime.ElementType;
import dev.streamfold.runtime.batched.BatchedBuffer;
import dev.streamfold.runtime.batched.BatchedKernel;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.Test;

/** The Vector API backend of kernel IR v2 against the reference evaluator. */
class VectorKirBackendTest {
    private static final int PARAM_LENGTH = 5;

    // ---- hand-written kernels ----

    @Test
    void saxpyWithParamsArgsAndLength() {
        KBuilder b = new KBuilder("saxpy");
        int x = b.buffer("x", KBuffer.Role.IN, KType.F32, 3);
        int y = b.buffer("y", KBuffer.Role.STATE, KType.F32, 3);
        int w = b.buffer("w", KBuffer.Role.PARAM, KType.F32, -1);
        int n = b.buffer("n", KBuffer.Role.OUT, KType.I64, 1);
        b.declareArg(KType.F32);
        KValue a = b.arg(0);
        b.forRange(0, 3, i -> {
            KValue t = b.fma(b.mul(a, b.load(w, i)), b.load(x, i), b.load(y, i));
            b.store(y, i, t);
        });
        b.store(n, 0, b.length(w));
        checkAllBatches(b.build(), 1);
    }

    @Test
    void everyUnaryAndBinaryOnEveryType() {
        for (KType t : List.of(KType.F32, KType.F64, KType.I32, KType.I64)) {
            for (boolean laneB : List.of(true, false)) {
                KBuilder b = new KBuilder("ops_" + t.text());
                int in = b.buffer("in", KBuffer.Role.IN, t, 2);
                int p = b.buffer("p", KBuffer.Role.PARAM, t, 2);
                int out = b.buffer("out", KBuffer.Role.OUT, t, 40);
                KValue x = b.load(in, 0);
                KValue y = laneB ? b.load(in, 1) : b.load(p, 1);
                KValue u = b.load(p, 0);
                List<KValue> results = new ArrayList<>();
                for (KInstr.UnaryKind kind : KInstr.UnaryKind.values()) {
                    boolean ok = switch (kind) {
                        case NEG, ABS, SIGN -> true;
                        case SQRT, RECIPROCAL -> t.isFloat();
                        case NOT -> !t.isFloat();
                        case EXP, LOG -> false;
                    };
                    if (ok) {
                        results.add(b.unary(kind, x));
                        results.add(b.unary(kind, u));
                    }
                }
                for (KInstr.BinaryKind kind : KInstr.BinaryKind.values()) {
                    boolean ok = switch (kind) {
                        case ADD, SUB, MUL, DIV, MIN, MAX, REM -> true;
                        case AND, OR, XOR -> !t.isFloat();
                        case POW -> false;
                    };
                    if (ok) {
                        results.add(b.binary(kind, x, y));
                        results.add(b.binary(kind, y, x));
                        results.add(b.binary(kind, u, y));
                    }
                }
                for (int i = 0; i < results.size(); i++) {
                    b.store(out, i, results.get(i));
                }
                checkAllBatches(b.build(), 2);
            }
        }
    }

    @Test
    void comparesSelectsAndBooleans() {
        for (KType t : List.of(KType.F32, KType.F64, KType.I32, KType.I64)) {
            KBuilder b = new KBuilder("cmp_" + t.text());
            int in = b.buffer("in", KBuffer.Role.IN, t, 2);
            int p = b.buffer("p", KBuffer.Role.PARAM, t, 1);
            int out = b.buffer("out", KBuffer.Role.OUT, KType.I32, 40);
            int sel = b.buffer("sel", KBuffer.Role.OUT, t, 8);
            KValue x = b.load(in, 0);
            KValue y = b.load(in, 1);
            KValue u = b.load(p, 0);
            List<KValue> masks = new ArrayList<>();
            for (KInstr.CompareKind kind : KInstr.CompareKind.values()) {
                masks.add(b.compare(kind, x, y));
                masks.add(b.compare(kind, u, x));
            }
            KValue m0 = masks.get(0);
            KValue m1 = masks.get(5);
            KValue um = b.compare(KInstr.CompareKind.LT, u, u);
            List<KValue> bools = new ArrayList<>(masks);
            bools.add(b.and(m0, m1));
            bools.add(b.or(m0, um));
            bools.add(b.binary(KInstr.BinaryKind.XOR, m0, m1));
            bools.add(b.not(m0));
            bools.add(b.not(um));
            bools.add(b.select(m1, m0, um));
            bools.add(b.select(um, m0, m1));
            for (KInstr.CompareKind kind : KInstr.CompareKind.values()) {
                bools.add(b.compare(kind, m0, m1));
                bools.add(b.compare(kind, um, m1));
            }
            for (int i = 0; i < bools.size(); i++) {
                b.store(out, i % 40, b.convert(KType.I32, bools.get(i)));
            }
            b.store(sel, 0, b.select(m0, x, y));
            b.store(sel, 1, b.select(m0, u, y));
            b.store(sel, 2, b.select(um, x, u));
            b.store(sel, 3, b.select(um, u, u));
            b.store(sel, 4, b.select(b.bool(true), x, u));
            b.store(sel, 5, b.convert(t, m1));
            b.store(sel, 6, b.convert(t, um));
            b.store(sel, 7, b.select(m1, u, u));
            checkAllBatches(b.build(), 3);
        }
    }

    @Test
    void everyConversion() {
        List<KType> types = List.of(KType.F32, KType.F64, KType.I32, KType.I64, KType.BOOL);
        for (KType from : types) {
            for (KType to : types) {
                if (from == to) {
                    continue;
                }
                KBuilder b = new KBuilder("convert_" + from.text() + "_" + to.text());
                KType stored = from == KType.BOOL ? KType.F32 : from;
                int in = b.buffer("in", KBuffer.Role.IN, stored, 1);
                int p = b.buffer("p", KBuffer.Role.PARAM, stored, 1);
                KType outType = to == KType.BOOL ? KType.I32 : to;
                int out = b.buffer("out", KBuffer.Role.OUT, outType, 2);
                KValue lane = b.load(in, 0);
                KValue uni = b.load(p, 0);
                if (from == KType.I64) {
                    // Beyond 2^53, where i64 -> f32 rounds differently from i64 -> f64 -> f32 (the evaluator's rule).
                    KValue big = b.constI(KType.I64, (1L << 60) + (1L << 36) + 1);
                    lane = b.add(lane, big);
                    uni = b.add(uni, big);
                }
                if (from == KType.BOOL) {
                    lane = b.compare(KInstr.CompareKind.GT, lane, b.constF(KType.F32, 0));
                    uni = b.compare(KInstr.CompareKind.GT, uni, b.constF(KType.F32, 0));
                }
                KValue cl = b.convert(to, lane);
                KValue cu = b.convert(to, uni);
                if (to == KType.BOOL) {
                    cl = b.convert(KType.I32, cl);
                    cu = b.convert(KType.I32, cu);
                }
                b.store(out, 0, cl);
                b.store(out, 1, cu);
                checkAllBatches(b.build(), 4);
            }
        }
    }

    @Test
    void constantsIncludingSpecialValues() {
        KBuilder b = new KBuilder("constants");
        int out32 = b.buffer("o32", KBuffer.Role.OUT, KType.F32, 6);
        int out64 = b.buffer("o64", KBuffer.Role.OUT, KType.F64, 6);
        int outI = b.buffer("oi", KBuffer.Role.OUT, KType.I64, 3);
        int outJ = b.buffer("oj", KBuffer.Role.OUT, KType.I32, 3);
        double[] specials = {Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, -0.0, 1e-40, -3.25};
        for (int i = 0; i < specials.length; i++) {
            b.store(out32, i, b.constF(KType.F32, specials[i]));
            b.store(out64, i, b.constF(KType.F64, specials[i]));
        }
        b.store(outI, 0, b.constI(KType.I64, Long.MIN_VALUE / 1024));
        b.store(outI, 1, b.constI(KType.I64, -7));
        b.store(outI, 2, b.constI(KType.I64, 1L << 40));
        b.store(outJ, 0, b.constI(KType.I32, Integer.MIN_VALUE));
        b.store(outJ, 1, b.constI(KType.I32, -1));
        b.store(outJ, 2, b.constI(KType.I32, Integer.MAX_VALUE));
        checkAllBatches(b.build(), 5);
    }

    @Test
    void nestedLoopsWithCarriesAndScratch() {
        KBuilder b = new KBuilder("nested");
        int a = b.buffer("a", KBuffer.Role.IN, KType.F64, 12);
        int out = b.buffer("out", KBuffer.Role.OUT, KType.F64, 4);
        int cnt = b.buffer("cnt", KBuffer.Role.OUT, KType.I32, 1);
        int s = b.buffer("s", KBuffer.Role.SCRATCH, KType.F64, 4);
        b.forRange(0, 4, i -> b.store(s, i, b.constF(KType.F64, 0)));
        List<KValue> r = b.loop(0, 3, List.of(b.constF(KType.F64, 1), b.index(0)), (i, c) -> {
            List<KValue> inner = b.loop(0, 4, List.of(c.get(0), c.get(1)), (j, d) -> {
                KValue at = b.add(b.mul(i, b.index(4)), j);
                KValue v = b.load(a, at);
                b.store(s, j, b.add(b.load(s, j), v));
                KValue big = b.compare(KInstr.CompareKind.GT, v, d.get(0));
                KValue n = b.select(big, b.add(d.get(1), b.index(1)), d.get(1));
                return List.of(b.max(d.get(0), v), n);
            });
            return List.of(inner.get(0), b.add(inner.get(1), b.index(0)));
        });
        b.forRange(0, 4, i -> b.store(out, i, b.mul(b.load(s, i), r.get(0))));
        b.store(cnt, 0, r.get(1));
        checkAllBatches(b.build(), 6);
    }

    @Test
    void carriedUpdatesAreSimultaneous() {
        KBuilder b = new KBuilder("swap");
        int x = b.buffer("x", KBuffer.Role.IN, KType.I32, 2);
        int out = b.buffer("out", KBuffer.Role.OUT, KType.I32, 3);
        List<KValue> r = b.loop(0, 5, List.of(b.load(x, 0), b.load(x, 1), b.index(0)), (i, c) ->
                List.of(c.get(1), b.add(c.get(0), c.get(1)), b.add(c.get(2), i)));
        List<KValue> none = b.loop(3, 3, List.of(b.load(x, 0)), (i, c) -> List.of(b.add(c.get(0), c.get(0))));
        b.store(out, 0, r.get(0));
        b.store(out, 1, b.add(r.get(1), r.get(2)));
        b.store(out, 2, none.get(0));
        checkAllBatches(b.build(), 7);
    }

    @Test
    void uniformCarryWidenedByLaneYield() {
        KBuilder b = new KBuilder("widen");
        int x = b.buffer("x", KBuffer.Role.IN, KType.F32, 1);
        int out = b.buffer("out", KBuffer.Role.OUT, KType.F32, 1);
        List<KValue> r = b.loop(0, 3, List.of(b.constF(KType.F32, 0.5)), (i, c) -> List.of(b.add(c.get(0), b.load(x, 0))));
        b.store(out, 0, r.get(0));
        Kernel k = b.build();
        assertTrue(((KInstr.Loop) k.body().get(1)).params().get(0).lane());
        checkAllBatches(k, 8);
    }

    @Test
    void transcendentalsWithinOneUlp() {
        for (KType t : List.of(KType.F32, KType.F64)) {
            KBuilder b = new KBuilder("transcendental_" + t.text());
            int in = b.buffer("in", KBuffer.Role.IN, t, 2);
            int out = b.buffer("out", KBuffer.Role.OUT, t, 6);
            KValue x = b.load(in, 0);
            KValue y = b.load(in, 1);
            KValue c = b.constF(t, 1.5);
            b.store(out, 0, b.unary(KInstr.UnaryKind.EXP, x));
            b.store(out, 1, b.unary(KInstr.UnaryKind.LOG, b.abs(y)));
            b.store(out, 2, b.binary(KInstr.BinaryKind.POW, b.abs(x), y));
            b.store(out, 3, b.unary(KInstr.UnaryKind.EXP, c));
            b.store(out, 4, b.unary(KInstr.UnaryKind.LOG, c));
            b.store(out, 5, b.binary(KInstr.BinaryKind.POW, c, c));
            Kernel k = b.build();
            for (int batch : batches(k)) {
                compare(k, batch, 9, batch, 1);
            }
        }
    }

    // ---- random kernels ----

    @Test
    void randomNarrowKernels() {
        for (int seed = 0; seed < 12; seed++) {
            checkAllBatches(new RandomKernel(seed, false).build(120), 100 + seed);
        }
    }

    @Test
    void randomWideKernels() {
        for (int seed = 0; seed < 12; seed++) {
            checkAllBatches(new RandomKernel(1000 + seed, true).build(120), 200 + seed);
        }
    }

    @Test
    void randomKernelsCutIntoManyMethods() {
        for (int seed = 0; seed < 6; seed++) {
            Kernel k = new RandomKernel(2000 + seed, seed % 2 == 0).build(300);
            String src = VectorKirBackend.render(k, "p", "Cut", 7).toString();
            assertTrue(src.contains("part3(g)"), "the body is cut into parts");
            BatchedKernel cut = compile(k, src);
            for (int batch : batches(k)) {
                Data d = new Data(k, batch, 300 + seed);
                double[][] expected = d.evaluate();
                try (Arena arena = Arena.ofConfined()) {
                    MemorySegment[] segs = d.segments(arena);
                    cut.run(segs, d.longArgs(), batch, 0, batch);
                    d.check(expected, segs, 0);
                }
            }
        }
    }

    @Test
    void aPartReadsEachSharedValueOnceAndConstantsAsLiterals() {
        KBuilder b = new KBuilder("shared");
        int in = b.buffer("x", KBuffer.Role.IN, KType.F32, 1);
        int out = b.buffer("y", KBuffer.Role.OUT, KType.F32, 1);
        KValue zero = b.index(0);
        KValue x = b.load(in, zero);
        KValue c = b.constF(KType.F32, 2.5);
        // The cut falls here (the load counts as four): the next part uses x three times and c once.
        KValue y = b.mul(x, x);
        KValue a = b.add(y, c);
        KValue p = b.mul(y, a);
        KValue d = b.sub(p, x);
        b.store(out, zero, d);
        Kernel k = b.build();
        String src = VectorKirBackend.render(k, "p", "Cut", 6).toString();
        int start = src.indexOf("void part2(");
        assertTrue(start >= 0, "the body is cut into parts");
        String part2 = src.substring(start, src.indexOf("\n    }\n", start));
        assertEquals(1, part2.split("fromArray\\(", -1).length - 1, "one read of x in\n" + part2);
        assertTrue(part2.contains("2.5f") && !part2.contains("g.uniF32"), "c as a literal in\n" + part2);
        BatchedKernel kernel = compile(k, src);
        for (int batch : batches(k)) {
            Data data = new Data(k, batch, 7);
            double[][] expected = data.evaluate();
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment[] segs = data.segments(arena);
                kernel.run(segs, data.longArgs(), batch, 0, batch);
                data.check(expected, segs, 0);
            }
        }
    }

    @Test
    void accessesToBuffersInMemoryCountFourTowardsTheMethodLimit() {
        KBuilder b = new KBuilder("copy");
        int in = b.buffer("x", KBuffer.Role.IN, KType.F32, 16);
        int out = b.buffer("y", KBuffer.Role.OUT, KType.F32, 16);
        for (int e = 0; e < 16; e++) {
            b.store(out, e, b.load(in, e));
        }
        KirMethodPlan plan = KirMethodPlan.of(b.build(), 30);
        assertTrue(plan.partCount() >= 5, "32 accesses of weight 4 in parts of 30: " + plan.partCount());
        for (int p = 1; p <= plan.partCount(); p++) {
            long accesses = plan.part(p).stream().filter(i -> i instanceof KInstr.Load || i instanceof KInstr.Store).count();
            assertTrue(accesses <= 30 / KirMethodPlan.SEGMENT_ACCESS_WEIGHT, "part " + p + " holds " + accesses + " accesses");
        }
    }

    // ---- structure ----

    @Test
    void declaresBuffersAndArgs() {
        KBuilder b = new KBuilder("decl");
        int x = b.buffer("x", KBuffer.Role.IN, KType.I64, 2);
        b.buffer("tmp", KBuffer.Role.SCRATCH, KType.F32, 3);
        int p = b.buffer("p", KBuffer.Role.PARAM, KType.I32, -1);
        int o = b.buffer("o", KBuffer.Role.OUT, KType.F64, 1);
        int st = b.buffer("st", KBuffer.Role.STATE, KType.F32, 4);
        b.declareArg(KType.I64);
        b.declareArg(KType.F64);
        b.store(o, 0, b.add(b.convert(KType.F64, b.load(x, 1)), b.arg(1)));
        b.store(st, 0, b.convert(KType.F32, b.add(b.arg(0), b.length(p))));
        Kernel k = b.build();
        BatchedKernel kernel = VectorKirKernels.load(k);
        assertEquals("decl", kernel.name());
        assertEquals(2, kernel.argCount());
        assertEquals(List.of(new BatchedBuffer("x", BatchedBuffer.Role.IN, ElementType.INT64, 2),
                new BatchedBuffer("p", BatchedBuffer.Role.PARAM, ElementType.INT32, -1),
                new BatchedBuffer("o", BatchedBuffer.Role.OUT, ElementType.FLOAT64, 1),
                new BatchedBuffer("st", BatchedBuffer.Role.STATE, ElementType.FLOAT32, 4)), kernel.buffers());
        assertSame(kernel, VectorKirKernels.load(b.build()), "equal kernels share one class");
        checkAllBatches(k, 10);
    }

    @Test
    void goldenSource() throws IOException {
        KBuilder b = new KBuilder("golden_axpy");
        int x = b.buffer("x", KBuffer.Role.IN, KType.F32, 2);
        int y = b.buffer("y", KBuffer.Role.OUT, KType.F32, 2);
        int w = b.buffer("w", KBuffer.Role.PARAM, KType.F32, 2);
        b.declareArg(KType.F32);
        KValue a = b.arg(0);
        List<KValue> sum = b.loop(0, 2, List.of(b.constF(KType.F32, 0)), (i, c) -> {
            KValue v = b.fma(a, b.load(x, i), b.load(w, i));
            b.store(y, i, b.select(b.compare(KInstr.CompareKind.GT, v, c.get(0)), v, c.get(0)));
            return List.of(b.add(c.get(0), v));
        });
        b.store(y, 0, b.add(b.load(y, 0), sum.get(0)));
        Kernel k = b.build();
        String source = VectorKirBackend.render(k, "dev.streamfold.generated.batched", "GoldenAxpy").toString();
        assertTrue(source.startsWith("// Generated by Streamfold — do not edit."));
        Path golden = Path.of("src/test/resources/kir/golden/GoldenAxpy.java.txt");
        if (Boolean.getBoolean("streamfold.updateGolden")) {
            Files.createDirectories(golden.getParent());
            Files.writeString(golden, source, StandardCharsets.UTF_8);
        }
        assertEquals(Files.readString(golden, StandardCharsets.UTF_8), source,
                "regenerate with -Dstreamfold.updateGolden=true");
        checkAllBatches(k, 11);
    }

    @Test
    void javadocEscapesCommentEnds() {
        KBuilder b = new KBuilder("odd*/@name");
        int o = b.buffer("o*/", KBuffer.Role.OUT, KType.I32, 1);
        b.store(o, 0, b.index(1));
        Kernel k = b.build();
        String src = VectorKirKernels.source(k).toString();
        assertTrue(src.contains("odd*&#47;&#64;name"));
        checkAllBatches(k, 12);
    }

    @Test
    void laneCountFollowsTheWidestLaneType() {
        KBuilder narrow = new KBuilder("narrow");
        int x = narrow.buffer("x", KBuffer.Role.IN, KType.I32, 1);
        int o = narrow.buffer("o", KBuffer.Role.OUT, KType.F32, 1);
        int p = narrow.buffer("p", KBuffer.Role.PARAM, KType.F64, 1);
        narrow.store(o, 0, narrow.add(narrow.convert(KType.F32, narrow.load(x, 0)), narrow.convert(KType.F32, narrow.load(p, 0))));
        String n = VectorKirBackend.render(narrow.build(), "p", "Narrow").toString();
        assertTrue(n.contains("VectorSpecies<Float> F32 = FloatVector.SPECIES_PREFERRED;"), n);
        assertTrue(n.contains("LANES = F32.length();"), n);
        assertTrue(n.contains("VectorSpecies<Integer> I32 = VectorSpecies.of(int.class, VectorShape.forBitSize(LANES * 32));"), n);

        KBuilder wide = new KBuilder("wide");
        int y = wide.buffer("y", KBuffer.Role.IN, KType.F32, 1);
        int q = wide.buffer("q", KBuffer.Role.OUT, KType.F32, 1);
        wide.store(q, 0, wide.convert(KType.F32, wide.convert(KType.I64, wide.load(y, 0))));
        Kernel wk = wide.build();
        String w = VectorKirBackend.render(wk, "p", "Wide").toString();
        assertTrue(w.contains("VectorSpecies<Double> F64 = DoubleVector.SPECIES_PREFERRED;"), w);
        assertTrue(w.contains("LANES = F64.length();"), w);
        assertTrue(w.contains("VectorSpecies<Float> F32 = VectorSpecies.of(float.class, VectorShape.forBitSize(LANES * 32));"), w);
        checkAllBatches(wk, 15);
    }

    @Test
    void compilesWithoutWarnings() {
        Kernel k = new RandomKernel(77, true).build(200);
        String src = VectorKirBackend.render(k, "p", "Warned", 9).toString();
        assertEquals(List.of(), InProcessCompiler.compile("p.Warned", src).diagnostics());
    }

    @Test
    void rejectsUndefinedOperations() {
        KBuilder b = new KBuilder("int_sqrt");
        int x = b.buffer("x", KBuffer.Role.IN, KType.I32, 1);
        int o = b.buffer("o", KBuffer.Role.OUT, KType.I32, 1);
        b.store(o, 0, b.sqrt(b.load(x, 0)));
        Kernel k = b.build();
        assertThrows(IllegalArgumentException.class, () -> VectorKirBackend.render(k, "p", "Bad"));
    }

    @Test
    void indexOutsideTheBufferThrowsLikeTheEvaluator() {
        KBuilder b = new KBuilder("outside");
        int x = b.buffer("x", KBuffer.Role.IN, KType.F32, 2);
        int o = b.buffer("o", KBuffer.Role.OUT, KType.F32, 3);
        b.forRange(0, 3, i -> b.store(o, i, b.load(x, i)));
        Kernel k = b.build();
        Data d = new Data(k, 4, 14);
        assertThrows(IndexOutOfBoundsException.class, d::evaluate);
        BatchedKernel kernel = VectorKirKernels.load(k);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment[] segs = d.segments(arena);
            assertThrows(IndexOutOfBoundsException.class, () -> kernel.run(segs, d.longArgs(), 4, 0, 4));
        }
    }

    @Test
    void thirtyThousandInstructionsCompileAndRun() {
        Kernel k = new RandomKernel(4242, true).straightLine(30_000);
        assertTrue(KirWalk.size(k.body()) >= 30_000);
        BatchedKernel kernel = VectorKirKernels.load(k);
        int batch = lanes(k) + 3;
        Data d = new Data(k, batch, 13);
        double[][] expected = d.evaluate();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment[] segs = d.segments(arena);
            kernel.run(segs, d.longArgs(), batch, 0, batch);
            d.check(expected, segs, 0);
        }
    }

    // ---- harness ----

    private static BatchedKernel compile(Kernel k, String source) {
        String name = "p.Cut";
        try {
            return (BatchedKernel) InProcessCompiler.compile(name, source).type().getDeclaredConstructor().newInstance();
        } catch (ReflectiveOperationException e) {
            throw new AssertionError(e);
        }
    }

    private static boolean wide(Kernel k) {
        return VectorKirKernels.source(k).toString().contains("VectorSpecies<Double> F64 = DoubleVector.SPECIES_PREFERRED");
    }

    private static int lanes(Kernel k) {
        return wide(k) ? DoubleVector.SPECIES_PREFERRED.length() : FloatVector.SPECIES_PREFERRED.length();
    }

    private static List<Integer> batches(Kernel k) {
        int l = lanes(k);
        return List.of(1, l - 1, l, l + 1, 1003);
    }

    /** Runs {@code k} for every batch size of the brief, whole and split, against the evaluator bit for bit. */
    private static void checkAllBatches(Kernel k, long seed) {
        for (int batch : batches(k)) {
            if (batch < 1) {
                continue;
            }
            int[] splits = {batch / 2, 1, batch - 1, lanes(k) + 1};
            compare(k, batch, seed + batch, -1, 0);
            for (int split : splits) {
                if (split > 0 && split < batch) {
                    compare(k, batch, seed + batch, split, 0);
                }
            }
        }
    }

    /** Compares one run (split at {@code split} when it is inside the batch) with the evaluator, within {@code ulps}. */
    private static void compare(Kernel k, int batch, long seed, int split, int ulps) {
        BatchedKernel kernel = VectorKirKernels.load(k);
        Data d = new Data(k, batch, seed);
        double[][] expected = d.evaluate();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment[] segs = d.segments(arena);
            if (split > 0 && split < batch) {
                kernel.run(segs, d.longArgs(), batch, 0, split);
                kernel.run(segs, d.longArgs(), batch, split, batch);
            } else {
                kernel.run(segs, d.longArgs(), batch, 0, batch);
            }
            d.check(expected, segs, ulps);
        } catch (AssertionError e) {
            throw new AssertionError("kernel " + k.name() + ", batch " + batch + ", split " + split + ": " + e.getMessage()
                    + "\n" + k, e);
        }
    }

    /** Inputs of one run: evaluator buffers, their copies in native memory, and arguments. */
    private static final class Data {
        final Kernel k;
        final int batch;
        final double[][] buffers;
        final double[] args;

        Data(Kernel k, int batch, long seed) {
            this.k = k;
            this.batch = batch;
            Random r = new Random(seed);
            buffers = new double[k.buffers().size()][];
            for (int i = 0; i < buffers.length; i++) {
                KBuffer b = k.buffers().get(i);
                int n = switch (b.role()) {
                    case SCRATCH -> 0;
                    case PARAM -> b.elements() < 0 ? PARAM_LENGTH : b.elements();
                    case IN, OUT, STATE -> b.elements() * batch;
                };
                buffers[i] = new double[n];
                for (int j = 0; j < n; j++) {
                    buffers[i][j] = value(b.type(), r);
                }
            }
            args = new double[k.args().size()];
            for (int i = 0; i < args.length; i++) {
                args[i] = k.args().get(i) == KType.BOOL ? r.nextInt(2) : value(k.args().get(i), r);
            }
        }

        static double value(KType t, Random r) {
            int pick = r.nextInt(24);
            return switch (t) {
                case F32, F64 -> {
                    double v = switch (pick) {
                        case 0 -> Double.NaN;
                        case 1 -> Double.POSITIVE_INFINITY;
                        case 2 -> -0.0;
                        case 3 -> 0.0;
                        case 4 -> -1.0;
                        default -> r.nextGaussian() * (pick < 12 ? 1 : 100);
                    };
                    yield t == KType.F32 ? (double) (float) v : v;
                }
                case I32 -> pick == 0 ? Integer.MIN_VALUE : pick == 1 ? Integer.MAX_VALUE : pick == 2 ? 0 : r.nextInt(41) - 20;
                case I64 -> pick == 0 ? -(1L << 52) : pick == 1 ? 1L << 52 : pick == 2 ? 0 : r.nextInt(41) - 20;
                case BOOL -> r.nextInt(2);
            };
        }

        double[][] evaluate() {
            double[][] copy = new double[buffers.length][];
            for (int i = 0; i < copy.length; i++) {
                copy[i] = buffers[i].clone();
            }
            KirEvaluator.run(k, copy, args, batch);
            return copy;
        }

        long[] longArgs() {
            long[] a = new long[args.length];
            for (int i = 0; i < a.length; i++) {
                a[i] = switch (k.args().get(i)) {
                    case F32 -> Float.floatToRawIntBits((float) args[i]);
                    case F64 -> Double.doubleToRawLongBits(args[i]);
                    case I32, I64, BOOL -> (long) args[i];
                };
            }
            return a;
        }

        MemorySegment[] segments(Arena arena) {
            List<MemorySegment> segs = new ArrayList<>();
            for (int i = 0; i < buffers.length; i++) {
                KBuffer b = k.buffers().get(i);
                if (b.role() == KBuffer.Role.SCRATCH) {
                    continue;
                }
                MemorySegment s = arena.allocate((long) Math.max(buffers[i].length, 0) * b.type().bytes(), 8);
                for (int j = 0; j < buffers[i].length; j++) {
                    double v = buffers[i][j];
                    switch (b.type()) {
                        case F32 -> s.setAtIndex(ValueLayout.JAVA_FLOAT, j, (float) v);
                        case F64 -> s.setAtIndex(ValueLayout.JAVA_DOUBLE, j, v);
                        case I32 -> s.setAtIndex(ValueLayout.JAVA_INT, j, (int) (long) v);
                        case I64, BOOL -> s.setAtIndex(ValueLayout.JAVA_LONG, j, (long) v);
                    }
                }
                segs.add(s);
            }
            return segs.toArray(MemorySegment[]::new);
        }

        void check(double[][] expected, MemorySegment[] segs, int ulps) {
            int abi = 0;
            for (int i = 0; i < buffers.length; i++) {
                KBuffer b = k.buffers().get(i);
                if (b.role() == KBuffer.Role.SCRATCH) {
                    continue;
                }
                MemorySegment s = segs[abi++];
                for (int j = 0; j < expected[i].length; j++) {
                    double want = expected[i][j];
                    String where = "buffer " + b.name() + " element " + (j / batch) + " item " + (j % batch);
                    switch (b.type()) {
                        case F32 -> {
                            float got = s.getAtIndex(ValueLayout.JAVA_FLOAT, j);
                            close(where, (float) want, got, Math.ulp((float) want) * ulps);
                        }
                        case F64 -> close(where, want, s.getAtIndex(ValueLayout.JAVA_DOUBLE, j), Math.ulp(want) * ulps);
                        case I32 -> assertEquals((long) want, s.getAtIndex(ValueLayout.JAVA_INT, j), where);
                        case I64, BOOL -> assertEquals(want, (double) s.getAtIndex(ValueLayout.JAVA_LONG, j), where);
                    }
                }
            }
        }

        private static void close(String where, double want, double got, double tolerance) {
            if (Double.isNaN(want) || Double.isNaN(got)) {
                if (Double.isNaN(want) != Double.isNaN(got)) {
                    fail(where + ": expected " + want + " but was " + got);
                }
                return;
            }
            if (tolerance == 0 || Double.isInfinite(want)) {
                if (Double.doubleToLongBits(want) != Double.doubleToLongBits(got)) {
                    fail(where + ": expected " + want + " but was " + got);
                }
                return;
            }
            if (Math.abs(want - got) > tolerance) {
                fail(where + ": expected " + want + " but was " + got + " (more than the tolerance " + tolerance + ")");
            }
        }
    }

    /** Random well-typed kernels over every instruction (exp, log and pow aside, which are not bit-exact). */
    private static final class RandomKernel {
        private final Random r;
        private final boolean wide;
        private final KBuilder b;
        private final Map<KType, List<KValue>> pool = new EnumMap<>(KType.class);
        private final Map<KType, Integer> in = new EnumMap<>(KType.class);
        private final Map<KType, Integer> out = new EnumMap<>(KType.class);
        private final Map<KType, Integer> scratch = new EnumMap<>(KType.class);
        private final Map<KType, Integer> param = new EnumMap<>(KType.class);
        private final List<KValue> indices = new ArrayList<>();
        private int state;
        private int freeParam;
        private static final int ELEMENTS = 4;

        RandomKernel(long seed, boolean wide) {
            this.r = new Random(seed);
            this.wide = wide;
            this.b = new KBuilder("random_" + seed);
            for (KType t : List.of(KType.F32, KType.F64, KType.I32, KType.I64)) {
                boolean batched = wide || t.bytes() == 4;
                if (batched) {
                    in.put(t, b.buffer("in_" + t.text(), KBuffer.Role.IN, t, ELEMENTS));
                    out.put(t, b.buffer("out_" + t.text(), KBuffer.Role.OUT, t, ELEMENTS));
                    scratch.put(t, b.buffer("scratch_" + t.text(), KBuffer.Role.SCRATCH, t, ELEMENTS));
                }
                param.put(t, b.buffer("param_" + t.text(), KBuffer.Role.PARAM, t, ELEMENTS));
                b.declareArg(t);
                pool.put(t, new ArrayList<>());
            }
            pool.put(KType.BOOL, new ArrayList<>());
            b.declareArg(KType.BOOL);
            state = b.buffer("state", KBuffer.Role.STATE, KType.F32, ELEMENTS);
            freeParam = b.buffer("free", KBuffer.Role.PARAM, KType.I32, -1);
            for (int a = 0; a < 5; a++) {
                KValue v = b.arg(a);
                pool.get(v.type()).add(v);
            }
            for (KType t : in.keySet()) {
                pool.get(t).add(b.load(in.get(t), r.nextInt(ELEMENTS)));
            }
            pool.get(KType.F32).add(b.load(state, 0));
            pool.get(KType.I64).add(b.length(freeParam));
            pool.get(KType.I32).add(b.load(freeParam, b.index(PARAM_LENGTH - 1)));
            for (KType t : param.keySet()) {
                pool.get(t).add(b.load(param.get(t), r.nextInt(ELEMENTS)));
            }
            pool.get(KType.BOOL).add(b.compare(KInstr.CompareKind.LT, pool.get(KType.F32).getLast(), pool.get(KType.F32).getFirst()));
            for (KType t : in.keySet()) {
                b.store(scratch.get(t), b.index(r.nextInt(ELEMENTS)), pick(t));
                for (int e = 0; e < ELEMENTS; e++) {
                    b.store(scratch.get(t), e, pick(t));
                }
            }
        }

        /** A kernel of about {@code size} random instructions whose every top-level value is stored to an output. */
        Kernel build(int size) {
            block(size, 0);
            finish();
            for (KType t : List.of(KType.F32, KType.F64, KType.I32, KType.I64, KType.BOOL)) {
                List<KValue> vs = pool.get(t).stream().filter(this::allowed).toList();
                KType stored = t == KType.BOOL ? KType.I32 : t;
                if (!wide && stored.bytes() == 8) {
                    continue;
                }
                int all = b.buffer("all_" + t.text(), KBuffer.Role.OUT, stored, Math.max(vs.size(), 1));
                for (int i = 0; i < vs.size(); i++) {
                    b.store(all, i, t == KType.BOOL ? b.convert(KType.I32, vs.get(i)) : vs.get(i));
                }
            }
            return b.build();
        }

        Kernel straightLine(int size) {
            while (KirWalk.size(b.build().body()) < size) {
                for (int i = 0; i < 500; i++) {
                    op();
                }
            }
            finish();
            return b.build();
        }

        private void finish() {
            for (KType t : out.keySet()) {
                for (int e = 0; e < ELEMENTS; e++) {
                    b.store(out.get(t), e, pick(t));
                }
            }
            b.store(state, 1, pick(KType.F32));
            b.store(out.get(KType.I32), 0, b.convert(KType.I32, pick(KType.BOOL)));
        }

        private void block(int size, int depth) {
            for (int n = 0; n < size; n++) {
                if (depth < 2 && r.nextInt(25) == 0) {
                    loop(depth);
                } else {
                    op();
                }
            }
        }

        private void loop(int depth) {
            List<KValue> inits = new ArrayList<>();
            int carried = 1 + r.nextInt(3);
            for (int i = 0; i < carried; i++) {
                inits.add(pick(randomType()));
            }
            Map<KType, List<KValue>> saved = new EnumMap<>(KType.class);
            pool.forEach((t, vs) -> saved.put(t, new ArrayList<>(vs)));
            int trips = r.nextInt(ELEMENTS + 1);
            List<KValue> results = b.loop(0, trips, inits, (i, c) -> {
                pool.clear();
                saved.forEach((t, vs) -> pool.put(t, new ArrayList<>(vs)));
                indices.add(i);
                pool.get(KType.I32).add(i);
                for (KValue v : c) {
                    pool.get(v.type()).add(v);
                }
                block(4 + r.nextInt(12), depth + 1);
                indices.removeLast();
                List<KValue> yields = new ArrayList<>();
                for (KValue v : c) {
                    yields.add(pick(v.type()));
                }
                return yields;
            });
            pool.clear();
            saved.forEach((t, vs) -> pool.put(t, vs));
            for (KValue v : results) {
                pool.get(v.type()).add(v);
            }
        }

        private KType randomType() {
            return List.of(KType.F32, KType.F64, KType.I32, KType.I64, KType.BOOL).get(r.nextInt(5));
        }

        /** A random value of {@code t}: lane values of 64-bit types only in wide kernels. */
        private KValue pick(KType t) {
            List<KValue> vs = pool.get(t);
            for (int attempt = 0; attempt < 8; attempt++) {
                KValue v = vs.get(vs.size() - 1 - r.nextInt(Math.min(vs.size(), 24)));
                if (allowed(v)) {
                    return v;
                }
            }
            for (KValue v : vs.reversed()) {
                if (allowed(v)) {
                    return v;
                }
            }
            throw new IllegalStateException("no value of " + t);
        }

        private boolean allowed(KValue v) {
            return wide || !v.lane() || v.type().bytes() != 8;
        }

        private KValue index() {
            if (!indices.isEmpty() && r.nextBoolean()) {
                return indices.get(r.nextInt(indices.size()));
            }
            return b.index(r.nextInt(ELEMENTS));
        }

        private void op() {
            KType t = randomType();
            KValue v = switch (r.nextInt(12)) {
                case 0 -> t.isFloat() ? b.constF(t, Data.value(t, r)) : b.constI(t, t == KType.BOOL ? r.nextInt(2) : (long) Data.value(t, r));
                case 1 -> t == KType.BOOL ? null : in.containsKey(t) && r.nextBoolean() ? b.load(in.get(t), index())
                        : b.load(param.get(t), index());
                case 2 -> {
                    if (t != KType.BOOL && scratch.containsKey(t)) {
                        int buffer = r.nextBoolean() ? scratch.get(t) : out.get(t);
                        b.store(buffer, index(), pick(t));
                        yield scratch.containsKey(t) ? b.load(scratch.get(t), index()) : null;
                    }
                    yield null;
                }
                case 3 -> {
                    List<KInstr.UnaryKind> kinds = switch (t) {
                        case F32, F64 -> List.of(KInstr.UnaryKind.NEG, KInstr.UnaryKind.ABS, KInstr.UnaryKind.SQRT,
                                KInstr.UnaryKind.RECIPROCAL, KInstr.UnaryKind.SIGN);
                        case I32, I64 -> List.of(KInstr.UnaryKind.NEG, KInstr.UnaryKind.ABS, KInstr.UnaryKind.SIGN,
                                KInstr.UnaryKind.NOT);
                        case BOOL -> List.of(KInstr.UnaryKind.NOT);
                    };
                    yield b.unary(kinds.get(r.nextInt(kinds.size())), pick(t));
                }
                case 4, 5 -> {
                    List<KInstr.BinaryKind> kinds = switch (t) {
                        case F32, F64 -> List.of(KInstr.BinaryKind.ADD, KInstr.BinaryKind.SUB, KInstr.BinaryKind.MUL,
                                KInstr.BinaryKind.DIV, KInstr.BinaryKind.MIN, KInstr.BinaryKind.MAX, KInstr.BinaryKind.REM);
                        case I32, I64 -> List.of(KInstr.BinaryKind.values()).stream()
                                .filter(k -> k != KInstr.BinaryKind.POW).toList();
                        case BOOL -> List.of(KInstr.BinaryKind.AND, KInstr.BinaryKind.OR, KInstr.BinaryKind.XOR);
                    };
                    yield b.binary(kinds.get(r.nextInt(kinds.size())), pick(t), pick(t));
                }
                case 6 -> t.isFloat() ? b.fma(pick(t), pick(t), pick(t)) : null;
                case 7 -> b.compare(KInstr.CompareKind.values()[r.nextInt(6)], pick(t), pick(t));
                case 8, 9 -> b.select(pick(KType.BOOL), pick(t), pick(t));
                default -> {
                    KType from = randomType();
                    KValue a = pick(from);
                    yield from == t ? null : b.convert(t, a);
                }
            };
            if (v != null) {
                pool.get(v.type()).add(v);
            }
        }
    }
}
