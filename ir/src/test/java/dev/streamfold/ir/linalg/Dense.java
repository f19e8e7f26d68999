package dev.streamfold.ir.linalg;

import dev.streamfold.ir.DType;
import dev.streamfold.ir.Shape;
import dev.streamfold.ir.Tensor;
import java.util.Random;

/** Plain dense matrix arithmetic for the identity checks, written from the definitions. */
final class Dense {
    static final double EPS = Math.ulp(1.0);

    private Dense() {}

    /** Matrix {@code q} of a batch {@code [..., m, n]}. */
    static double[][] matrix(Tensor t, int q) {
        int r = t.shape().rank();
        int m = t.shape().dim(r - 2);
        int n = t.shape().dim(r - 1);
        double[][] a = new double[m][n];
        for (int i = 0; i < m; i++) {
            System.arraycopy(t.raw(), (q * m + i) * n, a[i], 0, n);
        }
        return a;
    }

    /** The number of matrices in a batch {@code [..., m, n]}. */
    static int batch(Tensor t) {
        int r = t.shape().rank();
        return (int) (t.shape().size() / Math.max(1, (long) t.shape().dim(r - 2) * t.shape().dim(r - 1)));
    }

    static double[][] multiply(double[][] a, double[][] b) {
        int m = a.length;
        int k = b.length;
        int n = b[0].length;
        double[][] c = new double[m][n];
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double s = 0;
                for (int l = 0; l < k; l++) {
                    s += a[i][l] * b[l][j];
                }
                c[i][j] = s;
            }
        }
        return c;
    }

    static double[][] transpose(double[][] a) {
        double[][] t = new double[a[0].length][a.length];
        for (int i = 0; i < a.length; i++) {
            for (int j = 0; j < a[0].length; j++) {
                t[j][i] = a[i][j];
            }
        }
        return t;
    }

    /** The Frobenius norm. */
    static double norm(double[][] a) {
        double s = 0;
        for (double[] row : a) {
            for (double v : row) {
                s += v * v;
            }
        }
        return Math.sqrt(s);
    }

    static double[][] minus(double[][] a, double[][] b) {
        double[][] c = new double[a.length][a[0].length];
        for (int i = 0; i < a.length; i++) {
            for (int j = 0; j < a[0].length; j++) {
                c[i][j] = a[i][j] - b[i][j];
            }
        }
        return c;
    }

    /** A batch of matrices with independent standard normal entries. */
    static Tensor gaussian(Random rnd, int... dims) {
        Shape s = new Shape(dims);
        double[] d = new double[Math.toIntExact(s.size())];
        for (int i = 0; i < d.length; i++) {
            d[i] = rnd.nextGaussian();
        }
        return new Tensor(DType.F64, s, d);
    }

    /** The batch with matrix {@code q} of {@code t} replaced by {@code a}. */
    static Tensor with(Tensor t, int q, double[][] a) {
        double[] d = t.data();
        int n = a[0].length;
        for (int i = 0; i < a.length; i++) {
            System.arraycopy(a[i], 0, d, (q * a.length + i) * n, n);
        }
        return new Tensor(t.dtype(), t.shape(), d);
    }
}
