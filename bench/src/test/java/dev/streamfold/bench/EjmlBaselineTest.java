package dev.streamfold.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.streamfold.ir.DType;
import dev.streamfold.ir.Shape;
import dev.streamfold.ir.Tensor;
import dev.streamfold.ir.linalg.Linalg;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The EJML baselines compute the factorizations they are timed for: each result is checked against its
 * defining identity with plain loops and, where unique, against the reference interpreter.
 */
class EjmlBaselineTest {
    static final int N = 8;

    static double tolerance(String dtype) {
        return dtype.equals("float32") ? 2e-4 : 1e-11;
    }

    /** EJML's outputs for item 1 of a baseline over items 0..2 (so a run reads the input it is asked for). */
    static Map<String, double[]> outputs(String op, String dtype) {
        List<List<double[]>> inputs = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            inputs.add(LinalgInputs.inputs(op, N, i));
        }
        EjmlBaseline e = EjmlBaseline.create(op, N, dtype, inputs);
        e.run(0);
        e.run(1);
        return e.outputs();
    }

    static double[] mul(double[] a, double[] b) {
        double[] c = new double[N * N];
        for (int i = 0; i < N; i++) {
            for (int j = 0; j < N; j++) {
                double s = 0;
                for (int k = 0; k < N; k++) {
                    s += a[i * N + k] * b[k * N + j];
                }
                c[i * N + j] = s;
            }
        }
        return c;
    }

    static double[] transpose(double[] a) {
        double[] t = new double[N * N];
        for (int i = 0; i < N; i++) {
            for (int j = 0; j < N; j++) {
                t[j * N + i] = a[i * N + j];
            }
        }
        return t;
    }

    static double[] identity() {
        double[] e = new double[N * N];
        for (int i = 0; i < N; i++) {
            e[i * N + i] = 1;
        }
        return e;
    }

    static void assertClose(double[] expected, double[] actual, double tol, String what) {
        assertEquals(expected.length, actual.length, what);
        double scale = 1;
        for (double v : expected) {
            scale = Math.max(scale, Math.abs(v));
        }
        for (int i = 0; i < expected.length; i++) {
            assertTrue(Math.abs(expected[i] - actual[i]) <= tol * scale,
                    what + " at " + i + ": expected " + expected[i] + ", got " + actual[i]);
        }
    }

    static void assertTriangular(double[] m, boolean lower, String what) {
        for (int i = 0; i < N; i++) {
            for (int j = 0; j < N; j++) {
                if (lower ? j > i : j < i) {
                    assertEquals(0, m[i * N + j], 1e-30, what + " at (" + i + ", " + j + ")");
                }
            }
        }
    }

    static double[] rounded(double[] a, String dtype) {
        return dtype.equals("float32") ? Arrays.stream(a).map(v -> (float) v).toArray() : a;
    }

    static Tensor tensor(double[] a, String dtype) {
        return new Tensor(DType.parseFloating(dtype), new Shape(N, N), rounded(a, dtype));
    }

    @ParameterizedTest
    @ValueSource(strings = {"float32", "float64"})
    void luFactorsThePivotedInput(String dtype) {
        Map<String, double[]> o = outputs("lu", dtype);
        double[] a = rounded(LinalgInputs.a("lu", N, 1), dtype);
        assertTriangular(o.get("l"), true, "L");
        assertTriangular(o.get("u"), false, "U");
        for (int i = 0; i < N; i++) {
            assertEquals(1, o.get("l")[i * N + i], 0, "unit diagonal of L");
        }
        assertClose(mul(o.get("p"), a), mul(o.get("l"), o.get("u")), tolerance(dtype), "P A = L U");
    }

    @ParameterizedTest
    @ValueSource(strings = {"float32", "float64"})
    void choleskyIsTheInterpretersLowerFactor(String dtype) {
        Map<String, double[]> o = outputs("cholesky", dtype);
        double[] a = rounded(LinalgInputs.a("cholesky", N, 1), dtype);
        double[] l = o.get("l");
        assertTriangular(l, true, "L");
        assertClose(a, mul(l, transpose(l)), tolerance(dtype), "L L^T = A");
        assertClose(Linalg.cholesky(tensor(a, dtype)).data(), l, 10 * tolerance(dtype), "against the interpreter");
    }

    @ParameterizedTest
    @ValueSource(strings = {"float32", "float64"})
    void qrIsOrthogonalTimesUpperTriangular(String dtype) {
        Map<String, double[]> o = outputs("qr", dtype);
        double[] a = rounded(LinalgInputs.a("qr", N, 1), dtype);
        assertTriangular(o.get("r"), false, "R");
        assertClose(identity(), mul(transpose(o.get("q")), o.get("q")), tolerance(dtype), "Q^T Q = I");
        assertClose(a, mul(o.get("q"), o.get("r")), tolerance(dtype), "Q R = A");
    }

    @ParameterizedTest
    @ValueSource(strings = {"float32", "float64"})
    void eighHasTheInterpretersEigenvalues(String dtype) {
        Map<String, double[]> o = outputs("eigh", dtype);
        double[] a = rounded(LinalgInputs.a("eigh", N, 1), dtype);
        double[] w = o.get("w");
        double[] v = o.get("v");
        double[] av = mul(a, v);
        double[] vw = new double[N * N];
        for (int i = 0; i < N; i++) {
            for (int j = 0; j < N; j++) {
                vw[i * N + j] = v[i * N + j] * w[j];
            }
        }
        assertClose(av, vw, 10 * tolerance(dtype), "A v = w v");
        assertClose(identity(), mul(transpose(v), v), 10 * tolerance(dtype), "V^T V = I");
        double[] sorted = w.clone();
        Arrays.sort(sorted);
        assertClose(Linalg.eigh(tensor(a, dtype)).get("w").data(), sorted, 10 * tolerance(dtype), "against the interpreter");
    }

    @ParameterizedTest
    @ValueSource(strings = {"float32", "float64"})
    void svdHasTheInterpretersSingularValues(String dtype) {
        Map<String, double[]> o = outputs("svd", dtype);
        double[] a = rounded(LinalgInputs.a("svd", N, 1), dtype);
        double[] us = o.get("u").clone();
        for (int i = 0; i < N; i++) {
            for (int j = 0; j < N; j++) {
                us[i * N + j] *= o.get("s")[j];
            }
        }
        assertClose(a, mul(us, transpose(o.get("v"))), 10 * tolerance(dtype), "U S V^T = A");
        double[] s = Arrays.stream(o.get("s")).map(x -> -x).sorted().map(x -> -x).toArray();
        assertClose(Linalg.svd(tensor(a, dtype), false, false).get("s").data(), s, 10 * tolerance(dtype), "against the interpreter");
    }

    @ParameterizedTest
    @ValueSource(strings = {"float32", "float64"})
    void triangularSolveIsTheInterpretersSolution(String dtype) {
        Map<String, double[]> o = outputs("triangular_solve", dtype);
        double[] a = rounded(LinalgInputs.a("triangular_solve", N, 1), dtype);
        double[] b = rounded(LinalgInputs.b(N, 1), dtype);
        assertTriangular(a, true, "input A");
        assertClose(b, mul(a, o.get("x")), tolerance(dtype), "L X = B");
        assertClose(Linalg.triangularSolve(tensor(a, dtype), tensor(b, dtype), true, true, false, false).data(), o.get("x"),
                10 * tolerance(dtype), "against the interpreter");
    }

    @ParameterizedTest
    @ValueSource(strings = {"lu", "cholesky", "qr", "triangular_solve", "eigh", "svd"})
    void runsReadTheInputTheyAreGiven(String op) {
        List<List<double[]>> inputs = List.of(LinalgInputs.inputs(op, N, 0), LinalgInputs.inputs(op, N, 1));
        EjmlBaseline e = EjmlBaseline.create(op, N, "float64", inputs);
        e.run(0);
        Map<String, double[]> first = e.outputs();
        e.run(1);
        e.run(0);
        Map<String, double[]> again = e.outputs();
        for (String k : first.keySet()) {
            assertClose(first.get(k), again.get(k), 0, op + " " + k + " after reuse");
        }
        e.run(1);
        String key = first.keySet().iterator().next();
        assertTrue(!Arrays.equals(first.get(key), e.outputs().get(key)), op + ": items 0 and 1 give the same " + key);
    }

    @ParameterizedTest
    @ValueSource(strings = {"float16", "int32"})
    void unknownDtypeIsRefused(String dtype) {
        assertThrows(IllegalArgumentException.class, () -> EjmlBaseline.create("lu", N, dtype, List.of(LinalgInputs.inputs("lu", N, 0))));
    }
}
