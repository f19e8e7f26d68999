package dev.streamfold.compiler.llvm;

import dev.streamfold.compiler.kir.KInstr;
import java.util.function.Consumer;
import java.util.function.UnaryOperator;

/**
 * Integer division and remainder as the kernel IR defines them (Java's, with {@code x / 0 == x % 0 == 0}): LLVM's
 * {@code sdiv} and {@code srem} are undefined for a zero divisor and for {@code MIN / -1}, so both divide by 1 there
 * and select the defined result ({@code 0}, or {@code -x}, which wraps to {@code MIN} as Java's {@code MIN / -1}
 * does). Shared by the step and the batched emitters, scalar or vector alike.
 */
final class LlvmIntegerDivision {
    private LlvmIntegerDivision() {}

    /**
     * Writes the instructions before the last, named after {@code v}, and returns the last, which defines {@code v}.
     *
     * @param kind {@code DIV} or {@code REM}
     * @param t the operands' LLVM type ({@code i32}, {@code i64} or a vector of them)
     * @param bool the matching boolean type ({@code i1} or a vector of it)
     * @param literal an integer literal as an operand of type {@code t}
     */
    static String render(KInstr.BinaryKind kind, String t, String bool, String v, String x, String y,
            UnaryOperator<String> literal, Consumer<String> inst) {
        String zero = literal.apply("0");
        inst.accept(v + ".zero = icmp eq " + t + " " + y + ", " + zero);
        inst.accept(v + ".minus = icmp eq " + t + " " + y + ", " + literal.apply("-1"));
        inst.accept(v + ".special = or " + bool + " " + v + ".zero, " + v + ".minus");
        inst.accept(v + ".safe = select " + bool + " " + v + ".special, " + t + " " + literal.apply("1") + ", " + t + " "
                + y);
        return switch (kind) {
            case DIV -> {
                inst.accept(v + ".q = sdiv " + t + " " + x + ", " + v + ".safe");
                inst.accept(v + ".negated = sub " + t + " " + zero + ", " + x);
                inst.accept(v + ".byminus = select " + bool + " " + v + ".minus, " + t + " " + v + ".negated, " + t + " "
                        + v + ".q");
                yield "select " + bool + " " + v + ".zero, " + t + " " + zero + ", " + t + " " + v + ".byminus";
            }
            case REM -> {
                inst.accept(v + ".r = srem " + t + " " + x + ", " + v + ".safe");
                yield "select " + bool + " " + v + ".special, " + t + " " + zero + ", " + t + " " + v + ".r";
            }
            case ADD, SUB, MUL, MIN, MAX, POW, AND, OR, XOR ->
                    throw new IllegalArgumentException(kind + " is not a division");
        };
    }
}
