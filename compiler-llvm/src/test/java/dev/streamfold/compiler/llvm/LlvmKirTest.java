package dev.streamfold.compiler.llvm;

import static java.lang.foreign.ValueLayout.JAVA_DOUBLE;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.streamfold.compiler.kir.KBuffer;
import dev.streamfold.compiler.kir.KBuilder;
import dev.streamfold.compiler.kir.KInstr;
import dev.streamfold.compiler.kir.KInstr.BinaryKind;
import dev.streamfold.compiler.kir.KInstr.CompareKind;
import dev.streamfold.compiler.kir.KInstr.UnaryKind;
import dev.streamfold.compiler.kir.KType;
import dev.streamfold.compiler.kir.KValue;
import dev.streamfold.compiler.kir.Kernel;
import dev.streamfold.compiler.kir.KirEvaluator;
import dev.streamfold.compiler.kir.KirWalk;
import dev.streamfold.compiler.lower.KArray;
import dev.streamfold.compiler.lower.LowerContext;
import dev.streamfold.runtime.batched.BatchStatus;
import dev.streamfold.runtime.batched.BatchedKernel;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.stream.IntStream;
import java.util.stream.LongStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The LLVM backends of kernel IR v2: host JIT results equal {@link KirEvaluator}'s bit for bit (NaNs equal as
 * NaNs; exp, log and pow within one ulp) for several batch sizes and splits of the batch into ranges; the PTX of
 * the same kernels assembles for sm_80 and sm_90 where ptxas is on PATH; the host IR of one small kernel, 4 items at
 * once, equals its golden under {@code src/test/resources/kir/golden} (rewrite with
 * {@code -Dstreamfold.updateGolden=true}). Host kernels run at the host's vector width and at other widths, so ranges
 * cover both the vector part and the one-item-at-a-time rest.
 */
class LlvmKirTest {
    private static final int[] BATCHES = {1, 7, 8, 9, 1003};
    /** Items at once other than the host's own, for runs of the same kernels through other vector widths. */
    private static final int[] OTHER_LANES = {1, 4, 32};
    private static final Path GOLDEN = Path.of("src/test/resources/kir/golden");
    private static final boolean UPDATE = Boolean.getBoolean("streamfold.updateGolden");
    private static final int RANDOM_KERNELS = 24;

    // ---- hand-written kernels ----

    /** Every instruction on every type it takes, with special inputs. */
    static Kernel everyInstruction() {
        KBuilder b = new KBuilder("every_instruction");
        int inF = b.buffer("inF", KBuffer.Role.IN, KType.F32, 2);
        int inD = b.buffer("inD", KBuffer.Role.IN, KType.F64, 2);
        int inI = b.buffer("inI", KBuffer.Role.IN, KType.I32, 2);
        int inL = b.buffer("inL", KBuffer.Role.IN, KType.I64, 2);
        int outF = b.buffer("outF", KBuffer.Role.OUT, KType.F32, 96);
        int outD = b.buffer("outD", KBuffer.Role.OUT, KType.F64, 96);
        int outI = b.buffer("outI", KBuffer.Role.OUT, KType.I32, 96);
        int outL = b.buffer("outL", KBuffer.Role.OUT, KType.I64, 96);
        int param = b.buffer("param", KBuffer.Role.PARAM, KType.F64, -1);
        int argF = b.declareArg(KType.F32);
        int argL = b.declareArg(KType.I64);
        int argB = b.declareArg(KType.BOOL);
        Map<KType, Integer> outs = Map.of(KType.F32, outF, KType.F64, outD, KType.I32, outI, KType.I64, outL);
        int[] next = new int[4];
        Map<KType, Integer> slot = new EnumMap<>(Map.of(KType.F32, 0, KType.F64, 1, KType.I32, 2, KType.I64, 3));
        java.util.function.Consumer<KValue> out = v -> {
            KValue s = v.type() == KType.BOOL ? b.convert(KType.I32, v) : v;
            b.store(outs.get(s.type()), next[slot.get(s.type())]++, s);
        };
        for (int[] pair : new int[][] {{inF, -1}, {inD, -1}, {inI, -1}, {inL, -1}}) {
            KValue x = b.load(pair[0], 0);
            KValue y = b.load(pair[0], 1);
            KType t = x.type();
            for (UnaryKind u : t.isFloat() ? List.of(UnaryKind.NEG, UnaryKind.ABS, UnaryKind.SQRT, UnaryKind.RECIPROCAL,
                    UnaryKind.SIGN) : List.of(UnaryKind.NEG, UnaryKind.ABS, UnaryKind.SIGN, UnaryKind.NOT)) {
                out.accept(b.unary(u, x));
            }
            for (BinaryKind k : t.isFloat() ? List.of(BinaryKind.ADD, BinaryKind.SUB, BinaryKind.MUL, BinaryKind.DIV,
                    BinaryKind.MIN, BinaryKind.MAX, BinaryKind.REM) : List.of(BinaryKind.ADD, BinaryKind.SUB, BinaryKind.MUL,
                    BinaryKind.DIV, BinaryKind.MIN, BinaryKind.MAX, BinaryKind.REM, BinaryKind.AND, BinaryKind.OR,
                    BinaryKind.XOR)) {
                out.accept(b.binary(k, x, y));
            }
            if (t.isFloat()) {
                out.accept(b.fma(x, y, b.constF(t, 0.25)));
            }
            KValue lt = b.compare(CompareKind.LT, x, y);
            for (CompareKind c : CompareKind.values()) {
                out.accept(b.compare(c, x, y));
            }
            KValue ne = b.compare(CompareKind.NE, x, y);
            out.accept(b.select(lt, x, y));
            out.accept(b.binary(BinaryKind.XOR, b.and(lt, ne), b.or(b.not(lt), ne)));
            out.accept(b.compare(CompareKind.LT, lt, ne));
            out.accept(b.compare(CompareKind.GE, lt, ne));
            for (KType to : KType.values()) {
                if (to != t) {
                    out.accept(b.convert(to, x));
                }
            }
        }
        KValue f = b.arg(argF);
        KValue l = b.arg(argL);
        KValue flag = b.arg(argB);
        out.accept(b.add(f, b.convert(KType.F32, b.load(param, 1))));
        out.accept(b.add(l, b.length(param)));
        out.accept(b.select(flag, b.constI(KType.I64, Long.MIN_VALUE), l));
        out.accept(b.convert(KType.F64, flag));
        out.accept(b.convert(KType.F32, b.convert(KType.I64, b.load(inD, 0))));
        return b.build();
    }

