package dev.streamfold.ir.expr;

/** A place in expression text: 1-based line and column (columns count Unicode code points). */
public record Position(int line, int column) {
    /** The first character of the text. */
    public static final Position START = new Position(1, 1);

    public Position {
        if (line < 1 || column < 1) {
            throw new IllegalArgumentException("positions are 1-based, got " + line + ":" + column);
        }
    }

    /** {@code line:column}, the form error messages start with. */
    @Override
    public String toString() {
        return line + ":" + column;
    }
}
