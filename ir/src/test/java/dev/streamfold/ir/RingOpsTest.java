package dev.streamfold.ir;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** {@link RingDot} and {@link RingPush} against hand-computed cases, and their shape rules' refusals. */
class RingOpsTest {
    private static List<Tensor> run(Program p, Tensor... in) {
        return Interpreter.run(p, List.of(in));
    }

    @Test
    void pushesFillRowsInStepOrderAndDotWeighsRowsByAge() {
        ProgramBuilder b = new ProgramBuilder();
        Var ring = b.param(Type.of(DType.F64, 3, 2));
        Var coef = b.param(Type.of(DType.F64, 5));
        Var t = b.param(Type.scalar(DType.I32));
        Var v = b.param(Type.of(DType.F64, 2));
        Program p = b.build(b.ringDot(ring, coef, t, 1), b.ringPush(ring, t, v));
        // Rows hold the values pushed at steps 3 (row 0), 4 (row 1) and 2 (row 2); at step 5 their ages are 1, 0, 2.
        Tensor r = Tensor.of(DType.F64, new Shape(3, 2), 10, 11, 20, 21, 30, 31);
        Tensor c = Tensor.vector(DType.F64, 100, 1, 2, 3, 1000);
        List<Tensor> out = run(p, r, c, Tensor.scalar(DType.I32, 5), Tensor.vector(DType.F64, 7, 8));
        assertArrayEquals(new double[] {2 * 10 + 1 * 20 + 3 * 30, 2 * 11 + 1 * 21 + 3 * 31}, out.get(0).raw());
        assertArrayEquals(new double[] {10, 11, 20, 21, 7, 8}, out.get(1).raw(), "step 5 overwrites row 5 mod 3 = 2");
    }

    @Test
    void twoDimensionalWeightsAreReadInTheRowOfTheStepThatWroteEachRow() {
        ProgramBuilder b = new ProgramBuilder();
        Var ring = b.param(Type.of(DType.F64, 3, 1));
        Var coef = b.param(Type.of(DType.F64, 4, 4));
        Var t = b.param(Type.scalar(DType.I32));
        Program p = b.build(b.ringDot(ring, coef, t, 1));
        // At step 5, rows 1, 0 and 2 hold the values written at steps 4, 3 and 2 (ages 0, 1, 2): weights
        // coef[clamp(4) = 3][1], coef[3][2] and coef[2][3]. At step 9, rows 2, 1 and 0 hold steps 8, 7 and 6 (ages 0, 1,
        // 2), whose writers all clamp to the last row, 3.
        Tensor r = Tensor.of(DType.F64, new Shape(3, 1), 10, 20, 30);
        Tensor c = Tensor.of(DType.F64, new Shape(4, 4), 0, 1, 2, 3, 10, 11, 12, 13, 20, 21, 22, 23, 30, 31, 32, 33);
        assertArrayEquals(new double[] {32 * 10 + 31 * 20 + 23 * 30}, run(p, r, c, Tensor.scalar(DType.I32, 5)).get(0).raw());
        assertArrayEquals(new double[] {33 * 10 + 32 * 20 + 31 * 30}, run(p, r, c, Tensor.scalar(DType.I32, 9)).get(0).raw());
    }

    @Test
    void shapeRulesNameWhatIsWrong() {
        ProgramBuilder b = new ProgramBuilder();
        Var ring = b.param(Type.of(DType.F64, 3, 2));
        Var shortCoef = b.param(Type.of(DType.F64, 3));
        Var t = b.param(Type.scalar(DType.I32));
        Var wrongRow = b.param(Type.of(DType.F64, 3));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> b.ringDot(ring, shortCoef, t, 1));
        assertTrue(e.getMessage().contains("needs at least 4 weights"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> b.ringPush(ring, t, wrongRow));
        assertTrue(e.getMessage().contains("needs a row of type f64[2]"), e.getMessage());
        assertEquals(List.of(Type.of(DType.F64, 2)), new RingDot(0).outTypes(List.of(ring.type(), Type.of(DType.F64, 3), t.type())));
    }
}
