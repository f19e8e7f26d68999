package dev.streamfold.ir.stream;

import static dev.streamfold.ir.stream.StreamingSemanticsTest.assertMatrix;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.streamfold.ir.DType;
import dev.streamfold.ir.StreamfoldException;
import dev.streamfold.ir.Tensor;
import dev.streamfold.ir.Type;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** BLT, banded Toeplitz and their inverses, alone and composed, against dense float64 matrices. */
class BandedSemanticsTest {
    static final int[] SIZES = {1, 2, 11, 64};

    static Blt blt3() {
        return Blt.of(new double[] {0.5, 0.99, 0.9}, new double[] {0.2, 0.05, 0.1});
    }

    static List<StreamingMatrix> operators() {
        Blt one = Blt.of(new double[] {0.8}, new double[] {0.3});
        Blt mixed = Blt.of(new double[] {0.9, 0.5, 0.2}, new double[] {0.3, -0.01, 0.2});
        return List.of(
                blt3(),
                one,
                Blt.of(new double[] {}, new double[] {}),
                Blt.of(new double[] {1.0, -0.5}, new double[] {0.5, 1.5}),
                new Inverse(blt3()),
                new Inverse(mixed),
                new InverseParams(blt3()),
                new InverseParams(one),
                new InverseParams(mixed),
                new Inverse(new InverseParams(blt3())),
                new Inverse(new Inverse(blt3())),
                new Toeplitz(Param.vector(1.0, 0.5, 0.375, 0.3125)),
                new Toeplitz(Param.vector(2.0)),
                new ToeplitzInverse(Param.vector(1.0, -0.5, 0.25)),
                new ToeplitzInverse(Param.vector(-3.0)),
                new ToeplitzInverse(Param.vector(1.0, 0.5, 0.375), 7),
                new ToeplitzInverse(Param.vector(1.0, 0.5, 0.375, 0.3125), 3),
                new Inverse(new Toeplitz(Param.vector(1.0, 0.5, 0.375))),
                new Inverse(new ToeplitzInverse(Param.vector(1.0, 0.5, 0.375), 5)),
                banded(),
                new Inverse(banded()),
                new ColumnNormalizedBanded(new Param.Literal(Tensor.matrix(DType.F64, new double[][] {{-2}, {0.5}}))),
                new Inverse(new ColumnNormalizedBanded(new Param.Literal(Tensor.matrix(DType.F64, new double[][] {{-2}, {0.5}})))));
    }

    /** Five columns, three bands, a non-zero lower-right corner (read past n only through clipping). */
    static ColumnNormalizedBanded banded() {
        return new ColumnNormalizedBanded(new Param.Literal(Tensor.matrix(DType.F64, new double[][] {
            {1.0, 0.5, 0.25}, {0.9, -0.4, 0.3}, {1.2, 0.6, 0.1}, {0.8, 0.2, 0.7}, {1.1, 0.3, 0.2}})));
    }

    static List<StreamingMatrix> compositions() {
        Random r = new Random(7);
        List<StreamingMatrix> ops = new ArrayList<>(operators());
        ops.addAll(StreamingSemanticsTest.operators());
        List<StreamingMatrix> out = new ArrayList<>();
        for (int i = 0; i < 24; i++) {
            int k = 2 + r.nextInt(3);
            StreamingMatrix m = operators().get(r.nextInt(operators().size()));
            for (int j = 1; j < k; j++) {
                StreamingMatrix f = ops.get(r.nextInt(ops.size()));
                m = r.nextBoolean() ? m.matmul(f) : f.matmul(m);
            }
            out.add(m);
        }
        out.add(new PrefixSum().matmul(new Inverse(blt3())).scaleRowsAndColumns(new double[] {1, 2}, new double[] {0.5}));
        return out;
    }

