package dev.streamfold.ir.linalg;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.streamfold.ir.Eigh;
import dev.streamfold.ir.Interpreter;
import dev.streamfold.ir.Op;
import dev.streamfold.ir.ProgramBuilder;
import dev.streamfold.ir.Qr;
import dev.streamfold.ir.Shape;
import dev.streamfold.ir.StreamfoldException;
import dev.streamfold.ir.Svd;
import dev.streamfold.ir.Tensor;
import dev.streamfold.ir.Var;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** QR, SVD and eigh rebuild their input: identities with a tolerance of c n eps ||A||. */
class DecompositionIdentityTest {
    private static final double C = 10;

    static Stream<int[]> shapes() {
        return Stream.of(new int[] {1, 1}, new int[] {2, 2}, new int[] {3, 3}, new int[] {5, 5}, new int[] {8, 8},
                new int[] {16, 16}, new int[] {4, 6}, new int[] {6, 4}, new int[] {3, 4, 4}, new int[] {3, 6, 4},
                new int[] {3, 4, 6}, new int[] {2, 3, 1, 3});
    }

    static Stream<int[]> squareShapes() {
        return shapes().filter(d -> d[d.length - 1] == d[d.length - 2]);
    }

    /** Runs {@code op} on {@code a} through the interpreter. */
    static List<Tensor> run(Op op, Tensor a) {
        ProgramBuilder b = new ProgramBuilder();
        Var x = b.param(a.type());
        return Interpreter.run(b.build(b.emit(op, List.of(x))), List.of(a));
    }

    private static double tolerance(double[][] a) {
        int n = Math.max(a.length, a[0].length);
        return C * n * Matrices.EPS * Math.max(1, Matrices.frobenius(a));
    }

    private static String name(int[] dims) {
        return new Shape(dims).toString();
    }

    @ParameterizedTest
    @MethodSource("shapes")
    void qrRebuildsTheInputWithOrthonormalQAndTriangularR(int[] dims) {
        for (boolean full : new boolean[] {false, true}) {
            Tensor a = Matrices.random(11 + dims.length, dims);
            List<Tensor> out = run(new Qr(full), a);
            int m = dims[dims.length - 2];
            int n = dims[dims.length - 1];
            int k = Math.min(m, n);
            int qCols = full ? m : k;
            assertEquals(new Shape(withTail(dims, m, qCols)), out.get(0).shape());
            assertEquals(new Shape(withTail(dims, qCols, n)), out.get(1).shape());
            for (int i = 0; i < Matrices.count(a.shape()); i++) {
                double[][] x = Matrices.matrix(a, i);
                double[][] q = Matrices.matrix(out.get(0), i);
                double[][] r = Matrices.matrix(out.get(1), i);
                double tol = tolerance(x);
                String at = name(dims) + " full=" + full + " matrix " + i;
                assertTrue(Matrices.maxDiff(Matrices.matmul(q, r), x) <= tol, at + ": Q R != A");
                assertTrue(Matrices.maxDiff(Matrices.matmul(Matrices.transpose(q), q), Matrices.identity(qCols))
                        <= C * m * Matrices.EPS, at + ": Q^T Q != I");
                for (int row = 0; row < r.length; row++) {
                    for (int col = 0; col < Math.min(row, n); col++) {
                        assertEquals(0.0, r[row][col], at + ": r[" + row + "][" + col + "] below the diagonal");
                    }
                    if (row < k) {
                        assertTrue(r[row][row] >= 0, at + ": diag(r)[" + row + "] = " + r[row][row] + " < 0");
                    }
                }
            }
        }
    }

    @Test
    void fullQrOfATallMatrixExtendsTheReducedQ() {
        Tensor a = Matrices.random(5, 6, 4);
        double[][] reduced = Matrices.matrix(run(new Qr(false), a).get(0), 0);
        double[][] full = Matrices.matrix(run(new Qr(true), a).get(0), 0);
        assertTrue(Matrices.maxDiff(Matrices.leftColumns(full, 4), reduced) <= 1e-14);
    }

