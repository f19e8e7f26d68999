package dev.streamfold.ir.linalg;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.streamfold.ir.DType;
import dev.streamfold.ir.Shape;
import dev.streamfold.ir.StreamfoldException;
import dev.streamfold.ir.Tensor;
import dev.streamfold.ir.TriangularSolve;
import dev.streamfold.ir.Type;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class TriangularSolveTest {
    /** Batch shapes of A, {@code [..., m, m]}; B has {@code n = 3} columns (left) or rows (right). */
    private static final int[][] SHAPES = {{1, 1}, {2, 2}, {3, 3}, {5, 5}, {8, 8}, {16, 16}, {3, 4, 4}};

    /** All 16 flag combinations. */
    static List<TriangularSolve> allFlags() {
        List<TriangularSolve> ops = new ArrayList<>();
        for (int f = 0; f < 16; f++) {
            ops.add(new TriangularSolve((f & 1) != 0, (f & 2) != 0, (f & 4) != 0, (f & 8) != 0));
        }
        return ops;
    }

    /**
     * Random A: a well-conditioned triangle (diagonal of magnitude in [1, 2], off-diagonal entries of
     * size 1/m) in the part the solve reads, and large junk elsewhere, including the diagonal when it
     * is taken as ones, so that reading the wrong part shows.
     */
    static Tensor matrixA(Random rnd, TriangularSolve op, int... dims) {
        Tensor t = Dense.gaussian(rnd, dims);
        int m = dims[dims.length - 1];
        double[] d = t.data();
        for (int flat = 0; flat < d.length; flat++) {
            int j = flat % m;
            int i = flat / m % m;
            boolean inTriangle = op.lower() ? j < i : j > i;
            if (i == j) {
                d[flat] = op.unitDiagonal() ? 1e3 : Math.copySign(1 + Math.abs(d[flat]) / 3, d[flat]);
            } else if (inTriangle) {
                d[flat] /= m;
            } else {
                d[flat] = 1e3 * d[flat];
            }
        }
        return new Tensor(DType.F64, t.shape(), d);
    }

    static int[] rhsDims(TriangularSolve op, int[] aDims, int n) {
        int[] d = aDims.clone();
        d[d.length - (op.leftSide() ? 1 : 2)] = n;
        return d;
    }

    /** op(A) as the solve reads it: the named triangle, ones on the diagonal when unit. */
    private static double[][] effective(TriangularSolve op, double[][] a) {
        int m = a.length;
        double[][] e = new double[m][m];
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < m; j++) {
                boolean read = op.lower() ? j <= i : j >= i;
                e[i][j] = i == j && op.unitDiagonal() ? 1 : read ? a[i][j] : 0;
            }
        }
        return op.transposeA() ? Dense.transpose(e) : e;
    }

    @Test
    void solutionsSatisfyTheSystemForAllFlagsAndShapes() {
        Random rnd = new Random(11);
        for (TriangularSolve op : allFlags()) {
            for (int[] dims : SHAPES) {
                Tensor a = matrixA(rnd, op, dims);
                Tensor b = Dense.gaussian(rnd, rhsDims(op, dims, 3));
                Tensor x = op.evaluate(List.of(a, b)).get(0);
                assertEquals(b.type(), x.type());
                int m = dims[dims.length - 1];
                for (int q = 0; q < Dense.batch(a); q++) {
                    double[][] ea = effective(op, Dense.matrix(a, q));
                    double[][] xq = Dense.matrix(x, q);
                    double[][] lhs = op.leftSide() ? Dense.multiply(ea, xq) : Dense.multiply(xq, ea);
                    double residual = Dense.norm(Dense.minus(lhs, Dense.matrix(b, q)));
                    double bound = 4 * m * Dense.EPS * Dense.norm(ea) * Dense.norm(xq);
                    assertTrue(residual <= bound, op + " " + Arrays.toString(dims) + " matrix " + q + ": residual "
                            + residual + " > " + bound);
                }
            }
        }
    }

    @Test
    void float32SolutionsAreRoundedToFloat32() {
        TriangularSolve op = new TriangularSolve(true, true, false, false);
        Tensor a = Tensor.of(DType.F32, new Shape(2, 2), 3, 0, 1, 3);
        Tensor b = Tensor.of(DType.F32, new Shape(2, 1), 1, 1);
        Tensor x = op.evaluate(List.of(a, b)).get(0);
        assertEquals(DType.F32, x.dtype());
        assertEquals((double) (float) (1.0 / 3), x.raw()[0]);
    }

    @Test
    void jvpWithRespectToAAndBMatchesFiniteDifferencesForAllFlags() {
        Random rnd = new Random(12);
        for (TriangularSolve op : allFlags()) {
            for (int[] dims : new int[][] {{1, 1}, {3, 3}, {5, 5}, {2, 4, 4}}) {
                Tensor a = matrixA(rnd, op, dims);
                Tensor b = Dense.gaussian(rnd, rhsDims(op, dims, 2));
                Tensor da = Dense.gaussian(rnd, dims);
                Tensor db = Dense.gaussian(rnd, b.shape().dims());
                FiniteDifferences.check(op, List.of(a, b), Arrays.asList(da, db), 1e-9);
                FiniteDifferences.check(op, List.of(a, b), Arrays.asList(da, null), 1e-9);
                FiniteDifferences.check(op, List.of(a, b), Arrays.asList(null, db), 1e-9);
            }
        }
    }

    @Test
    void tangentOfTheUnreadPartOfAIsZero() {
        Random rnd = new Random(13);
        for (TriangularSolve op : allFlags()) {
            int[] dims = {4, 4};
            Tensor a = matrixA(rnd, op, dims);
            Tensor b = Dense.gaussian(rnd, rhsDims(op, dims, 2));
            double[] unread = new double[16];
            for (int i = 0; i < 4; i++) {
                for (int j = 0; j < 4; j++) {
                    boolean read = (op.lower() ? j <= i : j >= i) && !(i == j && op.unitDiagonal());
                    unread[i * 4 + j] = read ? 0 : 1;
                }
            }
            Tensor da = new Tensor(DType.F64, new Shape(dims), unread);
            List<Tensor> t = FiniteDifferences.check(op, List.of(a, b), Arrays.asList(da, null), 1e-9);
            FiniteDifferences.assertClose(Tensor.zeros(b.type()), t.get(0), 0.0, op.toString());
        }
    }

    @Test
    void aZeroDiagonalEntryIsRefusedWithTheBatchIndex() {
        TriangularSolve op = new TriangularSolve(true, false, false, false);
        Tensor a = Tensor.of(DType.F64, new Shape(2, 2, 2), 1, 1, 0, 1, 2, 1, 0, 0);
        Tensor b = Tensor.of(DType.F64, new Shape(2, 2, 1), 1, 1, 1, 1);
        StreamfoldException e = assertThrows(StreamfoldException.class, () -> op.evaluate(List.of(a, b)));
        assertEquals("triangular_solve: matrix 1 of the batch is singular (diagonal entry 1 is zero)", e.getMessage());
        // With a unit diagonal the stored diagonal is not read.
        Tensor x = new TriangularSolve(true, false, false, true).evaluate(List.of(a, b)).get(0);
        assertEquals(Tensor.of(DType.F64, new Shape(2, 2, 1), 0, 1, 0, 1), x);
    }

    @Test
    void shapeRuleNamesTheMismatch() {
        TriangularSolve left = new TriangularSolve(true, true, false, false);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> left.outTypes(List.of(Type.of(DType.F64, 3, 3), Type.of(DType.F64, 2, 3))));
        assertEquals("triangular_solve with left_side=true needs B with rows of size 3, got f64[3,3] and f64[2,3]",
                e.getMessage());
        IllegalArgumentException f = assertThrows(IllegalArgumentException.class,
                () -> left.outTypes(List.of(Type.of(DType.F64, 3, 2), Type.of(DType.F64, 3, 3))));
        assertEquals("triangular_solve needs square matrices A, got f64[3,2]", f.getMessage());
        IllegalArgumentException g = assertThrows(IllegalArgumentException.class,
                () -> left.outTypes(List.of(Type.of(DType.F64, 2, 3, 3), Type.of(DType.F64, 3, 3, 1))));
        assertEquals("triangular_solve batch axes differ: f64[2,3,3] and f64[3,3,1]", g.getMessage());
    }
}