    static Stream<Arguments> cases() {
        List<Arguments> a = new ArrayList<>();
        for (StreamingMatrix m : operators()) {
            a.add(Arguments.of(m.describe(), m));
        }
        for (StreamingMatrix m : compositions()) {
            a.add(Arguments.of(m.describe(), m));
        }
        return a.stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void materializeMatchesDenseFormula(String name, StreamingMatrix m) {
        for (int n : SIZES) {
            assertMatrix(DenseOracle.of(m, n), m.materialize(n), 1e-9, name + " n=" + n);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void multiplyMatchesDenseProduct(String name, StreamingMatrix m) {
        double[][] x = StreamingSemanticsTest.randomRows(11, 3, name.hashCode());
        assertMatrix(DenseOracle.matmul(DenseOracle.of(m, 11), x), m.multiply(x), 1e-9, name);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void rowNormsAreSquaredRows(String name, StreamingMatrix m) {
        double[][] dense = DenseOracle.of(m, 13);
        double[] got = m.rowNormsSquared(13);
        for (int i = 0; i < 13; i++) {
            double s = 0;
            for (double v : dense[i]) {
                s += v * v;
            }
            assertEquals(s, got[i], 1e-9 * Math.max(1, s), name + " row " + i);
        }
    }

    /** Past 17 bands the last values live in one ring: its operators equal their dense formulas past the ring's wrap. */
    @Test
    void ringLayoutsMatchTheDenseFormulaPastTheWrap() {
        Random r = new Random(20);
        double[] coef = new double[20];
        double[][] p = new double[24][20];
        for (int j = 0; j < 20; j++) {
            coef[j] = j == 0 ? 1.5 : r.nextDouble() - 0.5;
        }
        for (double[] row : p) {
            for (int j = 0; j < row.length; j++) {
                row[j] = j == 0 ? 1 + r.nextDouble() : r.nextDouble() - 0.5;
            }
        }
        ColumnNormalizedBanded banded = new ColumnNormalizedBanded(new Param.Literal(Tensor.matrix(DType.F64, p)));
        List<StreamingMatrix> rings = List.of(new Toeplitz(Param.vector(coef)), new Inverse(new Toeplitz(Param.vector(coef))),
                new ToeplitzInverse(Param.vector(coef), 30), banded, new Inverse(banded));
        for (StreamingMatrix m : rings) {
            StepProgram step = StepProgram.build(m, ParamLayout.types(ParamLayout.of(m).bind(m, Bindings.NONE, DType.F64)),
                    Type.of(DType.F64, 3));
            assertEquals(1, step.numState(), m.describe());
            assertEquals(19, step.stateRows(0), m.describe());
            assertMatrix(DenseOracle.of(m, 45), m.materialize(45), 1e-9, m.describe());
        }
        assertEquals(3, banded.slots().size(), "P, band 0 and the column norms: the ring reads the other bands from P");
    }

    @Test
    void largeSizeMatchesDense() {
        for (StreamingMatrix m : List.of(blt3(), new InverseParams(blt3()), new ToeplitzInverse(Param.vector(1.0, 0.5, 0.375), 100))) {
            assertMatrix(DenseOracle.of(m, 512), m.materialize(512), 1e-8, m.describe());
        }
    }

    @Test
    void inverseUndoesTheMatrix() {
        double[][] a = StreamingSemanticsTest.randomRows(40, 4, 3);
        for (Invertible c : List.of(blt3(), new Toeplitz(Param.vector(1.0, 0.5, 0.375)),
                new ToeplitzInverse(Param.vector(1.0, 0.5, 0.375), 20), new InverseParams(blt3()))) {
            assertMatrix(a, new Inverse(c).multiply(c.multiply(a)), 1e-9, "C^-1 (C A) " + c.describe());
            assertMatrix(a, c.matmul(new Inverse(c)).multiply(a), 1e-9, "C C^-1 A " + c.describe());
        }
    }

    @Test
    void streamedInverseEqualsTheClosedForm() {
        Blt c = blt3();
        double[][] streamed = new Inverse(c).materialize(64);
        double[][] closed = new InverseParams(c).materialize(64);
        assertMatrix(streamed, closed, 1e-10, "inverse(blt) vs inverse_params(blt)");
        double[] firstColumn = new double[64];
        for (int i = 0; i < 64; i++) {
            firstColumn[i] = streamed[i][0];
        }
        double[] coefs = toeplitzCoefficients(closedForm(c), 64);
        assertArrayEquals(coefs, firstColumn, 1e-12);
    }

    @Test
    void closedFormIsAnInvolution() {
        for (Blt c : List.of(blt3(), Blt.of(new double[] {0.9, 0.5, 0.2}, new double[] {0.3, -0.01, 0.2}))) {
            BltClosedForm.Params once = closedForm(c);
            BltClosedForm.Params twice = BltClosedForm.inverse("test", once.bufDecay(), once.outputScale());
            assertArrayEquals(values(c.bufDecay()), twice.bufDecay(), 1e-10, c.describe());
            assertArrayEquals(values(c.outputScale()), twice.outputScale(), 1e-10, c.describe());
            assertMatrix(c.materialize(30), new InverseParams(new InverseParams(c)).materialize(30), 1e-9, "twice");
        }
    }

    @Test
    void closedFormOfOneBufferIsExact() {
        BltClosedForm.Params p = BltClosedForm.inverse("test", new double[] {0.9}, new double[] {0.3});
        assertArrayEquals(new double[] {0.6}, p.bufDecay(), 1e-15);
        assertArrayEquals(new double[] {-0.3}, p.outputScale(), 1e-15);
    }

    @Test
    void closedFormKeepsZeroScaleBuffers() {
        Blt c = Blt.of(new double[] {0.9, 0.5}, new double[] {0.2, 0.0});
        assertMatrix(new Inverse(c).materialize(20), new InverseParams(c).materialize(20), 1e-12, "zero omega");
    }

    @Test
    void closedFormOfManyBuffersMatchesTheStreamedInverse() {
        int k = 24;
        double[] theta = new double[k];
        double[] omega = new double[k];
        for (int i = 0; i < k; i++) {
            theta[i] = 1 - Math.pow(0.6, i + 1);
            omega[i] = 0.05 / (i + 1);
        }
        Blt c = Blt.of(theta, omega);
        assertMatrix(new Inverse(c).materialize(64), new InverseParams(c).materialize(64), 1e-8, "k=24");
    }

    @Test
    void toeplitzInverseIsADenseSolve() {
        double[] c = {2.0, -0.5, 0.25, 0.125};
        double[][] t = DenseOracle.toeplitz(c, 20);
        double[][] x = new ToeplitzInverse(Param.vector(c)).multiply(t);
        assertMatrix(new Identity().materialize(20), x, 1e-12, "T^-1 T");
    }

    @Test
    void columnNormalizedInverseHasUnitColumnStrategy() {
        int n = 9;
        double[][] inv = new ToeplitzInverse(Param.vector(1.0, 0.5, 0.375), n).materialize(n);
        double[][] strategy = DenseOracle.invertLower(inv);
        for (int j = 0; j < n; j++) {
            double s = 0;
            for (int i = 0; i < n; i++) {
                s += strategy[i][j] * strategy[i][j];
            }
            assertEquals(1, s, 1e-12, "column " + j);
        }
    }

    /**
     * jax_privacy's streaming inverse of ColumnNormalizedBanded step by step (Algorithm 9 of
     * arXiv:2306.08153 with a ring of b buffers indexed by t mod b, parameter rows clamped to the
     * array and negative rows wrapping, as NumPy-style indexing does).
     */
    static double[] ringBufferInverse(double[][] p, double[] y) {
        int n = p.length;
        int b = p[0].length;
        double[] bufs = new double[b];
        double[] out = new double[y.length];
        for (int t = 0; t < y.length; t++) {
            int k = t % b;
            double inner = 0;
            for (int r = 1; r < b; r++) {
                int row = t - r < 0 ? n + (t - r) : Math.min(t - r, n - 1);
                inner += p[Math.max(row, 0)][r] * bufs[Math.floorMod(k - r, b)];
            }
            double[] own = p[Math.min(t, n - 1)];
            double xi = (y[t] - inner) / own[0];
            double norm = 0;
            for (double v : own) {
                norm += v * v;
            }
            bufs[k] = xi;
            out[t] = xi * Math.sqrt(norm);
        }
        return out;
    }

    @Test
    void columnNormalizedBandedInverseFollowsTheReferenceAlgorithmOutsideTruncatedColumns() {
        ColumnNormalizedBanded c = banded();
        double[][] p = ((Param.Literal) c.params()).value().rows();
        double[][] x = StreamingSemanticsTest.randomRows(12, 1, 5);
        double[] y = new double[12];
        for (int i = 0; i < 12; i++) {
            y[i] = x[i][0];
        }
        double[] want = ringBufferInverse(p, y);
        double[][] got = new Inverse(c).multiply(x);
        // jax_privacy's stream scales step t by ||P[t, :]||; the n x n matrix's column t (t = 3, 4 here)
        // keeps only min(b, n - t) entries of that row.
        double[] truncatedOverWhole = {1, 1, 1, Math.sqrt((0.64 + 0.04) / (0.64 + 0.04 + 0.49)),
            Math.sqrt(1.21 / (1.21 + 0.09 + 0.04))};
        for (int i = 0; i < 12; i++) {
            double ratio = i < 5 ? truncatedOverWhole[i] : 1;
            assertEquals(want[i] * ratio, got[i][0], 1e-12, "step " + i);
        }
        double[][] strategy = c.materialize(5);
        for (int j = 0; j < 5; j++) {
            double s = 0;
            for (int i = 0; i < 5; i++) {
                s += strategy[i][j] * strategy[i][j];
            }
            assertEquals(1, s, 1e-12, "column " + j);
        }
    }

    /** jax_privacy's {@code test_parameter_mapping}: P = [[1, 4], [2, 5], [3, 6]] gives C[2, 2] = 1. */
    @Test
    void columnNormalizedBandedNormalizesColumnsOfTheTruncatedMatrix() {
        ColumnNormalizedBanded c = new ColumnNormalizedBanded(new Param.Literal(Tensor.matrix(DType.F64,
                new double[][] {{1, 4}, {2, 5}, {3, 6}})));
        double[][] want = {
            {1 / Math.sqrt(17), 0, 0},
            {4 / Math.sqrt(17), 2 / Math.sqrt(29), 0},
            {0, 5 / Math.sqrt(29), 1}};
        assertMatrix(want, c.materialize(3), 1e-15, "C");
        assertEquals(1.0, c.materialize(3)[2][2], 0);
        for (int m : new int[] {3, 7}) {
            double[][] product = DenseOracle.matmul(new Inverse(c).materialize(m), c.materialize(m));
            assertMatrix(new Identity().materialize(m), product, 1e-14, "C^-1 C, n = " + m);
        }
    }

    @Test
    void namedParametersAreSortedAndMatchLiterals() {
        StreamingMatrix named = new PrefixSum().matmul(new Blt(Param.named("theta"), Param.named("omega")));
        Bindings b = Bindings.NONE.with("theta", Tensor.vector(DType.F64, 0.5, 0.99, 0.9))
                .with("omega", Tensor.vector(DType.F64, 0.2, 0.05, 0.1));
        assertMatrix(new PrefixSum().matmul(blt3()).materialize(12), StreamingEval.materialize(named, b, 12).rows(), 0, "blt");
        StreamingMatrix inv = new InverseParams(new Blt(Param.named("theta"), Param.named("omega")));
        assertMatrix(new InverseParams(blt3()).materialize(12), StreamingEval.materialize(inv, b, 12).rows(), 0, "closed");
        Bindings empty = Bindings.NONE.with("theta", Tensor.vector(DType.F64)).with("omega", Tensor.vector(DType.F64));
        assertMatrix(new Identity().materialize(5),
                StreamingEval.materialize(new Blt(Param.named("theta"), Param.named("omega")), empty, 5).rows(), 0, "empty");
        StreamingMatrix toe = new ToeplitzInverse(Param.named("c"), 6);
        assertMatrix(new ToeplitzInverse(Param.vector(1.0, 0.5, 0.375), 6).materialize(10),
                StreamingEval.materialize(toe, Bindings.NONE.with("c", Tensor.vector(DType.F64, 1.0, 0.5, 0.375)), 10).rows(), 0,
                "toeplitz_inverse");
    }

    @Test
    void derivativesFollowSortingAndNormalization() {
        List<Case> cases = List.of(
                new Case(new PrefixSum().matmul(new Inverse(new Blt(Param.named("theta"), Param.named("omega")))),
                        Map.of("theta", Tensor.vector(DType.F64, 0.5, 0.99, 0.9), "omega", Tensor.vector(DType.F64, 0.2, 0.05, 0.1)),
                        Map.of("theta", Tensor.vector(DType.F64, 0.1, -0.2, 0.3), "omega", Tensor.vector(DType.F64, 0.5, 0.1, -0.4))),
                new Case(new ToeplitzInverse(Param.named("c"), 5),
                        Map.of("c", Tensor.vector(DType.F64, 1.0, 0.5, 0.375)),
                        Map.of("c", Tensor.vector(DType.F64, 0.2, -0.1, 0.3))));
        for (Case c : cases) {
            for (StreamingEval.Query q : List.of(StreamingEval.Query.MATERIALIZE, StreamingEval.Query.ROW_NORMS_SQUARED)) {
                StreamingEval.WithTangent wt = StreamingEval.runJvp(c.m(), new Bindings(c.base()), c.dir(), q, null, 8, DType.F64);
                double h = 1e-6;
                Tensor plus = StreamingEval.run(c.m(), StreamingSemanticsTest.shifted(c.base(), c.dir(), h), q, null, 8, DType.F64);
                Tensor minus = StreamingEval.run(c.m(), StreamingSemanticsTest.shifted(c.base(), c.dir(), -h), q, null, 8, DType.F64);
                for (int i = 0; i < plus.size(); i++) {
                    double fd = (plus.raw()[i] - minus.raw()[i]) / (2 * h);
                    assertEquals(fd, wt.tangent().raw()[i], 1e-5 * Math.max(1, Math.abs(fd)), c.m().describe() + " " + q + " " + i);
                }
                assertTrue(java.util.Arrays.stream(wt.tangent().raw()).anyMatch(v -> Math.abs(v) > 1e-3), "non-trivial tangent");
            }
        }
        StreamingMatrix closed = new InverseParams(new Blt(Param.named("theta"), Param.named("omega")));
        Bindings b = Bindings.NONE.with("theta", Tensor.vector(DType.F64, 0.9)).with("omega", Tensor.vector(DType.F64, 0.1));
        assertEquals("inverse_params: derivatives with respect to its parameters are not supported", message(
                () -> StreamingEval.runJvp(closed, b, Map.of("theta", Tensor.vector(DType.F64, 1)),
                        StreamingEval.Query.MATERIALIZE, null, 3, DType.F64)));
    }

    record Case(StreamingMatrix m, Map<String, Tensor> base, Map<String, Tensor> dir) {}

    @Test
    void validationMessages() {
        assertEquals("blt: buf_decay has 3 entries but output_scale has 2",
                message(() -> Blt.of(new double[] {0.9, 0.5, 0.1}, new double[] {1, 2})));
        assertEquals("blt: buf_decay must be a 1-D array, got an array of shape [2,1]", message(
                () -> new Blt(new Param.Literal(Tensor.matrix(DType.F64, new double[][] {{0.9}, {0.5}})), Param.vector(1, 2))));
        assertEquals("blt: output_scale must be a 1-D array, got a number",
                message(() -> new Blt(Param.vector(0.9), Param.scalar(1))));
        assertEquals("blt: output_scale = NaN is not finite",
                message(() -> Blt.of(new double[] {0.9}, new double[] {Double.NaN})));
        assertEquals("inverse_params: buf_decay[0] = 0.9 and buf_decay[1] = 0.9 are closer than 1.0E-9;"
                        + " the closed-form inverse needs distinct buf_decay",
                message(() -> new InverseParams(Blt.of(new double[] {0.9, 0.9}, new double[] {0.1, 0.2}))));
        assertTrue(message(() -> new InverseParams(Blt.of(new double[] {0.95, 0.3}, new double[] {0.4, -0.1})))
                .matches("inverse_params: the inverse's buf_decay are complex \\(0\\.47\\d+ [+-] 0\\.18540\\d+i\\); it has no real closed form"));
        assertTrue(message(() -> new InverseParams(Blt.of(new double[] {0.95, 0.6, 0.3}, new double[] {0.4, -0.1, 0.05})))
                .startsWith("inverse_params: the inverse's buf_decay are complex (0.63497"));
        assertEquals("toeplitz_inverse: coef[0] = 0.0 must not be 0",
                message(() -> new ToeplitzInverse(Param.vector(0, 1))));
        assertEquals("toeplitz: coef[0] = 0.0 must not be 0 to invert the matrix",
                message(() -> new Inverse(new Toeplitz(Param.vector(0, 1)))));
        assertEquals("toeplitz_inverse: column_normalize_for_n must be a positive integer, got 0",
                message(() -> new ToeplitzInverse(Param.vector(1), 0)));
        assertEquals("inverse is defined for " + Invertible.SUPPORTED + ", got prefix_sum",
                message(() -> Inverse.of(new PrefixSum())));
        StreamingMatrix named = new Blt(Param.named("theta"), Param.named("omega"));
        assertEquals("blt: buf_decay has 2 entries but output_scale has 1", message(() -> StreamingEval.materialize(named,
                Bindings.NONE.with("theta", Tensor.vector(DType.F64, 0.5, 0.2)).with("omega", Tensor.vector(DType.F64, 1)), 3)));
        StreamingMatrix closed = new InverseParams(new Blt(Param.named("theta"), Param.named("omega")));
        assertEquals("inverse_params: buf_decay[0] = 0.5 and buf_decay[1] = 0.5 are closer than 1.0E-9;"
                        + " the closed-form inverse needs distinct buf_decay", message(() -> StreamingEval.materialize(closed,
                Bindings.NONE.with("theta", Tensor.vector(DType.F64, 0.5, 0.5)).with("omega", Tensor.vector(DType.F64, 1, 2)), 3)));
    }

    static String message(Supplier<?> f) {
        return assertThrows(StreamfoldException.class, f::get).getMessage();
    }

    static String message(Runnable f) {
        return assertThrows(StreamfoldException.class, f::run).getMessage();
    }

    static BltClosedForm.Params closedForm(Blt c) {
        return BltClosedForm.inverse("test", values(c.bufDecay()), values(c.outputScale()));
    }

    static double[] values(Param p) {
        return DenseOracle.values(p);
    }

    /** First column of a BLT: 1, then {@code sum_k omega_k theta_k^(m-1)}. */
    static double[] toeplitzCoefficients(BltClosedForm.Params p, int n) {
        double[] c = new double[n];
        c[0] = 1;
        for (int m = 1; m < n; m++) {
            for (int k = 0; k < p.bufDecay().length; k++) {
                c[m] += p.outputScale()[k] * Math.pow(p.bufDecay()[k], m - 1);
            }
        }
        return c;
    }
}
