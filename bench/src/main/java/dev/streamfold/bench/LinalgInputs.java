package dev.streamfold.bench;

import java.util.List;
import java.util.SplittableRandom;

/**
 * The linear-algebra bench's inputs, item by item: every variant (kernel, EJML, interpreter) reads the
 * same matrices, each a pure function of the op, {@code n} and the item's index. Matrices are row-major
 * {@code n x n}, entries drawn uniform in [-1, 1) and then made well-conditioned for the op:
 * <ul>
 *   <li>lu: diagonally dominant (diagonal {@code n + u}, u in [0, 1));</li>
 *   <li>cholesky: symmetric and diagonally dominant with a positive diagonal, so positive definite;</li>
 *   <li>triangular_solve: A lower triangular and diagonally dominant, B ({@code n} right-hand sides) plain;</li>
 *   <li>eigh: symmetric;</li>
 *   <li>qr, svd: plain.</li>
 * </ul>
 * Tangents are plain for lu, qr, svd and triangular_solve, symmetric for cholesky and eigh.
 */
final class LinalgInputs {
    private LinalgInputs() {}

    /** The ops of {@code --case linalg}, in the order a run measures them. */
    static final List<String> OPS = List.of("lu", "cholesky", "qr", "triangular_solve", "eigh", "svd");

    /** Input A of {@code item}. */
    static double[] a(String op, int n, long item) {
        SplittableRandom r = random(op, n, item, 0);
        double[] m = plain(r, n);
        switch (op) {
            case "lu" -> dominate(r, m, n);
            case "cholesky" -> {
                symmetrize(m, n);
                dominate(r, m, n);
            }
            case "triangular_solve" -> {
                for (int i = 0; i < n; i++) {
                    for (int j = i + 1; j < n; j++) {
                        m[i * n + j] = 0;
                    }
                }
                dominate(r, m, n);
            }
            case "eigh" -> symmetrize(m, n);
            case "qr", "svd" -> {
                // plain
            }
            default -> throw new IllegalArgumentException("unknown op " + op);
        }
        return m;
    }

    /** Input B of triangular_solve's {@code item}: {@code n} right-hand sides. */
    static double[] b(int n, long item) {
        return plain(random("triangular_solve", n, item, 1), n);
    }

    /** The tangent of input {@code input} (0 for A, 1 for B) of {@code item}. */
    static double[] tangent(String op, int n, long item, int input) {
        double[] t = plain(random(op, n, item, 2 + input), n);
        if (op.equals("cholesky") || op.equals("eigh")) {
            symmetrize(t, n);
        }
        return t;
    }

    /** The inputs of {@code op} ({@code A}, and {@code B} for triangular_solve) of {@code item}. */
    static List<double[]> inputs(String op, int n, long item) {
        return op.equals("triangular_solve") ? List.of(a(op, n, item), b(n, item)) : List.of(a(op, n, item));
    }

    private static SplittableRandom random(String op, int n, long item, int which) {
        long seed = (OPS.indexOf(op) + 1L) * 0x9E3779B97F4A7C15L;
        seed = (seed ^ n) * 0xBF58476D1CE4E5B9L;
        seed = (seed ^ which) * 0x94D049BB133111EBL;
        return new SplittableRandom(seed ^ item);
    }

    private static double[] plain(SplittableRandom r, int n) {
        double[] m = new double[n * n];
        for (int i = 0; i < m.length; i++) {
            m[i] = r.nextDouble() * 2 - 1;
        }
        return m;
    }

    private static void symmetrize(double[] m, int n) {
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < i; j++) {
                m[j * n + i] = m[i * n + j];
            }
        }
    }

    private static void dominate(SplittableRandom r, double[] m, int n) {
        for (int i = 0; i < n; i++) {
            m[i * n + i] = n + r.nextDouble();
        }
    }
}
