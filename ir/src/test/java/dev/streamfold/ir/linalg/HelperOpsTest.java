package dev.streamfold.ir.linalg;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.streamfold.ir.DType;
import dev.streamfold.ir.DiagEmbed;
import dev.streamfold.ir.DiagPart;
import dev.streamfold.ir.GatherRows;
import dev.streamfold.ir.Interpreter;
import dev.streamfold.ir.Printer;
import dev.streamfold.ir.Program;
import dev.streamfold.ir.ProgramBuilder;
import dev.streamfold.ir.Shape;
import dev.streamfold.ir.StreamfoldException;
import dev.streamfold.ir.Tensor;
import dev.streamfold.ir.Triangle;
import dev.streamfold.ir.Type;
import dev.streamfold.ir.Var;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class HelperOpsTest {
    private static final Tensor A23 = Tensor.of(DType.F64, new Shape(2, 3), 1, 2, 3, 4, 5, 6);

    private static Tensor run1(Program p, Tensor... args) {
        return Interpreter.run(p, Arrays.asList(args)).get(0);
    }

    @Test
    void gatherRowsPicksRowsPerBatchEntry() {
        Tensor x = Tensor.of(DType.F64, new Shape(2, 3, 2), 0, 1, 10, 11, 20, 21, 100, 101, 110, 111, 120, 121);
        Tensor idx = Tensor.of(DType.I32, new Shape(2, 4), 2, 0, 0, 1, 1, 2, 2, 2);
        Tensor out = new GatherRows().evaluate(List.of(x, idx)).get(0);
        assertEquals(new Shape(2, 4, 2), out.shape());
        double[] expected = {20, 21, 0, 1, 0, 1, 10, 11, 110, 111, 120, 121, 120, 121, 120, 121};
        assertArrayEquals(expected, out.raw());
    }

    @Test
    void gatherRowsRefusesAnIndexOutOfRange() {
        Tensor x = Tensor.of(DType.F64, new Shape(2, 2, 1), 1, 2, 3, 4);
        Tensor idx = Tensor.of(DType.I32, new Shape(2, 2), 0, 1, 1, 2);
        StreamfoldException e =
                assertThrows(StreamfoldException.class, () -> new GatherRows().evaluate(List.of(x, idx)));
        assertEquals("gather_rows: index 2 at row 1 of matrix 1 of the batch is outside [0, 2)", e.getMessage());
    }

    @Test
    void gatherRowsShapeRuleNamesTheMismatch() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new GatherRows().outTypes(List.of(Type.of(DType.F64, 2, 3, 3), Type.of(DType.I32, 3, 3))));
        assertEquals("gather_rows batch axes differ: f64[2,3,3] and i32[3,3]", e.getMessage());
        IllegalArgumentException f = assertThrows(IllegalArgumentException.class,
                () -> new GatherRows().outTypes(List.of(Type.of(DType.F64, 3, 3), Type.of(DType.F64, 3))));
        assertEquals("gather_rows needs an i32 index of rank 1 for f64[3,3], got f64[3]", f.getMessage());
    }

    private static double[] masked(boolean lower, int offset, Tensor x) {
        return new Triangle(lower, offset).evaluate(List.of(x)).get(0).raw();
    }

    @Test
    void triangleKeepsTheBandNamedByOffset() {
        Tensor m = Tensor.of(DType.F64, new Shape(3, 3), 1, 2, 3, 4, 5, 6, 7, 8, 9);
        assertArrayEquals(new double[] {1, 0, 0, 4, 5, 0, 7, 8, 9}, masked(true, 0, m));
        assertArrayEquals(new double[] {0, 0, 0, 4, 0, 0, 7, 8, 0}, masked(true, -1, m));
        assertArrayEquals(new double[] {1, 2, 0, 4, 5, 6, 7, 8, 9}, masked(true, 1, m));
        assertArrayEquals(new double[] {1, 2, 3, 0, 5, 6, 0, 0, 9}, masked(false, 0, m));
        assertArrayEquals(new double[] {0, 2, 3, 0, 0, 6, 0, 0, 0}, masked(false, 1, m));
        assertArrayEquals(new double[] {1, 2, 3, 4, 5, 6, 0, 8, 9}, masked(false, -1, m));
        // Rectangular and batched: each matrix masked alike.
        Tensor b = Tensor.of(DType.F64, new Shape(2, 2, 3), 1, 2, 3, 4, 5, 6, 1, 2, 3, 4, 5, 6);
        assertArrayEquals(new double[] {1, 0, 0, 4, 5, 0, 1, 0, 0, 4, 5, 0}, masked(true, 0, b));
    }

    @Test
    void diagPartOfTallWideAndBatched() {
        assertArrayEquals(new double[] {1, 5}, new DiagPart().evaluate(List.of(A23)).get(0).raw());
        Tensor tall = Tensor.of(DType.F64, new Shape(3, 2), 1, 2, 3, 4, 5, 6);
        assertArrayEquals(new double[] {1, 4}, new DiagPart().evaluate(List.of(tall)).get(0).raw());
        Tensor batch = Tensor.of(DType.F64, new Shape(2, 2, 2), 1, 2, 3, 4, 5, 6, 7, 8);
        Tensor d = new DiagPart().evaluate(List.of(batch)).get(0);
        assertEquals(new Shape(2, 2), d.shape());
        assertArrayEquals(new double[] {1, 4, 5, 8}, d.raw());
    }

    @Test
    void diagEmbedBuildsSquareMatrices() {
        Tensor v = Tensor.of(DType.F64, new Shape(2, 2), 1, 2, 3, 4);
        Tensor e = new DiagEmbed().evaluate(List.of(v)).get(0);
        assertEquals(new Shape(2, 2, 2), e.shape());
        assertArrayEquals(new double[] {1, 0, 0, 2, 3, 0, 0, 4}, e.raw());
    }

    @Test
    void eyeIsOneOnTheDiagonalOfEveryBatchEntry() {
        ProgramBuilder b = new ProgramBuilder();
        Program p = b.build(b.eye(Type.of(DType.F64, 2, 2, 3)));
        assertArrayEquals(new double[] {1, 0, 0, 0, 1, 0, 1, 0, 0, 0, 1, 0}, run1(p).raw());
        assertEquals(DType.F64, p.results().get(0).type().dtype());
    }

    @Test
    void builderOpsPrintTheirParameters() {
        ProgramBuilder b = new ProgramBuilder();
        Var x = b.param(Type.of(DType.F64, 3, 3));
        Var i = b.param(Type.of(DType.I32, 3));
        Var y = b.gatherRows(b.triu(b.tril(x, 1), -1), i);
        Program p = b.build(b.diagEmbed(b.diagPart(y)), b.triangularSolve(x, y, false, true, true, false));
        String text = Printer.print(p);
        assertTrue(text.contains("triangle{lower=true offset=1} %0"), text);
        assertTrue(text.contains("triangle{lower=false offset=-1} %2"), text);
        assertTrue(text.contains("gather_rows %3, %1"), text);
        assertTrue(text.contains("diag_part %4"), text);
        assertTrue(text.contains("diag_embed %5"), text);
        assertTrue(text.contains(
                "triangular_solve{left_side=false lower=true transpose_a=true unit_diagonal=false} %0, %4"), text);
    }

    @Test
    void jvpsOfTheLinearHelpersMatchFiniteDifferences() {
        Random rnd = new Random(7);
        for (int[] dims : new int[][] {{1, 1}, {4, 6}, {6, 4}, {3, 5, 5}}) {
            Tensor x = Dense.gaussian(rnd, dims);
            Tensor dx = Dense.gaussian(rnd, dims);
            for (int offset = -2; offset <= 2; offset++) {
                FiniteDifferences.check(new Triangle(true, offset), List.of(x), Arrays.asList(dx), 1e-9);
                FiniteDifferences.check(new Triangle(false, offset), List.of(x), Arrays.asList(dx), 1e-9);
            }
            FiniteDifferences.check(new DiagPart(), List.of(x), Arrays.asList(dx), 1e-9);
            int r = dims.length;
            int[] idxDims = Arrays.copyOf(dims, r - 1);
            idxDims[r - 2] = 3;
            Shape is = new Shape(idxDims);
            double[] idx = new double[Math.toIntExact(is.size())];
            for (int k = 0; k < idx.length; k++) {
                idx[k] = rnd.nextInt(dims[r - 2]);
            }
            Tensor index = new Tensor(DType.I32, is, idx);
            List<Tensor> t =
                    FiniteDifferences.check(new GatherRows(), List.of(x, index), Arrays.asList(dx, null), 1e-9);
            assertEquals(new GatherRows().evaluate(List.of(dx, index)).get(0), t.get(0));
            Tensor v = Dense.gaussian(rnd, Arrays.copyOf(dims, r - 1));
            Tensor dv = Dense.gaussian(rnd, Arrays.copyOf(dims, r - 1));
            FiniteDifferences.check(new DiagEmbed(), List.of(v), Arrays.asList(dv), 1e-9);
        }
    }
}
