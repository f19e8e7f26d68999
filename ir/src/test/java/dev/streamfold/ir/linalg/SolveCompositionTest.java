package dev.streamfold.ir.linalg;

import dev.streamfold.ir.DType;
import dev.streamfold.ir.Interpreter;
import dev.streamfold.ir.Jvp;
import dev.streamfold.ir.Program;
import dev.streamfold.ir.ProgramBuilder;
import dev.streamfold.ir.Tensor;
import dev.streamfold.ir.Type;
import dev.streamfold.ir.Var;
import dev.streamfold.ir.Verifier;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The JVP rules composed in whole programs: {@code x = A^-1 b} solved through an LU or a Cholesky
 * factorization must have the tangent {@code dx = A^-1 (db - dA x)}, which the test computes by
 * running the same solve on {@code db - dA x}.
 */
class SolveCompositionTest {
    /** {@code A^-1 b} through {@code lu}: {@code P A = L U}, so {@code x = U^-1 L^-1 b[perm]}. */
    private static Program luSolve(Type a, Type b) {
        ProgramBuilder p = new ProgramBuilder();
        Var av = p.param(a);
        Var bv = p.param(b);
        List<Var> lu = p.lu(av);
        Var y = p.triangularSolve(lu.get(0), p.gatherRows(bv, lu.get(2)), true, true, false, true);
        return p.build(p.triangularSolve(lu.get(0), y, true, false, false, false));
    }

    /** {@code A^-1 b} through {@code cholesky}: {@code x = L^-T L^-1 b}. */
    private static Program choleskySolve(Type a, Type b) {
        ProgramBuilder p = new ProgramBuilder();
        Var av = p.param(a);
        Var bv = p.param(b);
        Var l = p.cholesky(av, true);
        Var y = p.triangularSolve(l, bv, true, true, false, false);
        return p.build(p.triangularSolve(l, y, true, true, true, false));
    }

    private static void assertTangentOfSolve(Program solve, Tensor a, Tensor b, Tensor da, Tensor db) {
        Program jvp = Verifier.verify(Jvp.transform(solve, new boolean[] {true, true}, null).program());
        List<Tensor> out = Interpreter.run(jvp, List.of(a, b, da, db));
        Tensor x = out.get(0);
        double[] rhs = db.data();
        for (int q = 0; q < Dense.batch(a); q++) {
            double[][] dax = Dense.multiply(Dense.matrix(da, q), Dense.matrix(x, q));
            double[][] r = Dense.minus(Dense.matrix(db, q), dax);
            int n = r[0].length;
            for (int i = 0; i < r.length; i++) {
                System.arraycopy(r[i], 0, rhs, (q * r.length + i) * n, n);
            }
        }
        Tensor expected = Interpreter.run(solve, List.of(a, new Tensor(DType.F64, b.shape(), rhs))).get(0);
        FiniteDifferences.assertClose(expected, out.get(1), 1e-10, "dx");
    }

    @Test
    void luSolveHasTheTangentOfTheInverse() {
        Random rnd = new Random(41);
        for (int[] dims : new int[][] {{1, 1}, {3, 3}, {6, 6}, {3, 5, 5}}) {
            Tensor a = Dense.gaussian(rnd, dims);
            int[] bd = dims.clone();
            bd[bd.length - 1] = 2;
            Tensor b = Dense.gaussian(rnd, bd);
            Program solve = luSolve(a.type(), b.type());
            assertTangentOfSolve(solve, a, b, Dense.gaussian(rnd, dims), Dense.gaussian(rnd, bd));
        }
    }

    @Test
    void choleskySolveHasTheTangentOfTheInverseForSymmetricTangents() {
        Random rnd = new Random(42);
        for (int[] dims : new int[][] {{1, 1}, {3, 3}, {6, 6}, {3, 5, 5}}) {
            Tensor a = CholeskyTest.positiveDefinite(rnd, dims);
            int[] bd = dims.clone();
            bd[bd.length - 1] = 2;
            Tensor b = Dense.gaussian(rnd, bd);
            Tensor g = Dense.gaussian(rnd, dims);
            Tensor da = g;
            for (int q = 0; q < Dense.batch(g); q++) {
                double[][] m = Dense.matrix(g, q);
                double[][] t = Dense.transpose(m);
                for (int i = 0; i < m.length; i++) {
                    for (int j = 0; j < m.length; j++) {
                        t[i][j] += m[i][j];
                    }
                }
                da = Dense.with(da, q, t);
            }
            Program solve = choleskySolve(a.type(), b.type());
            assertTangentOfSolve(solve, a, b, da, Dense.gaussian(rnd, bd));
        }
    }
}