    @ParameterizedTest
    @MethodSource("shapes")
    void svdRebuildsTheInputWithOrthonormalFactorsAndDescendingValues(int[] dims) {
        for (boolean full : new boolean[] {false, true}) {
            Tensor a = Matrices.random(23 + dims.length, dims);
            List<Tensor> out = run(new Svd(full, true), a);
            Tensor values = run(new Svd(full, false), a).get(0);
            int m = dims[dims.length - 2];
            int n = dims[dims.length - 1];
            int k = Math.min(m, n);
            assertEquals(new Shape(withTail(dims, m, full ? m : k)), out.get(0).shape());
            assertEquals(new Shape(withTail(dims, full ? n : k, n)), out.get(2).shape());
            assertArrayEquals(out.get(1).raw(), values.raw(), 0.0, "compute_uv=false gives the same s");
            for (int i = 0; i < Matrices.count(a.shape()); i++) {
                double[][] x = Matrices.matrix(a, i);
                double[][] u = Matrices.matrix(out.get(0), i);
                double[] s = Matrices.vector(out.get(1), i);
                double[][] vt = Matrices.matrix(out.get(2), i);
                double tol = tolerance(x);
                String at = name(dims) + " full=" + full + " matrix " + i;
                double[][] us = Matrices.scaleColumns(Matrices.leftColumns(u, k), s);
                double[][] vtk = Matrices.transpose(Matrices.leftColumns(Matrices.transpose(vt), k));
                assertTrue(Matrices.maxDiff(Matrices.matmul(us, vtk), x) <= tol, at + ": U diag(s) V^T != A");
                assertTrue(Matrices.maxDiff(Matrices.matmul(Matrices.transpose(u), u), Matrices.identity(u[0].length))
                        <= C * m * Matrices.EPS, at + ": U^T U != I");
                assertTrue(Matrices.maxDiff(Matrices.matmul(vt, Matrices.transpose(vt)), Matrices.identity(vt.length))
                        <= C * n * Matrices.EPS, at + ": V^T V != I");
                for (int j = 0; j < k; j++) {
                    assertTrue(s[j] >= 0 && (j == 0 || s[j] <= s[j - 1]), at + ": s not descending at " + j);
                }
                for (int j = 0; j < u[0].length; j++) {
                    assertTrue(largestEntryPositive(u, j), at + ": largest entry of u column " + j + " is negative");
                }
            }
        }
    }

    @ParameterizedTest
    @MethodSource("squareShapes")
    void eighDiagonalizesWithAscendingValuesAndOrthonormalVectors(int[] dims) {
        Tensor a = symmetrized(Matrices.random(37 + dims.length, dims));
        for (Eigh op : List.of(new Eigh(true, true), new Eigh(false, true), new Eigh(true, false), new Eigh(false, false))) {
            List<Tensor> out = run(op, a);
            int n = dims[dims.length - 1];
            assertEquals(new Shape(withTail(dims, n)), out.get(0).shape());
            for (int i = 0; i < Matrices.count(a.shape()); i++) {
                double[][] x = Matrices.matrix(a, i);
                double[] w = Matrices.vector(out.get(0), i);
                double[][] v = Matrices.matrix(out.get(1), i);
                String at = name(dims) + " " + op.attributes() + " matrix " + i;
                assertTrue(Matrices.maxDiff(Matrices.matmul(x, v), Matrices.scaleColumns(v, w)) <= tolerance(x),
                        at + ": A V != V diag(w)");
                assertTrue(Matrices.maxDiff(Matrices.matmul(Matrices.transpose(v), v), Matrices.identity(n)) <= C * n * Matrices.EPS,
                        at + ": V^T V != I");
                for (int j = 0; j < n; j++) {
                    assertTrue(j == 0 || w[j] >= w[j - 1], at + ": w not ascending at " + j);
                    assertTrue(largestEntryPositive(v, j), at + ": largest entry of v column " + j + " is negative");
                }
            }
        }
    }

    @Test
    void eighReadsOnlyTheChosenTriangleWithoutSymmetrizing() {
        double nan = Double.NaN;
        Tensor lowerOnly = Tensor.matrix(dev.streamfold.ir.DType.F64, new double[][] {{2, nan, nan}, {1, 3, nan}, {0.5, -1, 4}});
        Tensor upperOnly = Tensor.matrix(dev.streamfold.ir.DType.F64, new double[][] {{2, 1, 0.5}, {nan, 3, -1}, {nan, nan, 4}});
        Tensor symmetric = Tensor.matrix(dev.streamfold.ir.DType.F64, new double[][] {{2, 1, 0.5}, {1, 3, -1}, {0.5, -1, 4}});
        List<Tensor> expect = run(new Eigh(true, true), symmetric);
        List<Tensor> lower = run(new Eigh(true, false), lowerOnly);
        List<Tensor> upper = run(new Eigh(false, false), upperOnly);
        assertArrayEquals(expect.get(0).raw(), lower.get(0).raw(), 1e-14);
        assertArrayEquals(expect.get(1).raw(), lower.get(1).raw(), 1e-14);
        assertArrayEquals(expect.get(0).raw(), upper.get(0).raw(), 1e-14);
        assertArrayEquals(expect.get(1).raw(), upper.get(1).raw(), 1e-14);
    }

