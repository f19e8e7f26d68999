package dev.streamfold.ir.linalg;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.streamfold.ir.DType;
import dev.streamfold.ir.Interpreter;
import dev.streamfold.ir.Jvp;
import dev.streamfold.ir.Lu;
import dev.streamfold.ir.Printer;
import dev.streamfold.ir.Program;
import dev.streamfold.ir.ProgramBuilder;
import dev.streamfold.ir.Shape;
import dev.streamfold.ir.StreamfoldException;
import dev.streamfold.ir.Tensor;
import dev.streamfold.ir.Type;
import dev.streamfold.ir.Var;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class LuTest {
    private static final int[][] SHAPES = {
        {1, 1}, {2, 2}, {5, 5}, {8, 8}, {16, 16}, {4, 6}, {6, 4}, {1, 4}, {4, 1}, {3, 4, 4}, {3, 5, 3}, {3, 3, 5}
    };

    /** A 3 x 3 matrix whose first column needs a swap and whose second step needs another. */
    private static final Tensor NEEDS_SWAPS = Tensor.of(DType.F64, new Shape(3, 3), 1, 2, 3, 4, 5, 6, 7, 8, 10);

    /** L (unit lower, m x k) and U (upper, k x n) unpacked from matrix q of {@code lu}. */
    private static double[][][] unpack(Tensor lu, int q) {
        double[][] p = Dense.matrix(lu, q);
        int m = p.length;
        int n = p[0].length;
        int k = Math.min(m, n);
        double[][] l = new double[m][k];
        double[][] u = new double[k][n];
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                if (j < i && j < k) {
                    l[i][j] = p[i][j];
                } else if (j >= i && i < k) {
                    u[i][j] = p[i][j];
                }
            }
            if (i < k) {
                l[i][i] = 1;
            }
        }
        return new double[][][] {l, u};
    }

    private static void assertFactorization(Tensor a, List<Tensor> out, String what) {
        Tensor lu = out.get(0);
        Tensor pivots = out.get(1);
        Tensor perm = out.get(2);
        int r = a.shape().rank();
        int m = a.shape().dim(r - 2);
        int n = a.shape().dim(r - 1);
        int k = Math.min(m, n);
        for (int q = 0; q < Dense.batch(a); q++) {
            // The swap sequence applied to the identity gives the permutation.
            int[] fromSwaps = new int[m];
            for (int i = 0; i < m; i++) {
                fromSwaps[i] = i;
            }
            for (int j = 0; j < k; j++) {
                int p = (int) pivots.raw()[q * k + j];
                assertTrue(p >= j && p < m, what + ": pivot " + j + " is " + p);
                int s = fromSwaps[j];
                fromSwaps[j] = fromSwaps[p];
                fromSwaps[p] = s;
            }
            double[][] aq = Dense.matrix(a, q);
            double[][] permuted = new double[m][];
            for (int i = 0; i < m; i++) {
                assertEquals(fromSwaps[i], (int) perm.raw()[q * m + i], what + ": permutation entry " + i);
                permuted[i] = aq[fromSwaps[i]];
            }
            double[][][] f = unpack(lu, q);
            for (double[] row : f[0]) {
                for (double v : row) {
                    assertTrue(Math.abs(v) <= 1, what + ": partial pivoting keeps |L| <= 1, got " + v);
                }
            }
            double residual = Dense.norm(Dense.minus(Dense.multiply(f[0], f[1]), permuted));
            double bound = 4 * Math.max(m, n) * Dense.EPS * Dense.norm(aq);
            assertTrue(residual <= bound, what + " matrix " + q + ": ||PA - LU|| = " + residual + " > " + bound);
        }
    }

    @Test
    void factorsReproduceThePermutedMatrixOnEveryShape() {
        Random rnd = new Random(31);
        for (int[] dims : SHAPES) {
            Tensor a = Dense.gaussian(rnd, dims);
            List<Tensor> out = new Lu().evaluate(List.of(a));
            assertEquals(new Lu().outTypes(List.of(a.type())), out.stream().map(Tensor::type).toList());
            assertFactorization(a, out, Arrays.toString(dims));
        }
        assertFactorization(NEEDS_SWAPS, new Lu().evaluate(List.of(NEEDS_SWAPS)), "3x3 with swaps");
    }

    @Test
    void aSmallExampleHasTheExpectedPackedFactors() {
        List<Tensor> out = new Lu().evaluate(List.of(NEEDS_SWAPS));
        // Step 0 pivots on 7 (row 2); step 1 finds 5 - 32/7 = 3/7 above 2 - 8/7 = 6/7 and swaps again.
        assertArrayEquals(new double[] {2, 2, 2}, out.get(1).raw());
        assertArrayEquals(new double[] {2, 0, 1}, out.get(2).raw());
        double[] lu = out.get(0).raw();
        assertEquals(7, lu[0]);
        assertEquals(1.0 / 7, lu[3], 1e-15);
        assertEquals(6.0 / 7, lu[4], 1e-15);
        assertEquals(0.5, lu[7], 1e-15);
        assertEquals(-0.5, lu[8], 1e-15);
    }

    @Test
    void tiesPickTheFirstLargestEntry() {
        Tensor a = Tensor.of(DType.F64, new Shape(3, 2), 1, 0, -2, 1, 2, 3);
        List<Tensor> out = new Lu().evaluate(List.of(a));
        assertArrayEquals(new double[] {1, 2}, out.get(1).raw());
        assertArrayEquals(new double[] {1, 2, 0}, out.get(2).raw());
        assertFactorization(a, out, "ties");
    }

    @Test
    void aSingularMatrixFactorsButItsJvpIsRefused() {
        // Matrix 2 of the batch has rank 1: its U has a zero at diagonal entry 1.
        Tensor a = Tensor.of(DType.F64, new Shape(3, 2, 2), 1, 0, 0, 1, 2, 1, 1, 3, 1, 2, 2, 4);
        List<Tensor> out = new Lu().evaluate(List.of(a));
        assertFactorization(a, out, "singular");
        assertEquals(0.0, out.get(0).raw()[11]);
        Program p = FiniteDifferences.oneOp(new Lu(), List.of(a));
        Program jvp = Jvp.transform(p, new boolean[] {true}, null).program();
        StreamfoldException e = assertThrows(StreamfoldException.class, () -> Interpreter.run(jvp, List.of(a, a)));
        assertEquals("triangular_solve: matrix 2 of the batch is singular (diagonal entry 1 is zero)", e.getMessage());
    }

    @Test
    void aSingleRowWithAZeroPivotStillHasATangent() {
        Tensor a = Tensor.of(DType.F64, new Shape(2, 1, 3), 0, 1, 2, 3, 0, 1);
        Tensor da = Tensor.of(DType.F64, new Shape(2, 1, 3), 1, 2, 3, 4, 5, 6);
        List<Tensor> t = FiniteDifferences.check(new Lu(), List.of(a), Arrays.asList(da), 1e-9);
        assertEquals(da, t.get(0));
    }

    @Test
    void aZeroColumnIsLeftInPlaceAsLapackDoes() {
        Tensor a = Tensor.of(DType.F64, new Shape(2, 2), 0, 1, 0, 2);
        List<Tensor> out = new Lu().evaluate(List.of(a));
        assertArrayEquals(new double[] {0, 1, 0, 2}, out.get(0).raw());
        assertArrayEquals(new double[] {0, 1}, out.get(1).raw());
        assertArrayEquals(new double[] {0, 1}, out.get(2).raw());
    }

    @Test
    void jvpMatchesFiniteDifferencesForSquareTallAndWide() {
        Random rnd = new Random(32);
        for (int[] dims : SHAPES) {
            if (dims[dims.length - 1] > 8) {
                continue;
            }
            Tensor a = Dense.gaussian(rnd, dims);
            Tensor da = Dense.gaussian(rnd, dims);
            List<Tensor> t = FiniteDifferences.check(new Lu(), List.of(a), Arrays.asList(da), 1e-9);
            assertEquals(3, t.size());
        }
        FiniteDifferences.check(new Lu(), List.of(NEEDS_SWAPS), Arrays.asList(Dense.gaussian(rnd, 3, 3)), 1e-9);
    }

    @Test
    void float32JvpProgramAgreesWithFloat64() {
        Random rnd = new Random(33);
        for (int[] dims : new int[][] {{4, 4}, {2, 5, 3}, {2, 3, 5}}) {
            Tensor a = Dense.gaussian(rnd, dims);
            Tensor da = Dense.gaussian(rnd, dims);
            List<Tensor> wide = FiniteDifferences.tangents(new Lu(), List.of(a), Arrays.asList(da));
            List<Tensor> narrow = FiniteDifferences.tangents(new Lu(), List.of(a.astype(DType.F32)),
                    Arrays.asList(da.astype(DType.F32)));
            assertEquals(DType.F32, narrow.get(0).dtype());
            FiniteDifferences.assertClose(wide.get(0), narrow.get(0).astype(DType.F64), 1e-4, "float32 dLU");
            assertEquals(wide.get(1), narrow.get(1));
            assertEquals(wide.get(2), narrow.get(2));
        }
    }

    @Test
    void luAndCholeskyPrintTheirOutputsAndParameters() {
        ProgramBuilder b = new ProgramBuilder();
        Var a = b.param(Type.of(DType.F64, 2, 4, 3));
        List<Var> out = b.lu(a);
        String text = Printer.print(b.build(out));
        assertTrue(text.contains("%1: f64[2,4,3], %2: i32[2,3], %3: i32[2,4] = lu %0"), text);
        ProgramBuilder c = new ProgramBuilder();
        String cholesky = Printer.print(c.build(c.cholesky(c.param(Type.of(DType.F64, 3, 3)), true)));
        assertTrue(cholesky.contains("%1: f64[3,3] = cholesky{symmetrize_input=true} %0"), cholesky);
    }

    @Test
    void shapeRuleGivesIntegerPivotsAndPermutation() {
        List<Type> out = new Lu().outTypes(List.of(Type.of(DType.F32, 2, 4, 6)));
        assertEquals(List.of(Type.of(DType.F32, 2, 4, 6), Type.of(DType.I32, 2, 4), Type.of(DType.I32, 2, 4)), out);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new Lu().outTypes(List.of(Type.of(DType.I32, 3, 3))));
        assertEquals("lu needs a floating-point matrix of rank >= 2, got i32[3,3]", e.getMessage());
    }
}
