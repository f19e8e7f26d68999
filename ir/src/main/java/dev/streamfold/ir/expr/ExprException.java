package dev.streamfold.ir.expr;

import dev.streamfold.ir.StreamfoldException;
import java.util.Objects;

/**
 * Bad expression text, or a value of the wrong shape. The message is {@code "line:col: detail"},
 * for example {@code "1:17: expected ')' after argument list"}.
 */
public final class ExprException extends StreamfoldException {
    private static final long serialVersionUID = 1L;

    private final transient Position position;
    private final String detail;

    public ExprException(Position position, String detail) {
        super(Objects.requireNonNull(position, "position") + ": " + Objects.requireNonNull(detail, "detail"));
        this.position = position;
        this.detail = detail;
    }

    /** Where the problem is. */
    public Position position() {
        return position;
    }

    /** The message without its position prefix. */
    public String detail() {
        return detail;
    }
}
