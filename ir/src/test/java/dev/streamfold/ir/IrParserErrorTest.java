package dev.streamfold.ir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Text that is not a program is refused with the line, the column and what was expected. */
class IrParserErrorTest {
    static Stream<Arguments> bad() {
        return Stream.of(
                Arguments.of("", "1:1: expected 'program', found end of input"),
                Arguments.of("prog", "1:1: expected 'program', found 'prog'"),
                Arguments.of("program %0", "1:9: expected '(' after 'program', found '%'"),
                Arguments.of("program(%0 f64[2]) {", "1:12: expected ':' and a type after %0, found 'f64'"),
                Arguments.of("program(%0: f16[2]) {", "1:13: unknown dtype 'f16' (expected f32, f64, i32 or bool)"),
                Arguments.of("program(%0: f64) {", "1:16: expected '[' and the dimensions after f64, found ')'"),
                Arguments.of("program(%0: f64[2,-1]) {", "1:16: negative dimension in shape [2, -1]"),
                Arguments.of("program(%0: f64[2] %1: f64[]) {", "1:20: expected ',' or ')' in the parameter list, found '%'"),
                Arguments.of("program(%0: f64[2], %0: f64[]) {", "1:21: %0 is defined twice"),
                Arguments.of("program(%x: f64[2]) {", "1:10: expected digits after '%', found 'x'"),
                Arguments.of("program(%0: f64[2]) { %1: f64[2] = neg %0\n", "1:23: expected the end of the line, found '%'"),
                Arguments.of("program(%0: f64[2]) {\n  %1: f64[2] = neg %0\n", "3:1: expected an equation or 'return', found end of input"),
                Arguments.of("program(%0: f64[2]) {\n  %1: f64[2] = negate %0\n  return %1\n}\n", "2:16: unknown op 'negate'"),
                Arguments.of("program(%0: f64[2]) {\n  %1: f64[2] = neg %3\n  return %1\n}\n", "2:20: %3 is not defined"),
                Arguments.of("program(%0: f64[2]) {\n  %1: f64[3] = neg %0\n  return %1\n}\n",
                        "2:3: neg gives f64[2], but its outputs are declared as f64[3]"),
                Arguments.of("program(%0: i32[2]) {\n  %1: i32[2] = neg %0\n  return %1\n}\n",
                        "2:16: neg needs a floating-point input, got i32[2]"),
                Arguments.of("program(%0: f64[2]) {\n  %0: f64[2] = neg %0\n  return %0\n}\n", "2:3: %0 is defined twice"),
                Arguments.of("program(%0: f64[2]) {\n  %1: f64[2] neg %0\n", "2:14: expected '=' after the equation's outputs, found 'neg'"),
                Arguments.of("program(%0: f64[2]) {\n  %1: f64[2] = 3 %0\n", "2:16: expected an op name, found '3'"),
                Arguments.of("program(%0: f64[2]) {\n  %1: f64[] = reduce_sum %0\n  return %1\n}\n",
                        "2:25: expected '{' and the attributes of reduce_sum after its name"),
                Arguments.of("program(%0: f64[2]) {\n  %1: f64[] = reduce_sum{axis=[0]} %0\n  return %1\n}\n",
                        "2:26: expected 'axes=', found 'axis'"),
                Arguments.of("program(%0: f64[2]) {\n  %1: f64[] = reduce_sum{axes=[0] keep} %0\n  return %1\n}\n",
                        "2:35: unexpected 'keep' in the attributes of reduce_sum"),
                Arguments.of("program(%0: f64[2]) {\n  %1: f64[] = reduce_sum{axes=[0 1]} %0\n  return %1\n}\n",
                        "2:34: expected ',' or ']' in a list of integers, found '1'"),
                Arguments.of("program(%0: f64[2]) {\n  %1: f64[] = reduce_sum{axes=[0]\n  return %1\n}\n",
                        "2:25: expected '}' closing the attributes of reduce_sum on the same line"),
                Arguments.of("program(%0: f64[2]) {\n  %1: f64[2,2] = transpose{[0, 0]} %0\n  return %1\n}\n",
                        "2:28: transpose: transpose needs a permutation, got [0, 0]"),
                Arguments.of("program() {\n  %0: f64[2] = constant{f64[2] [1.0]}\n  return %0\n}\n",
                        "2:32: a constant of type f64[2] needs 2 values, found 1"),
                Arguments.of("program() {\n  %0: i32[1] = constant{i32[1] [1.5]}\n  return %0\n}\n",
                        "2:33: expected an int32 value, found 1.5"),
                Arguments.of("program() {\n  %0: f64[1] = constant{f64[1] [true]}\n  return %0\n}\n",
                        "2:33: expected a number for a f64 constant, found 'true'"),
                Arguments.of("program() {\n  %0: f64[1] = constant{f64[1] [1e]}\n  return %0\n}\n",
                        "2:35: expected the exponent's digits, found ']'"),
                Arguments.of("program(%0: f64[2]) {\n  %1: f64[2] = neg %0 body program() {\n", "2:23: neg takes no body"),
                Arguments.of("program(%0: f64[2]) {\n  %1: f64[2] = scan{consts=0 carries=1 length=1} %0\n  return %1\n}\n",
                        "2:52: expected 'body program(...) {' after the inputs of scan, found end of line"),
                Arguments.of("program(%0: f64[2]) {\n  %1: f64[2] = scan{consts=0 carries=1 length=1} %0 body program(x=%0: f64[2]) {\n",
                        "2:66: parameter names are allowed only on the outer program, found 'x'"),
                Arguments.of("program(%0: f64[2]) {\n  %1: f64[2] = scan{consts=0 carries=2 length=1} %0 body program(%0: f64[2]) {\n"
                        + "    return %0\n  }\n  return %1\n}\n",
                        "2:21: scan: scan with consts=0 carries=2 length=1 for a body of 1 params"),
                Arguments.of("program(%0: f64[2]) {\n  %1: f64[2] = scan{consts=0 carries=1 length=1} %0 body program(%0: f64[3]) {\n"
                        + "    return %0\n  }\n  return %1\n}\n",
                        "2:16: scan input 0 is f64[2], body expects f64[3]"),
                Arguments.of("program(x=%0: f64[2], x=%1: f64[2]) {\n", "1:23: parameter name 'x' is used twice"),
                Arguments.of("program(x %0: f64[2]) {\n", "1:11: expected '=' after the parameter name 'x', found '%'"),
                Arguments.of("program(%0: f64[2]) {\n  return %0\n}\n}\n", "4:1: expected end of input after the program's closing '}', found '}'"),
                Arguments.of("program(%0: f64[2]) {\n  return %0\n", "3:1: expected '}' closing the program, found end of input"),
                Arguments.of("program(%0: f64[99999999999]) {\n", "1:17: integer 9999999999... is out of range"),
                Arguments.of("program(%0: f64[65536,65536]) {\n", "1:16: the shape [65536,65536] has more than 2147483639 elements"),
                Arguments.of("program(%0: f64[0,65536,65536,65536]) {\n  return %0\n}\n", null));
    }

    @ParameterizedTest(name = "{1}")
    @MethodSource("bad")
    void refusedWithPosition(String text, String message) {
        if (message == null) {
            assertEquals(text, Printer.print(IrParser.parse(text)), "accepted");
            return;
        }
        StreamfoldException e = assertThrows(StreamfoldException.class, () -> IrParser.parse(text));
        assertEquals(message, e.getMessage());
    }

    @Test
    void scanBodiesNestAtMost64Deep() {
        StringBuilder text = new StringBuilder();
        for (int level = 0; level <= 65; level++) {
            text.append("program(%0: f64[]) {\n%1: f64[] = scan{consts=0 carries=1 length=1} %0 body ");
        }
        StreamfoldException e = assertThrows(StreamfoldException.class, () -> IrParser.parse(text.toString()));
        assertEquals("66:55: scan bodies nest deeper than 64 levels", e.getMessage());
    }

    @Test
    void aNamedSourceLeadsTheMessage() {
        StreamfoldException e = assertThrows(StreamfoldException.class, () -> IrParser.parseNamed("program(", "prog.ir"));
        assertEquals("prog.ir:1:9: expected a value like %0, found end of input", e.getMessage());
    }
}
