package dev.streamfold.ir;

/**
 * Helpers for the reference evaluators of the decompositions, which see arrays of shape {@code
 * [..., m, n]} as batches of row-major {@code m x n} matrices.
 */
final class BatchedMatrix {
    private BatchedMatrix() {}

    /** Matrix {@code index} of a batch of {@code rows x cols} matrices held in {@code data}. */
    static double[][] read(double[] data, int index, int rows, int cols) {
        double[][] a = new double[rows][cols];
        int base = index * rows * cols;
        for (int i = 0; i < rows; i++) {
            System.arraycopy(data, base + i * cols, a[i], 0, cols);
        }
        return a;
    }

    /** Stores {@code a} as matrix {@code index} of {@code out}, rounded to {@code dtype}. */
    static void write(double[][] a, double[] out, int index, DType dtype) {
        int rows = a.length;
        int cols = rows == 0 ? 0 : a[0].length;
        int base = index * rows * cols;
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < cols; j++) {
                out[base + i * cols + j] = dtype.round(a[i][j]);
            }
        }
    }

    /** Stores the vector {@code v} as entry {@code index} of a batch of vectors, rounded to {@code dtype}. */
    static void write(double[] v, double[] out, int index, DType dtype) {
        for (int i = 0; i < v.length; i++) {
            out[index * v.length + i] = dtype.round(v[i]);
        }
    }



    /** Refuses a non-finite entry of matrix {@code index} (read whole) about to be decomposed. */
    static void requireFinite(String op, double[][] a, int index, int batchSize) {
        for (int i = 0; i < a.length; i++) {
            for (int j = 0; j < a[i].length; j++) {
                if (!Double.isFinite(a[i][j])) {
                    throw nonFinite(op, which("matrix", index, batchSize), a[i][j], i, j);
                }
            }
        }
    }

    /**
     * Refuses a non-finite entry {@code (i, j)} that the op reads ({@code reads.test(i, j)}) of
     * matrix {@code index} of a batch held row-major in {@code data}; {@code noun} names the operand
     * ({@code "matrix"}, or e.g. {@code "right-hand side"}).
     *
     * @throws StreamfoldException naming the op, the operand, the matrix of the batch and the entry
     */
    static void requireFinite(String op, String noun, double[] data, int index, int batchSize, int rows, int cols,
            java.util.function.BiPredicate<Integer, Integer> reads) {
        int base = index * rows * cols;
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < cols; j++) {
                double v = data[base + i * cols + j];
                if (!Double.isFinite(v) && reads.test(i, j)) {
                    throw nonFinite(op, which(noun, index, batchSize), v, i, j);
                }
            }
        }
    }

    private static StreamfoldException nonFinite(String op, String who, double v, int i, int j) {
        return new StreamfoldException(op + ": " + who + " has the non-finite entry " + v + " at [" + i + ", " + j + "]");
    }

    /** "the matrix" for a lone matrix, "matrix i of the batch" otherwise. */
    static String which(int index, int batchSize) {
        return which("matrix", index, batchSize);
    }

    /** "the NOUN" for a lone operand, "NOUN i of the batch" otherwise. */
    static String which(String noun, int index, int batchSize) {
        return batchSize == 1 ? "the " + noun : noun + " " + index + " of the batch";
    }

    /**
     * The binary exponent {@code e} with {@code 2^e <= max |a_ij| < 2^(e+1)} (0 for a zero matrix):
     * decompositions factor {@code 2^-e a}, exactly scaled, so that sums of squares neither overflow
     * nor underflow.
     */
    static int exponent(double[][] a) {
        double largest = 0;
        for (double[] row : a) {
            for (double x : row) {
                largest = Math.max(largest, Math.abs(x));
            }
        }
        return largest == 0 ? 0 : Math.getExponent(largest);
    }

    /** {@code 2^e a}. */
    static double[][] scaled(double[][] a, int e) {
        double[][] c = new double[a.length][];
        for (int i = 0; i < a.length; i++) {
            c[i] = new double[a[i].length];
            for (int j = 0; j < a[i].length; j++) {
                c[i][j] = Math.scalb(a[i][j], e);
            }
        }
        return c;
    }

    /** The transpose of {@code a}. */
    static double[][] transpose(double[][] a) {
        int rows = a.length;
        int cols = rows == 0 ? 0 : a[0].length;
        double[][] t = new double[cols][rows];
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < cols; j++) {
                t[j][i] = a[i][j];
            }
        }
        return t;
    }

    /** Whether the largest-magnitude entry of column {@code j} of {@code a} (the first on ties) is negative. */
    static boolean largestEntryNegative(double[][] a, int j) {
        int best = 0;
        for (int i = 1; i < a.length; i++) {
            if (Math.abs(a[i][j]) > Math.abs(a[best][j])) {
                best = i;
            }
        }
        return a.length > 0 && a[best][j] < 0;
    }

    /** Negates column {@code j} of {@code a}. */
    static void negateColumn(double[][] a, int j) {
        for (double[] row : a) {
            row[j] = -row[j];
        }
    }

    /**
     * Fills the columns of {@code q} not marked in {@code done} with unit vectors orthogonal to every
     * other column: each is the standard basis vector farthest from the columns so far, after two
     * passes of Gram-Schmidt. The marked columns must be orthonormal.
     */
    static void completeOrthonormal(double[][] q, boolean[] done) {
        int rows = q.length;
        boolean[] have = done.clone();
        for (int j = 0; j < have.length; j++) {
            if (have[j]) {
                continue;
            }
            double[] best = null;
            double bestNorm = -1;
            for (int basis = 0; basis < rows; basis++) {
                double[] v = new double[rows];
                v[basis] = 1;
                orthogonalize(q, have, v);
                orthogonalize(q, have, v);
                double norm = 0;
                for (double x : v) {
                    norm += x * x;
                }
                norm = Math.sqrt(norm);
                if (norm > bestNorm) {
                    best = v;
                    bestNorm = norm;
                }
            }
            for (int i = 0; i < rows; i++) {
                q[i][j] = best[i] / bestNorm;
            }
            have[j] = true;
        }
    }

    private static void orthogonalize(double[][] q, boolean[] have, double[] v) {
        for (int c = 0; c < have.length; c++) {
            if (!have[c]) {
                continue;
            }
            double dot = 0;
            for (int i = 0; i < v.length; i++) {
                dot += q[i][c] * v[i];
            }
            for (int i = 0; i < v.length; i++) {
                v[i] -= dot * q[i][c];
            }
        }
    }
}
