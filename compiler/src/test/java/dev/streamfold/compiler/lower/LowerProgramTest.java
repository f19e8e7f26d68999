package dev.streamfold.compiler.lower;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.streamfold.compiler.kir.KBuffer;
import dev.streamfold.compiler.kir.KType;
import dev.streamfold.compiler.kir.KirEvaluator;
import dev.streamfold.compiler.kir.KirVerifier;
import dev.streamfold.ir.Binary;
import dev.streamfold.ir.Compare;
import dev.streamfold.ir.DType;
import dev.streamfold.ir.DerivativeGuard;
import dev.streamfold.ir.Interpreter;
import dev.streamfold.ir.Jvp;
import dev.streamfold.ir.Program;
import dev.streamfold.ir.ProgramBuilder;
import dev.streamfold.ir.Reduce;
import dev.streamfold.ir.Shape;
import dev.streamfold.ir.StreamfoldException;
import dev.streamfold.ir.Tensor;
import dev.streamfold.ir.Type;
import dev.streamfold.ir.Unary;
import dev.streamfold.ir.Var;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class LowerProgramTest {
    /** A program over a batch axis of the given extent. */
    @FunctionalInterface
    interface Maker {
        Program make(int batch);
    }

    /** Arguments for a program's parameters. */
    @FunctionalInterface
    interface Source {
        Tensor value(int param, Type type, Random random);
    }

    private static final Source SIGNED = (i, t, r) -> random(t, r, -2, 2);
    private static final int[] BATCHES = {5, 1, 9};
    /** Tolerance of sums and products, which the kernel accumulates in their own type with fused multiply-adds. */
    private static final double ROUNDING = 1e-5;

    // ---- harness ------------------------------------------------------------------------------------

    private static Tensor random(Type t, Random r, int lo, int hi) {
        double[] d = new double[Math.toIntExact(t.shape().size())];
        for (int i = 0; i < d.length; i++) {
            d[i] = switch (t.dtype()) {
                case F64 -> lo + (hi - lo) * r.nextDouble();
                case F32 -> (float) (lo + (hi - lo) * r.nextDouble());
                case I32 -> r.nextInt(lo, hi + 1);
                case BOOL -> r.nextInt(2);
            };
        }
        return new Tensor(t.dtype(), t.shape(), d);
    }

    /** Runs a lowered program in the kernel evaluator on {@code args} (whole batches); returns results and status. */
    static List<Tensor> runKernel(LoweredProgram lp, Program p, List<Tensor> args, int batch, int[] status) {
        List<KBuffer> buffers = lp.kernel().buffers();
        double[][] storage = new double[buffers.size()][];
        for (int i = 0; i < args.size(); i++) {
            int buffer = lp.inputBuffers().get(i);
            storage[buffer] = toLanes(args.get(i).raw(), buffers.get(buffer).elements(), batch);
        }
        for (int buffer : lp.outputBuffers()) {
            storage[buffer] = new double[buffers.get(buffer).elements() * batch];
            Arrays.fill(storage[buffer], -7777.25);
        }
        storage[lp.statusBuffer()] = new double[batch];
        Arrays.fill(storage[lp.statusBuffer()], -1);
        KirEvaluator.run(lp.kernel(), storage, new double[0], batch);
        for (int item = 0; item < batch; item++) {
            status[item] = (int) storage[lp.statusBuffer()][item];
        }
        List<Tensor> out = new ArrayList<>();
        for (int i = 0; i < lp.outputBuffers().size(); i++) {
            int buffer = lp.outputBuffers().get(i);
            Type t = p.results().get(i).type();
            out.add(new Tensor(t.dtype(), t.shape(), fromLanes(storage[buffer], buffers.get(buffer).elements(), batch)));
        }
        return out;
    }

    private static double[] toLanes(double[] items, int elements, int batch) {
        double[] lanes = new double[elements * batch];
        for (int b = 0; b < batch; b++) {
            for (int e = 0; e < elements; e++) {
                lanes[e * batch + b] = items[b * elements + e];
            }
        }
        return lanes;
    }

    private static double[] fromLanes(double[] lanes, int elements, int batch) {
        double[] items = new double[elements * batch];
        for (int b = 0; b < batch; b++) {
            for (int e = 0; e < elements; e++) {
                items[b * elements + e] = lanes[e * batch + b];
            }
        }
        return items;
    }

    static LoweredProgram check(Maker m) {
        return check(m, SIGNED, 0);
    }

    static LoweredProgram check(Maker m, Source source) {
        return check(m, source, 0);
    }

    /**
     * Lowers {@code m} at batch 5, verifies the kernel, and runs it at batches 5, 1 and 9 against the interpreter
     * on the program built for that batch: equal results (error at most {@code tolerance} times the larger of 1 and
     * the result's largest magnitude), status 0.
     */
    static LoweredProgram check(Maker m, Source source, double tolerance) {
        LoweredProgram lp = LowerProgram.lower("t", m.make(5));
        KirVerifier.verify(lp.kernel());
        Random r = new Random(42);
        for (int batch : BATCHES) {
            Program p = m.make(batch);
            List<Tensor> args = new ArrayList<>();
            for (int i = 0; i < p.params().size(); i++) {
                args.add(source.value(i, p.params().get(i).type(), r));
            }
            List<Tensor> want = Interpreter.run(p, args);
            int[] status = new int[batch];
            List<Tensor> got = runKernel(lp, p, args, batch, status);
            assertEquals(0, Arrays.stream(status).max().orElse(0), "status at batch " + batch);
            for (int i = 0; i < want.size(); i++) {
                assertClose(want.get(i), got.get(i), tolerance, "result " + i + " at batch " + batch + " of\n" + p);
            }
        }
        return lp;
    }

    static void assertClose(Tensor want, Tensor got, double tolerance, String what) {
        double[] w = want.raw();
        double[] g = got.raw();
        assertEquals(w.length, g.length, what);
        boolean integers = !want.dtype().isFloating();
        double scale = 1;
        for (double x : w) {
            scale = Math.max(scale, Math.abs(x));
        }
        for (int i = 0; i < w.length; i++) {
            // Integers compare by value: the interpreter's float64 arithmetic can give them a sign bit (0 * -2).
            boolean ok = integers ? w[i] == g[i] : tolerance == 0 ? Double.compare(w[i], g[i]) == 0
                    : Double.compare(w[i], g[i]) == 0 || Math.abs(w[i] - g[i]) <= tolerance * scale;
            if (!ok) {
                throw new AssertionError(what + "\nelement " + i + ": want " + w[i] + ", got " + g[i]
                        + "\nwant " + Arrays.toString(w) + "\ngot  " + Arrays.toString(g));
            }
        }
    }

    static StreamfoldException refused(Maker m, String... phrases) {
        StreamfoldException e = assertThrows(StreamfoldException.class, () -> LowerProgram.lower("bad", m.make(5)));
        for (String phrase : phrases) {
            assertTrue(e.getMessage().contains(phrase), "message '" + e.getMessage() + "' lacks '" + phrase + "'");
        }
        return e;
    }

    private static Type t(DType d, int... dims) {
        return Type.of(d, dims);
    }

    // ---- structure ------------------------------------------------------------------------------

    @Test
    void buffersNameParametersResultsAndStatus() {
        LoweredProgram lp = check(batch -> {
            ProgramBuilder pb = new ProgramBuilder();
            Var x = pb.param(t(DType.F32, batch, 2, 3));
            Var flag = pb.param(t(DType.BOOL, batch));
            return pb.build(pb.neg(x), pb.reduce(Reduce.Kind.SUM, x, 1, 2), flag);
        }, SIGNED, ROUNDING);
        var k = lp.kernel();
        assertEquals(List.of(k.buffer("in0"), k.buffer("in1")), lp.inputBuffers());
        assertEquals(List.of(k.buffer("out0"), k.buffer("out1"), k.buffer("out2")), lp.outputBuffers());
        assertEquals(k.buffer("status"), lp.statusBuffer());
        assertEquals(new KBuffer("in1", KBuffer.Role.IN, KType.I32, 1), k.buffers().get(lp.inputBuffers().get(1)));
        assertEquals(new KBuffer("out1", KBuffer.Role.OUT, KType.F32, 1), k.buffers().get(lp.outputBuffers().get(1)));
        assertEquals(new KBuffer("status", KBuffer.Role.OUT, KType.I32, 1), k.buffers().get(lp.statusBuffer()));
        assertEquals(List.of(t(DType.F32, 2, 3), t(DType.BOOL)), lp.itemInputTypes());
        assertEquals(List.of(t(DType.F32, 2, 3), t(DType.F32), t(DType.BOOL)), lp.itemOutputTypes());
        assertTrue(k.toString().contains("for "), k.toString());
    }

    // ---- elementwise ----------------------------------------------------------------------------

    @Test
    void unaryOps() {
        for (Unary.Kind kind : Unary.Kind.values()) {
            for (DType d : List.of(DType.F32, DType.F64)) {
                for (int[] item : List.of(new int[] {}, new int[] {3}, new int[] {2, 3})) {
                    check(batch -> {
                        ProgramBuilder pb = new ProgramBuilder();
                        Var x = pb.param(new Type(d, new Shape(item).prepend(batch)));
                        Var in = kind == Unary.Kind.SQRT || kind == Unary.Kind.LOG ? pb.unary(Unary.Kind.ABS, x) : x;
                        return pb.build(pb.unary(kind, in));
                    });
                }
            }
        }
    }

    @Test
    void binaryOps() {
        for (Binary.Kind kind : Binary.Kind.values()) {
            for (DType d : List.of(DType.F32, DType.F64, DType.I32)) {
                if (d == DType.I32 && (kind == Binary.Kind.DIV || kind == Binary.Kind.POW)) {
                    continue;
                }
                check(batch -> {
                    ProgramBuilder pb = new ProgramBuilder();
                    Var x = pb.param(t(d, batch, 2, 3));
                    Var y = pb.param(t(d, batch, 2, 3));
                    Var base = kind == Binary.Kind.POW ? pb.unary(Unary.Kind.ABS, x) : x;
                    return pb.build(pb.binary(kind, base, y), pb.binary(kind, y, y));
                });
            }
        }
    }

    @Test
    void comparisonsAndSelect() {
        for (Compare.Kind kind : Compare.Kind.values()) {
            for (DType d : List.of(DType.F32, DType.F64, DType.I32)) {
                check(batch -> {
                    ProgramBuilder pb = new ProgramBuilder();
                    Var x = pb.param(t(d, batch, 4));
                    Var y = pb.param(t(d, batch, 4));
                    Var p = pb.compare(kind, x, y);
                    return pb.build(p, pb.select(p, x, y), pb.compare(kind, x, x));
                });
            }
        }
        check(batch -> {
            ProgramBuilder pb = new ProgramBuilder();
            Var p = pb.param(t(DType.BOOL, batch, 3));
            Var x = pb.param(t(DType.F32, batch, 3));
            Var q = pb.param(t(DType.BOOL, batch, 3));
            return pb.build(pb.select(p, x, pb.neg(x)), pb.select(p, q, p));
        });
    }

    @Test
    void conversionsBetweenEveryType() {
        for (DType from : DType.values()) {
            for (DType to : DType.values()) {
                check(batch -> {
                    ProgramBuilder pb = new ProgramBuilder();
                    Var x = pb.param(t(from, batch, 3));
                    return pb.build(pb.emit1(new dev.streamfold.ir.Convert(to), x));
                }, (i, type, r) -> random(type, r, -3, 3));
            }
        }
    }

    @Test
    void float32ResultsAreRoundedAfterEveryOp() {
        check(batch -> {
            ProgramBuilder pb = new ProgramBuilder();
            Var x = pb.param(t(DType.F32, batch, 3));
            Var y = pb.param(t(DType.F32, batch, 3));
            Var third = pb.full(t(DType.F32, batch, 3), 1.0 / 3.0);
            return pb.build(pb.add(pb.mul(x, third), pb.div(y, x)), pb.convert(pb.mul(x, y), DType.F64));
        });
    }

    // ---- constants and uniform values ------------------------------------------------------------

    @Test
    void constantsAndIotaAreTheSameForEveryItem() {
        check(batch -> {
            ProgramBuilder pb = new ProgramBuilder();
            Var x = pb.param(t(DType.F64, batch, 3));
            Var column = pb.convert(pb.iota(t(DType.I32, batch, 3), 1), DType.F64);
            Var row = pb.constant(Tensor.vector(DType.F64, 0.5, -1.25, 3.0));
            Var spread = pb.broadcast(row, new Shape(batch, 3), 1);
            Var scale = pb.broadcastScalar(pb.scalar(DType.F64, 0.1), new Shape(batch, 3));
            return pb.build(pb.add(pb.mul(x, spread), pb.mul(column, scale)), pb.full(t(DType.I32, batch, 2), 7));
        });
    }

    @Test
    void constantsAtTheBatchShapeWithEqualSlices() {
        check(batch -> {
            ProgramBuilder pb = new ProgramBuilder();
            Var x = pb.param(t(DType.F32, batch, 3, 3));
            double[] eye = new double[batch * 9];
            for (int b = 0; b < batch; b++) {
                eye[b * 9] = eye[b * 9 + 4] = eye[b * 9 + 8] = 1;
            }
            Var c = pb.constant(new Tensor(DType.F32, new Shape(batch, 3, 3), eye));
            return pb.build(pb.add(x, c), pb.eye(t(DType.F64, batch, 3, 3)));
        });
    }

    // ---- shape ops --------------------------------------------------------------------------------

    @Test
    void broadcasts() {
        check(batch -> {
            ProgramBuilder pb = new ProgramBuilder();
            Var a = pb.param(t(DType.F64, batch, 3));
            Var b = pb.param(t(DType.F32, batch, 1));
            Var c = pb.param(t(DType.I32, batch));
            return pb.build(pb.broadcast(a, new Shape(batch, 2, 3), 0, 2), pb.broadcast(b, new Shape(batch, 4), 0, 1),
                    pb.broadcast(c, new Shape(batch, 2, 3), 0), pb.broadcast(a, new Shape(batch, 3, 2), 0, 1));
        });
    }

    @Test
    void reshapes() {
        check(batch -> {
            ProgramBuilder pb = new ProgramBuilder();
            Var x = pb.param(t(DType.F64, batch, 6));
            Var m = pb.reshape(x, new Shape(batch, 2, 3));
            return pb.build(m, pb.neg(m), pb.reshape(pb.neg(m), new Shape(batch, 3, 1, 2)));
        });
    }

    @Test
    void reductions() {
        for (Reduce.Kind kind : Reduce.Kind.values()) {
            for (DType d : List.of(DType.F32, DType.F64, DType.I32)) {
                for (int[] axes : List.of(new int[] {1}, new int[] {2}, new int[] {1, 2}, new int[] {})) {
                    check(batch -> {
                        ProgramBuilder pb = new ProgramBuilder();
                        Var x = pb.param(t(d, batch, 3, 4));
                        return pb.build(pb.reduce(kind, x, axes));
                    }, (i, type, r) -> random(type, r, -1000, 1000), ROUNDING);
                }
            }
        }
    }

    @Test
    void float32SumsAgreeWithTheInterpreterToRounding() {
        // Values of very different size: a float32 accumulator loses some of the small ones, within rounding of the total.
        check(batch -> {
            ProgramBuilder pb = new ProgramBuilder();
            Var x = pb.param(t(DType.F32, batch, 16));
            return pb.build(pb.reduce(Reduce.Kind.SUM, x, 1));
        }, (i, type, r) -> {
            double[] d = new double[Math.toIntExact(type.shape().size())];
            for (int j = 0; j < d.length; j++) {
                d[j] = (float) (j % 4 == 0 ? 1e7 * (1 + r.nextDouble()) : r.nextDouble() * 0.37);
            }
            return new Tensor(type.dtype(), type.shape(), d);
        }, ROUNDING);
    }

    @Test
    void transposes() {
        check(batch -> {
            ProgramBuilder pb = new ProgramBuilder();
            Var x = pb.param(t(DType.F64, batch, 2, 3));
            Var y = pb.param(t(DType.I32, batch, 2, 3, 4));
            return pb.build(pb.transpose(x, 0, 2, 1), pb.transpose(y, 0, 3, 1, 2), pb.transpose(x, 0, 1, 2));
        });
    }

    @Test
    void slicesAndConcatenations() {
        check(batch -> {
            ProgramBuilder pb = new ProgramBuilder();
            Var x = pb.param(t(DType.F64, batch, 5, 4));
            Var y = pb.param(t(DType.F64, batch, 2, 4));
            Var s = pb.slice(x, new int[] {0, 1, 0}, new int[] {batch, 4, 3});
            Var c = pb.concatenate(1, List.of(x, y, pb.full(t(DType.F64, batch, 1, 4), 2.5)));
            Var d = pb.concatenate(2, List.of(x, x));
            return pb.build(s, c, d);
        });
        check(batch -> {
            ProgramBuilder pb = new ProgramBuilder();
            Var x = pb.param(t(DType.BOOL, batch, 2));
            Var y = pb.param(t(DType.BOOL, batch, 3));
            return pb.build(pb.concatenate(1, List.of(y, x)), pb.slice(y, new int[] {0, 2}, new int[] {batch, 3}));
        });
    }

    // ---- products and matrices ---------------------------------------------------------------------

    @Test
    void matrixProducts() {
        for (DType d : List.of(DType.F32, DType.F64, DType.I32)) {
            check(batch -> {
                ProgramBuilder pb = new ProgramBuilder();
                Var a = pb.param(t(d, batch, 2, 3));
                Var b = pb.param(t(d, batch, 3, 4));
                Var c = pb.param(t(d, batch, 2, 2, 3));
                Var e = pb.param(t(d, batch, 2, 3, 2));
                return pb.build(pb.matmul(a, b), pb.matmul(c, e));
            }, SIGNED, ROUNDING);
        }
    }

    @Test
    void rowsTimesASharedMatrix() {
        for (DType d : List.of(DType.F32, DType.F64)) {
            check(batch -> {
                ProgramBuilder pb = new ProgramBuilder();
                Var x = pb.param(t(d, batch, 3));
                Var w = pb.constant(Tensor.matrix(d, new double[][] {{1, 0.5}, {-2, 0.25}, {0.125, 3}}));
                return pb.build(pb.matmul(x, w));
            }, SIGNED, ROUNDING);
        }
    }

    @Test
    void float64ProductsAgreeWithTheInterpreterToRounding() {
        // Cancelling products: the kernel's fused multiply-adds round differently from the interpreter's multiply then add.
        check(batch -> {
            ProgramBuilder pb = new ProgramBuilder();
            Var a = pb.param(t(DType.F64, batch, 1, 8));
            Var b = pb.param(t(DType.F64, batch, 8, 1));
            return pb.build(pb.matmul(a, b));
        }, (i, type, r) -> {
            double[] d = new double[Math.toIntExact(type.shape().size())];
            for (int j = 0; j < d.length; j++) {
                d[j] = (j % 2 == 0 ? 1 : -1) * (1 + r.nextDouble() * 1e-3) / 3;
            }
            return new Tensor(type.dtype(), type.shape(), d);
        }, ROUNDING);
    }

    @Test
    void gatherRowsPicksEachItemsRows() {
        Source rows = (i, type, r) -> type.dtype() == DType.I32 ? random(type, r, 0, 3) : random(type, r, -2, 2);
        check(batch -> {
            ProgramBuilder pb = new ProgramBuilder();
            Var x = pb.param(t(DType.F64, batch, 4, 3));
            Var index = pb.param(t(DType.I32, batch, 5));
            return pb.build(pb.gatherRows(x, index));
        }, rows);
        check(batch -> {
            ProgramBuilder pb = new ProgramBuilder();
            Var index = pb.param(t(DType.I32, batch));
            Var table = pb.constant(Tensor.matrix(DType.F32, new double[][] {{1, 2}, {3, 4}, {5, 6}, {7, 8}}));
            return pb.build(pb.gatherRows(table, index));
        }, rows);
    }

    @Test
    void trianglesAndDiagonals() {
        for (boolean lower : new boolean[] {true, false}) {
            for (int offset : new int[] {-1, 0, 2}) {
                check(batch -> {
                    ProgramBuilder pb = new ProgramBuilder();
                    Var x = pb.param(t(DType.F64, batch, 3, 4));
                    Var y = pb.param(t(DType.I32, batch, 2, 3, 3));
                    return pb.build(lower ? pb.tril(x, offset) : pb.triu(x, offset), lower ? pb.tril(y, offset) : pb.triu(y, offset));
                });
            }
        }
        check(batch -> {
            ProgramBuilder pb = new ProgramBuilder();
            Var x = pb.param(t(DType.F32, batch, 3, 4));
            Var v = pb.param(t(DType.F64, batch, 2, 3));
            return pb.build(pb.diagPart(x), pb.diagEmbed(v), pb.diagPart(pb.diagEmbed(v)));
        });
    }

    // ---- scan ---------------------------------------------------------------------------------------

    /** A scan whose carries are a step counter (the same for every item) and a batched accumulator. */
    private static Program counterScan(int batch, int length, int start, boolean reverse) {
        Type acc = t(DType.F64, batch, 3);
        ProgramBuilder body = new ProgramBuilder();
        Var table = body.param(t(DType.F64, 4, 3));
        Var x = body.param(acc);
        Var counter = body.param(t(DType.I32));
        Var carried = body.param(acc);
        Var row = body.takeClipped(table, counter);
        Var spread = body.broadcast(row, new Shape(batch, 3), 1);
        Var next = body.add(body.mul(carried, x), spread);
        Program bodyProgram = body.build(body.add(counter, body.scalar(DType.I32, 1)), next);

        ProgramBuilder pb = new ProgramBuilder();
        Var px = pb.param(acc);
        Var tableValue = pb.constant(Tensor.matrix(DType.F64, new double[][] {{1, 2, 3}, {-1, 0.5, 2}, {0.25, 0, 1}, {4, 4, -4}}));
        List<Var> outs = pb.scan(bodyProgram, length, List.of(tableValue, px),
                List.of(pb.scalar(DType.I32, start), pb.full(acc, 1.0)), List.of(), reverse);
        return pb.build(outs.get(1), pb.broadcast(outs.get(0), new Shape(batch), new int[0]));
    }

    @Test
    void scanCarriesOverAStaticLength() {
        check(batch -> counterScan(batch, 6, -1, false));
        check(batch -> counterScan(batch, 3, 2, true));
        check(batch -> counterScan(batch, 0, 0, false));
    }

    @Test
    void scanWithSharedXsAndYs() {
        check(batch -> {
            ProgramBuilder body = new ProgramBuilder();
            Var carry = body.param(t(DType.F32, batch, 2));
            Var xt = body.param(t(DType.F32, 2));
            Var spread = body.broadcast(xt, new Shape(batch, 2), 1);
            Program bodyProgram = body.build(body.mul(body.add(carry, spread), carry), body.neg(xt));

            ProgramBuilder pb = new ProgramBuilder();
            Var x = pb.param(t(DType.F32, batch, 2));
            Var xs = pb.constant(Tensor.matrix(DType.F32, new double[][] {{1, 0.5}, {0.25, -1}, {2, 0.125}}));
            List<Var> outs = pb.scan(bodyProgram, 3, List.of(), List.of(x), List.of(xs), true);
            return pb.build(outs.get(0), pb.broadcast(outs.get(1), new Shape(batch, 3, 2), 1, 2));
        }, (i, type, r) -> random(type, r, 0, 1));
    }

    @Test
    void scanCarriesThatSwap() {
        check(batch -> {
            Type item = t(DType.F64, batch, 2);
            ProgramBuilder body = new ProgramBuilder();
            Var a = body.param(item);
            Var b = body.param(item);
            Program bodyProgram = body.build(b, body.add(a, b));
            ProgramBuilder pb = new ProgramBuilder();
            Var x = pb.param(item);
            Var y = pb.param(item);
            List<Var> outs = pb.scan(bodyProgram, 5, List.of(), List.of(x, y), List.of(), false);
            return pb.build(outs.get(0), outs.get(1));
        });
    }

    @Test
    void scanWithACarryTheSameForEveryItem() {
        check(batch -> {
            Type acc = t(DType.F64, batch, 3);
            Type table = t(DType.F64, 4, 3);
            ProgramBuilder body = new ProgramBuilder();
            Var m = body.param(table);
            Var carried = body.param(acc);
            Var last = body.takeClipped(m, body.scalar(DType.I32, 9));
            Var next = body.add(carried, body.broadcast(last, new Shape(batch, 3), 1));
            Var doubled = body.mul(m, body.full(table, 2.0));
            Program bodyProgram = body.build(doubled, next);

            ProgramBuilder pb = new ProgramBuilder();
            Var x = pb.param(acc);
            Var start = pb.convert(pb.iota(t(DType.I32, 4, 3), 0), DType.F64);
            List<Var> outs = pb.scan(bodyProgram, 3, List.of(), List.of(start, x), List.of(), false);
            return pb.build(outs.get(1), pb.broadcast(outs.get(0), new Shape(batch, 4, 3), 1, 2));
        });
    }

    @Test
    void nestedScans() {
        check(batch -> {
            Type acc = t(DType.F32, batch, 3);
            ProgramBuilder inner = new ProgramBuilder();
            Var x = inner.param(acc);
            Var a = inner.param(acc);
            Program innerProgram = inner.build(inner.add(inner.mul(a, x), x));

            ProgramBuilder outer = new ProgramBuilder();
            Var ox = outer.param(acc);
            Var oa = outer.param(acc);
            Var afterInner = outer.scan(innerProgram, 2, List.of(ox), List.of(oa), List.of(), false).get(0);
            Program outerProgram = outer.build(outer.neg(afterInner));

            ProgramBuilder pb = new ProgramBuilder();
            Var px = pb.param(acc);
            return pb.build(pb.scan(outerProgram, 3, List.of(px), List.of(px), List.of(), false).get(0));
        }, (i, type, r) -> random(type, r, -1, 1));
    }

    // ---- derivative guard -----------------------------------------------------------------------

    @Test
    void derivativeGuardFlagsOnlyTheFailingItem() {
        for (DerivativeGuard.Condition condition : DerivativeGuard.Condition.values()) {
            int batch = 4;
            Maker m = n -> {
                ProgramBuilder pb = new ProgramBuilder();
                Var values = pb.param(t(DType.F64, n, 2, 3));
                Var x = pb.param(t(DType.F32, n, 2));
                return pb.build(pb.emit1(new DerivativeGuard(condition), values, x));
            };
            LoweredProgram lp = LowerProgram.lower("guard", m.make(batch));
            double[][] items = {
                {3, 1, 2, -5, 4, 0.5},
                {3, 1, 2, -5, 4, 1e-12}, // a tiny value (zero for svd and qr)
                {3, 1, 2, -5, 4, 0.5},
                {3, 3, 2, -5, Double.NaN, 0.5}, // a repeated value, and a NaN in the second row
            };
            double[] values = new double[batch * 6];
            for (int b = 0; b < batch; b++) {
                System.arraycopy(items[b], 0, values, b * 6, 6);
            }
            Tensor v = new Tensor(DType.F64, new Shape(batch, 2, 3), values);
            Tensor x = random(t(DType.F32, batch, 2), new Random(3), -2, 2);
            Program p = m.make(batch);
            int[] status = new int[batch];
            List<Tensor> got = runKernel(lp, p, List.of(v, x), batch, status);
            boolean zeroFails = condition != DerivativeGuard.Condition.DISTINCT_EIGENVALUES;
            int[] want = {0, zeroFails ? 5 : 0, 0, 5};
            assertEquals(Arrays.toString(want), Arrays.toString(status), condition.toString());
            assertClose(x, got.get(0), 0, "passed through");
            for (int b = 0; b < batch; b++) {
                Tensor one = new Tensor(DType.F64, new Shape(1, 2, 3), items[b]);
                Tensor xb = new Tensor(DType.F32, new Shape(1, 2), Arrays.copyOfRange(x.raw(), 2 * b, 2 * b + 2));
                boolean interpreterFails;
                try {
                    Interpreter.run(m.make(1), List.of(one, xb));
                    interpreterFails = false;
                } catch (StreamfoldException e) {
                    interpreterFails = true;
                }
                assertEquals(interpreterFails, status[b] != 0, condition + " item " + b);
            }
        }
    }

    /**
     * A row index outside the rows, which the interpreter refuses, gives the item INDEX_OUT_OF_RANGE (7); the
     * other items are gathered exactly. Both forms: a batch of matrices, and one shared matrix.
     */
    @Test
    void gatherRowsFlagsIndicesOutOfRange() {
        int batch = 4;
        int[][] rows = {{1, 0}, {2, -1}, {0, 2}, {3, 1}};
        Tensor x = random(t(DType.F64, batch, 3, 2), new Random(5), -2, 2);
        double[] idx = new double[batch * 2];
        for (int b = 0; b < batch; b++) {
            idx[2 * b] = rows[b][0];
            idx[2 * b + 1] = rows[b][1];
        }
        ProgramBuilder pb = new ProgramBuilder();
        Var px = pb.param(t(DType.F64, batch, 3, 2));
        Var pi = pb.param(t(DType.I32, batch, 2));
        Program p = pb.build(pb.gatherRows(px, pi));
        int[] status = new int[batch];
        Tensor got = runKernel(LowerProgram.lower("gather", p), p, List.of(x, new Tensor(DType.I32, new Shape(batch, 2), idx)),
                batch, status).get(0);
        assertEquals("[0, 7, 0, 7]", Arrays.toString(status));
        for (int b : new int[] {0, 2}) {
            for (int i = 0; i < 2; i++) {
                for (int j = 0; j < 2; j++) {
                    assertEquals(x.raw()[(b * 3 + rows[b][i]) * 2 + j], got.raw()[(b * 2 + i) * 2 + j], "item " + b);
                }
            }
        }
        ProgramBuilder shared = new ProgramBuilder();
        Var si = shared.param(t(DType.I32, batch));
        Var table = shared.constant(new Tensor(DType.F64, new Shape(3, 2), new double[] {1, 2, 3, 4, 5, 6}));
        Program q = shared.build(shared.gatherRows(table, si));
        int[] sharedStatus = new int[batch];
        Tensor picked = runKernel(LowerProgram.lower("gather_shared", q), q,
                List.of(Tensor.vector(DType.I32, 2, 3, 0, -4)), batch, sharedStatus).get(0);
        assertEquals("[0, 7, 0, 7]", Arrays.toString(sharedStatus));
        assertEquals(5, picked.raw()[0]);
        assertEquals(6, picked.raw()[1]);
        assertEquals(1, picked.raw()[4]);
        assertEquals(2, picked.raw()[5]);
    }

    // ---- derivatives --------------------------------------------------------------------------------

    /** The JVP of {@code m}'s program with respect to every floating parameter, as a program over the batch. */
    private static Maker jvp(Maker m) {
        return batch -> {
            Program p = m.make(batch);
            boolean[] all = new boolean[p.params().size()];
            Arrays.fill(all, true);
            return Jvp.transform(p, all, null).program();
        };
    }

    @Test
    void jvpOfElementwiseAndReductions() {
        Source positive = (i, type, r) -> random(type, r, 1, 3);
        check(jvp(batch -> {
            ProgramBuilder pb = new ProgramBuilder();
            Var x = pb.param(t(DType.F64, batch, 3));
            Var y = pb.param(t(DType.F64, batch, 3));
            Var z = pb.add(pb.mul(pb.unary(Unary.Kind.EXP, x), pb.unary(Unary.Kind.SQRT, y)), pb.div(x, y));
            Var w = pb.binary(Binary.Kind.POW, x, y);
            return pb.build(pb.reduce(Reduce.Kind.SUM, z, 1), pb.reduce(Reduce.Kind.MAX, w, 1),
                    pb.binary(Binary.Kind.MAX, x, y));
        }), positive);
        check(jvp(batch -> {
            ProgramBuilder pb = new ProgramBuilder();
            Var x = pb.param(t(DType.F32, batch, 2, 3));
            Var s = pb.unary(Unary.Kind.LOG, pb.unary(Unary.Kind.SQUARE, x));
            return pb.build(pb.transpose(s, 0, 2, 1), pb.unary(Unary.Kind.RECIPROCAL, x));
        }), positive);
    }

    @Test
    void jvpOfMatrixPrograms() {
        check(jvp(batch -> {
            ProgramBuilder pb = new ProgramBuilder();
            Var a = pb.param(t(DType.F64, batch, 3, 3));
            Var b = pb.param(t(DType.F64, batch, 3, 2));
            Var c = pb.matmul(pb.add(pb.tril(a, 0), pb.eye(t(DType.F64, batch, 3, 3))), b);
            Var d = pb.diagEmbed(pb.diagPart(a));
            return pb.build(c, pb.matmul(d, pb.slice(b, new int[] {0, 0, 0}, new int[] {batch, 3, 1})));
        }), SIGNED, ROUNDING);
        check(jvp(batch -> counterScan(batch, 4, 0, false)), SIGNED, ROUNDING);
    }

    // ---- refusals -----------------------------------------------------------------------------------

    @Test
    void refusesOpsThatMixTheBatchAxisWithOthers() {
        refused(batch -> {
            ProgramBuilder pb = new ProgramBuilder();
            Var x = pb.param(t(DType.F64, batch, 3));
            return pb.build(pb.broadcast(pb.reduce(Reduce.Kind.SUM, x, 0, 1), new Shape(batch), new int[0]));
        }, "lowering bad: equation 0 (reduce_sum): ", "reduces over axis 0");
        refused(batch -> {
            ProgramBuilder pb = new ProgramBuilder();
            Var x = pb.param(t(DType.F64, batch, 3));
            Var y = pb.transpose(x, 1, 0);
            return pb.build(pb.transpose(y, 1, 0));
        }, "equation 0 (transpose)", "moves axis 0");
        refused(batch -> {
            ProgramBuilder pb = new ProgramBuilder();
            Var x = pb.param(t(DType.F64, batch, 3));
            Var y = pb.slice(x, new int[] {1, 0}, new int[] {batch, 3});
            return pb.build(pb.concatenate(0, List.of(y, pb.slice(x, new int[] {0, 0}, new int[] {1, 3}))));
        }, "equation 0 (slice)", "slices axis 0");
        refused(batch -> {
            ProgramBuilder pb = new ProgramBuilder();
            Var x = pb.param(t(DType.F64, batch, 3));
            Var y = pb.concatenate(0, List.of(x, x));
            return pb.build(pb.slice(y, new int[] {0, 0}, new int[] {batch, 3}));
        }, "equation 0 (concatenate)", "joins along axis 0");
        refused(batch -> {
            ProgramBuilder pb = new ProgramBuilder();
            Var x = pb.param(t(DType.F64, batch, 4));
            Var y = pb.reshape(x, new Shape(4, batch));
            return pb.build(pb.reshape(y, new Shape(batch, 4)));
        }, "equation 0 (reshape)", "moves elements across axis 0");
        refused(batch -> {
            ProgramBuilder pb = new ProgramBuilder();
            Var x = pb.param(t(DType.F64, batch));
            Var y = pb.broadcast(x, new Shape(3, batch), 1);
            return pb.build(pb.transpose(y, 1, 0));
        }, "equation 0 (broadcast)", "moves axis 0, the batch axis, to output axis 1");
        refused(batch -> {
            ProgramBuilder pb = new ProgramBuilder();
            Var x = pb.param(t(DType.F64, batch, 3));
            Var row = pb.takeClipped(x, pb.scalar(DType.I32, 2));
            return pb.build(pb.broadcast(row, new Shape(batch, 3), 1));
        }, "equation 1 (take_clipped)", "indexes axis 0");
    }

    @Test
    void refusesMatrixOpsWhoseRowsAreTheBatchAxis() {
        refused(batch -> {
            ProgramBuilder pb = new ProgramBuilder();
            Var x = pb.param(t(DType.F64, batch, 3));
            Var y = pb.param(t(DType.F64, batch, 3));
            return pb.build(pb.matmul(pb.constant(Tensor.zeros(t(DType.F64, batch, batch))), x), y);
        }, "equation 1 (matmul)", "sums over axis 0");
        refused(batch -> {
            ProgramBuilder pb = new ProgramBuilder();
            Var x = pb.param(t(DType.F64, batch, 3));
            return pb.build(pb.gatherRows(x, pb.constant(Tensor.zeros(t(DType.I32, batch)))));
        }, "equation 1 (gather_rows)", "along axis 0");
        refused(batch -> {
            ProgramBuilder pb = new ProgramBuilder();
            Var x = pb.param(t(DType.F64, batch, 3));
            return pb.build(pb.tril(x, 0));
        }, "equation 0 (triangle)", "the rows");
        refused(batch -> {
            ProgramBuilder pb = new ProgramBuilder();
            Var x = pb.param(t(DType.F64, batch, batch));
            return pb.build(pb.diagEmbed(pb.diagPart(x)));
        }, "equation 0 (diag_part)", "the rows");
        refused(batch -> {
            ProgramBuilder pb = new ProgramBuilder();
            Var x = pb.param(t(DType.F64, batch));
            return pb.build(pb.diagPart(pb.diagEmbed(x)));
        }, "equation 0 (diag_embed)", "the diagonal");
        refused(batch -> {
            ProgramBuilder pb = new ProgramBuilder();
            Var x = pb.param(t(DType.F64, batch, batch));
            return pb.build(pb.cholesky(x, false));
        }, "equation 0 (cholesky)", "its input f64[5,5] is not a batch of matrices", "the rows");
        refused(batch -> {
            ProgramBuilder pb = new ProgramBuilder();
            Var v = pb.param(t(DType.F64, batch));
            return pb.build(pb.emit1(new DerivativeGuard(DerivativeGuard.Condition.DISTINCT_EIGENVALUES), v, v));
        }, "equation 0 (derivative_guard)", "one row along axis 0");
    }

    @Test
    void refusesConstantsThatDifferPerItem() {
        refused(batch -> {
            ProgramBuilder pb = new ProgramBuilder();
            Var x = pb.param(t(DType.I32, batch, 3));
            return pb.build(pb.add(x, pb.iota(t(DType.I32, batch, 3), 0)));
        }, "equation 1 (add)", "input 1 is a constant whose slices along the batch axis differ");
        refused(batch -> {
            ProgramBuilder pb = new ProgramBuilder();
            pb.param(t(DType.I32, batch, 3));
            return pb.build(pb.iota(t(DType.I32, batch, 3), 0));
        }, "result 0: ", "slices along the batch axis differ");
    }

    @Test
    void refusesWhatHasNoKernelForm() {
        refused(batch -> {
            ProgramBuilder pb = new ProgramBuilder();
            Var x = pb.param(t(DType.I32, batch, 3));
            return pb.build(pb.div(x, x));
        }, "equation 0 (div)", "int32");
        refused(batch -> {
            ProgramBuilder pb = new ProgramBuilder();
            pb.param(t(DType.F64, batch, 3));
            return pb.build(pb.param(t(DType.F64)));
        }, "parameter 1 is the scalar f64[]");
        refused(batch -> {
            ProgramBuilder pb = new ProgramBuilder();
            pb.param(t(DType.F64, batch, 3));
            return pb.build(pb.param(t(DType.F64, batch + 1)));
        }, "parameter 1 is f64[6]", "batch extent 5");
    }

    @Test
    void refusesProgramsWithoutABatchAxis() {
        refused(batch -> new ProgramBuilder().build(List.of()), "lowering bad: a program without parameters or results");
        refused(batch -> {
            ProgramBuilder pb = new ProgramBuilder();
            pb.param(t(DType.F64, 0, 3));
            return pb.build(pb.param(t(DType.F64, 0)));
        }, "the batch extent is 0");
    }

    @Test
    void refusesConstantsThatFailToFold() {
        refused(batch -> {
            ProgramBuilder pb = new ProgramBuilder();
            Var x = pb.param(t(DType.F64, batch, 2));
            Var table = pb.constant(Tensor.zeros(t(DType.F64, 3, 2)));
            Var rows = pb.gatherRows(table, pb.constant(Tensor.vector(DType.I32, 0, 7)));
            return pb.build(pb.add(x, pb.broadcast(pb.reduce(Reduce.Kind.SUM, rows, 0), new Shape(batch, 2), 1)));
        }, "equation 2 (gather_rows)", "fails on its constant inputs", "index 7");
    }

    /** A scan over a carry whose initial value differs along axis 0 (so it is held whole), and a body result. */
    private static Program wholeCarryScan(int batch, boolean addBatched, boolean returnBatched) {
        Type item = t(DType.I32, batch);
        ProgramBuilder body = new ProgramBuilder();
        Var x = body.param(item);
        Var carry = body.param(item);
        Var next = addBatched ? body.add(carry, x) : returnBatched ? x : body.add(carry, carry);
        Program bodyProgram = body.build(next);
        ProgramBuilder pb = new ProgramBuilder();
        Var px = pb.param(item);
        List<Var> outs = pb.scan(bodyProgram, 2, List.of(px), List.of(pb.iota(item, 0)), List.of(), false);
        return pb.build(outs.get(0));
    }

    @Test
    void refusesValuesHeldWholeWhereItemsAreNeeded() {
        refused(batch -> wholeCarryScan(batch, false, false), "result 0: ",
                "the same for every item but its axis 0 is not the batch axis");
        refused(batch -> wholeCarryScan(batch, true, false), "equation 1 (scan): body equation 0 (add)",
                "input 0 is the same for every item, but its axis 0 is not known to be the batch axis");
        refused(batch -> wholeCarryScan(batch, false, true), "equation 1 (scan): ",
                "carry 0 starts the same for every item but the body makes it differ per item");
        refused(batch -> {
            Type item = t(DType.F64, batch, 2);
            ProgramBuilder body = new ProgramBuilder();
            body.param(item);
            Var xt = body.param(item);
            Program bodyProgram = body.build(xt);
            ProgramBuilder pb = new ProgramBuilder();
            Var x = pb.param(item);
            Var xs = pb.iota(t(DType.F64, 3, batch, 2), 1);
            return pb.build(pb.scan(bodyProgram, 3, List.of(), List.of(x), List.of(xs), false).get(0));
        }, "equation 1 (scan): ", "carry 0 is batched but the body makes it a value that cannot be split into items");
    }

    @Test
    void refusesScansOverTheBatchAxis() {
        refused(batch -> {
            ProgramBuilder body = new ProgramBuilder();
            Var c = body.param(t(DType.F64, 3));
            Var xt = body.param(t(DType.F64, 3));
            Program bp = body.build(body.add(c, xt));
            ProgramBuilder pb = new ProgramBuilder();
            Var x = pb.param(t(DType.F64, batch, 3));
            List<Var> outs = pb.scan(bp, batch, List.of(), List.of(pb.constant(Tensor.zeros(t(DType.F64, 3)))), List.of(x), false);
            return pb.build(pb.broadcast(outs.get(0), new Shape(batch, 3), 1));
        }, "equation 1 (scan)", "xs input 0 is batched");
        refused(batch -> {
            ProgramBuilder body = new ProgramBuilder();
            Var c = body.param(t(DType.F64, batch, 3));
            Program bp = body.build(c, body.neg(c));
            ProgramBuilder pb = new ProgramBuilder();
            Var x = pb.param(t(DType.F64, batch, 3));
            List<Var> outs = pb.scan(bp, 2, List.of(), List.of(x), List.of(), false);
            return pb.build(outs.get(0), pb.transpose(outs.get(1), 1, 0, 2));
        }, "equation 0 (scan)", "ys output 0 is batched");
        refused(batch -> {
            ProgramBuilder body = new ProgramBuilder();
            Var x = body.param(t(DType.F64, batch, 3));
            Var c = body.param(t(DType.F64, 3));
            Program bp = body.build(body.reduce(Reduce.Kind.SUM, x, 0));
            ProgramBuilder pb = new ProgramBuilder();
            Var px = pb.param(t(DType.F64, batch, 3));
            List<Var> outs = pb.scan(bp, 2, List.of(px), List.of(pb.constant(Tensor.zeros(t(DType.F64, 3)))), List.of(), false);
            return pb.build(pb.broadcast(outs.get(0), new Shape(batch, 3), 1));
        }, "equation 1 (scan): body equation 0 (reduce_sum)", "reduces over axis 0");
    }
}