    @Test
    void eighSymmetrizesTheInputWhenAsked() {
        Tensor a = Tensor.matrix(dev.streamfold.ir.DType.F64, new double[][] {{2, 3}, {-1, 5}});
        Tensor sym = Tensor.matrix(dev.streamfold.ir.DType.F64, new double[][] {{2, 1}, {1, 5}});
        assertArrayEquals(run(new Eigh(true, false), sym).get(0).raw(), run(new Eigh(true, true), a).get(0).raw(), 1e-14);
        double[] w = run(new Eigh(true, true), a).get(0).raw();
        assertEquals(3.5 - Math.sqrt(3.25), w[0], 1e-14);
        assertEquals(3.5 + Math.sqrt(3.25), w[1], 1e-14);
    }

    @Test
    void signConventionsOnKnownMatrices() {
        Tensor a = Tensor.matrix(dev.streamfold.ir.DType.F64, new double[][] {{-3, 0}, {0, 0}, {0, -1}});
        List<Tensor> qr = run(new Qr(false), a);
        assertArrayEquals(new double[] {-1, 0, 0, 0, 0, -1}, qr.get(0).raw(), 1e-15);
        assertArrayEquals(new double[] {3, 0, 0, 1}, qr.get(1).raw(), 1e-15);
        List<Tensor> svd = run(new Svd(false, true), a);
        assertArrayEquals(new double[] {1, 0, 0, 0, 0, 1}, svd.get(0).raw(), 1e-15);
        assertArrayEquals(new double[] {3, 1}, svd.get(1).raw(), 1e-15);
        assertArrayEquals(new double[] {-1, 0, 0, -1}, svd.get(2).raw(), 1e-15);
        Tensor s = Tensor.matrix(dev.streamfold.ir.DType.F64, new double[][] {{0, 0, -2}, {0, 1, 0}, {-2, 0, 0}});
        List<Tensor> eig = run(new Eigh(true, true), s);
        assertArrayEquals(new double[] {-2, 1, 2}, eig.get(0).raw(), 1e-15);
        double h = Math.sqrt(0.5);
        // Columns: (h, 0, h) for -2 (the first of two equal magnitudes is positive), e2, and (h, 0, -h) for 2.
        assertArrayEquals(new double[] {h, 0, h, 0, 1, 0, h, 0, -h}, eig.get(1).raw(), 1e-15);
    }

    @Test
    void rankDeficientSvdCompletesTheSingularVectors() {
        Tensor a = Tensor.matrix(dev.streamfold.ir.DType.F64, new double[][] {{1, 2}, {2, 4}, {3, 6}});
        for (boolean full : new boolean[] {false, true}) {
            List<Tensor> out = run(new Svd(full, true), a);
            double[][] u = Matrices.matrix(out.get(0), 0);
            assertEquals(0.0, out.get(1).raw()[1], 1e-14);
            assertTrue(Matrices.maxDiff(Matrices.matmul(Matrices.transpose(u), u), Matrices.identity(u[0].length)) <= 1e-14);
        }
    }

    @Test
    void extremeScalesNeitherOverflowNorUnderflow() {
        Tensor a = Matrices.random(61, 5, 3);
        double[] s = run(new Svd(false, false), a).get(0).raw();
        Tensor sym = symmetrized(Matrices.random(62, 4, 4));
        double[] w = run(new Eigh(true, true), sym).get(0).raw();
        for (double scale : new double[] {0x1p600, 0x1p-600, 1e300, 1e-300}) {
            double[] big = run(new Svd(false, false), times(a, scale)).get(0).raw();
            double[] wide = run(new Eigh(true, true), times(sym, scale)).get(0).raw();
            for (int j = 0; j < s.length; j++) {
                assertEquals(s[j], big[j] / scale, 1e-14 * s[0], "s[" + j + "] at scale " + scale);
            }
            for (int j = 0; j < w.length; j++) {
                assertEquals(w[j], wide[j] / scale, 1e-14 * Math.abs(w[w.length - 1]), "w[" + j + "] at scale " + scale);
            }
        }
    }

