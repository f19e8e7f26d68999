package dev.streamfold.compiler.lower;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.streamfold.compiler.kir.KBuffer;
import dev.streamfold.compiler.kir.KBuilder;
import dev.streamfold.compiler.kir.KType;
import dev.streamfold.compiler.kir.Kernel;
import dev.streamfold.compiler.kir.KirEvaluator;
import dev.streamfold.compiler.kir.KirWalk;
import dev.streamfold.ir.Cholesky;
import dev.streamfold.ir.DType;
import dev.streamfold.ir.Eqn;
import dev.streamfold.ir.Lu;
import dev.streamfold.ir.MatMul;
import dev.streamfold.ir.Op;
import dev.streamfold.ir.Shape;
import dev.streamfold.ir.StreamfoldException;
import dev.streamfold.ir.Tensor;
import dev.streamfold.ir.TriangularSolve;
import dev.streamfold.ir.Type;
import dev.streamfold.ir.Var;
import dev.streamfold.runtime.batched.BatchStatus;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The expansion of lu, cholesky and triangular_solve, run by the {@link KirEvaluator} over batches, against
 * the ops' float64 reference {@code evaluate} matrix by matrix: float64 to 1e-12 relative, float32 by the
 * identities the factorizations satisfy, and failing matrices flagged with their status while the other
 * items of the batch stay correct.
 */
class ExpandLinalgTest {
    /** Where each array sits in its buffer: a nonzero offset, so that offsets are honoured. */
    private static final int OFFSET = 2;
    /** What output buffers hold before the kernel runs. */
    private static final double UNWRITTEN = -7777.25;
    private static final double F32_EPS = 0x1p-24;

    /** Outputs of one kernel run, item-major as the reference lays them out, and each item's status. */
    private record Run(List<Tensor> outs, int[] status) {}

    /**
     * Builds the kernel of {@code op} over {@code ins} (axis 0 the batch), runs it over the whole batch and
     * checks that nothing outside the outputs' elements was written.
     */
    private static Run run(Op op, List<Tensor> ins) {
        int batch = ins.get(0).shape().dim(0);
        List<Type> inTypes = ins.stream().map(Tensor::type).toList();
        List<Type> outTypes = op.outTypes(inTypes);
        KBuilder b = new KBuilder(op.name());
        List<KArray> inArrays = new ArrayList<>();
        List<KArray> outArrays = new ArrayList<>();
        List<Var> inVars = new ArrayList<>();
        List<Var> outVars = new ArrayList<>();
        for (Type t : inTypes) {
            inArrays.add(array(b, "in" + inArrays.size(), KBuffer.Role.IN, t));
            inVars.add(new Var(inVars.size(), t));
        }
        for (Type t : outTypes) {
            outArrays.add(array(b, "out" + outArrays.size(), KBuffer.Role.OUT, t));
            outVars.add(new Var(inVars.size() + outVars.size(), t));
        }
        int status = b.buffer("status", KBuffer.Role.OUT, KType.I32, 1);
        b.store(status, 0, b.index(0));
        ExpandLinalg.expand(new LowerContext(b, status), new Eqn(outVars, op, inVars), inArrays, outArrays);
        Kernel k = b.build();
        double[][] buffers = new double[k.buffers().size()][];
        for (int i = 0; i < ins.size(); i++) {
            buffers[inArrays.get(i).buffer()] = toLanes(ins.get(i).raw(), batch, OFFSET, Double.NaN);
        }
        for (KArray out : outArrays) {
            double[] storage = new double[(out.size() + OFFSET) * batch];
            Arrays.fill(storage, UNWRITTEN);
            buffers[out.buffer()] = storage;
        }
        buffers[status] = new double[batch];
        Arrays.fill(buffers[status], UNWRITTEN);
        KirEvaluator.run(k, buffers, new double[0], batch);
        List<Tensor> outs = new ArrayList<>();
        for (int i = 0; i < outArrays.size(); i++) {
            double[] storage = buffers[outArrays.get(i).buffer()];
            for (int at = 0; at < OFFSET * batch; at++) {
                assertEquals(UNWRITTEN, storage[at], "element " + at / batch + " of out" + i + " lies before the array");
            }
            outs.add(new Tensor(outTypes.get(i).dtype(), outTypes.get(i).shape(), fromLanes(storage, batch, OFFSET)));
        }
        int[] codes = new int[batch];
        for (int q = 0; q < batch; q++) {
            codes[q] = (int) buffers[status][q];
        }
        return new Run(outs, codes);
    }

