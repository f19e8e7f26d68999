package dev.streamfold.ir.linalg;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.streamfold.ir.Cholesky;
import dev.streamfold.ir.DType;
import dev.streamfold.ir.Interpreter;
import dev.streamfold.ir.Jvp;
import dev.streamfold.ir.Program;
import dev.streamfold.ir.Shape;
import dev.streamfold.ir.StreamfoldException;
import dev.streamfold.ir.Tensor;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class CholeskyTest {
    private static final int[][] SHAPES = {{1, 1}, {2, 2}, {3, 3}, {5, 5}, {8, 8}, {16, 16}, {3, 4, 4}};

    /** Random symmetric positive-definite matrices {@code G G^T / m + I}. */
    static Tensor positiveDefinite(Random rnd, int... dims) {
        Tensor g = Dense.gaussian(rnd, dims);
        int m = dims[dims.length - 1];
        Tensor out = g;
        for (int q = 0; q < Dense.batch(g); q++) {
            double[][] a = Dense.matrix(g, q);
            double[][] s = Dense.multiply(a, Dense.transpose(a));
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < m; j++) {
                    s[i][j] = s[i][j] / m + (i == j ? 1 : 0);
                }
            }
            out = Dense.with(out, q, s);
        }
        return out;
    }

    @Test
    void factorReproducesTheMatrix() {
        Random rnd = new Random(21);
        for (int[] dims : SHAPES) {
            Tensor a = positiveDefinite(rnd, dims);
            Tensor l = new Cholesky(true).evaluate(List.of(a)).get(0);
            int m = dims[dims.length - 1];
            for (int q = 0; q < Dense.batch(a); q++) {
                double[][] lq = Dense.matrix(l, q);
                for (int i = 0; i < m; i++) {
                    assertTrue(lq[i][i] > 0, "diagonal " + i + " of " + Arrays.toString(dims));
                    for (int j = i + 1; j < m; j++) {
                        assertEquals(0.0, lq[i][j], "above the diagonal at " + i + "," + j);
                    }
                }
                double[][] aq = Dense.matrix(a, q);
                double residual = Dense.norm(Dense.minus(Dense.multiply(lq, Dense.transpose(lq)), aq));
                double bound = 4 * m * Dense.EPS * Dense.norm(aq);
                assertTrue(residual <= bound, Arrays.toString(dims) + " matrix " + q + ": " + residual + " > " + bound);
            }
        }
    }

    @Test
    void symmetrizeInputFactorsTheSymmetricPartAndOtherwiseOnlyTheLowerTriangleIsRead() {
        Random rnd = new Random(22);
        Tensor a = positiveDefinite(rnd, 2, 4, 4);
        Tensor skew = Dense.gaussian(rnd, 2, 4, 4);
        double[] d = a.data();
        double[] upperJunk = a.data();
        for (int flat = 0; flat < d.length; flat++) {
            int j = flat % 4;
            int i = flat / 4 % 4;
            if (i != j) {
                int mirror = flat - (i * 4 + j) + j * 4 + i;
                d[flat] += 0.1 * (skew.raw()[flat] - skew.raw()[mirror]);
            }
            if (j > i) {
                upperJunk[flat] = 1e6;
            }
        }
        Tensor unsymmetric = new Tensor(DType.F64, a.shape(), d);
        FiniteDifferences.assertClose(new Cholesky(false).evaluate(List.of(a)).get(0),
                new Cholesky(true).evaluate(List.of(unsymmetric)).get(0), 1e-14, "symmetrized");
        Tensor junk = new Tensor(DType.F64, a.shape(), upperJunk);
        assertEquals(new Cholesky(false).evaluate(List.of(a)), new Cholesky(false).evaluate(List.of(junk)));
    }

    @Test
    void jvpMatchesFiniteDifferencesForUnsymmetricTangents() {
        Random rnd = new Random(23);
        for (boolean symmetrize : new boolean[] {true, false}) {
            for (int[] dims : new int[][] {{1, 1}, {2, 2}, {5, 5}, {8, 8}, {3, 4, 4}}) {
                Tensor a = positiveDefinite(rnd, dims);
                Tensor da = Dense.gaussian(rnd, dims);
                FiniteDifferences.check(new Cholesky(symmetrize), List.of(a), Arrays.asList(da), 1e-9);
            }
        }
    }

    @Test
    void symmetricTangentsGiveTheSameDerivativeEitherWay() {
        Random rnd = new Random(24);
        Tensor a = positiveDefinite(rnd, 5, 5);
        Tensor g = Dense.gaussian(rnd, 5, 5);
        double[][] gm = Dense.matrix(g, 0);
        double[][] sym = Dense.multiply(gm, Dense.transpose(gm));
        Tensor da = Dense.with(g, 0, sym);
        Tensor withSymmetrize = FiniteDifferences.check(new Cholesky(true), List.of(a), Arrays.asList(da), 1e-9).get(0);
        Tensor lowerOnly = FiniteDifferences.check(new Cholesky(false), List.of(a), Arrays.asList(da), 1e-9).get(0);
        FiniteDifferences.assertClose(withSymmetrize, lowerOnly, 1e-12, "dL");
    }

    @Test
    void float32JvpProgramAgreesWithFloat64() {
        Random rnd = new Random(25);
        Tensor a = positiveDefinite(rnd, 2, 4, 4);
        Tensor da = Dense.gaussian(rnd, 2, 4, 4);
        for (boolean symmetrize : new boolean[] {true, false}) {
            Tensor wide = FiniteDifferences.tangents(new Cholesky(symmetrize), List.of(a), Arrays.asList(da)).get(0);
            Tensor narrow = FiniteDifferences.tangents(new Cholesky(symmetrize), List.of(a.astype(DType.F32)),
                    Arrays.asList(da.astype(DType.F32))).get(0);
            assertEquals(DType.F32, narrow.dtype());
            FiniteDifferences.assertClose(wide, narrow.astype(DType.F64), 1e-5, "float32 dL");
        }
    }

    @Test
    void aMatrixThatIsNotPositiveDefiniteIsRefusedWithItsBatchIndexAndPivot() {
        Tensor a = Tensor.of(DType.F64, new Shape(3, 2, 2), 4, 0, 0, 1, 1, 0, 0, 1, 1, 2, 2, 1);
        StreamfoldException e = assertThrows(StreamfoldException.class, () -> new Cholesky(true).evaluate(List.of(a)));
        assertEquals("cholesky: matrix 2 of the batch is not positive definite (pivot 1 is -3.0)", e.getMessage());
        Tensor negative = Tensor.of(DType.F64, new Shape(1, 1), -0.25);
        StreamfoldException f =
                assertThrows(StreamfoldException.class, () -> new Cholesky(false).evaluate(List.of(negative)));
        assertEquals("cholesky: the matrix is not positive definite (pivot 0 is -0.25)", f.getMessage());
    }

    @Test
    void theJvpProgramRefusesTooWhenRun() {
        Tensor a = Tensor.of(DType.F64, new Shape(2, 2), 1, 2, 2, 1);
        Program p = FiniteDifferences.oneOp(new Cholesky(true), List.of(a));
        Program jvp = Jvp.transform(p, new boolean[] {true}, null).program();
        StreamfoldException e = assertThrows(StreamfoldException.class, () -> Interpreter.run(jvp, List.of(a, a)));
        assertEquals("cholesky: the matrix is not positive definite (pivot 1 is -3.0)", e.getMessage());
    }
}