    @Test
    void float32InputsGiveFloat32FactorsThatRebuildTheInput() {
        Tensor a = Matrices.random(71, 2, 5, 3).astype(dev.streamfold.ir.DType.F32);
        List<Tensor> qr = run(new Qr(false), a);
        List<Tensor> svd = run(new Svd(false, true), a);
        Tensor sym = symmetrized(Matrices.random(72, 4, 4)).astype(dev.streamfold.ir.DType.F32);
        List<Tensor> eig = run(new Eigh(true, true), sym);
        for (Tensor t : List.of(qr.get(0), qr.get(1), svd.get(0), svd.get(1), svd.get(2), eig.get(0), eig.get(1))) {
            assertEquals(dev.streamfold.ir.DType.F32, t.dtype());
            for (double x : t.raw()) {
                assertEquals(x, (double) (float) x, 0.0, "a float32 value");
            }
        }
        for (int i = 0; i < 2; i++) {
            double[][] x = Matrices.matrix(a, i);
            assertTrue(Matrices.maxDiff(Matrices.matmul(Matrices.matrix(qr.get(0), i), Matrices.matrix(qr.get(1), i)), x)
                    <= 1e-6);
            double[][] us = Matrices.scaleColumns(Matrices.matrix(svd.get(0), i), Matrices.vector(svd.get(1), i));
            assertTrue(Matrices.maxDiff(Matrices.matmul(us, Matrices.matrix(svd.get(2), i)), x) <= 1e-6);
        }
        double[][] v = Matrices.matrix(eig.get(1), 0);
        assertTrue(Matrices.maxDiff(Matrices.matmul(Matrices.matrix(sym, 0), v),
                Matrices.scaleColumns(v, Matrices.vector(eig.get(0), 0))) <= 1e-5);
    }

    @Test
    void nonFiniteEntriesAreRefusedNamingTheMatrixAndTheEntry() {
        Tensor a = Matrices.batch(new int[] {2}, new double[][] {{1, 2}, {3, 4}},
                new double[][] {{1, Double.NaN}, {3, 4}});
        assertEquals("qr: matrix 1 of the batch has the non-finite entry NaN at [0, 1]",
                assertThrows(StreamfoldException.class, () -> run(new Qr(false), a)).getMessage());
        assertEquals("svd: matrix 1 of the batch has the non-finite entry NaN at [0, 1]",
                assertThrows(StreamfoldException.class, () -> run(new Svd(false, false), a)).getMessage());
        // eigh reads the lower triangle only, so the NaN above the diagonal is refused only when symmetrizing.
        assertEquals("eigh: matrix 1 of the batch has the non-finite entry NaN at [0, 1]",
                assertThrows(StreamfoldException.class, () -> run(new Eigh(true, true), a)).getMessage());
        Tensor inf = Tensor.matrix(dev.streamfold.ir.DType.F64, new double[][] {{1, 0}, {Double.POSITIVE_INFINITY, 4}});
        assertEquals("eigh: the matrix has the non-finite entry Infinity at [1, 0]",
                assertThrows(StreamfoldException.class, () -> run(new Eigh(true, false), inf)).getMessage());
    }

    @Test
    void theOpsPrintTheirParameters() {
        ProgramBuilder b = new ProgramBuilder();
        Var x = b.param(dev.streamfold.ir.Type.of(dev.streamfold.ir.DType.F64, 3, 3));
        b.emit(new Qr(true), List.of(x));
        b.emit(new Svd(false, true), List.of(x));
        b.emit(new Eigh(false, true), List.of(x));
        String text = dev.streamfold.ir.Printer.print(b.build(x));
        assertTrue(text.contains("%1: f64[3,3], %2: f64[3,3] = qr{full_matrices=true} %0\n"), text);
        assertTrue(text.contains("%3: f64[3,3], %4: f64[3], %5: f64[3,3] = svd{full_matrices=false compute_uv=true} %0\n"),
                text);
        assertTrue(text.contains("%6: f64[3], %7: f64[3,3] = eigh{lower=false symmetrize_input=true} %0\n"), text);
    }

    private static Tensor times(Tensor a, double c) {
        double[] d = a.data();
        for (int i = 0; i < d.length; i++) {
            d[i] *= c;
        }
        return new Tensor(a.dtype(), a.shape(), d);
    }

    private static boolean largestEntryPositive(double[][] a, int j) {
        int best = 0;
        for (int i = 1; i < a.length; i++) {
            if (Math.abs(a[i][j]) > Math.abs(a[best][j])) {
                best = i;
            }
        }
        return a[best][j] >= 0;
    }

    /** {@code (A + A^T) / 2} of every matrix. */
    static Tensor symmetrized(Tensor a) {
        int n = a.shape().dim(a.shape().rank() - 1);
        double[] d = a.data();
        for (int q = 0; q < Matrices.count(a.shape()); q++) {
            for (int i = 0; i < n; i++) {
                for (int j = 0; j < i; j++) {
                    double s = (d[q * n * n + i * n + j] + d[q * n * n + j * n + i]) / 2;
                    d[q * n * n + i * n + j] = s;
                    d[q * n * n + j * n + i] = s;
                }
            }
        }
        return new Tensor(a.dtype(), a.shape(), d);
    }

    static int[] withTail(int[] dims, int... tail) {
        int[] d = java.util.Arrays.copyOf(dims, dims.length - 2 + tail.length);
        System.arraycopy(tail, 0, d, dims.length - 2, tail.length);
        return d;
    }
}