    private static KArray array(KBuilder b, String name, KBuffer.Role role, Type t) {
        KType type = LowerContext.bufferType(t.dtype());
        int[] dims = t.shape().dropLeading().dims();
        KArray shape = new KArray(0, 0, dims, type);
        int buffer = b.buffer(name, role, type, shape.size() + OFFSET);
        return new KArray(buffer, OFFSET, dims, type);
    }

    /** Item-major values to structure-of-arrays storage, {@code offset} elements of {@code fill} first. */
    private static double[] toLanes(double[] itemMajor, int batch, int offset, double fill) {
        int size = itemMajor.length / batch;
        double[] lanes = new double[(size + offset) * batch];
        Arrays.fill(lanes, fill);
        for (int q = 0; q < batch; q++) {
            for (int e = 0; e < size; e++) {
                lanes[(e + offset) * batch + q] = itemMajor[q * size + e];
            }
        }
        return lanes;
    }

    private static double[] fromLanes(double[] lanes, int batch, int offset) {
        int size = lanes.length / batch - offset;
        double[] itemMajor = new double[size * batch];
        for (int q = 0; q < batch; q++) {
            for (int e = 0; e < size; e++) {
                itemMajor[q * size + e] = lanes[(e + offset) * batch + q];
            }
        }
        return itemMajor;
    }

    /** Matrix {@code g} (counting every matrix of every item) of {@code t}, as a tensor of the trailing {@code axes}. */
    private static Tensor part(Tensor t, int g, int axes) {
        int r = t.shape().rank();
        int[] trailing = Arrays.copyOfRange(t.shape().dims(), r - axes, r);
        Shape s = new Shape(trailing);
        int size = Math.toIntExact(s.size());
        return new Tensor(t.dtype(), s, Arrays.copyOfRange(t.raw(), g * size, (g + 1) * size));
    }

    private static int matricesPerItem(Tensor t) {
        int n = 1;
        for (int axis = 1; axis < t.shape().rank() - 2; axis++) {
            n *= t.shape().dim(axis);
        }
        return n;
    }

    /** The expected status of each item: the first failing matrix's code, in order. */
    private static int[] expectedStatus(Tensor a, Function<Integer, BatchStatus> perMatrix) {
        int batch = a.shape().dim(0);
        int per = matricesPerItem(a);
        int[] s = new int[batch];
        for (int q = 0; q < batch; q++) {
            for (int e = 0; e < per && s[q] == 0; e++) {
                s[q] = perMatrix.apply(q * per + e).code();
            }
        }
        return s;
    }

    private static Tensor random(Random rnd, DType dtype, int... dims) {
        Shape s = new Shape(dims);
        double[] d = new double[Math.toIntExact(s.size())];
        for (int i = 0; i < d.length; i++) {
            d[i] = dtype.round(2 * rnd.nextDouble() - 1);
        }
        return new Tensor(dtype, s, d);
    }

    /** {@code t} with matrix {@code g}'s entry {@code (i, j)} set to {@code v}. */
    private static Tensor with(Tensor t, int g, int i, int j, double v) {
        int r = t.shape().rank();
        int rows = t.shape().dim(r - 2);
        int cols = t.shape().dim(r - 1);
        double[] d = t.data();
        d[(g * rows + i) * cols + j] = v;
        return new Tensor(t.dtype(), t.shape(), d);
    }

    private static void assertClose(Tensor expected, Tensor actual, double relative, String what) {
        double scale = 0;
        for (double x : expected.raw()) {
            scale = Math.max(scale, Math.abs(x));
        }
        for (int i = 0; i < expected.size(); i++) {
            double e = expected.raw()[i];
            double x = actual.raw()[i];
            assertTrue(Math.abs(e - x) <= relative * Math.max(Math.abs(e), scale),
                    what + ": element " + i + " is " + x + ", the reference " + e);
        }
    }

    private static void assertExactly(Tensor expected, Tensor actual, String what) {
        assertArrayEquals(expected.raw(), actual.raw(), what);
    }

