package dev.streamfold.compiler.llvm;

import dev.streamfold.compiler.kir.KInstr;
import dev.streamfold.compiler.kir.KType;

/**
 * The LLVM compare instruction of a kernel-IR compare: ordered floating compares except {@code NE}, which is
 * unordered-or-not-equal like Java's {@code !=}; signed integer compares, unsigned for booleans (0 and 1, as
 * {@code i1} true is -1 signed).
 */
final class LlvmPredicates {
    private LlvmPredicates() {}

    static String of(KInstr.CompareKind kind, KType type) {
        if (type.isFloat()) {
            return switch (kind) {
                case LT -> "fcmp olt";
                case LE -> "fcmp ole";
                case GT -> "fcmp ogt";
                case GE -> "fcmp oge";
                case EQ -> "fcmp oeq";
                case NE -> "fcmp une";
            };
        }
        String sign = type == KType.BOOL ? "u" : "s";
        return switch (kind) {
            case LT -> "icmp " + sign + "lt";
            case LE -> "icmp " + sign + "le";
            case GT -> "icmp " + sign + "gt";
            case GE -> "icmp " + sign + "ge";
            case EQ -> "icmp eq";
            case NE -> "icmp ne";
        };
    }
}
