package dev.streamfold.ir.expr;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ArrayLitTest {

    private static Value.ArrayLit array(String text) {
        return assertInstanceOf(Value.ArrayLit.class, ExprParser.parseValue(text));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', textBlock = """
            []               | 1
            [1]              | 1
            [1, 2, 3]        | 1
            [[]]             | 2
            [[1, 2], [3, 4]] | 2
            [[1], [2, 3]]    | 2
            """)
    void hasRankOneOrTwo(String text, int rank) {
        assertEquals(rank, array(text).rank());
    }

    @Test
    void convertsOneDimensionalArrays() {
        assertArrayEquals(new double[] {1.0, -0.5, 2e-3}, array("[1, -0.5, 2e-3]").toDoubleArray1D());
        assertArrayEquals(new double[0], array("[]").toDoubleArray1D());
    }

    @Test
    void convertsTwoDimensionalArrays() {
        double[][] rows = array("[[1, 2], [3, 4], [5, 6]]").toDoubleArray2D();
        assertArrayEquals(new double[] {1, 2}, rows[0]);
        assertArrayEquals(new double[] {3, 4}, rows[1]);
        assertArrayEquals(new double[] {5, 6}, rows[2]);
        assertEquals(3, rows.length);
        assertEquals(0, array("[[], []]").toDoubleArray2D()[1].length);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', textBlock = """
            [[1, 2], [3]]          | 1:10: ragged array: row 2 has 1 entry but row 1 has 2 entries
            [[1], [2], [3, 4]]     | 1:12: ragged array: row 3 has 2 entries but row 1 has 1 entry
            [1, 2]                 | 1:1: expected a 2-D array, found a 1-D array
            '  []'                 | 1:3: expected a 2-D array, found a 1-D array
            """)
    void rejectsWhatIsNotAMatrix(String text, String message) {
        ExprException e = assertThrows(ExprException.class, () -> array(text).toDoubleArray2D());
        assertEquals(message, e.getMessage());
    }

    @Test
    void rejectsAMatrixWhereAVectorIsExpected() {
        ExprException e = assertThrows(ExprException.class, () -> array("\n [[1, 2]]").toDoubleArray1D());
        assertEquals("2:2: expected a 1-D array, found a 2-D array", e.getMessage());
        assertEquals(new Position(2, 2), e.position());
    }

    @Test
    void constructorKeepsTheShapeInvariants() {
        Position p = Position.START;
        Value.Num one = new Value.Num(1, p);
        Value.ArrayLit row = new Value.ArrayLit(List.of(one), p);
        assertThrows(IllegalArgumentException.class,
                () -> new Value.ArrayLit(List.of(one, new Value.ParamRef("a", p)), p));
        assertThrows(IllegalArgumentException.class, () -> new Value.ArrayLit(List.of(one, row), p));
        Value.ArrayLit matrix = new Value.ArrayLit(List.of(row), p);
        assertThrows(IllegalArgumentException.class, () -> new Value.ArrayLit(List.of(matrix), p));
    }

    @Test
    void itemsCannotBeChangedAfterConstruction() {
        var items = new java.util.ArrayList<Value>(List.of(new Value.Num(1, Position.START)));
        Value.ArrayLit array = new Value.ArrayLit(items, Position.START);
        items.add(new Value.Num(2, Position.START));
        assertEquals(1, array.items().size());
        assertThrows(UnsupportedOperationException.class, () -> array.items().add(new Value.Num(3, Position.START)));
    }
}