    // ---- lu ----

    static Stream<Arguments> luShapes() {
        List<Arguments> cases = new ArrayList<>();
        int[] batches = {1, 7, 33};
        for (int n = 1; n <= 8; n++) {
            cases.add(Arguments.of(n, n, batches[n % 3]));
        }
        cases.add(Arguments.of(16, 16, 7));
        cases.add(Arguments.of(4, 6, 33));
        cases.add(Arguments.of(6, 4, 7));
        cases.add(Arguments.of(1, 5, 7));
        cases.add(Arguments.of(5, 1, 7));
        return cases.stream();
    }

    @ParameterizedTest(name = "{0}x{1}, batch {2}")
    @MethodSource("luShapes")
    void luFloat64MatchesTheReference(int m, int n, int batch) {
        Tensor a = random(new Random(m * 31 + n), DType.F64, batch, m, n);
        checkLuFloat64(a);
    }

    @Test
    void luFloat64WithLeadingAxesInsideAnItem() {
        Tensor a = random(new Random(5), DType.F64, 7, 2, 5, 5);
        Tensor wide = random(new Random(6), DType.F64, 7, 3, 2, 4, 6);
        checkLuFloat64(a);
        checkLuFloat64(wide);
    }

    /** Compares every matrix with the reference; returns the run. */
    private static Run checkLuFloat64(Tensor a) {
        Run run = run(new Lu(), List.of(a));
        int matrices = a.shape().dim(0) * matricesPerItem(a);
        assertArrayEquals(expectedStatus(a, g -> luStatus(part(a, g, 2))), run.status());
        for (int g = 0; g < matrices; g++) {
            Tensor matrix = part(a, g, 2);
            if (!allFinite(matrix)) {
                continue;
            }
            List<Tensor> ref = new Lu().evaluate(List.of(matrix));
            assertClose(ref.get(0), part(run.outs().get(0), g, 2), 1e-12, "lu of matrix " + g);
            assertExactly(ref.get(1), part(run.outs().get(1), g, 1), "pivots of matrix " + g);
            assertExactly(ref.get(2), part(run.outs().get(2), g, 1), "permutation of matrix " + g);
        }
        return run;
    }

    private static BatchStatus luStatus(Tensor matrix) {
        if (!allFinite(matrix)) {
            return BatchStatus.NON_FINITE_INPUT;
        }
        Tensor lu = new Lu().evaluate(List.of(matrix)).get(0);
        int m = matrix.shape().dim(0);
        int n = matrix.shape().dim(1);
        for (int j = 0; j < Math.min(m, n); j++) {
            if (lu.raw()[j * n + j] == 0) {
                return BatchStatus.ZERO_PIVOT;
            }
        }
        return BatchStatus.OK;
    }

    @ParameterizedTest(name = "{0}x{1}, batch {2}")
    @MethodSource("luShapes")
    void luFloat32SatisfiesPaEqualsLu(int m, int n, int batch) {
        Tensor a = random(new Random(m * 17 + n), DType.F32, batch, m, n);
        checkLuFloat32(a, run(new Lu(), List.of(a)));
    }

