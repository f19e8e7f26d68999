package dev.streamfold.compiler.lower;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.streamfold.compiler.kir.KBuffer;
import dev.streamfold.compiler.kir.KBuilder;
import dev.streamfold.compiler.kir.KType;
import dev.streamfold.compiler.kir.Kernel;
import dev.streamfold.compiler.kir.KirEvaluator;
import dev.streamfold.ir.DType;
import dev.streamfold.ir.Eigh;
import dev.streamfold.ir.Eqn;
import dev.streamfold.ir.Op;
import dev.streamfold.ir.Qr;
import dev.streamfold.ir.Shape;
import dev.streamfold.ir.Svd;
import dev.streamfold.ir.Tensor;
import dev.streamfold.ir.Type;
import dev.streamfold.ir.Var;
import dev.streamfold.runtime.batched.BatchStatus;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The kernel expansions of qr, eigh and svd, run by the {@link KirEvaluator}: float64 results match the ops'
 * reference evaluations item by item, float32 results satisfy the factorization identities, and the fixed
 * Jacobi sweeps reach full float64 precision up to n = 32.
 */
class ExpandSpectralTest {
    private static final int[] BATCHES = {1, 7, 33};

    /** The outputs of an expanded kernel, in the IR's row-major layout with the batch axis first, and the statuses. */
    private record Result(List<Tensor> outs, int[] status) {}

    /** Builds the kernel of {@code op} on {@code a} ({@code [B, ...]}), runs it over the batch, and unpacks its outputs. */
    private static Result run(Op op, Tensor a) {
        int batch = a.shape().dim(0);
        List<Type> outTypes = outTypes(op, a.type());
        KType kt = LowerContext.bufferType(a.dtype());
        KBuilder b = new KBuilder("spectral");
        int in = b.buffer("a", KBuffer.Role.IN, kt, perItem(a.type()));
        List<KArray> outs = new ArrayList<>();
        for (int i = 0; i < outTypes.size(); i++) {
            int buf = b.buffer("out" + i, KBuffer.Role.OUT, kt, Math.max(perItem(outTypes.get(i)), 1));
            outs.add(new KArray(buf, 0, outTypes.get(i).shape().dropLeading().dims(), kt));
        }
        int status = b.buffer("status", KBuffer.Role.OUT, KType.I32, 1);
        b.store(status, 0, b.index(0));
        LowerContext cx = new LowerContext(b, status);
        List<Var> outVars = new ArrayList<>();
        for (int i = 0; i < outTypes.size(); i++) {
            outVars.add(new Var(i + 1, outTypes.get(i)));
        }
        Eqn eqn = new Eqn(outVars, op, List.of(new Var(0, a.type())));
        ExpandSpectral.expand(cx, eqn, List.of(new KArray(in, 0, a.shape().dropLeading().dims(), kt)), outs);
        Kernel k = b.build();
        double[][] buffers = new double[k.buffers().size()][];
        buffers[in] = toSoa(a.data(), batch);
        for (int i = 0; i < outTypes.size(); i++) {
            buffers[outs.get(i).buffer()] = new double[Math.max(perItem(outTypes.get(i)), 1) * batch];
        }
        buffers[status] = new double[batch];
        KirEvaluator.run(k, buffers, new double[0], batch);
        List<Tensor> results = new ArrayList<>();
        for (int i = 0; i < outTypes.size(); i++) {
            Type t = outTypes.get(i);
            results.add(new Tensor(t.dtype(), t.shape(), fromSoa(buffers[outs.get(i).buffer()], batch, perItem(t))));
        }
        int[] codes = new int[batch];
        for (int item = 0; item < batch; item++) {
            codes[item] = (int) buffers[status][item];
        }
        return new Result(results, codes);
    }

    private static List<Type> outTypes(Op op, Type a) {
        return switch (op) {
            case Qr q -> q.outTypes(List.of(a));
            case Eigh e -> e.outTypes(List.of(a));
            case Svd s -> s.outTypes(List.of(a));
            default -> throw new IllegalArgumentException(op.name());
        };
    }

    private static List<Tensor> reference(Op op, Tensor a) {
        return switch (op) {
            case Qr q -> q.evaluate(List.of(a));
            case Eigh e -> e.evaluate(List.of(a));
            case Svd s -> s.evaluate(List.of(a));
            default -> throw new IllegalArgumentException(op.name());
        };
    }

    private static int perItem(Type t) {
        return Math.toIntExact(t.shape().size() / t.shape().dim(0));
    }

    private static double[] toSoa(double[] rowMajor, int batch) {
        int per = rowMajor.length / batch;
        double[] soa = new double[Math.max(per, 1) * batch];
        for (int item = 0; item < batch; item++) {
            for (int e = 0; e < per; e++) {
                soa[e * batch + item] = rowMajor[item * per + e];
            }
        }
        return soa;
    }

