package dev.streamfold.ir.expr;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.streamfold.ir.StreamfoldException;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class ExprParserErrorTest {

    static Stream<Arguments> badExpressions() {
        return Stream.of(
                // empty input
                Arguments.of("", "1:1: expected an operator"),
                Arguments.of("   ", "1:4: expected an operator"),
                Arguments.of("\n\n", "3:1: expected an operator"),
                // characters outside the language
                Arguments.of("prefix_sum # 2", "1:12: unexpected character '#'"),
                Arguments.of("prefix_sum @ é", "1:14: unexpected character 'é' (U+00E9)"),
                Arguments.of("prefix_sum\u00a0@ a", "1:11: unexpected character U+00A0"),
                Arguments.of("a @\u200bb", "1:4: unexpected character U+200B"),
                Arguments.of("a @ b\u0007", "1:6: unexpected character U+0007"),
                Arguments.of("diagonal([1]) @ 😀", "1:17: unexpected character '😀' (U+1F600)"),
                Arguments.of("😀 x", "1:1: unexpected character '😀' (U+1F600)"),
                Arguments.of("f(😀, #)", "1:3: unexpected character '😀' (U+1F600)"),
                Arguments.of("f(a, 😀#)", "1:6: unexpected character '😀' (U+1F600)"),
                Arguments.of("f(a,😀 @)", "1:5: unexpected character '😀' (U+1F600)"),
                Arguments.of("momentum_sgd(momentum: 0.9)", "1:22: unexpected character ':'"),
                // input ends where something must start
                Arguments.of("(", "1:2: unexpected end of input"),
                Arguments.of("diagonal(", "1:10: unexpected end of input"),
                Arguments.of("momentum_sgd(0.9, ", "1:19: unexpected end of input"),
                Arguments.of("momentum_sgd(momentum=", "1:23: unexpected end of input"),
                Arguments.of("diagonal([1, ", "1:14: unexpected end of input"),
                Arguments.of("toeplitz(coef=[[", "1:17: unexpected end of input"),
                // missing closers and '='
                Arguments.of("momentum_sgd(0.9", "1:17: expected ')' after argument list"),
                Arguments.of("diagonal([1, 2] 3)", "1:17: expected ')' after argument list"),
                Arguments.of("momentum_sgd(momentum=0.9 learning_rates=[1])", "1:27: expected ')' after argument list"),
                Arguments.of("(prefix_sum @ identity", "1:23: expected ')' to close '(' at 1:1"),
                Arguments.of("a @ ((b)", "1:9: expected ')' to close '(' at 1:5"),
                Arguments.of("diagonal([1, 2 3])", "1:16: expected ']' to close '[' at 1:10"),
                Arguments.of("toeplitz(coef=[[1, 2], [3, 4)", "1:29: expected ']' to close '[' at 1:24"),
                Arguments.of("diagonal([1, 2", "1:15: expected ']' to close '[' at 1:10"),
                Arguments.of("scale_rows_and_columns(prefix_sum, row [1, 2])", "1:40: expected '=' after keyword 'row'"),
                Arguments.of("momentum_sgd(momentum 0.9)", "1:23: expected '=' after keyword 'momentum'"),
                // operands of '@' and '*'
                Arguments.of("prefix_sum @", "1:13: expected an operand after '@'"),
                Arguments.of("prefix_sum @ @ identity", "1:14: expected an operand after '@'"),
                Arguments.of("prefix_sum @ 2", "1:14: expected an operand after '@'"),
                Arguments.of("prefix_sum @\n  @ identity", "2:3: expected an operand after '@'"),
                Arguments.of("prefix_sum * identity", "1:14: expected a number after '*'"),
                Arguments.of("prefix_sum *", "1:13: expected a number after '*'"),
                Arguments.of("prefix_sum * $s", "1:14: expected a number after '*'"),
                Arguments.of("prefix_sum * (2)", "1:14: expected a number after '*'"),
                // number syntax
                Arguments.of("diagonal([1.])", "1:13: expected a digit after '.'"),
                Arguments.of("diagonal(1.)", "1:12: expected a digit after '.'"),
                Arguments.of("diagonal(1e)", "1:12: expected a digit in the exponent"),
                Arguments.of("diagonal(1e+)", "1:13: expected a digit in the exponent"),
                Arguments.of("diagonal(2E-x)", "1:13: expected a digit in the exponent"),
                Arguments.of("diagonal(--1)", "1:11: expected a digit after '-'"),
                Arguments.of("diagonal(- 1)", "1:11: expected a digit after '-'"),
                Arguments.of("prefix_sum * -", "1:15: expected a digit after '-'"),
                Arguments.of("diagonal(.5)", "1:10: expected a digit before '.'"),
                Arguments.of("diagonal(1.5.2)", "1:13: expected a digit before '.'"),
                Arguments.of("diagonal(.)", "1:10: unexpected character '.'"),
                Arguments.of("diagonal([1e400])", "1:11: number 1e400 is not finite"),
                Arguments.of("prefix_sum * -1e999", "1:14: number -1e999 is not finite"),
                Arguments.of("momentum_sgd(momentum=\n  1e309)", "2:3: number 1e309 is not finite"),
                // parameters
                Arguments.of("diagonal($)", "1:11: expected a parameter name after '$'"),
                Arguments.of("diagonal($1)", "1:11: expected a parameter name after '$'"),
                Arguments.of("diagonal($ d)", "1:11: expected a parameter name after '$'"),
                Arguments.of("diagonal([1, $a])", "1:14: parameters may not appear inside arrays"),
                Arguments.of("toeplitz(coef=[[1], [$a]])", "1:22: parameters may not appear inside arrays"),
                // array shape
                Arguments.of("toeplitz(coef=[[[1]]])", "1:17: arrays may have at most 2 dimensions"),
                Arguments.of("diagonal([1, [2]])", "1:14: an array holds numbers or rows, not both"),
                Arguments.of("toeplitz(coef=[[1], 2])", "1:21: an array holds numbers or rows, not both"),
                // something else where an operator, argument or array item must be
                Arguments.of("1.5", "1:1: expected an operator, found number 1.5"),
                Arguments.of("[1, 2]", "1:1: expected an operator, found '['"),
                Arguments.of("$d", "1:1: expected an operator, found parameter $d"),
                Arguments.of("()", "1:2: expected an operator, found ')'"),
                Arguments.of("= prefix_sum", "1:1: expected an operator, found '='"),
                Arguments.of("diagonal(,)", "1:10: expected an argument, found ','"),
                Arguments.of("diagonal([1], )", "1:15: expected an argument, found ')'"),
                Arguments.of("f(@ a)", "1:3: expected an argument, found '@'"),
                Arguments.of("momentum_sgd(momentum=)", "1:23: expected an argument after 'momentum=', found ')'"),
                Arguments.of("diagonal([1, ])", "1:14: expected a number or '[', found ']'"),
                Arguments.of("diagonal([identity])", "1:11: expected a number or '[', found name 'identity'"),
                Arguments.of("toeplitz(coef=[[1, ]])", "1:20: expected a number, found ']'"),
                // trailing text
                Arguments.of("prefix_sum, identity", "1:11: unexpected ',' after the expression"),
                Arguments.of("prefix_sum identity", "1:12: unexpected name 'identity' after the expression"),
                Arguments.of("prefix_sum)", "1:11: unexpected ')' after the expression"),
                Arguments.of("(prefix_sum) 2", "1:14: unexpected number 2 after the expression"),
                Arguments.of("prefix_sum\r\n$p", "2:1: unexpected parameter $p after the expression"),
                // argument lists
                Arguments.of("momentum_sgd(momentum=0.9, momentum=0.5)", "1:28: duplicate keyword argument 'momentum'"),
                Arguments.of("f(a=1, b=2, a=g)", "1:13: duplicate keyword argument 'a'"),
                Arguments.of("momentum_sgd(momentum=0.9, [1.0])", "1:28: positional argument after keyword argument"),
                Arguments.of("scale_rows_and_columns(row=[2], prefix_sum)", "1:33: positional argument after keyword argument"));
    }

    @ParameterizedTest
    @MethodSource("badExpressions")
    void reportsTheProblemAndWhereItIs(String text, String expectedMessage) {
        ExprException e = assertThrows(ExprException.class, () -> ExprParser.parse(text));
        assertEquals(expectedMessage, e.getMessage());
        assertEquals(expectedMessage, e.position() + ": " + e.detail());
        assertInstanceOf(StreamfoldException.class, e);
    }

    static Stream<Arguments> badValues() {
        return Stream.of(
                Arguments.of("", "1:1: expected a value"),
                Arguments.of("prefix_sum", "1:1: expected a value, found name 'prefix_sum'"),
                Arguments.of("[1, 2", "1:6: expected ']' to close '[' at 1:1"),
                Arguments.of("[1, 2] 3", "1:8: unexpected number 3 after the value"),
                Arguments.of("1e", "1:3: expected a digit in the exponent"));
    }

    @ParameterizedTest
    @MethodSource("badValues")
    void reportsBadValues(String text, String expectedMessage) {
        ExprException e = assertThrows(ExprException.class, () -> ExprParser.parseValue(text));
        assertEquals(expectedMessage, e.getMessage());
    }
}
