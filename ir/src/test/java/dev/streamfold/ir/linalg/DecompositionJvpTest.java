package dev.streamfold.ir.linalg;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.streamfold.ir.DType;
import dev.streamfold.ir.Eigh;
import dev.streamfold.ir.Interpreter;
import dev.streamfold.ir.Jvp;
import dev.streamfold.ir.Op;
import dev.streamfold.ir.Program;
import dev.streamfold.ir.Qr;
import dev.streamfold.ir.StreamfoldException;
import dev.streamfold.ir.Svd;
import dev.streamfold.ir.Tensor;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** JVP rules of qr, svd and eigh against central finite differences in float64, case by case. */
class DecompositionJvpTest {
    private static final double TOLERANCE = 1e-9;

    static Stream<Arguments> cases() {
        return Stream.of(
                // qr: square and tall (thin rule), wide (split A = [A1 A2]), full for tall (Householder complement)
                Arguments.of(new Qr(false), new int[] {1, 1}),
                Arguments.of(new Qr(false), new int[] {3, 3}),
                Arguments.of(new Qr(false), new int[] {8, 8}),
                Arguments.of(new Qr(false), new int[] {6, 4}),
                Arguments.of(new Qr(false), new int[] {4, 6}),
                Arguments.of(new Qr(false), new int[] {3, 6, 4}),
                Arguments.of(new Qr(false), new int[] {3, 4, 6}),
                Arguments.of(new Qr(false), new int[] {16, 16}),
                Arguments.of(new Qr(false), new int[] {1, 3}),
                Arguments.of(new Qr(false), new int[] {3, 1}),
                Arguments.of(new Qr(true), new int[] {5, 5}),
                Arguments.of(new Qr(true), new int[] {4, 6}),
                Arguments.of(new Qr(true), new int[] {6, 4}),
                Arguments.of(new Qr(true), new int[] {5, 1}),
                Arguments.of(new Qr(true), new int[] {3, 7, 3}),
                // svd: reduced in both orientations, values only, full when square
                Arguments.of(new Svd(false, true), new int[] {1, 1}),
                Arguments.of(new Svd(false, true), new int[] {2, 2}),
                Arguments.of(new Svd(false, true), new int[] {5, 5}),
                Arguments.of(new Svd(false, true), new int[] {6, 4}),
                Arguments.of(new Svd(false, true), new int[] {4, 6}),
                Arguments.of(new Svd(false, true), new int[] {3, 6, 4}),
                Arguments.of(new Svd(false, true), new int[] {3, 4, 6}),
                Arguments.of(new Svd(false, true), new int[] {8, 8}),
                Arguments.of(new Svd(false, true), new int[] {1, 3}),
                Arguments.of(new Svd(false, true), new int[] {3, 1}),
                Arguments.of(new Svd(true, true), new int[] {4, 4}),
                Arguments.of(new Svd(false, false), new int[] {6, 4}),
                Arguments.of(new Svd(false, false), new int[] {4, 6}),
                Arguments.of(new Svd(false, false), new int[] {3, 5, 5}),
                Arguments.of(new Svd(true, false), new int[] {4, 6}),
                // eigh: lower and upper, symmetrized or one triangle read
                Arguments.of(new Eigh(true, true), new int[] {1, 1}),
                Arguments.of(new Eigh(true, true), new int[] {2, 2}),
                Arguments.of(new Eigh(true, true), new int[] {5, 5}),
                Arguments.of(new Eigh(false, true), new int[] {5, 5}),
                Arguments.of(new Eigh(true, false), new int[] {5, 5}),
                Arguments.of(new Eigh(false, false), new int[] {5, 5}),
                Arguments.of(new Eigh(true, true), new int[] {3, 4, 4}),
                Arguments.of(new Eigh(false, false), new int[] {3, 4, 4}),
                Arguments.of(new Eigh(true, true), new int[] {8, 8}),
                Arguments.of(new Eigh(false, false), new int[] {16, 16}));
    }

    @ParameterizedTest
    @MethodSource("cases")
    void jvpMatchesFiniteDifferences(Op op, int[] dims) {
        Tensor a = Matrices.random(101 + dims[dims.length - 1], dims);
        if (!(op instanceof Qr)) {
            // Keep the eigenvalues and singular values apart so that the tolerance measures the rule,
            // not the conditioning of the finite differences.
            a = spreadDiagonal(a, 2.0);
        }
        Tensor da = Matrices.random(202 + dims[0], dims);
        FiniteDifferences.check(op, List.of(a), List.of(da), TOLERANCE);
    }

    static Stream<Arguments> secondOrderCases() {
        return Stream.of(Arguments.of(new Qr(false), new int[] {5, 3}), Arguments.of(new Qr(false), new int[] {3, 5}),
                Arguments.of(new Qr(true), new int[] {5, 3}), Arguments.of(new Svd(false, true), new int[] {5, 3}),
                Arguments.of(new Svd(false, true), new int[] {3, 5}), Arguments.of(new Svd(false, false), new int[] {4, 4}),
                Arguments.of(new Eigh(true, true), new int[] {4, 4}), Arguments.of(new Eigh(false, false), new int[] {4, 4}));
    }