    /** A running sum, max and argmax over the elements: a loop with lane carries of three types. */
    static Kernel loopWithCarries() {
        KBuilder b = new KBuilder("loop_carries");
        int in = b.buffer("x", KBuffer.Role.IN, KType.F64, 6);
        int out = b.buffer("y", KBuffer.Role.OUT, KType.F64, 2);
        int arg = b.buffer("argmax", KBuffer.Role.OUT, KType.I32, 1);
        List<KValue> r = b.loop(0, 6, List.of(b.constF(KType.F64, 0), b.constF(KType.F64, Double.NEGATIVE_INFINITY),
                b.index(-1)), (i, c) -> {
            KValue x = b.load(in, i);
            KValue bigger = b.compare(CompareKind.GT, x, c.get(1));
            return List.of(b.add(c.get(0), x), b.select(bigger, x, c.get(1)), b.select(bigger, i, c.get(2)));
        });
        b.store(out, 0, r.get(0));
        b.store(out, 1, r.get(1));
        b.store(arg, 0, r.get(2));
        // A loop that never runs leaves its initial values.
        List<KValue> none = b.loop(3, 3, List.of(b.load(in, 0)), (i, c) -> List.of(b.neg(c.get(0))));
        b.store(out, 0, b.add(r.get(0), none.get(0)));
        return b.build();
    }

    /** y = A x per item with A in a param and the partial sums in scratch: nested loops, scratch, a uniform carry. */
    static Kernel nestedScratch() {
        KBuilder b = new KBuilder("nested_scratch");
        int x = b.buffer("x", KBuffer.Role.IN, KType.F32, 4);
        int a = b.buffer("a", KBuffer.Role.PARAM, KType.F32, 12);
        int s = b.buffer("s", KBuffer.Role.STATE, KType.F32, 3);
        int y = b.buffer("y", KBuffer.Role.OUT, KType.F32, 3);
        int acc = b.buffer("acc", KBuffer.Role.SCRATCH, KType.F32, 3);
        int counter = b.buffer("steps", KBuffer.Role.OUT, KType.I64, 1);
        List<KValue> total = b.loop(0, 3, List.of(b.constI(KType.I64, 0)), (row, outer) -> {
            List<KValue> dot = b.loop(0, 4, List.of(b.constF(KType.F32, 0), outer.get(0)), (col, inner) -> {
                KValue at = b.add(b.mul(row, b.index(4)), col);
                KValue prod = b.fma(b.load(a, at), b.load(x, col), inner.get(0));
                return List.of(prod, b.add(inner.get(1), b.constI(KType.I64, 1)));
            });
            b.store(acc, row, dot.get(0));
            return List.of(dot.get(1));
        });
        b.forRange(0, 3, i -> {
            KValue v = b.add(b.load(acc, i), b.load(s, i));
            b.store(s, i, v);
            b.store(y, i, b.sqrt(b.abs(v)));
        });
        b.store(counter, 0, total.get(0));
        return b.build();
    }

    /** exp, log and pow on f32 and f64, stored as computed. */
    static Kernel transcendental() {
        KBuilder b = new KBuilder("transcendental");
        int inF = b.buffer("inF", KBuffer.Role.IN, KType.F32, 2);
        int inD = b.buffer("inD", KBuffer.Role.IN, KType.F64, 2);
        int outF = b.buffer("outF", KBuffer.Role.OUT, KType.F32, 3);
        int outD = b.buffer("outD", KBuffer.Role.OUT, KType.F64, 3);
        for (int[] io : new int[][] {{inF, outF}, {inD, outD}}) {
            KValue x = b.load(io[0], 0);
            KValue y = b.load(io[0], 1);
            b.store(io[1], 0, b.unary(UnaryKind.EXP, x));
            b.store(io[1], 1, b.unary(UnaryKind.LOG, x));
            b.store(io[1], 2, b.binary(BinaryKind.POW, x, y));
        }
        return b.build();
    }

