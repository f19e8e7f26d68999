package dev.streamfold.ir.expr;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

class ExprParserTest {

    static Stream<Arguments> validExpressions() {
        return Stream.of(
                Arguments.of("prefix_sum", "prefix_sum"),
                Arguments.of("prefix_sum()", "(prefix_sum)"),
                Arguments.of("  prefix_sum ( )  ", "(prefix_sum)"),
                Arguments.of("identity @ prefix_sum", "(@ identity prefix_sum)"),
                Arguments.of(
                        "prefix_sum @ momentum_sgd(momentum=0.9, learning_rates=[1.0, 0.5]) @ diagonal([2.0, 0.5])",
                        "(@ prefix_sum (momentum_sgd momentum=0.9 learning_rates=[1.0 0.5]) (diagonal [2.0 0.5]))"),
                Arguments.of("inverse(blt(buf_decay=[0.9,0.5], output_scale=[0.1,0.2]))",
                        "(inverse (blt buf_decay=[0.9 0.5] output_scale=[0.1 0.2]))"),
                Arguments.of("inverse_params(blt(buf_decay=$theta, output_scale=$omega))",
                        "(inverse_params (blt buf_decay=$theta output_scale=$omega))"),
                Arguments.of("scale_rows_and_columns(prefix_sum, row=[1,2], col=$c)",
                        "(scale_rows_and_columns prefix_sum row=[1.0 2.0] col=$c)"),
                Arguments.of("(prefix_sum @ identity) * 0.5 * 2", "(* (* (@ prefix_sum identity) 0.5) 2.0)"),
                Arguments.of("toeplitz(coef=[[1,2],[3,4]])", "(toeplitz coef=[[1.0 2.0] [3.0 4.0]])"),
                Arguments.of("toeplitz_inverse(coef=[1, -0.5], column_normalize_for_n=16)",
                        "(toeplitz_inverse coef=[1.0 -0.5] column_normalize_for_n=16.0)"),
                Arguments.of("diagonal($d)", "(diagonal $d)"),
                Arguments.of("momentum_sgd(0.9)", "(momentum_sgd 0.9)"),
                Arguments.of("diagonal([1e-3, 2E+5, -0.25, 7e2, 007])", "(diagonal [0.001 200000.0 -0.25 700.0 7.0])"),
                Arguments.of("diagonal([1e-400])", "(diagonal [0.0])"),
                Arguments.of("diagonal(-0)", "(diagonal -0.0)"),
                Arguments.of("diagonal([])", "(diagonal [])"),
                Arguments.of("toeplitz(coef=[[]])", "(toeplitz coef=[[]])"),
                Arguments.of("prefix_sum * -2", "(* prefix_sum -2.0)"),
                Arguments.of("prefix_sum*2*3", "(* (* prefix_sum 2.0) 3.0)"),
                Arguments.of("a @ b @ c", "(@ a b c)"),
                Arguments.of("a @ (b @ c)", "(@ a (@ b c))"),
                Arguments.of("(a @ b) @ c", "(@ (@ a b) c)"),
                Arguments.of("a * 2 @ b * 3", "(@ (* a 2.0) (* b 3.0))"),
                Arguments.of("((prefix_sum))", "prefix_sum"),
                Arguments.of("(diagonal([2]) * 0.5)", "(* (diagonal [2.0]) 0.5)"),
                Arguments.of("scale_rows_and_columns(prefix_sum @ identity, row_scale=[2])",
                        "(scale_rows_and_columns (@ prefix_sum identity) row_scale=[2.0])"),
                Arguments.of("f(x=(a @ b) * 2, y=g)", "(f x=(* (@ a b) 2.0) y=g)"),
                Arguments.of("f(g(h()), -1.5e-2)", "(f (g (h)) -0.015)"),
                Arguments.of("f(1, $p, [3], g, h=4)", "(f 1.0 $p [3.0] g h=4.0)"),
                Arguments.of("_x1 @ X_2", "(@ _x1 X_2)"),
                Arguments.of("prefix_sum\n  @ diagonal([1,\n 2])", "(@ prefix_sum (diagonal [1.0 2.0]))"),
                Arguments.of("\tprefix_sum\r\n@\fidentity\r", "(@ prefix_sum identity)"));
    }

    @ParameterizedTest
    @MethodSource("validExpressions")
    void parsesToTheExpectedTree(String text, String expectedTree) {
        assertEquals(expectedTree, Trees.sexpr(ExprParser.parse(text)));
    }