    /** The JVP programs are IR programs too: their own JVP (second derivatives) matches finite differences. */
    @ParameterizedTest
    @MethodSource("secondOrderCases")
    void jvpProgramsDifferentiateAgain(Op op, int[] dims) {
        Tensor a = spreadDiagonal(Matrices.random(303, dims), 2.0);
        Tensor da = Matrices.random(404, dims);
        Tensor e = Matrices.random(505, dims);
        Program first = Jvp.transform(FiniteDifferences.oneOp(op, List.of(a)), new boolean[] {true}, null).program();
        Jvp.Result second = Jvp.transform(first, new boolean[] {true, false}, null);
        List<Tensor> run = Interpreter.run(second.program(), List.of(a, da, e));
        int results = first.results().size();
        int next = results;
        for (int k = 0; k < results; k++) {
            if (!second.nonZeroOut()[k]) {
                continue;
            }
            double[] got = run.get(next++).raw();
            double[] expect = centralDifference(first, a, da, e, k);
            double scale = 1;
            for (double x : expect) {
                scale = Math.max(scale, Math.abs(x));
            }
            for (int i = 0; i < got.length; i++) {
                assertEquals(expect[i], got[i], 1e-7 * scale, op + " result " + k + " entry " + i);
            }
        }
        assertEquals(results, next - results, "every result of the JVP program of " + op + " depends on A");
    }

    /** Richardson-extrapolated central difference of result {@code k} of {@code p(a, da)} along {@code e}. */
    private static double[] centralDifference(Program p, Tensor a, Tensor da, Tensor e, int k) {
        double h = 1e-3;
        double[] coarse = difference(p, a, da, e, k, h);
        double[] fine = difference(p, a, da, e, k, h / 2);
        double[] z = new double[coarse.length];
        for (int i = 0; i < z.length; i++) {
            z[i] = (4 * fine[i] - coarse[i]) / 3;
        }
        return z;
    }

    private static double[] difference(Program p, Tensor a, Tensor da, Tensor e, int k, double h) {
        double[] plus = Interpreter.run(p, List.of(shifted(a, e, h), da)).get(k).raw();
        double[] minus = Interpreter.run(p, List.of(shifted(a, e, -h), da)).get(k).raw();
        double[] z = new double[plus.length];
        for (int i = 0; i < z.length; i++) {
            z[i] = (plus[i] - minus[i]) / (2 * h);
        }
        return z;
    }

    private static Tensor shifted(Tensor a, Tensor e, double h) {
        double[] d = a.data();
        for (int i = 0; i < d.length; i++) {
            d[i] += h * e.raw()[i];
        }
        return new Tensor(a.dtype(), a.shape(), d);
    }

    @Test
    void eighWithoutSymmetrizingIgnoresTheTangentOfTheUnreadTriangle() {
        Tensor a = spreadDiagonal(Matrices.random(7, 4, 4), 2.0);
        Tensor da = Matrices.random(8, 4, 4);
        Tensor lowerOnly = triangle(da, true);
        for (boolean lower : new boolean[] {true, false}) {
            List<Tensor> full = FiniteDifferences.check(new Eigh(lower, false), List.of(a), List.of(da), TOLERANCE);
            List<Tensor> part = FiniteDifferences.check(
                    new Eigh(lower, false), List.of(a), List.of(lower ? lowerOnly : triangle(da, false)), TOLERANCE);
            FiniteDifferences.assertClose(full.get(0), part.get(0), 1e-13, "dw, lower=" + lower);
            FiniteDifferences.assertClose(full.get(1), part.get(1), 1e-13, "dv, lower=" + lower);
        }
    }

    @Test
    void eighRefusesRepeatedEigenvaluesNamingTheMatrixOfTheBatch() {
        Tensor a = Matrices.batch(new int[] {2}, new double[][] {{1, 0.5, 0}, {0.5, 3, 0}, {0, 0, 5}},
                new double[][] {{1, 0, 0}, {0, 2, 0}, {0, 0, 2}});
        assertEquals("eigh: matrix 1 of the batch has repeated eigenvalues 2.0 and 2.0 (relative gap 0 < 1e-10);"
                + " the derivative does not exist", refusal(new Eigh(true, true), a));
    }

    @Test
    void svdRefusesRepeatedSingularValues() {
        Tensor a = Tensor.matrix(DType.F64, new double[][] {{3, 0}, {0, -3}});
        String expect = "svd: the matrix has repeated singular values 3.0 and 3.0 (relative gap 0 < 1e-10);"
                + " the derivative does not exist";
        assertEquals(expect, refusal(new Svd(false, true), a));
        assertEquals(expect, refusal(new Svd(false, false), a));
    }