    /**
     * LU with partial pivoting of a 4x4 f64 matrix per item, as a lowering writes it: the matrix in scratch, pivot
     * search by lane-carried max and index, row swaps by select, a zero pivot flagged through the status output.
     */
    static Kernel luPartialPivoting() {
        int n = 4;
        KBuilder b = new KBuilder("lu_f64_4x4");
        int in = b.buffer("a", KBuffer.Role.IN, KType.F64, n * n);
        int lu = b.buffer("lu", KBuffer.Role.OUT, KType.F64, n * n);
        int perm = b.buffer("perm", KBuffer.Role.OUT, KType.I32, n);
        int status = b.buffer("status", KBuffer.Role.OUT, KType.I32, 1);
        LowerContext cx = new LowerContext(b, status);
        b.store(status, 0, b.index(0));
        KArray a = cx.scratch(KType.F64, n, n);
        KArray p = cx.scratch(KType.I32, n);
        b.forRange(0, n * n, e -> b.store(a.buffer(), e, b.load(in, e)));
        b.forRange(0, n, i -> b.store(p.buffer(), i, i));
        for (int k = 0; k < n; k++) {
            KValue kk = b.index(k);
            List<KValue> best = b.loop(k + 1, n, List.of(b.abs(a.load(b, kk, kk)), kk), (i, c) -> {
                KValue v = b.abs(a.load(b, i, kk));
                KValue bigger = b.compare(CompareKind.GT, v, c.get(0));
                return List.of(b.select(bigger, v, c.get(0)), b.select(bigger, i, c.get(1)));
            });
            KValue piv = best.get(1);
            cx.fail(b.compare(CompareKind.EQ, best.get(0), b.constF(KType.F64, 0)), BatchStatus.ZERO_PIVOT);
            int kRow = k;
            b.forRange(0, n, j -> {
                KValue rowK = a.load(b, kk, j);
                KValue pivotValue = rowK;
                for (int r = kRow + 1; r < n; r++) {
                    KValue at = b.index(r);
                    pivotValue = b.select(b.compare(CompareKind.EQ, piv, at), a.load(b, at, j), pivotValue);
                }
                for (int r = kRow + 1; r < n; r++) {
                    KValue at = b.index(r);
                    a.store(b, b.select(b.compare(CompareKind.EQ, piv, at), rowK, a.load(b, at, j)), at, j);
                }
                a.store(b, pivotValue, kk, j);
            });
            KValue pk = p.load(b, kk);
            KValue pPivot = pk;
            for (int r = k + 1; r < n; r++) {
                KValue at = b.index(r);
                pPivot = b.select(b.compare(CompareKind.EQ, piv, at), p.load(b, at), pPivot);
                p.store(b, b.select(b.compare(CompareKind.EQ, piv, at), pk, p.load(b, at)), at);
            }
            p.store(b, pPivot, kk);
            KValue diagonal = a.load(b, kk, kk);
            b.forRange(k + 1, n, i -> {
                KValue l = b.div(a.load(b, i, kk), diagonal);
                a.store(b, l, i, kk);
                b.forRange(kRow + 1, n, j -> a.store(b, b.fma(b.neg(l), a.load(b, kk, j), a.load(b, i, j)), i, j));
            });
        }
        b.forRange(0, n * n, e -> b.store(lu, e, b.load(a.buffer(), e)));
        b.forRange(0, n, i -> b.store(perm, i, b.load(p.buffer(), i)));
        return b.build();
    }

    @Test
    void luMatchesTheEvaluatorAndFlagsZeroPivots() {
        Kernel k = luPartialPivoting();
        BatchedKernel compiled = LlvmKirKernels.load(k);
        for (int batch : BATCHES) {
            compare(k, compiled, batch, batch, 0);
        }
        // Item 0 regular, item 1 all zero (singular at the first pivot), item 2 a permutation matrix.
        int batch = 3;
        double[] a = new double[16 * batch];
        for (int e = 0; e < 16; e++) {
            a[e * batch] = e / 4 == e % 4 ? 4.0 + e : 1.0 / (1 + e);
            a[e * batch + 2] = (e / 4 + 1) % 4 == e % 4 ? 1.0 : 0.0;
        }
        double[][] buffers = {a, new double[16 * batch], new double[4 * batch], new double[batch], null, null};
        KirEvaluator.run(k, buffers, new double[0], batch);
        assertEquals(0.0, buffers[3][0]);
        assertEquals(BatchStatus.ZERO_PIVOT.code(), (int) buffers[3][1]);
        assertEquals(0.0, buffers[3][2]);
        compare(k, compiled, batch, 1, 0, Map.of(0, a));
    }

    static Kernel golden() {
        KBuilder b = new KBuilder("axpy_clamp");
        int x = b.buffer("x", KBuffer.Role.IN, KType.F32, 2);
        int y = b.buffer("y", KBuffer.Role.OUT, KType.F32, 2);
        int alpha = b.declareArg(KType.F32);
        KValue a = b.arg(alpha);
        b.forRange(0, 2, i -> {
            KValue v = b.fma(a, b.load(x, i), b.constF(KType.F32, 1.0));
            b.store(y, i, b.select(b.compare(CompareKind.LT, v, b.constF(KType.F32, 0)), b.constF(KType.F32, 0), v));
        });
        return b.build();
    }

    static Stream<Kernel> exactKernels() {
        List<Kernel> ks = new ArrayList<>(List.of(everyInstruction(), loopWithCarries(), nestedScratch(), luPartialPivoting(),
                golden()));
        for (int seed = 0; seed < RANDOM_KERNELS; seed++) {
            ks.add(RandomKernel.make(seed));
        }
        return ks.stream();
    }

    // ---- host JIT against the evaluator ----

