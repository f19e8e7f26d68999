package dev.streamfold.ir.stream;

import dev.streamfold.ir.Tensor;

/**
 * Dense n x n matrices of operators written from their formulas, independent of the IR: the oracle
 * the streaming programs are checked against. Literal parameters only.
 */
final class DenseOracle {
    private DenseOracle() {}

    static double[][] of(StreamingMatrix m, int n) {
        return switch (m) {
            case Identity i -> diag(n, new double[] {1});
            case PrefixSum p -> {
                double[][] a = new double[n][n];
                for (int i = 0; i < n; i++) {
                    for (int j = 0; j <= i; j++) {
                        a[i][j] = 1;
                    }
                }
                yield a;
            }
            case Diagonal d -> diag(n, values(d.d()));
            case MomentumSgd s -> {
                double mu = values(s.momentum())[0];
                double[] lr = values(s.learningRates());
                // y_i = sum_{j<=i} x_j sum_{k=j..i} lr[k] mu^(k-j)
                double[][] a = new double[n][n];
                for (int i = 0; i < n; i++) {
                    for (int j = 0; j <= i; j++) {
                        double acc = 0;
                        for (int k = j; k <= i; k++) {
                            acc += clip(lr, k) * Math.pow(mu, k - j);
                        }
                        a[i][j] = acc;
                    }
                }
                yield a;
            }
            case Compose c -> matmul(of(c.outer(), n), of(c.inner(), n));
            case ScaleRowsAndColumns s -> {
                double[][] a = of(s.a(), n);
                double[] r = s.row() == null ? new double[] {1} : values(s.row());
                double[] c = s.col() == null ? new double[] {1} : values(s.col());
                yield matmul(matmul(diag(n, r), a), diag(n, c));
            }
            case Blt b -> {
                double[] theta = values(b.bufDecay());
                double[] omega = values(b.outputScale());
                double[][] a = new double[n][n];
                for (int i = 0; i < n; i++) {
                    a[i][i] = 1;
                    for (int j = 0; j < i; j++) {
                        for (int k = 0; k < theta.length; k++) {
                            a[i][j] += omega[k] * Math.pow(theta[k], i - j - 1);
                        }
                    }
                }
                yield a;
            }
            case InverseParams p -> invertLower(of(p.of(), n));
            case Inverse inv -> invertLower(of(inv.of(), n));
            case Toeplitz t -> toeplitz(values(t.coef()), n);
            case ColumnNormalizedBanded c -> {
                double[][] p = ((Param.Literal) c.params()).value().rows();
                double[][] a = new double[n][n];
                for (int j = 0; j < n; j++) {
                    double[] col = p[Math.min(j, p.length - 1)];
                    double norm = 0;
                    for (int r = 0; r < col.length && (j >= p.length || j + r < p.length); r++) {
                        norm += col[r] * col[r];
                    }
                    for (int r = 0; r < col.length && j + r < n; r++) {
                        a[j + r][j] = col[r] / Math.sqrt(norm);
                    }
                }
                yield a;
            }
            case ToeplitzInverse t -> {
                double[] c = values(t.coef());
                if (t.columnNormalizeForN() == null) {
                    yield invertLower(toeplitz(c, n));
                }
                int big = Math.max(n, t.columnNormalizeForN());
                c = java.util.Arrays.copyOf(c, Math.min(c.length, t.columnNormalizeForN()));
                double[][] strategy = toeplitz(c, big);
                for (int j = 0; j < big; j++) {
                    double norm = 0;
                    for (int i = 0; i < Math.min(big, t.columnNormalizeForN()); i++) {
                        norm += strategy[i][j] * strategy[i][j];
                    }
                    norm = j < t.columnNormalizeForN() ? Math.sqrt(norm) : Math.abs(c[0]);
                    for (int i = 0; i < big; i++) {
                        strategy[i][j] /= norm;
                    }
                }
                double[][] inv = invertLower(strategy);
                double[][] out = new double[n][n];
                for (int i = 0; i < n; i++) {
                    System.arraycopy(inv[i], 0, out[i], 0, n);
                }
                yield out;
            }
        };
    }

    /** The banded lower Toeplitz matrix with first column c. */
    static double[][] toeplitz(double[] c, int n) {
        double[][] a = new double[n][n];
        for (int i = 0; i < n; i++) {
            for (int j = Math.max(0, i - c.length + 1); j <= i; j++) {
                a[i][j] = c[i - j];
            }
        }
        return a;
    }

    /** The inverse of a lower-triangular matrix, column by column by forward substitution. */
    static double[][] invertLower(double[][] a) {
        int n = a.length;
        double[][] x = new double[n][n];
        for (int col = 0; col < n; col++) {
            for (int i = col; i < n; i++) {
                double acc = i == col ? 1 : 0;
                for (int k = col; k < i; k++) {
                    acc -= a[i][k] * x[k][col];
                }
                x[i][col] = acc / a[i][i];
            }
        }
        return x;
    }

    static double clip(double[] a, int t) {
        return a[Math.min(t, a.length - 1)];
    }

    static double[] values(Param p) {
        return ((Param.Literal) p).value().data();
    }

    static double[][] diag(int n, double[] d) {
        double[][] a = new double[n][n];
        for (int i = 0; i < n; i++) {
            a[i][i] = clip(d, i);
        }
        return a;
    }

    static double[][] matmul(double[][] a, double[][] b) {
        int n = a.length;
        int k = b.length;
        int m = k == 0 ? 0 : b[0].length;
        double[][] c = new double[n][m];
        for (int i = 0; i < n; i++) {
            for (int l = 0; l < k; l++) {
                for (int j = 0; j < m; j++) {
                    c[i][j] += a[i][l] * b[l][j];
                }
            }
        }
        return c;
    }

    static double[][] rows(Tensor t) {
        return t.rows();
    }
}
