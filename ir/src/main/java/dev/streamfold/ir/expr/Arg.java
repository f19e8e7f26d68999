package dev.streamfold.ir.expr;

import java.util.Objects;

/**
 * One argument of a {@link Expr.Call}: {@code value} alone (positional, {@code keyword == null})
 * or {@code keyword=value} (the keyword a NAME). The value is an operator expression or a {@link Value}. {@code pos} is
 * the argument's first character (the keyword, when there is one).
 */
public record Arg(String keyword, Node value, Position pos) {
    public Arg {
        if (keyword != null && !Lexer.isName(keyword)) {
            throw new IllegalArgumentException("not a name: '" + keyword + "'");
        }
        Objects.requireNonNull(value, "value");
        Objects.requireNonNull(pos, "pos");
    }

    public boolean isKeyword() {
        return keyword != null;
    }
}