    @ParameterizedTest(name = "{0}")
    @MethodSource("exactKernels")
    void hostMatchesEvaluatorBitForBit(Kernel k) {
        BatchedKernel compiled = LlvmKirKernels.load(k);
        for (int batch : BATCHES) {
            compare(k, compiled, batch, batch * 31L + k.name().hashCode(), 0);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("exactKernels")
    void hostMatchesEvaluatorBitForBitAtOtherVectorWidths(Kernel k) {
        for (int lanes : OTHER_LANES) {
            BatchedKernel compiled = LlvmKirKernels.load(k, lanes);
            for (int batch : new int[] {3, 37, 1003}) {
                compare(k, compiled, batch, batch * 17L + lanes + k.name().hashCode(), 0);
            }
        }
    }

    @Test
    void specialValuesAndTranscendentalsAtOtherVectorWidths() {
        Kernel k = everyInstruction();
        double[] floats = Values.FLOATS;
        long[] longs = Values.LONGS;
        long[] ints = Values.INTS;
        int batch = Math.max(floats.length * floats.length, Math.max(ints.length * ints.length, longs.length * longs.length));
        Map<Integer, double[]> given = new java.util.HashMap<>();
        given.put(k.buffer("inF"), pairs(batch, floats, true));
        given.put(k.buffer("inD"), pairs(batch, floats, false));
        given.put(k.buffer("inI"), pairs(batch, LongStream.of(ints).asDoubleStream().toArray(), false));
        given.put(k.buffer("inL"), pairs(batch, LongStream.of(longs).asDoubleStream().toArray(), false));
        for (int lanes : OTHER_LANES) {
            compare(k, LlvmKirKernels.load(k, lanes), batch, 5, 0, given);
            compare(transcendental(), LlvmKirKernels.load(transcendental(), lanes), 1003, lanes, 1);
        }
    }

    @Test
    void vectorWidthFollowsTheHostAndTheWidestElement() {
        assertEquals(512, LlvmToolchain.vectorBits("+sse2,+avx,+avx2,+avx512f,-amx-tile"));
        assertEquals(256, LlvmToolchain.vectorBits("+sse2,+avx,+avx2,-avx512f"));
        assertEquals(128, LlvmToolchain.vectorBits("+sse2,-avx,-avx512f"));
        assertEquals(128, LlvmToolchain.vectorBits("+neon"));
        assertEquals(16, LlvmKirEmitter.lanesFor(golden(), 512));
        assertEquals(8, LlvmKirEmitter.lanesFor(golden(), 256));
        assertEquals(8, LlvmKirEmitter.lanesFor(everyInstruction(), 512));
        assertEquals(4, LlvmKirEmitter.lanesFor(everyInstruction(), 128));
        assertThrows(IllegalArgumentException.class, () -> LlvmKirEmitter.host(golden(), 3));
        assertThrows(IllegalArgumentException.class, () -> LlvmKirKernels.load(golden(), 0));
    }

    /** Every pair of special values of each type, one pair per item: division by 0 and -1, NaN, saturation. */
    @Test
    void everyInstructionOnEveryPairOfSpecialValues() {
        Kernel k = everyInstruction();
        double[] floats = Values.FLOATS;
        long[] longs = Values.LONGS;
        long[] ints = Values.INTS;
        int batch = Math.max(floats.length * floats.length, Math.max(ints.length * ints.length, longs.length * longs.length));
        Map<Integer, double[]> given = new java.util.HashMap<>();
        given.put(k.buffer("inF"), pairs(batch, floats, true));
        given.put(k.buffer("inD"), pairs(batch, floats, false));
        given.put(k.buffer("inI"), pairs(batch, LongStream.of(ints).asDoubleStream().toArray(), false));
        given.put(k.buffer("inL"), pairs(batch, LongStream.of(longs).asDoubleStream().toArray(), false));
        compare(k, LlvmKirKernels.load(k), batch, 5, 0, given);
    }

    /** Element 0 of item b is {@code values[b / n % n]}, element 1 {@code values[b % n]}, so items cover every pair. */
    private static double[] pairs(int batch, double[] values, boolean f32) {
        int n = values.length;
        double[] out = new double[2 * batch];
        for (int item = 0; item < batch; item++) {
            out[item] = values[item / n % n];
            out[batch + item] = values[item % n];
            if (f32) {
                out[item] = (float) out[item];
                out[batch + item] = (float) out[batch + item];
            }
        }
        return out;
    }

    @Test
    void transcendentalsWithinOneUlp() {
        Kernel k = transcendental();
        BatchedKernel compiled = LlvmKirKernels.load(k);
        for (int batch : BATCHES) {
            compare(k, compiled, batch, batch, 1);
        }
    }

    @Test
    void handWrittenKernelsCoverEveryInstructionAndType() {
        Set<Class<?>> kinds = new java.util.HashSet<>();
        Set<KType> types = EnumSet.noneOf(KType.class);
        Set<Enum<?>> ops = new java.util.HashSet<>();
        for (Kernel k : List.of(everyInstruction(), loopWithCarries(), nestedScratch(), transcendental())) {
            KirWalk.forEach(k.body(), i -> {
                kinds.add(i.getClass());
                if (i.dst() != null) {
                    types.add(i.dst().type());
                }
                switch (i) {
                    case KInstr.Unary u -> ops.add(u.kind());
                    case KInstr.Binary bin -> ops.add(bin.kind());
                    case KInstr.Compare c -> ops.add(c.kind());
                    default -> { }
                }
            });
        }
        assertEquals(Set.of(KInstr.class.getPermittedSubclasses()), kinds);
        assertEquals(EnumSet.allOf(KType.class), types);
        Set<Enum<?>> all = new java.util.HashSet<>();
        all.addAll(List.of(UnaryKind.values()));
        all.addAll(List.of(BinaryKind.values()));
        all.addAll(List.of(CompareKind.values()));
        assertEquals(all, ops);
    }

    @Test
    void kernelsAreCachedByText() {
        Kernel k = loopWithCarries();
        BatchedKernel first = LlvmKirKernels.load(k);
        assertSame(first, LlvmKirKernels.load(loopWithCarries()));
        assertEquals("loop_carries", first.name());
        assertEquals(List.of("x", "y", "argmax"), first.buffers().stream().map(bb -> bb.name()).toList());
        assertEquals(0, first.argCount());
    }

    @Test
    void runRejectsBadCallsBeforeNativeCode() {
        BatchedKernel k = LlvmKirKernels.load(loopWithCarries());
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment x = arena.allocate(6 * 8 * 4, 8);
            MemorySegment y = arena.allocate(2 * 8 * 4, 8);
            MemorySegment arg = arena.allocate(4 * 4, 4);
            assertThrows(IllegalArgumentException.class, () -> k.run(new MemorySegment[] {x, y}, new long[0], 4, 0, 4));
            assertThrows(IllegalArgumentException.class, () -> k.run(new MemorySegment[] {x, y, arg}, new long[0], 4, 2, 5));
            assertThrows(IllegalArgumentException.class, () -> k.run(new MemorySegment[] {x, y, arg}, new long[0], 5, 0, 5));
            assertThrows(IllegalArgumentException.class, () -> k.run(new MemorySegment[] {MemorySegment.ofArray(new double[24]),
                    y, arg}, new long[0], 4, 0, 4));
            k.run(new MemorySegment[] {x, y, arg}, new long[0], 4, 0, 4);
        }
    }

    // ---- PTX ----

    static Stream<Kernel> ptxKernels() {
        return exactKernels().filter(k -> k.name().startsWith("random") ? k.name().endsWith("0") : true);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("ptxKernels")
    void ptxAssemblesForSm80AndSm90(Kernel k) {
        if (LlvmKirEmitter.ptx(k).contains("@__nv_") && PtxKirCompiler.libdevice().isEmpty()) {
            System.out.println("skipped PTX of " + k.name() + ": it needs libdevice and no libdevice.10.bc was found");
            Assumptions.abort("no libdevice.10.bc");
        }
        for (String arch : List.of("sm_80", "sm_90")) {
            String ptx = PtxKirCompiler.ptx(k, arch);
            assertTrue(!ptx.contains(".extern") && !ptx.contains("__nv_"), "libdevice functions are linked and inlined");
            String entry = PtxKirCompiler.entry(k);
            assertTrue(ptx.contains(".entry " + entry + "("), ptx);
            assertTrue(ptx.contains(".target " + arch), ptx);
            java.util.regex.Matcher m = java.util.regex.Pattern.compile(entry + "_param_([0-9]+)").matcher(ptx);
            int params = 0;
            while (m.find()) {
                params = Math.max(params, Integer.parseInt(m.group(1)) + 1);
            }
            assertEquals(PtxKirCompiler.parameters(k).size(), params, ptx);
            if (!PtxAssembler.available()) {
                System.out.println("skipped ptxas for " + k.name() + " " + arch + ": ptxas is not on PATH");
                continue;
            }
            new PtxAssembler().check(ptx, arch);
        }
    }

    @Test
    void ptxScratchIsLocalAndLoadsAreGlobal() {
        String ptx = PtxKirCompiler.ptx(nestedScratch(), "sm_90");
        assertTrue(ptx.contains("ld.global"), ptx);
        assertTrue(ptx.contains("st.global"), ptx);
        String ll = LlvmKirEmitter.ptx(nestedScratch());
        assertTrue(ll.contains("%scratch4 = alloca float, i64 3"), ll);
        assertTrue(ll.contains("%b = add nuw nsw i64 %from, %thread"), ll);
        assertTrue(ll.contains("%in = icmp slt i64 %b, %to"), ll);
    }

    @Test
    void ptxComputesLibmFunctionsWithLibdevice() {
        Optional<Path> libdevice = PtxKirCompiler.libdevice();
        if (libdevice.isEmpty()) {
            System.out.println("skipped libdevice linking: no libdevice.10.bc (set -D" + PtxKirCompiler.LIBDEVICE_PROPERTY
                    + " or CUDA_HOME)");
        }
        Assumptions.assumeTrue(libdevice.isPresent(), "no libdevice.10.bc");
        String ll = LlvmKirEmitter.ptx(transcendental());
        for (String fn : List.of("exp", "log", "pow")) {
            assertTrue(ll.contains("declare double @__nv_" + fn + "("), ll);
        }
        for (String arch : List.of("sm_80", "sm_90")) {
            String ptx = PtxKirCompiler.ptx(transcendental(), arch);
            assertTrue(!ptx.contains(".extern"), ptx);
            assertTrue(!ptx.contains("__nv_"), "libdevice functions are inlined");
            assertTrue(ptx.contains(".entry transcendental("), ptx);
            if (PtxAssembler.available()) {
                new PtxAssembler().check(ptx, arch);
            } else {
                System.out.println("skipped ptxas for transcendental " + arch + ": ptxas is not on PATH");
            }
        }
    }

    @Test
    void ptxOfLibmFunctionsNeedsALibdevice() {
        LlvmException e = assertThrows(LlvmException.class,
                () -> PtxKirCompiler.ptx(transcendental(), "sm_80", Path.of("/nonexistent/libdevice.10.bc")));
        assertTrue(e.getMessage().contains("libdevice"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> PtxKirCompiler.ptx(golden(), "sm_70"));
    }

    // ---- the emitted IR ----

    @Test
    void emittedHostIrMatchesGolden() throws IOException {
        String ll = LlvmKirEmitter.host(golden(), 4);
        assertTrue(ll.startsWith("; ModuleID = 'axpy_clamp.host.ll'\n" + LlvmKirEmitter.GENERATED + "\n"), ll);
        new LlvmToolchain().verify(ll);
        Path file = GOLDEN.resolve("axpy_clamp.host.ll");
        if (UPDATE) {
            Files.createDirectories(GOLDEN);
            Files.writeString(file, ll, StandardCharsets.UTF_8);
        }
        if (!Files.exists(file)) {
            fail("no golden " + file + "; run with -Dstreamfold.updateGolden=true");
        }
        assertEquals(Files.readString(file, StandardCharsets.UTF_8), ll);
    }

    @Test
    void straightLineItemLoopIsVectorized() {
        KBuilder b = new KBuilder("saxpy");
        int x = b.buffer("x", KBuffer.Role.IN, KType.F32, 1);
        int y = b.buffer("y", KBuffer.Role.STATE, KType.F32, 1);
        KValue a = b.arg(b.declareArg(KType.F32));
        b.store(y, 0, b.fma(a, b.load(x, 0), b.load(y, 0)));
        LlvmToolchain llvm = new LlvmToolchain();
        String optimized = llvm.optimize(LlvmKirEmitter.host(b.build()), llvm.hostTriple(), LlvmToolchain.NATIVE_CPU);
        assertTrue(optimized.contains("x float>"), optimized);
    }

    @Test
    void luRunsOneItemPerVectorLane() {
        LlvmToolchain llvm = new LlvmToolchain();
        String ll = LlvmKirEmitter.host(luPartialPivoting(), 8);
        assertTrue(ll.contains("define internal void @lu_f64_4x4_lanes("), ll);
        assertTrue(ll.contains("load <8 x double>, ptr"), ll);
        String optimized = llvm.optimize(ll, llvm.hostTriple(), LlvmToolchain.NATIVE_CPU);
        assertTrue(optimized.contains("fdiv <8 x double>"), optimized);
        assertTrue(optimized.contains("store <8 x double>"), optimized);
    }

    @Test
    void emittedIrHasNoFastMathOrContraction() {
        for (Kernel k : exactKernels().toList()) {
            String ll = LlvmKirEmitter.host(k);
            for (String flag : List.of(" fast ", " contract ", " reassoc ", " nnan ", " ninf ", " afn ")) {
                assertTrue(!ll.contains(flag), k.name() + " has" + flag);
            }
        }
    }

    // ---- harness ----

    /**
     * Runs {@code k} through the evaluator and through {@code compiled} twice, once over the whole batch and once in
     * three ranges, on the same random inputs; every OUT and STATE element must agree within {@code ulps} ulps.
     */
    static void compare(Kernel k, BatchedKernel compiled, int batch, long seed, int ulps) {
        compare(k, compiled, batch, seed, ulps, Map.of());
    }

    /** As above, buffers named in {@code given} holding the given values instead of random ones. */
    static void compare(Kernel k, BatchedKernel compiled, int batch, long seed, int ulps, Map<Integer, double[]> given) {
        Random rnd = new Random(seed);
        List<KBuffer> table = k.buffers();
        double[][] expected = new double[table.size()][];
        for (int i = 0; i < table.size(); i++) {
            KBuffer b = table.get(i);
            if (b.role() == KBuffer.Role.SCRATCH) {
                continue;
            }
            int n = b.role().batched() ? b.elements() * batch : (b.elements() < 0 ? 3 + rnd.nextInt(4) : b.elements());
            expected[i] = new double[n];
            for (int j = 0; j < n; j++) {
                expected[i][j] = Values.of(b.type(), rnd);
            }
            if (given.containsKey(i)) {
                expected[i] = given.get(i).clone();
            }
        }
        double[] args = new double[k.args().size()];
        long[] words = new long[args.length];
        for (int a = 0; a < args.length; a++) {
            KType t = k.args().get(a);
            args[a] = t == KType.BOOL ? rnd.nextInt(2) : t == KType.I64 ? rnd.nextInt() * 1000L : Values.of(t, rnd);
            words[a] = t.isFloat() ? Double.doubleToRawLongBits(args[a]) : (long) args[a];
        }
        double[][] initial = new double[table.size()][];
        for (int i = 0; i < table.size(); i++) {
            initial[i] = expected[i] == null ? null : expected[i].clone();
        }
        KirEvaluator.run(k, expected, args, batch);

        int s1 = rnd.nextInt(batch + 1);
        int s2 = s1 + rnd.nextInt(batch - s1 + 1);
        // The whole batch, three ranges one after another, and ranges of at most 5 items run by several threads.
        int[] small = IntStream.rangeClosed(0, (batch + 4) / 5).map(c -> Math.min(batch, 5 * c)).toArray();
        for (int[] cuts : new int[][] {{0, batch}, {0, s1, s2, batch}, small}) {
            boolean concurrent = cuts == small;
            try (Arena arena = Arena.ofShared()) {
                List<Integer> passed = new ArrayList<>();
                List<MemorySegment> segments = new ArrayList<>();
                for (int i = 0; i < table.size(); i++) {
                    KBuffer b = table.get(i);
                    if (b.role() == KBuffer.Role.SCRATCH) {
                        continue;
                    }
                    passed.add(i);
                    segments.add(Values.write(arena, b.type(), initial[i]));
                }
                MemorySegment[] segs = segments.toArray(MemorySegment[]::new);
                IntStream ranges = IntStream.range(0, cuts.length - 1);
                (concurrent ? ranges.parallel() : ranges).forEach(c -> compiled.run(segs, words, batch, cuts[c], cuts[c + 1]));
                for (int p = 0; p < passed.size(); p++) {
                    KBuffer b = table.get(passed.get(p));
                    if (b.role() != KBuffer.Role.OUT && b.role() != KBuffer.Role.STATE) {
                        continue;
                    }
                    double[] got = Values.read(segs[p], b.type(), expected[passed.get(p)].length);
                    for (int j = 0; j < got.length; j++) {
                        double want = expected[passed.get(p)][j];
                        if (!close(b.type(), want, got[j], ulps)) {
                            fail(k.name() + " batch " + batch + " split " + java.util.Arrays.toString(cuts) + ": buffer "
                                    + b.name() + " element " + (j / batch) + " item " + (j % batch) + " is " + got[j]
                                    + ", the evaluator's is " + want + "\n" + k + "\n" + LlvmKirEmitter.host(k));
                        }
                    }
                }
            }
        }
    }

    private static boolean close(KType t, double want, double got, int ulps) {
        if (Double.doubleToLongBits(want) == Double.doubleToLongBits(got)) {
            return true;
        }
        if (ulps == 0 || Double.isNaN(want) || Double.isNaN(got) || Double.isInfinite(want) != Double.isInfinite(got)) {
            return false;
        }
        double ulp = t == KType.F32 ? Math.ulp((float) want) : Math.ulp(want);
        return Math.abs(want - got) <= ulps * ulp;
    }

    /** Test inputs: special values and random ones of each type, and their native form. */
    static final class Values {
        static final double[] FLOATS = {Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, 0.0, -0.0,
                1.0, -1.0, 0.5, 2.5, -2.5, 3.0, 1e30, -1e-30, 4e9, -3e9, 1e19, Double.MIN_VALUE, 1e-310};
        static final long[] INTS = {0, 1, -1, 2, -2, 3, 7, Integer.MIN_VALUE, Integer.MAX_VALUE};
        static final long[] LONGS = {0, 1, -1, 2, -3, Long.MIN_VALUE, 1L << 53, -(1L << 40), Integer.MIN_VALUE};

        static double of(KType t, Random rnd) {
            return switch (t) {
                case F32 -> (float) floating(rnd);
                case F64 -> floating(rnd);
                case I32 -> rnd.nextInt(3) == 0 ? INTS[rnd.nextInt(INTS.length)] : rnd.nextInt(201) - 100;
                case I64 -> rnd.nextInt(3) == 0 ? LONGS[rnd.nextInt(LONGS.length)] : rnd.nextInt(2001) - 1000;
                case BOOL -> rnd.nextInt(2);
            };
        }

        private static double floating(Random rnd) {
            return rnd.nextInt(4) == 0 ? FLOATS[rnd.nextInt(FLOATS.length)] : rnd.nextGaussian() * 8;
        }

        static MemorySegment write(Arena arena, KType t, double[] values) {
            MemorySegment s = arena.allocate(Math.max(1, (long) values.length * t.bytes()), t.bytes());
            for (int i = 0; i < values.length; i++) {
                switch (t) {
                    case F32 -> s.setAtIndex(JAVA_FLOAT, i, (float) values[i]);
                    case F64 -> s.setAtIndex(JAVA_DOUBLE, i, values[i]);
                    case I32 -> s.setAtIndex(JAVA_INT, i, (int) values[i]);
                    case I64 -> s.setAtIndex(JAVA_LONG, i, (long) values[i]);
                    case BOOL -> throw new IllegalArgumentException("bool buffer");
                }
            }
            return values.length == 0 ? s.asSlice(0, 0) : s;
        }

        static double[] read(MemorySegment s, KType t, int n) {
            double[] out = new double[n];
            for (int i = 0; i < n; i++) {
                out[i] = switch (t) {
                    case F32 -> s.getAtIndex(JAVA_FLOAT, i);
                    case F64 -> s.getAtIndex(JAVA_DOUBLE, i);
                    case I32 -> s.getAtIndex(JAVA_INT, i);
                    case I64 -> (double) s.getAtIndex(JAVA_LONG, i);
                    case BOOL -> throw new IllegalArgumentException("bool buffer");
                };
            }
            return out;
        }
    }

    /**
     * Random kernels: inputs of every buffer type, arguments, constants, every instruction but exp, log and pow
     * (whose libm results may differ in the last place, which later instructions would magnify), loops with carries
     * nested two deep that index buffers by their index, scratch written and read, params of fixed and free length.
     */
    static final class RandomKernel {
        private static final KType[] TYPES = KType.values();
        private static final KType[] BUFFER_TYPES = {KType.F32, KType.F64, KType.I32, KType.I64};

        private final KBuilder b;
        /** The choices' source; a loop body draws from its own, so that emitting the body again repeats it. */
        private Random rnd;
        private final Map<KType, List<KValue>> pool = new EnumMap<>(KType.class);
        private final List<Integer> readable = new ArrayList<>();
        private final List<Integer> scratch = new ArrayList<>();
        private final int[] args;

        private RandomKernel(int seed) {
            rnd = new Random(seed);
            b = new KBuilder("random" + seed);
            for (KType t : TYPES) {
                pool.put(t, new ArrayList<>());
            }
            List<int[]> outs = new ArrayList<>();
            for (KType t : BUFFER_TYPES) {
                readable.add(b.buffer("in_" + t.text(), KBuffer.Role.IN, t, 1 + rnd.nextInt(4)));
                outs.add(new int[] {b.buffer("out_" + t.text(), KBuffer.Role.OUT, t, 1 + rnd.nextInt(4))});
            }
            KType stateType = BUFFER_TYPES[rnd.nextInt(BUFFER_TYPES.length)];
            int state = b.buffer("state", KBuffer.Role.STATE, stateType, 1 + rnd.nextInt(3));
            readable.add(b.buffer("param_fixed", KBuffer.Role.PARAM, BUFFER_TYPES[rnd.nextInt(4)], 4));
            readable.add(b.buffer("param_free", KBuffer.Role.PARAM, BUFFER_TYPES[rnd.nextInt(4)], -1));
            for (KType t : List.of(KType.F32, KType.F64, KType.I32)) {
                scratch.add(b.buffer("scratch_" + t.text(), KBuffer.Role.SCRATCH, t, 4));
            }
            args = new int[] {b.declareArg(TYPES[rnd.nextInt(TYPES.length)]), b.declareArg(TYPES[rnd.nextInt(TYPES.length)])};
            for (int in : readable) {
                KBuffer buf = b.bufferAt(in);
                int n = buf.elements() < 0 ? 3 : buf.elements();
                for (int e = 0; e < n; e++) {
                    pool.get(buf.type()).add(b.load(in, e));
                }
            }
            List<KValue> stateValues = new ArrayList<>();
            for (int e = 0; e < b.bufferAt(state).elements(); e++) {
                stateValues.add(b.load(state, e));
            }
            pool.get(stateType).addAll(stateValues);
            for (int a : args) {
                KValue v = b.arg(a);
                pool.get(v.type()).add(v);
            }
            pool.get(KType.BOOL).add(b.bool(rnd.nextBoolean()));
            for (int s : scratch) {
                b.store(s, 0, any(b.bufferAt(s).type()));
            }
            block(30 + rnd.nextInt(30), 0);
            for (int[] o : outs) {
                KBuffer buf = b.bufferAt(o[0]);
                for (int e = 0; e < buf.elements(); e++) {
                    b.store(o[0], e, any(buf.type()));
                }
            }
            for (int e = 0; e < b.bufferAt(state).elements(); e++) {
                b.store(state, e, any(stateType));
            }
        }

        static Kernel make(int seed) {
            return new RandomKernel(seed).b.build();
        }

        private KValue any(KType t) {
            List<KValue> vs = pool.get(t);
            if (vs.isEmpty() || rnd.nextInt(12) == 0) {
                return constant(t);
            }
            // Favour recent values, so that chains grow deep.
            int n = vs.size();
            return vs.get(rnd.nextInt(4) == 0 ? rnd.nextInt(n) : n - 1 - rnd.nextInt(Math.min(n, 6)));
        }

        private KValue constant(KType t) {
            return t.isFloat() ? b.constF(t, Values.of(t, rnd)) : b.constI(t, (long) Values.of(t, rnd));
        }

        private KType type() {
            return TYPES[rnd.nextInt(TYPES.length)];
        }

        private void block(int count, int depth) {
            for (int n = 0; n < count; n++) {
                int pick = rnd.nextInt(100);
                KType t = type();
                KValue v;
                if (pick < 4 && depth < 2) {
                    loop(depth);
                    continue;
                } else if (pick < 20) {
                    v = unary(t);
                } else if (pick < 50) {
                    v = binary(t);
                } else if (pick < 56) {
                    KType f = rnd.nextBoolean() ? KType.F32 : KType.F64;
                    v = b.fma(any(f), any(f), any(f));
                } else if (pick < 66) {
                    v = b.compare(CompareKind.values()[rnd.nextInt(6)], any(t), any(t));
                } else if (pick < 76) {
                    v = b.select(any(KType.BOOL), any(t), any(t));
                } else if (pick < 88) {
                    v = b.convert(type(), any(t));
                } else if (pick < 94) {
                    int s = scratch.get(rnd.nextInt(scratch.size()));
                    KType st = b.bufferAt(s).type();
                    b.store(s, rnd.nextInt(4), any(st));
                    continue;
                } else {
                    int s = rnd.nextBoolean() ? scratch.get(rnd.nextInt(scratch.size())) : readable.get(rnd.nextInt(readable.size()));
                    int n0 = b.bufferAt(s).elements() < 0 ? 3 : b.bufferAt(s).elements();
                    v = b.load(s, rnd.nextInt(n0));
                }
                pool.get(v.type()).add(v);
            }
        }

        private KValue unary(KType t) {
            List<UnaryKind> kinds = switch (t) {
                case F32, F64 -> List.of(UnaryKind.NEG, UnaryKind.ABS, UnaryKind.SQRT, UnaryKind.RECIPROCAL, UnaryKind.SIGN);
                case I32, I64 -> List.of(UnaryKind.NEG, UnaryKind.ABS, UnaryKind.SIGN, UnaryKind.NOT);
                case BOOL -> List.of(UnaryKind.NOT);
            };
            return b.unary(kinds.get(rnd.nextInt(kinds.size())), any(t));
        }

        private KValue binary(KType t) {
            List<BinaryKind> kinds = switch (t) {
                case F32, F64 -> List.of(BinaryKind.ADD, BinaryKind.SUB, BinaryKind.MUL, BinaryKind.DIV, BinaryKind.MIN,
                        BinaryKind.MAX, BinaryKind.REM);
                case I32, I64 -> List.of(BinaryKind.ADD, BinaryKind.SUB, BinaryKind.MUL, BinaryKind.DIV, BinaryKind.MIN,
                        BinaryKind.MAX, BinaryKind.REM, BinaryKind.AND, BinaryKind.OR, BinaryKind.XOR);
                case BOOL -> List.of(BinaryKind.AND, BinaryKind.OR, BinaryKind.XOR);
            };
            return b.binary(kinds.get(rnd.nextInt(kinds.size())), any(t), any(t));
        }

        /** A loop over the elements of a buffer, carrying up to three values; its body may read and write by its index. */
        private void loop(int depth) {
            int over = rnd.nextBoolean() ? scratch.get(rnd.nextInt(scratch.size())) : readable.get(rnd.nextInt(readable.size()));
            int n = b.bufferAt(over).elements() < 0 ? 3 : b.bufferAt(over).elements();
            int start = rnd.nextInt(2) == 0 ? 0 : rnd.nextInt(n + 1);
            List<KValue> inits = new ArrayList<>();
            for (int c = rnd.nextInt(4); c > 0; c--) {
                inits.add(any(type()));
            }
            long bodySeed = rnd.nextLong();
            Map<KType, Integer> mark = sizes();
            Random outer = rnd;
            List<KValue> results = b.loop(start, n, inits, (i, carried) -> {
                truncate(mark);
                rnd = new Random(bodySeed);
                for (KValue c : carried) {
                    pool.get(c.type()).add(c);
                }
                KValue x = b.load(over, i);
                pool.get(x.type()).add(x);
                if (scratch.contains(over) && rnd.nextBoolean()) {
                    b.store(over, i, any(x.type()));
                }
                block(3 + rnd.nextInt(8), depth + 1);
                List<KValue> yields = new ArrayList<>();
                for (KValue c : carried) {
                    yields.add(any(c.type()));
                }
                return yields;
            });
            rnd = outer;
            truncate(mark);
            for (KValue r : results) {
                pool.get(r.type()).add(r);
            }
        }

        private Map<KType, Integer> sizes() {
            Map<KType, Integer> m = new EnumMap<>(KType.class);
            for (KType t : TYPES) {
                m.put(t, pool.get(t).size());
            }
            return m;
        }

        private void truncate(Map<KType, Integer> mark) {
            for (KType t : TYPES) {
                List<KValue> vs = pool.get(t);
                vs.subList(mark.get(t), vs.size()).clear();
            }
        }
    }
}