    private static void checkLuFloat32(Tensor a, Run run) {
        int r = a.shape().rank();
        int m = a.shape().dim(r - 2);
        int n = a.shape().dim(r - 1);
        int k = Math.min(m, n);
        int matrices = a.shape().dim(0) * matricesPerItem(a);
        assertArrayEquals(expectedStatus(a, g -> luStatus(part(a, g, 2))), run.status());
        for (int g = 0; g < matrices; g++) {
            double[] av = part(a, g, 2).raw();
            double[] lu = part(run.outs().get(0), g, 2).raw();
            double[] perm = part(run.outs().get(2), g, 1).raw();
            List<Tensor> ref = new Lu().evaluate(List.of(part(a, g, 2)));
            assertExactly(ref.get(1), part(run.outs().get(1), g, 1), "pivots of matrix " + g);
            assertExactly(ref.get(2), part(run.outs().get(2), g, 1), "permutation of matrix " + g);
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < n; j++) {
                    double product = 0;
                    double bound = 0;
                    for (int t = 0; t <= Math.min(i, Math.min(j, k - 1)); t++) {
                        double l = t == i ? 1 : lu[i * n + t];
                        double u = lu[t * n + j];
                        product += l * u;
                        bound += Math.abs(l * u);
                    }
                    double residual = Math.abs(av[(int) perm[i] * n + j] - product);
                    assertTrue(residual <= 3 * k * F32_EPS * bound + 1e-30,
                            "(PA - LU)[" + i + ", " + j + "] of matrix " + g + " is " + residual + ", bound " + bound);
                }
            }
        }
    }

    /** A batch of 7 with a zero column, two equal rows, a NaN and an infinity among good matrices. */
    private static Tensor luTroubles(DType dtype, int... dims) {
        Tensor a = random(new Random(11), dtype, dims);
        int r = dims.length;
        int m = dims[r - 2];
        int n = dims[r - 1];
        int per = matricesPerItem(a);
        for (int i = 0; i < m; i++) {
            a = with(a, 1 * per + per - 1, i, 1, 0);
        }
        for (int j = 0; j < n; j++) {
            a = with(a, 3 * per, m - 1, j, a.raw()[(3 * per * m) * n + j]);
        }
        a = with(a, 4 * per + per - 1, 1, 2, Double.NaN);
        a = with(a, 6 * per, m - 1, 0, Double.NEGATIVE_INFINITY);
        return a;
    }

    @Test
    void luFlagsZeroPivotsAndNonFiniteEntriesPerItem() {
        for (int[] dims : new int[][] {{7, 4, 4}, {7, 2, 5, 5}, {7, 4, 6}, {7, 6, 4}}) {
            Tensor a64 = luTroubles(DType.F64, dims);
            Run run = checkLuFloat64(a64);
            // Two equal rows leave a tall matrix of full column rank: no zero pivot there.
            boolean tall = dims[dims.length - 2] > dims[dims.length - 1];
            int[] expected = {0, BatchStatus.ZERO_PIVOT.code(), 0, tall ? 0 : BatchStatus.ZERO_PIVOT.code(),
                    BatchStatus.NON_FINITE_INPUT.code(), 0, BatchStatus.NON_FINITE_INPUT.code()};
            assertArrayEquals(expected, run.status(), "f64 " + Arrays.toString(dims));
            Tensor a32 = luTroubles(DType.F32, dims);
            Run run32 = run(new Lu(), List.of(a32));
            assertArrayEquals(expected, run32.status(), "f32 " + Arrays.toString(dims));
        }
    }

    // ---- cholesky ----

    /** Symmetric positive-definite matrices {@code M M^T + n I}; with {@code skew}, plus a skew part. */
    private static Tensor spd(Random rnd, DType dtype, boolean skew, int... dims) {
        Tensor m = random(rnd, DType.F64, dims);
        int r = dims.length;
        int n = dims[r - 1];
        int matrices = Math.toIntExact(m.shape().size() / (n * n));
        double[] d = new double[m.size()];
        for (int g = 0; g < matrices; g++) {
            int base = g * n * n;
            for (int i = 0; i < n; i++) {
                for (int j = 0; j < n; j++) {
                    double s = i == j ? n : 0;
                    for (int t = 0; t < n; t++) {
                        s += m.raw()[base + i * n + t] * m.raw()[base + j * n + t];
                    }
                    d[base + i * n + j] = dtype.round(s + (skew ? 0.25 * (i - j) : 0));
                }
            }
        }
        return new Tensor(dtype, m.shape(), d);
    }

    /** {@code a} with every entry strictly above the diagonal replaced by NaN. */
    private static Tensor nanAbove(Tensor a) {
        int n = a.shape().dim(a.shape().rank() - 1);
        double[] d = a.data();
        for (int at = 0; at < d.length; at++) {
            if (at % n > (at / n) % n) {
                d[at] = Double.NaN;
            }
        }
        return new Tensor(a.dtype(), a.shape(), d);
    }

    static Stream<Arguments> choleskyShapes() {
        List<Arguments> cases = new ArrayList<>();
        int[] batches = {1, 7, 33};
        for (boolean symmetrize : new boolean[] {false, true}) {
            for (int n = 1; n <= 8; n++) {
                cases.add(Arguments.of(n, batches[n % 3], symmetrize));
            }
            cases.add(Arguments.of(16, 7, symmetrize));
        }
        return cases.stream();
    }

    @ParameterizedTest(name = "{0}x{0}, batch {1}, symmetrize {2}")
    @MethodSource("choleskyShapes")
    void choleskyFloat64MatchesTheReference(int n, int batch, boolean symmetrize) {
        Tensor a = spd(new Random(n), DType.F64, symmetrize, batch, n, n);
        // The upper triangle is not read without symmetrize_input.
        checkCholeskyFloat64(symmetrize ? a : nanAbove(a), symmetrize);
    }

    @Test
    void choleskyFloat64WithLeadingAxesInsideAnItem() {
        checkCholeskyFloat64(spd(new Random(3), DType.F64, false, 7, 2, 5, 5), false);
        checkCholeskyFloat64(spd(new Random(4), DType.F64, true, 7, 3, 2, 3, 3), true);
    }

    private static Run checkCholeskyFloat64(Tensor a, boolean symmetrize) {
        Cholesky op = new Cholesky(symmetrize);
        Run run = run(op, List.of(a));
        assertArrayEquals(expectedStatus(a, g -> choleskyStatus(op, part(a, g, 2))), run.status());
        int matrices = a.shape().dim(0) * matricesPerItem(a);
        for (int g = 0; g < matrices; g++) {
            if (choleskyStatus(op, part(a, g, 2)) == BatchStatus.OK) {
                Tensor ref = op.evaluate(List.of(part(a, g, 2))).get(0);
                assertClose(ref, part(run.outs().get(0), g, 2), 1e-12, "cholesky of matrix " + g);
            }
        }
        return run;
    }

    private static BatchStatus choleskyStatus(Cholesky op, Tensor matrix) {
        int n = matrix.shape().dim(0);
        for (int i = 0; i < n; i++) {
            for (int j = 0; j <= (op.symmetrizeInput() ? n - 1 : i); j++) {
                if (!Double.isFinite(matrix.raw()[i * n + j])) {
                    return BatchStatus.NON_FINITE_INPUT;
                }
            }
        }
        try {
            op.evaluate(List.of(matrix));
            return BatchStatus.OK;
        } catch (StreamfoldException e) {
            return BatchStatus.NOT_POSITIVE_DEFINITE;
        }
    }

    @ParameterizedTest(name = "{0}x{0}, batch {1}, symmetrize {2}")
    @MethodSource("choleskyShapes")
    void choleskyFloat32SatisfiesLLtEqualsA(int n, int batch, boolean symmetrize) {
        Tensor a = spd(new Random(n + 100), DType.F32, symmetrize, batch, n, n);
        Cholesky op = new Cholesky(symmetrize);
        Run run = run(op, List.of(symmetrize ? a : nanAbove(a)));
        assertArrayEquals(new int[batch], run.status());
        for (int g = 0; g < batch; g++) {
            double[] av = part(a, g, 2).raw();
            double[] l = part(run.outs().get(0), g, 2).raw();
            for (int i = 0; i < n; i++) {
                assertTrue(l[i * n + i] > 0, "diagonal " + i + " of matrix " + g);
                for (int j = 0; j < n; j++) {
                    if (j > i) {
                        assertEquals(0.0, l[i * n + j], "L above the diagonal, (" + i + ", " + j + ") of matrix " + g);
                        continue;
                    }
                    double product = 0;
                    double bound = 0;
                    for (int t = 0; t <= j; t++) {
                        product += l[i * n + t] * l[j * n + t];
                        bound += Math.abs(l[i * n + t] * l[j * n + t]);
                    }
                    double s = symmetrize ? (av[i * n + j] + av[j * n + i]) / 2 : av[i * n + j];
                    double residual = Math.abs(s - product);
                    assertTrue(residual <= 3 * (n + 1) * F32_EPS * bound + 2 * F32_EPS * Math.abs(s),
                            "(LL^T - A)[" + i + ", " + j + "] of matrix " + g + " is " + residual);
                }
            }
        }
    }

    @Test
    void choleskyFlagsIndefiniteAndNonFiniteItems() {
        for (DType dtype : new DType[] {DType.F64, DType.F32}) {
            for (int[] dims : new int[][] {{7, 4, 4}, {7, 2, 4, 4}}) {
                int per = dims.length == 4 ? dims[1] : 1;
                Tensor a = spd(new Random(9), dtype, false, dims);
                a = with(a, per - 1, 2, 2, -1);
                int n = 4;
                Tensor zero = a;
                for (int i = 0; i < n; i++) {
                    for (int j = 0; j < n; j++) {
                        zero = with(zero, 2 * per, i, j, 0);
                    }
                }
                a = with(zero, 3 * per + per - 1, 3, 1, Double.NaN);
                a = with(a, 4 * per, 1, 3, Double.POSITIVE_INFINITY);
                a = with(a, 5 * per, 0, 0, Double.NaN);
                int[] expected = {BatchStatus.NOT_POSITIVE_DEFINITE.code(), 0, BatchStatus.NOT_POSITIVE_DEFINITE.code(),
                        BatchStatus.NON_FINITE_INPUT.code(), 0, BatchStatus.NON_FINITE_INPUT.code(), 0};
                String what = dtype + " " + Arrays.toString(dims);
                if (dtype == DType.F64) {
                    assertArrayEquals(expected, checkCholeskyFloat64(a, false).status(), what);
                } else {
                    assertArrayEquals(expected, run(new Cholesky(false), List.of(a)).status(), what);
                }
                // With symmetrize_input the upper triangle is read, so the infinity there fails item 4 too.
                expected[4] = BatchStatus.NON_FINITE_INPUT.code();
                assertArrayEquals(expected, run(new Cholesky(true), List.of(a)).status(), what + " symmetrized");
            }
        }
    }

    // ---- triangular_solve ----

    static Stream<Arguments> triangularCases() {
        List<Arguments> cases = new ArrayList<>();
        int[][] shapes = {{1, 1}, {3, 1}, {3, 4}, {5, 2}, {8, 3}};
        int[] batches = {1, 7, 33};
        int at = 0;
        for (int flags = 0; flags < 16; flags++) {
            for (int[] shape : shapes) {
                cases.add(Arguments.of((flags & 8) != 0, (flags & 4) != 0, (flags & 2) != 0, (flags & 1) != 0,
                        shape[0], shape[1], batches[at++ % 3]));
            }
        }
        return cases.stream();
    }

    /**
     * Triangular matrices for {@code op}: the triangle read holds random entries with a diagonal of
     * magnitude in [1, 2]; the entries not read (the other triangle, the diagonal when unit) are NaN.
     */
    private static Tensor triangular(Random rnd, TriangularSolve op, DType dtype, int... dims) {
        Tensor a = random(rnd, dtype, dims);
        int m = dims[dims.length - 1];
        double[] d = a.data();
        for (int at = 0; at < d.length; at++) {
            int i = (at / m) % m;
            int j = at % m;
            if (i == j) {
                d[at] = op.unitDiagonal() ? Double.NaN : dtype.round(Math.copySign(1 + Math.abs(d[at]), d[at]));
            } else if (op.lower() ? j > i : j < i) {
                d[at] = Double.NaN;
            }
        }
        return new Tensor(dtype, a.shape(), d);
    }

    private static Type rhsShape(TriangularSolve op, int batch, int m, int k, int... lead) {
        int[] dims = new int[lead.length + 3];
        dims[0] = batch;
        System.arraycopy(lead, 0, dims, 1, lead.length);
        dims[lead.length + 1] = op.leftSide() ? m : k;
        dims[lead.length + 2] = op.leftSide() ? k : m;
        return Type.of(DType.F64, dims);
    }

    @ParameterizedTest(name = "left {0} lower {1} transpose {2} unit {3}, {4}x{4} with {5} rhs, batch {6}")
    @MethodSource("triangularCases")
    void triangularSolveFloat64MatchesTheReference(boolean left, boolean lower, boolean transpose, boolean unit, int m,
            int k, int batch) {
        TriangularSolve op = new TriangularSolve(left, lower, transpose, unit);
        Random rnd = new Random(m * 7 + k);
        Tensor a = triangular(rnd, op, DType.F64, batch, m, m);
        Tensor rhs = random(rnd, DType.F64, rhsShape(op, batch, m, k).shape().dims());
        checkTriangularFloat64(op, a, rhs);
    }

    @Test
    void triangularSolveFloat64WithLeadingAxesInsideAnItem() {
        for (TriangularSolve op : new TriangularSolve[] {new TriangularSolve(true, true, false, false),
                new TriangularSolve(false, false, true, true)}) {
            Random rnd = new Random(21);
            Tensor a = triangular(rnd, op, DType.F64, 7, 2, 5, 5);
            Tensor rhs = random(rnd, DType.F64, rhsShape(op, 7, 5, 3, 2).shape().dims());
            checkTriangularFloat64(op, a, rhs);
        }
    }

    private static Run checkTriangularFloat64(TriangularSolve op, Tensor a, Tensor rhs) {
        Run run = run(op, List.of(a, rhs));
        assertArrayEquals(expectedStatus(a, g -> triangularStatus(op, part(a, g, 2), part(rhs, g, 2))), run.status());
        int matrices = a.shape().dim(0) * matricesPerItem(a);
        for (int g = 0; g < matrices; g++) {
            if (triangularStatus(op, part(a, g, 2), part(rhs, g, 2)) == BatchStatus.OK) {
                Tensor ref = op.evaluate(List.of(part(a, g, 2), part(rhs, g, 2))).get(0);
                assertClose(ref, part(run.outs().get(0), g, 2), 1e-12, op.attributes() + ", matrix " + g);
            }
        }
        return run;
    }

    private static BatchStatus triangularStatus(TriangularSolve op, Tensor a, Tensor rhs) {
        int m = a.shape().dim(0);
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < m; j++) {
                boolean read = (op.lower() ? j <= i : j >= i) && !(op.unitDiagonal() && i == j);
                if (read && !Double.isFinite(a.raw()[i * m + j])) {
                    return BatchStatus.NON_FINITE_INPUT;
                }
            }
        }
        if (!allFinite(rhs)) {
            return BatchStatus.NON_FINITE_INPUT;
        }
        try {
            op.evaluate(List.of(a, rhs));
            return BatchStatus.OK;
        } catch (StreamfoldException e) {
            return BatchStatus.SINGULAR_TRIANGLE;
        }
    }

    @ParameterizedTest(name = "left {0} lower {1} transpose {2} unit {3}, {4}x{4} with {5} rhs, batch {6}")
    @MethodSource("triangularCases")
    void triangularSolveFloat32SatisfiesTheSystem(boolean left, boolean lower, boolean transpose, boolean unit, int m,
            int k, int batch) {
        TriangularSolve op = new TriangularSolve(left, lower, transpose, unit);
        Random rnd = new Random(m * 5 + k);
        Tensor a = triangular(rnd, op, DType.F32, batch, m, m);
        Tensor rhs = random(rnd, DType.F32, rhsShape(op, batch, m, k).shape().dims());
        Run run = run(op, List.of(a, rhs));
        assertArrayEquals(new int[batch], run.status());
        int rows = rhs.shape().dim(1);
        int cols = rhs.shape().dim(2);
        for (int g = 0; g < batch; g++) {
            double[] av = part(a, g, 2).raw();
            double[] bv = part(rhs, g, 2).raw();
            double[] x = part(run.outs().get(0), g, 2).raw();
            for (int i = 0; i < rows; i++) {
                for (int j = 0; j < cols; j++) {
                    double product = 0;
                    double bound = 0;
                    for (int t = 0; t < m; t++) {
                        // Left: (M X)[i][j] = sum_t M[i][t] X[t][j]; right: (X M)[i][j] = sum_t X[i][t] M[t][j].
                        double term = left ? effective(op, av, m, i, t) * x[t * cols + j]
                                : x[i * cols + t] * effective(op, av, m, t, j);
                        product += term;
                        bound += Math.abs(term);
                    }
                    double residual = Math.abs(product - bv[i * cols + j]);
                    assertTrue(residual <= 3 * m * F32_EPS * bound,
                            op.attributes() + ": residual (" + i + ", " + j + ") of matrix " + g + " is " + residual);
                }
            }
        }
    }

    /** Entry {@code (i, j)} of {@code op(A)} as the solve sees it: zero outside the triangle, one on a unit diagonal. */
    private static double effective(TriangularSolve op, double[] a, int m, int i, int j) {
        int r = op.transposeA() ? j : i;
        int c = op.transposeA() ? i : j;
        if (r == c) {
            return op.unitDiagonal() ? 1 : a[r * m + c];
        }
        return (op.lower() ? c < r : c > r) ? a[r * m + c] : 0;
    }

    @Test
    void triangularSolveFlagsSingularAndNonFiniteItems() {
        for (DType dtype : new DType[] {DType.F64, DType.F32}) {
            TriangularSolve op = new TriangularSolve(true, true, false, false);
            Random rnd = new Random(8);
            Tensor a = triangular(rnd, op, dtype, 7, 2, 4, 4);
            Tensor rhs = random(rnd, dtype, 7, 2, 4, 3);
            a = with(a, 2 * 2 + 1, 3, 3, 0);
            a = with(a, 3 * 2, 2, 0, Double.NaN);
            rhs = with(rhs, 5 * 2 + 1, 1, 2, Double.POSITIVE_INFINITY);
            int[] expected = {0, 0, BatchStatus.SINGULAR_TRIANGLE.code(), BatchStatus.NON_FINITE_INPUT.code(), 0,
                    BatchStatus.NON_FINITE_INPUT.code(), 0};
            if (dtype == DType.F64) {
                assertArrayEquals(expected, checkTriangularFloat64(op, a, rhs).status());
            } else {
                assertArrayEquals(expected, run(op, List.of(a, rhs)).status());
            }
            // With a unit diagonal the zero on it is not read.
            TriangularSolve unit = new TriangularSolve(true, true, false, true);
            expected[2] = 0;
            assertArrayEquals(expected, run(unit, List.of(a, rhs)).status(), dtype + " unit diagonal");
        }
    }

    // ---- the pass itself ----

    @Test
    void theCodeIsOneLoopNestWhateverTheMatrixSize() {
        for (Op op : new Op[] {new Cholesky(true), new TriangularSolve(false, true, true, false)}) {
            int small = expansionSize(op, 4);
            assertEquals(small, expansionSize(op, 8), op.name() + ": instructions for 4x4 and 8x8");
            assertEquals(small, expansionSize(op, 16), op.name() + ": instructions for 4x4 and 16x16");
        }
    }

    @Test
    void luEmitsOneFixedSizeBlockPerStep() {
        Op lu = new Lu();
        int four = expansionSize(lu, 4);
        int eight = expansionSize(lu, 8);
        int sixteen = expansionSize(lu, 16);
        assertTrue(eight > four, "lu: a step costs instructions");
        assertEquals(2 * (eight - four), sixteen - eight, "lu: instructions grow by the same amount per step");
    }

    /** Instructions (loop bodies counted once) of the expansion of {@code op} over {@code n x n} matrices. */
    private static int expansionSize(Op op, int n) {
        Type square = Type.of(DType.F32, 5, n, n);
        List<Type> ins = op instanceof TriangularSolve ? List.of(square, square) : List.of(square);
        KBuilder b = new KBuilder(op.name());
        List<KArray> inArrays = new ArrayList<>();
        for (Type t : ins) {
            inArrays.add(array(b, "in" + inArrays.size(), KBuffer.Role.IN, t));
        }
        List<KArray> outArrays = new ArrayList<>();
        for (Type t : op.outTypes(ins)) {
            outArrays.add(array(b, "out" + outArrays.size(), KBuffer.Role.OUT, t));
        }
        int status = b.buffer("status", KBuffer.Role.OUT, KType.I32, 1);
        ExpandLinalg.expand(new LowerContext(b, status), new Eqn(List.of(), op, List.of()), inArrays, outArrays);
        return KirWalk.size(b.build().body());
    }

    @Test
    void refusesOpsThatAreNotDecompositions() {
        KBuilder b = new KBuilder("k");
        int status = b.buffer("status", KBuffer.Role.OUT, KType.I32, 1);
        LowerContext cx = new LowerContext(b, status);
        Var x = new Var(0, Type.of(DType.F64, 3, 2, 2));
        assertThrows(IllegalArgumentException.class,
                () -> ExpandLinalg.expand(cx, new Eqn(List.of(x), new MatMul(), List.of(x, x)), List.of(), List.of()));
        assertTrue(ExpandLinalg.expands(new Lu()) && !ExpandLinalg.expands(new MatMul()));
    }

    private static boolean allFinite(Tensor t) {
        for (double x : t.raw()) {
            if (!Double.isFinite(x)) {
                return false;
            }
        }
        return true;
    }
}
