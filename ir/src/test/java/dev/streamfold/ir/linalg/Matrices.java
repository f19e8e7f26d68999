package dev.streamfold.ir.linalg;

import dev.streamfold.ir.DType;
import dev.streamfold.ir.Shape;
import dev.streamfold.ir.Tensor;
import java.util.Arrays;
import java.util.SplittableRandom;

/** Plain dense-matrix arithmetic for checking decompositions, written from the definitions. */
final class Matrices {
    static final double EPS = Math.ulp(1.0);

    private Matrices() {}

    /** A tensor of the given shape with entries uniform in [-1, 1), from {@code seed}. */
    static Tensor random(long seed, int... dims) {
        SplittableRandom r = new SplittableRandom(seed);
        Shape s = new Shape(dims);
        double[] d = new double[Math.toIntExact(s.size())];
        for (int i = 0; i < d.length; i++) {
            d[i] = r.nextDouble(-1, 1);
        }
        return new Tensor(DType.F64, s, d);
    }

    /** The number of matrices in a batch of the given shape. */
    static int count(Shape s) {
        int n = 1;
        for (int i = 0; i < s.rank() - 2; i++) {
            n *= s.dim(i);
        }
        return n;
    }

    /** Matrix {@code index} of a batch {@code [..., rows, cols]}. */
    static double[][] matrix(Tensor t, int index) {
        int rows = t.shape().dim(t.shape().rank() - 2);
        int cols = t.shape().dim(t.shape().rank() - 1);
        double[][] a = new double[rows][cols];
        for (int i = 0; i < rows; i++) {
            System.arraycopy(t.raw(), index * rows * cols + i * cols, a[i], 0, cols);
        }
        return a;
    }

    /** Vector {@code index} of a batch {@code [..., k]}. */
    static double[] vector(Tensor t, int index) {
        int k = t.shape().dim(t.shape().rank() - 1);
        return Arrays.copyOfRange(t.raw(), index * k, (index + 1) * k);
    }

    static double[][] matmul(double[][] a, double[][] b) {
        int m = a.length;
        int k = b.length;
        int n = k == 0 ? 0 : b[0].length;
        double[][] c = new double[m][n];
        for (int i = 0; i < m; i++) {
            for (int l = 0; l < k; l++) {
                for (int j = 0; j < n; j++) {
                    c[i][j] += a[i][l] * b[l][j];
                }
            }
        }
        return c;
    }

    static double[][] transpose(double[][] a) {
        int m = a.length;
        int n = m == 0 ? 0 : a[0].length;
        double[][] t = new double[n][m];
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                t[j][i] = a[i][j];
            }
        }
        return t;
    }

    /** {@code a} with column {@code j} scaled by {@code d[j]}. */
    static double[][] scaleColumns(double[][] a, double[] d) {
        double[][] c = new double[a.length][];
        for (int i = 0; i < a.length; i++) {
            c[i] = a[i].clone();
            for (int j = 0; j < d.length; j++) {
                c[i][j] *= d[j];
            }
        }
        return c;
    }

    static double[][] identity(int n) {
        double[][] e = new double[n][n];
        for (int i = 0; i < n; i++) {
            e[i][i] = 1;
        }
        return e;
    }

    /** The largest absolute entry of {@code a - b}; the shapes must agree. */
    static double maxDiff(double[][] a, double[][] b) {
        if (a.length != b.length || a.length > 0 && a[0].length != b[0].length) {
            throw new AssertionError("shapes differ: " + a.length + "x" + (a.length == 0 ? 0 : a[0].length) + " and "
                    + b.length + "x" + (b.length == 0 ? 0 : b[0].length));
        }
        double d = 0;
        for (int i = 0; i < a.length; i++) {
            for (int j = 0; j < a[i].length; j++) {
                d = Math.max(d, Math.abs(a[i][j] - b[i][j]));
            }
        }
        return d;
    }

    static double frobenius(double[][] a) {
        double s = 0;
        for (double[] row : a) {
            for (double x : row) {
                s += x * x;
            }
        }
        return Math.sqrt(s);
    }

    /** The first {@code cols} columns of {@code a}. */
    static double[][] leftColumns(double[][] a, int cols) {
        double[][] c = new double[a.length][];
        for (int i = 0; i < a.length; i++) {
            c[i] = Arrays.copyOf(a[i], cols);
        }
        return c;
    }

    /** A batch tensor of {@code [..., n, n]} holding the given matrices. */
    static Tensor batch(int[] batchDims, double[][]... mats) {
        int rows = mats[0].length;
        int cols = mats[0][0].length;
        int[] dims = Arrays.copyOf(batchDims, batchDims.length + 2);
        dims[batchDims.length] = rows;
        dims[batchDims.length + 1] = cols;
        double[] d = new double[mats.length * rows * cols];
        for (int q = 0; q < mats.length; q++) {
            for (int i = 0; i < rows; i++) {
                System.arraycopy(mats[q][i], 0, d, (q * rows + i) * cols, cols);
            }
        }
        return new Tensor(DType.F64, new Shape(dims), d);
    }
}
