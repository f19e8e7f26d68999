package dev.streamfold.ir.stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.streamfold.ir.DType;
import dev.streamfold.ir.Shape;
import dev.streamfold.ir.StreamfoldException;
import dev.streamfold.ir.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The seed's operators and their compositions against dense formulas, through the interpreter. */
class StreamingSemanticsTest {
    static final int[] SIZES = {1, 2, 7, 64};

    /** Every operator alone, with parameter arrays shorter than some sizes (clip indexing). */
    static List<StreamingMatrix> operators() {
        return List.of(
                new Identity(),
                new PrefixSum(),
                new Diagonal(Param.vector(2.0, -0.5, 3.0)),
                new MomentumSgd(Param.scalar(0.9), Param.vector(1.0, 0.5, 0.25)),
                new MomentumSgd(Param.scalar(-1.3)),
                new PrefixSum().times(0.5),
                new PrefixSum().scaleRowsAndColumns(new double[] {1, 2, 3}, new double[] {0.5, 4}),
                new MomentumSgd(Param.scalar(0.5)).scaleRowsAndColumns(null, new double[] {2, 3}),
                new Diagonal(Param.vector(1, 2)).scaleRowsAndColumns(new double[] {3}, null));
    }

    /** Random products of 1 to 4 operators (fixed seed). */
    static List<StreamingMatrix> compositions() {
        Random r = new Random(42);
        List<StreamingMatrix> ops = operators();
        List<StreamingMatrix> out = new ArrayList<>();
        for (int i = 0; i < 24; i++) {
            int k = 1 + r.nextInt(4);
            StreamingMatrix m = ops.get(r.nextInt(ops.size()));
            for (int j = 1; j < k; j++) {
                m = r.nextBoolean() ? m.matmul(ops.get(r.nextInt(ops.size()))) : ops.get(r.nextInt(ops.size())).matmul(m);
            }
            out.add(m);
        }
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
        Random r = new Random(name.hashCode());
        for (int n : SIZES) {
            double[][] dense = DenseOracle.of(m, n);
            for (int d : new int[] {1, 5}) {
                double[][] x = new double[n][d];
                for (double[] row : x) {
                    for (int j = 0; j < d; j++) {
                        row[j] = r.nextGaussian();
                    }
                }
                assertMatrix(DenseOracle.matmul(dense, x), m.multiply(x), 1e-9, name + " n=" + n + " d=" + d);
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void rowNormsAreSquaredRowsEvenPastArrayEnds(String name, StreamingMatrix m) {
        for (int n : new int[] {1, 7, 7 + 3, 64 + 3}) {
            double[][] dense = DenseOracle.of(m, n);
            double[] got = m.rowNormsSquared(n);
            assertEquals(n, got.length);
            for (int i = 0; i < n; i++) {
                double s = 0;
                for (double v : dense[i]) {
                    s += v * v;
                }
                assertEquals(s, got[i], 1e-9 * Math.max(1, s), name + " row " + i);
            }
        }
    }

    @Test
    void prefixSumOfOneToFour() {
        double[][] y = new PrefixSum().multiply(new double[][] {{1}, {2}, {3}, {4}});
        assertArrayEquals(new double[] {1, 3, 6, 10}, column(y), 0);
    }

    @Test
    void momentumWithCooldownOnOnes() {
        StreamingMatrix m = new MomentumSgd(Param.scalar(1.0), Param.vector(1, 1, 1, 1, 1, 1, 1, 0.1));
        double[][] ones = new double[8][1];
        for (double[] row : ones) {
            row[0] = 1;
        }
        assertArrayEquals(new double[] {1, 3, 6, 10, 15, 21, 28, 28.8}, column(m.multiply(ones)), 1e-12);
    }

    @Test
    void applyingTwiceEqualsTheSquare() {
        StreamingMatrix a = new MomentumSgd(Param.scalar(0.7), Param.vector(1, 0.5)).matmul(new Diagonal(Param.vector(2, 3)));
        double[][] z = randomRows(9, 3, 7);
        assertMatrix(a.multiply(a.multiply(z)), a.matmul(a).multiply(z), 1e-9, "A(Az) vs (AA)z");
    }

    @Test
    void diagonalTimesItsInverseIsIdentity() {
        StreamingMatrix m = new Diagonal(Param.vector(2, -4, 0.5)).matmul(new Diagonal(Param.vector(0.5, -0.25, 2)));
        assertMatrix(new Identity().materialize(6), m.materialize(6), 0, "diag(d) diag(1/d)");
    }

    @Test
    void scaleRowsAndColumnsIsDiagADiag() {
        StreamingMatrix a = new PrefixSum();
        double[] r = {1, 2, 3};
        double[] c = {0.5, 4};
        double[][] want = DenseOracle.matmul(DenseOracle.matmul(DenseOracle.diag(6, r), a.materialize(6)), DenseOracle.diag(6, c));
        assertMatrix(want, a.scaleRowsAndColumns(r, c).materialize(6), 1e-12, "scale");
    }

    @Test
    void multiLeafInputsKeepTheirOwnState() {
        StreamingMatrix m = new PrefixSum().matmul(new MomentumSgd(Param.scalar(0.5)));
        Tensor leafA = new Tensor(DType.F64, new Shape(4, 2, 3), randomFlat(24, 1));
        Tensor leafB = new Tensor(DType.F64, new Shape(4, 5), randomFlat(20, 2));
        List<Tensor> outs = StreamingEval.multiplyLeaves(m, Bindings.NONE, List.of(leafA, leafB));
        double[][] dense = m.materialize(4);
        for (int leaf = 0; leaf < 2; leaf++) {
            Tensor x = List.of(leafA, leafB).get(leaf);
            int w = x.size() / 4;
            double[][] xr = new double[4][w];
            for (int i = 0; i < 4; i++) {
                System.arraycopy(x.raw(), i * w, xr[i], 0, w);
            }
            double[][] want = DenseOracle.matmul(dense, xr);
            assertEquals(x.shape(), outs.get(leaf).shape());
            for (int i = 0; i < 4; i++) {
                for (int j = 0; j < w; j++) {
                    assertEquals(want[i][j], outs.get(leaf).raw()[i * w + j], 1e-12);
                }
            }
        }
    }

    @Test
    void learningRatesMustBePositiveWhenBuilt() {
        StreamfoldException e = assertThrows(StreamfoldException.class,
                () -> new MomentumSgd(Param.scalar(0.9), Param.vector(1.0, 0.0)));
        assertEquals("momentum_sgd: learning_rates[1] = 0.0 must be > 0", e.getMessage());
        StreamfoldException bound = assertThrows(StreamfoldException.class, () -> StreamingEval.materialize(
                new MomentumSgd(Param.scalar(0.9), Param.named("lr")), Bindings.NONE.with("lr", Tensor.vector(DType.F64, -1)), 3));
        assertEquals("momentum_sgd: learning_rates[0] = -1.0 must be > 0", bound.getMessage());
    }

    @Test
    void parameterValidationNamesOperatorAndParameter() {
        assertEquals("diagonal: d must not be empty",
                assertThrows(StreamfoldException.class, () -> new Diagonal(Param.vector())).getMessage());
        assertEquals("diagonal: d[1] = NaN is not finite",
                assertThrows(StreamfoldException.class, () -> new Diagonal(Param.vector(1, Double.NaN))).getMessage());
        assertEquals("momentum_sgd: momentum must be a number, got an array of shape [2]",
                assertThrows(StreamfoldException.class, () -> new MomentumSgd(Param.vector(1, 2))).getMessage());
        assertEquals("diagonal: d must be a 1-D array, got a number",
                assertThrows(StreamfoldException.class, () -> new Diagonal(Param.scalar(2))).getMessage());
        StreamingMatrix named = new Diagonal(Param.named("d"));
        assertEquals("parameter $d (diagonal d) is not bound: pass --param d=VALUE",
                assertThrows(StreamfoldException.class, () -> StreamingEval.materialize(named, Bindings.NONE, 2)).getMessage());
        assertEquals("unknown parameter $e: the expression's parameters are $d", assertThrows(StreamfoldException.class,
                () -> StreamingEval.materialize(named, Bindings.NONE.with("e", Tensor.vector(DType.F64, 1)), 2)).getMessage());
    }

    @Test
    void namedParametersMatchLiterals() {
        StreamingMatrix named = new PrefixSum().matmul(new MomentumSgd(Param.named("mu"), Param.named("lr")));
        StreamingMatrix literal = new PrefixSum().matmul(new MomentumSgd(Param.scalar(0.8), Param.vector(1, 0.3)));
        Bindings b = Bindings.NONE.with("mu", Tensor.scalar(DType.F64, 0.8)).with("lr", Tensor.vector(DType.F64, 1, 0.3));
        assertMatrix(literal.materialize(9), StreamingEval.materialize(named, b, 9).rows(), 0, "named");
    }

    @Test
    void derivativeOfRowNormsMatchesFiniteDifferences() {
        StreamingMatrix m = new PrefixSum().matmul(new MomentumSgd(Param.named("mu"), Param.named("lr")))
                .matmul(new Diagonal(Param.named("d")));
        Map<String, Tensor> base = Map.of(
                "mu", Tensor.scalar(DType.F64, 0.6),
                "lr", Tensor.vector(DType.F64, 1.0, 0.7),
                "d", Tensor.vector(DType.F64, 1.5, 0.5, 2.0));
        Map<String, Tensor> dir = Map.of(
                "mu", Tensor.scalar(DType.F64, 0.3),
                "lr", Tensor.vector(DType.F64, -0.2, 0.4),
                "d", Tensor.vector(DType.F64, 0.1, 0.2, -0.3));
        for (StreamingEval.Query q : List.of(StreamingEval.Query.MATERIALIZE, StreamingEval.Query.ROW_NORMS_SQUARED)) {
            StreamingEval.WithTangent wt = StreamingEval.runJvp(m, new Bindings(base), dir, q, null, 6, DType.F64);
            double h = 1e-6;
            Tensor plus = StreamingEval.run(m, shifted(base, dir, h), q, null, 6, DType.F64);
            Tensor minus = StreamingEval.run(m, shifted(base, dir, -h), q, null, 6, DType.F64);
            for (int i = 0; i < plus.size(); i++) {
                double fd = (plus.raw()[i] - minus.raw()[i]) / (2 * h);
                assertEquals(fd, wt.tangent().raw()[i], 1e-6 * Math.max(1, Math.abs(fd)), q + " entry " + i);
            }
            assertTrue(java.util.Arrays.stream(wt.tangent().raw()).anyMatch(v -> Math.abs(v) > 1e-3), "non-trivial tangent");
        }
    }

    static Bindings shifted(Map<String, Tensor> base, Map<String, Tensor> dir, double h) {
        Bindings b = Bindings.NONE;
        for (var e : base.entrySet()) {
            double[] v = e.getValue().data();
            double[] d = dir.get(e.getKey()).raw();
            for (int i = 0; i < v.length; i++) {
                v[i] += h * d[i];
            }
            b = b.with(e.getKey(), new Tensor(DType.F64, e.getValue().shape(), v));
        }
        return b;
    }

    static double[] column(double[][] y) {
        double[] c = new double[y.length];
        for (int i = 0; i < y.length; i++) {
            c[i] = y[i][0];
        }
        return c;
    }

    static double[][] randomRows(int n, int d, long seed) {
        Random r = new Random(seed);
        double[][] x = new double[n][d];
        for (double[] row : x) {
            for (int j = 0; j < d; j++) {
                row[j] = r.nextGaussian();
            }
        }
        return x;
    }

    static double[] randomFlat(int n, long seed) {
        Random r = new Random(seed);
        double[] x = new double[n];
        for (int i = 0; i < n; i++) {
            x[i] = r.nextGaussian();
        }
        return x;
    }

    static void assertMatrix(double[][] want, double[][] got, double tol, String what) {
        assertEquals(want.length, got.length, what + ": rows");
        for (int i = 0; i < want.length; i++) {
            for (int j = 0; j < want[i].length; j++) {
                double scale = Math.max(1, Math.abs(want[i][j]));
                if (Math.abs(want[i][j] - got[i][j]) > tol * scale) {
                    throw new AssertionError(what + ": [" + i + "][" + j + "] want " + want[i][j] + " got " + got[i][j]);
                }
            }
        }
    }
}
