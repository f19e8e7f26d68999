package dev.streamfold.ir.linalg;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.streamfold.ir.Cholesky;
import dev.streamfold.ir.DType;
import dev.streamfold.ir.Lu;
import dev.streamfold.ir.Shape;
import dev.streamfold.ir.StreamfoldException;
import dev.streamfold.ir.Tensor;
import dev.streamfold.ir.TriangularSolve;
import java.util.List;
import org.junit.jupiter.api.Test;

/** lu, cholesky and triangular_solve refuse a non-finite entry they read instead of returning NaN. */
class NonFiniteInputTest {
    private static Tensor matrices(int batch, int m, int n, int at, double v) {
        double[] d = new double[batch * m * n];
        for (int i = 0; i < d.length; i++) {
            d[i] = (i % (n + 1) == 0 ? 4 : 0.5);
        }
        d[at] = v;
        return batch == 1 ? Tensor.of(DType.F64, new Shape(new int[] {m, n}), d)
                : Tensor.of(DType.F64, new Shape(new int[] {batch, m, n}), d);
    }

    @Test
    void luNamesTheMatrixAndTheEntry() {
        StreamfoldException e = assertThrows(StreamfoldException.class,
                () -> new Lu().evaluate(List.of(matrices(3, 2, 3, 6 + 4, Double.NaN))));
        assertEquals("lu: matrix 1 of the batch has the non-finite entry NaN at [1, 1]", e.getMessage());
        e = assertThrows(StreamfoldException.class,
                () -> new Lu().evaluate(List.of(matrices(1, 2, 2, 1, Double.POSITIVE_INFINITY))));
        assertEquals("lu: the matrix has the non-finite entry Infinity at [0, 1]", e.getMessage());
    }

    @Test
    void choleskyChecksOnlyTheEntriesItReads() {
        Tensor upperNaN = matrices(1, 3, 3, 2, Double.NaN);
        assertTrue(Double.isFinite(new Cholesky(false).evaluate(List.of(upperNaN)).get(0).raw()[0]),
                "the upper triangle is not read without symmetrize_input");
        StreamfoldException e = assertThrows(StreamfoldException.class,
                () -> new Cholesky(true).evaluate(List.of(upperNaN)));
        assertEquals("cholesky: the matrix has the non-finite entry NaN at [0, 2]", e.getMessage());
    }

    @Test
    void triangularSolveChecksTheReadTriangleAndTheRightHandSide() {
        Tensor b = matrices(2, 3, 2, 0, 1);
        Tensor a = matrices(2, 3, 3, 9 + 2, Double.NaN); // matrix 1, entry [0, 2]: upper triangle
        TriangularSolve lower = new TriangularSolve(true, true, false, false);
        lower.evaluate(List.of(a, b)); // the lower solve never reads [0, 2]
        StreamfoldException e = assertThrows(StreamfoldException.class,
                () -> new TriangularSolve(true, false, false, false).evaluate(List.of(a, b)));
        assertEquals("triangular_solve: matrix 1 of the batch has the non-finite entry NaN at [0, 2]", e.getMessage());
        Tensor badB = matrices(2, 3, 2, 6 + 3, Double.NEGATIVE_INFINITY);
        e = assertThrows(StreamfoldException.class,
                () -> lower.evaluate(List.of(matrices(2, 3, 3, 0, 4), badB)));
        assertEquals("triangular_solve: right-hand side 1 of the batch has the non-finite entry -Infinity at [1, 1]",
                e.getMessage());
        Tensor nanDiagonal = matrices(1, 2, 2, 0, Double.NaN);
        new TriangularSolve(true, true, false, true).evaluate(List.of(nanDiagonal, matrices(1, 2, 1, 0, 1)));
    }
}