    @Test
    void svdRefusesAZeroSingularValueInEveryOrientation() {
        String expect = "svd: the matrix has a zero singular value 0.0 (relative size 0 < 1e-10);"
                + " the derivative does not exist";
        assertEquals(expect, refusal(new Svd(false, true), Tensor.matrix(DType.F64, new double[][] {{1, 0}, {0, 0}, {0, 0}})));
        assertEquals(expect, refusal(new Svd(false, true), Tensor.matrix(DType.F64, new double[][] {{1, 0, 0}, {0, 0, 0}})));
        assertEquals(expect, refusal(new Svd(false, false), Tensor.matrix(DType.F64, new double[][] {{2, 0}, {0, 0}})));
        assertEquals("svd: matrix 2 of the batch has a zero singular value 0.0 (relative size 0 < 1e-10);"
                + " the derivative does not exist", refusal(new Svd(false, true),
                Matrices.batch(new int[] {3}, new double[][] {{1, 2}, {3, 4}}, new double[][] {{2, 1}, {1, 3}},
                        new double[][] {{0, 0}, {0, 0}})));
    }

    @Test
    void svdRefusesTheDerivativeOfFullFactorsOfANonSquareMatrix() {
        Tensor a = Matrices.random(3, 3, 2);
        Program p = FiniteDifferences.oneOp(new Svd(true, true), List.of(a));
        StreamfoldException e = assertThrows(StreamfoldException.class,
                () -> Jvp.transform(p, new boolean[] {true}, null));
        assertEquals("svd: the derivative with full_matrices=true of a non-square matrix (3x2) does not exist:"
                + " the complement singular vectors are not unique; use full_matrices=false", e.getMessage());
    }

    @Test
    void qrRefusesARankDeficientMatrix() {
        String expect = "qr: the matrix is rank-deficient: r[1, 1] = 0.0 (relative size 0 < 1e-10);"
                + " the derivative does not exist";
        Tensor tall = Tensor.matrix(DType.F64, new double[][] {{1, 0}, {0, 0}, {2, 0}});
        assertEquals(expect, refusal(new Qr(false), tall));
        assertEquals(expect, refusal(new Qr(true), tall));
        assertEquals(expect, refusal(new Qr(false), Tensor.matrix(DType.F64, new double[][] {{1, 0, 3}, {0, 0, 5}})));
    }

    @Test
    void float32RefusalsUseTheFloat32Gap() {
        Tensor a = Tensor.matrix(DType.F32, new double[][] {{1, 0}, {0, (float) (1 + 1e-6)}});
        assertEquals("eigh: the matrix has repeated eigenvalues 1.0 and 1.0000009536743164 (relative gap 9.5e-07 < 1e-05);"
                + " the derivative does not exist", refusal(new Eigh(true, true), a));
        Tensor apart = Tensor.matrix(DType.F32, new double[][] {{1, 0}, {0, 1.001}});
        Program p = FiniteDifferences.oneOp(new Eigh(true, true), List.of(apart));
        Jvp.Result jvp = Jvp.transform(p, new boolean[] {true}, null);
        Tensor da = Tensor.matrix(DType.F32, new double[][] {{1, 0}, {0, 2}});
        assertArrayEquals(new double[] {1, 2}, Interpreter.run(jvp.program(), List.of(apart, da)).get(2).raw(), 1e-6);
    }

    /** The message of the refusal when the JVP program of {@code op} runs at {@code a}. */
    private static String refusal(Op op, Tensor a) {
        Program p = FiniteDifferences.oneOp(op, List.of(a));
        Jvp.Result jvp = Jvp.transform(p, new boolean[] {true}, null);
        Tensor da = Matrices.random(5, a.shape().dims()).astype(a.dtype());
        return assertThrows(StreamfoldException.class, () -> Interpreter.run(jvp.program(), List.of(a, da)))
                .getMessage();
    }

    /** {@code a} plus {@code step * i} on the diagonal entry {@code i} of every matrix. */
    private static Tensor spreadDiagonal(Tensor a, double step) {
        int m = a.shape().dim(a.shape().rank() - 2);
        int n = a.shape().dim(a.shape().rank() - 1);
        double[] d = a.data();
        for (int q = 0; q < Matrices.count(a.shape()); q++) {
            for (int i = 0; i < Math.min(m, n); i++) {
                d[q * m * n + i * n + i] += step * i;
            }
        }
        return new Tensor(a.dtype(), a.shape(), d);
    }

    /** The lower (or upper) triangle of every matrix, the rest zero. */
    private static Tensor triangle(Tensor a, boolean lower) {
        int n = a.shape().dim(a.shape().rank() - 1);
        double[] d = a.data();
        for (int q = 0; q < Matrices.count(a.shape()); q++) {
            for (int i = 0; i < n; i++) {
                for (int j = 0; j < n; j++) {
                    if (lower ? j > i : j < i) {
                        d[q * n * n + i * n + j] = 0;
                    }
                }
            }
        }
        return new Tensor(a.dtype(), a.shape(), d);
    }
}