    @ParameterizedTest
    @MethodSource("validExpressions")
    void printedTextParsesBackToTheSameTree(String text, String expectedTree) {
        Expr parsed = ExprParser.parse(text);
        String printed = ExprPrinter.print(parsed);
        Expr reparsed = ExprParser.parse(printed);
        assertEquals(Trees.withoutPositions(parsed), Trees.withoutPositions(reparsed));
        assertEquals(printed, ExprPrinter.print(reparsed));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', textBlock = """
            prefix_sum                                  | prefix_sum
            prefix_sum( )                               | prefix_sum()
            a@b@  c                                     | a @ b @ c
            (a @ b) @ c                                 | (a @ b) @ c
            ((a @ b)) * 2 * -0.5                        | (a @ b) * 2.0 * -0.5
            a * 2 @ (b)                                 | a * 2.0 @ b
            f(x=[1,2],y=$p,z=[[1,2],[3,4]])             | f(x=[1.0, 2.0], y=$p, z=[[1.0, 2.0], [3.0, 4.0]])
            diagonal([1e-3, 2E+5, 1e7, 1e-4, 0.1])      | diagonal([0.001, 200000.0, 1.0E7, 1.0E-4, 0.1])
            """)
    void printsCanonicalText(String text, String canonical) {
        assertEquals(canonical, ExprPrinter.print(ExprParser.parse(text)));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', textBlock = """
            0                       | 0.0
            -1.5                    | -1.5
            0.1                     | 0.1
            1e-3                    | 0.001
            2E+5                    | 200000.0
            -0.25                   | -0.25
            1.7976931348623157e308  | 1.7976931348623157E308
            4.9e-324                | 4.9E-324
            123456789012345678901   | 1.2345678901234568E20
            """)
    void readsNumbers(String text, double expected) {
        Value.Num num = assertInstanceOf(Value.Num.class, ExprParser.parseValue(text));
        assertEquals(expected, num.v());
        assertEquals(Position.START, num.pos());
    }

    @Test
    void recordsWhereEachNodeStarts() {
        Expr.MatMul product = assertInstanceOf(Expr.MatMul.class,
                ExprParser.parse("prefix_sum @ diagonal($d) * 2 @\n  blt(buf_decay=[0.9])"));
        assertEquals(new Position(1, 12), product.pos());
        assertEquals(new Position(1, 1), product.factors().get(0).pos());

        Expr.Scaled scaled = assertInstanceOf(Expr.Scaled.class, product.factors().get(1));
        assertEquals(new Position(1, 27), scaled.pos());
        Expr.Call diagonal = assertInstanceOf(Expr.Call.class, scaled.base());
        assertEquals(new Position(1, 14), diagonal.pos());
        Arg d = diagonal.args().getFirst();
        assertNull(d.keyword());
        assertEquals(new Position(1, 23), d.pos());
        assertEquals(new Value.ParamRef("d", new Position(1, 23)), d.value());

        Expr.Call blt = assertInstanceOf(Expr.Call.class, product.factors().get(2));
        assertEquals(new Position(2, 3), blt.pos());
        Arg decay = blt.args().getFirst();
        assertEquals("buf_decay", decay.keyword());
        assertEquals(new Position(2, 7), decay.pos());
        Value.ArrayLit array = assertInstanceOf(Value.ArrayLit.class, decay.value());
        assertEquals(new Position(2, 17), array.pos());
        assertEquals(new Value.Num(0.9, new Position(2, 18)), array.items().getFirst());
    }

    @Test
    void aPositionalProductArgumentStartsAtItsFirstFactor() {
        Expr.Call call = assertInstanceOf(Expr.Call.class, ExprParser.parse("f(a @ b)"));
        Arg arg = call.args().getFirst();
        assertEquals(new Position(1, 3), arg.pos());
        assertEquals(new Position(1, 5), arg.value().pos());
    }

    @Test
    void parsesValuesOnTheirOwn() {
        assertEquals("[[1.0 2.0] [3.0 4.0]]", Trees.sexpr(ExprParser.parseValue(" [[1, 2], [3, 4]] ")));
        assertEquals("$lr", Trees.sexpr(ExprParser.parseValue("$lr")));
        assertEquals("[1.0, -2.5]", ExprPrinter.print(ExprParser.parseValue("[1,-2.5]")));
    }

    @Test
    void acceptsNestingUpToTheLimit() {
        int depth = ExprParser.MAX_NESTING;
        String text = "(".repeat(depth) + "a" + ")".repeat(depth);
        assertEquals("a", Trees.sexpr(ExprParser.parse(text)));
    }

    @Test
    void rejectsNestingPastTheLimit() {
        int depth = ExprParser.MAX_NESTING + 1;
        String text = "f(".repeat(depth) + ")".repeat(depth);
        ExprException e = assertThrows(ExprException.class, () -> ExprParser.parse(text));
        assertEquals("1:" + (2 * depth) + ": nested more than " + ExprParser.MAX_NESTING + " levels deep", e.getMessage());
    }

    @Test
    void acceptsOperatorsUpToTheLimit() {
        String scaled = "a" + " * 2".repeat(ExprParser.MAX_OPERATORS - 1);
        assertTrue(Trees.sexpr(ExprParser.parse(scaled)).startsWith("(* "));
        String product = "a" + " @ a".repeat(ExprParser.MAX_OPERATORS - 1);
        assertTrue(Trees.sexpr(ExprParser.parse(product)).startsWith("(@ "));
    }

    @Test
    void rejectsOperatorsPastTheLimitAtTheFirstOneTooMany() {
        // "a" then " * 2" (4 characters) per scale: the 256th '*' is the 257th operator
        String scaled = "a" + " * 2".repeat(3000);
        ExprException e = assertThrows(ExprException.class, () -> ExprParser.parse(scaled));
        assertEquals("1:" + (2 + 4 * (ExprParser.MAX_OPERATORS - 1) + 1) + ": more than 256 operators in one expression"
                + " (each operator name and each '* number' counts one)", e.getMessage());
        String product = "identity" + " @ identity".repeat(4000);
        e = assertThrows(ExprException.class, () -> ExprParser.parse(product));
        assertEquals("1:" + (8 + 11 * (ExprParser.MAX_OPERATORS - 1) + 4) + ": more than 256 operators in one expression"
                + " (each operator name and each '* number' counts one)", e.getMessage());
        String nested = "scale_rows_and_columns(" + "prefix_sum @ ".repeat(300) + "identity)";
        e = assertThrows(ExprException.class, () -> ExprParser.parse(nested));
        assertTrue(e.getMessage().startsWith("1:" + (24 + 13 * 255) + ": more than 256 operators"), e.getMessage());
    }
}
