package dev.streamfold.ir.linalg;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.streamfold.ir.DType;
import dev.streamfold.ir.Shape;
import dev.streamfold.ir.StreamfoldException;
import dev.streamfold.ir.Tensor;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** {@link Linalg}: named outputs that satisfy each decomposition's identity, and tangents from the JVP programs. */
class LinalgApiTest {
    private static final Tensor A = Tensor.of(DType.F64, new Shape(3, 3), 1, 2, 0, 4, -1, 3, 2, 5, 1);

    private static Tensor spd(Tensor m) {
        double[][] a = Matrices.matrix(m, 0);
        double[][] s = Matrices.matmul(a, Matrices.transpose(a));
        for (int i = 0; i < s.length; i++) {
            s[i][i] += s.length;
        }
        return Matrices.batch(new int[0], s);
    }

    @Test
    void luNamesItsOutputsAndPermutesARowsIntoLU() {
        Linalg.Outputs o = Linalg.lu(A);
        assertEquals(List.of("lu", "pivots", "permutation"), List.copyOf(o.values().keySet()));
        double[][] lu = Matrices.matrix(o.get("lu"), 0);
        double[][] l = new double[3][3];
        double[][] u = new double[3][3];
        for (int i = 0; i < 3; i++) {
            for (int j = 0; j < 3; j++) {
                if (i > j) {
                    l[i][j] = lu[i][j];
                } else {
                    u[i][j] = lu[i][j];
                }
            }
            l[i][i] = 1;
        }
        double[] perm = o.get("permutation").raw();
        double[][] a = Matrices.matrix(A, 0);
        double[][] permuted = new double[3][];
        for (int i = 0; i < 3; i++) {
            permuted[i] = a[(int) perm[i]];
        }
        assertTrue(Matrices.maxDiff(permuted, Matrices.matmul(l, u)) < 1e-14);
        assertEquals(DType.I32, o.get("pivots").dtype());
    }

    @Test
    void qrSvdEighAndCholeskyRebuildTheirInput() {
        double[][] a = Matrices.matrix(A, 0);
        Linalg.Outputs qr = Linalg.qr(A, false);
        assertTrue(Matrices.maxDiff(a, Matrices.matmul(Matrices.matrix(qr.get("q"), 0), Matrices.matrix(qr.get("r"), 0))) < 1e-14);
        Linalg.Outputs svd = Linalg.svd(A, false, true);
        double[][] us = Matrices.scaleColumns(Matrices.matrix(svd.get("u"), 0), svd.get("s").raw());
        assertTrue(Matrices.maxDiff(a, Matrices.matmul(us, Matrices.matrix(svd.get("vt"), 0))) < 1e-13);
        assertEquals(Set.of("s"), Linalg.svd(A, false, false).values().keySet());
        Tensor s = spd(A);
        double[][] sm = Matrices.matrix(s, 0);
        Linalg.Outputs eigh = Linalg.eigh(s);
        double[][] v = Matrices.matrix(eigh.get("v"), 0);
        assertTrue(Matrices.maxDiff(Matrices.matmul(sm, v), Matrices.scaleColumns(v, eigh.get("w").raw())) < 1e-12);
        double[][] l = Matrices.matrix(Linalg.cholesky(s), 0);
        assertTrue(Matrices.maxDiff(sm, Matrices.matmul(l, Matrices.transpose(l))) < 1e-12);
    }

    @Test
    void triangularSolveSolvesWithTheReferencedTriangle() {
        Tensor b = Tensor.of(DType.F64, new Shape(3, 2), 1, 2, 3, 4, 5, 6);
        Tensor x = Linalg.triangularSolve(A, b, true, true, false, false);
        double[][] lower = Matrices.matrix(A, 0);
        for (int i = 0; i < 3; i++) {
            for (int j = i + 1; j < 3; j++) {
                lower[i][j] = 0;
            }
        }
        assertTrue(Matrices.maxDiff(Matrices.matrix(b, 0), Matrices.matmul(lower, Matrices.matrix(x, 0))) < 1e-14);
    }

    @Test
    void jvpGivesTheTangentsOfTheOpsJvpProgram() {
        Tensor da = Matrices.random(5, 3, 3);
        for (LinalgOp op : List.of(LinalgOp.lu(), LinalgOp.qr(false), LinalgOp.qr(true), LinalgOp.svd(false, true),
                LinalgOp.svd(false, false))) {
            Linalg.OutputsAndTangents r = Linalg.jvp(op, A, da);
            List<Tensor> want = FiniteDifferences.check(op.op(), List.of(A), Arrays.asList(da), 1e-8);
            for (int i = 0; i < op.outputs().size(); i++) {
                String name = op.outputs().get(i);
                assertEquals(Linalg.apply(op, A).get(name), r.outputs().get(name), op.name() + " " + name);
                assertEquals(want.get(i), r.tangent(name), op.name() + " " + name);
            }
        }
        Linalg.OutputsAndTangents lu = Linalg.jvp(LinalgOp.lu(), A, da);
        assertEquals(Set.of("lu"), lu.tangents().keySet(), "integer outputs have no tangent");
        assertEquals(Tensor.zeros(lu.outputs().get("pivots").type()), lu.tangent("pivots"));
    }

    @Test
    void aMissingTangentIsZero() {
        Tensor b = Tensor.of(DType.F64, new Shape(3, 2), 1, 2, 3, 4, 5, 6);
        Tensor db = Matrices.random(9, 3, 2);
        LinalgOp solve = LinalgOp.triangularSolve(true, true, false, false);
        Linalg.OutputsAndTangents r = Linalg.jvp(solve, List.of(A, b), Arrays.asList(null, db));
        // X is linear in B: its tangent is the solve of dB.
        assertEquals(Linalg.apply(solve, A, db).get("x"), r.tangent("x"));
        assertEquals(Set.of(), Linalg.jvp(solve, List.of(A, b), Arrays.asList(null, null)).tangents().keySet());
    }

    @Test
    void refusalsNameTheOp() {
        Tensor singular = Tensor.of(DType.F64, new Shape(2, 2), 1, 2, 2, 4);
        Tensor d = Tensor.of(DType.F64, new Shape(2, 2), 1, 0, 0, 0);
        StreamfoldException e = assertThrows(StreamfoldException.class, () -> Linalg.jvp(LinalgOp.lu(), singular, d));
        assertEquals("lu: the derivative does not exist: triangular_solve: the matrix is singular (diagonal entry 1 is"
                + " zero)", e.getMessage());
        e = assertThrows(StreamfoldException.class, () -> Linalg.cholesky(singular));
        assertTrue(e.getMessage().startsWith("cholesky: the matrix is not positive definite"), e.getMessage());
        e = assertThrows(StreamfoldException.class, () -> Linalg.jvp(LinalgOp.qr(false), A, Matrices.random(1, 2, 2)));
        assertEquals("qr: the tangent of A is f64[2,2], but A is f64[3,3]", e.getMessage());
        e = assertThrows(StreamfoldException.class, () -> Linalg.cholesky(Matrices.random(1, 2, 3)));
        assertEquals("cholesky needs square matrices, got f64[2,3]", e.getMessage());
        IllegalArgumentException unknown = assertThrows(IllegalArgumentException.class, () -> Linalg.lu(A).get("l"));
        assertEquals("no output 'l' (outputs: lu, pivots, permutation)", unknown.getMessage());
    }
}