    private static double[] fromSoa(double[] soa, int batch, int per) {
        double[] rowMajor = new double[per * batch];
        for (int item = 0; item < batch; item++) {
            for (int e = 0; e < per; e++) {
                rowMajor[item * per + e] = soa[e * batch + item];
            }
        }
        return rowMajor;
    }

    private static Tensor random(DType dtype, Random rnd, int... dims) {
        Shape s = new Shape(dims);
        double[] d = new double[Math.toIntExact(s.size())];
        for (int i = 0; i < d.length; i++) {
            d[i] = dtype.round(rnd.nextGaussian());
        }
        return new Tensor(dtype, s, d);
    }

    /** Compares every output with the reference, per item and output, within {@code 1e-10} of the item's largest entry. */
    private static void assertMatchesReference(Op op, Tensor a) {
        Result got = run(op, a);
        List<Tensor> want = reference(op, a);
        int batch = a.shape().dim(0);
        for (int item = 0; item < batch; item++) {
            assertEquals(0, got.status()[item], op + " " + a.shape() + ": status of item " + item);
        }
        for (int o = 0; o < want.size(); o++) {
            double[] w = want.get(o).data();
            double[] g = got.outs().get(o).data();
            int per = w.length / batch;
            for (int item = 0; item < batch; item++) {
                double largest = 0;
                for (int e = 0; e < per; e++) {
                    largest = Math.max(largest, Math.abs(w[item * per + e]));
                }
                for (int e = 0; e < per; e++) {
                    int at = item * per + e;
                    assertTrue(Math.abs(g[at] - w[at]) <= 1e-10 * Math.max(largest, 1e-300),
                            op + " " + a.shape() + " output " + o + " item " + item + " element " + e + ": " + g[at]
                                    + " vs reference " + w[at]);
                }
            }
        }
    }

    private static final int[] ORDERS = {1, 2, 3, 4, 5, 6, 7, 8, 16};

    @Test
    void qrMatchesTheReferenceInFloat64() {
        Random rnd = new Random(11);
        int[][] shapes = {{1, 1}, {2, 2}, {3, 3}, {4, 4}, {5, 5}, {6, 6}, {7, 7}, {8, 8}, {16, 16}, {5, 3}, {8, 2}, {6, 1},
                {3, 5}, {2, 8}, {1, 4}, {16, 5}};
        for (int[] mn : shapes) {
            for (boolean full : new boolean[] {false, true}) {
                for (int batch : mn[0] <= 8 ? BATCHES : new int[] {7}) {
                    assertMatchesReference(new Qr(full), random(DType.F64, rnd, batch, mn[0], mn[1]));
                }
            }
        }
        assertMatchesReference(new Qr(false), random(DType.F64, rnd, 7, 2, 5, 3));
        assertMatchesReference(new Qr(true), random(DType.F64, rnd, 7, 2, 3, 4));
    }

    @Test
    void eighMatchesTheReferenceInFloat64() {
        Random rnd = new Random(12);
        for (int n : ORDERS) {
            for (boolean[] mode : new boolean[][] {{true, false}, {false, false}, {true, true}}) {
                for (int batch : n <= 8 ? BATCHES : new int[] {7}) {
                    assertMatchesReference(new Eigh(mode[0], mode[1]), random(DType.F64, rnd, batch, n, n));
                }
            }
        }
        assertMatchesReference(new Eigh(true, false), random(DType.F64, rnd, 7, 2, 4, 4));
    }

    @Test
    void svdMatchesTheReferenceInFloat64() {
        Random rnd = new Random(13);
        int[][] shapes = {{1, 1}, {2, 2}, {3, 3}, {4, 4}, {5, 5}, {6, 6}, {7, 7}, {8, 8}, {16, 16}, {5, 3}, {8, 2}, {6, 1},
                {3, 5}, {2, 8}, {1, 4}};
        for (int[] mn : shapes) {
            for (boolean[] mode : new boolean[][] {{false, true}, {false, false}, {true, true}}) {
                for (int batch : mn[0] <= 8 ? BATCHES : new int[] {7}) {
                    assertMatchesReference(new Svd(mode[0], mode[1]), random(DType.F64, rnd, batch, mn[0], mn[1]));
                }
            }
        }
        assertMatchesReference(new Svd(false, true), random(DType.F64, rnd, 7, 2, 4, 3));
        assertMatchesReference(new Svd(false, true), random(DType.F64, rnd, 7, 2, 3, 4));
    }

    @Test
    void order32MatchesTheReferenceOnTwoItems() {
        Random rnd = new Random(14);
        assertMatchesReference(new Eigh(true, false), random(DType.F64, rnd, 2, 32, 32));
        assertMatchesReference(new Svd(false, true), random(DType.F64, rnd, 2, 32, 32));
        assertMatchesReference(new Qr(false), random(DType.F64, rnd, 2, 32, 32));
    }
}
