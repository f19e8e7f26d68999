package dev.streamfold.ir.expr;

/** Splits expression text into tokens on demand, skipping whitespace and tracking positions. */
final class Lexer {
    enum Kind { NAME, NUMBER, PARAM, LPAREN, RPAREN, LBRACKET, RBRACKET, COMMA, EQUALS, AT, STAR, END }

    /**
     * A token. {@code text} is the source text, except for {@link Kind#PARAM} where it is the name
     * without the {@code $}.
     */
    record Token(Kind kind, String text, Position pos) {
        /** How an error message names this token. */
        String describe() {
            return switch (kind) {
                case NAME -> "name '" + text + "'";
                case NUMBER -> "number " + text;
                case PARAM -> "parameter $" + text;
                case END -> "end of input";
                case LPAREN, RPAREN, LBRACKET, RBRACKET, COMMA, EQUALS, AT, STAR -> "'" + text + "'";
            };
        }
    }

    private final String text;
    private int index;
    private int line = 1;
    private int column = 1;

    Lexer(String text) {
        this.text = text;
    }

    /** The next token; {@link Kind#END} at the end, and again on every later call. */
    Token next() {
        skipWhitespace();
        Position start = position();
        if (index == text.length()) {
            return new Token(Kind.END, "", start);
        }
        char c = text.charAt(index);
        Kind symbol = switch (c) {
            case '(' -> Kind.LPAREN;
            case ')' -> Kind.RPAREN;
            case '[' -> Kind.LBRACKET;
            case ']' -> Kind.RBRACKET;
            case ',' -> Kind.COMMA;
            case '=' -> Kind.EQUALS;
            case '@' -> Kind.AT;
            case '*' -> Kind.STAR;
            default -> null;
        };
        if (symbol != null) {
            advance();
            return new Token(symbol, String.valueOf(c), start);
        }
        if (isNameStart(c)) {
            return new Token(Kind.NAME, name(), start);
        }
        if (c == '$') {
            advance();
            if (index == text.length() || !isNameStart(text.charAt(index))) {
                throw new ExprException(position(), "expected a parameter name after '$'");
            }
            return new Token(Kind.PARAM, name(), start);
        }
        if (c == '-' || isDigit(c)) {
            return new Token(Kind.NUMBER, number(), start);
        }
        if (c == '.' && index + 1 < text.length() && isDigit(text.charAt(index + 1))) {
            throw new ExprException(start, "expected a digit before '.'");
        }
        throw new ExprException(start, "unexpected character " + quote(text.codePointAt(index)));
    }

    private String name() {
        int begin = index;
        while (index < text.length() && isNamePart(text.charAt(index))) {
            advance();
        }
        return text.substring(begin, index);
    }

    private String number() {
        int begin = index;
        if (text.charAt(index) == '-') {
            advance();
            digits("expected a digit after '-'");
        } else {
            digits("expected a digit");
        }
        if (peekIs('.')) {
            advance();
            digits("expected a digit after '.'");
        }
        if (peekIs('e') || peekIs('E')) {
            advance();
            if (peekIs('+') || peekIs('-')) {
                advance();
            }
            digits("expected a digit in the exponent");
        }
        return text.substring(begin, index);
    }

    private void digits(String missing) {
        if (index == text.length() || !isDigit(text.charAt(index))) {
            throw new ExprException(position(), missing);
        }
        while (index < text.length() && isDigit(text.charAt(index))) {
            advance();
        }
    }

    private void skipWhitespace() {
        while (index < text.length()) {
            char c = text.charAt(index);
            if (c == '\n') {
                index++;
                line++;
                column = 1;
            } else if (c == '\r') {
                index++;
                if (peekIs('\n')) {
                    index++;
                }
                line++;
                column = 1;
            } else if (c == ' ' || c == '\t' || c == '\f') {
                advance();
            } else {
                return;
            }
        }
    }

    private void advance() {
        index += Character.charCount(text.codePointAt(index));
        column++;
    }

    private boolean peekIs(char c) {
        return index < text.length() && text.charAt(index) == c;
    }

    private Position position() {
        return new Position(line, column);
    }

    /** Whether {@code s} is a NAME: {@code [A-Za-z_][A-Za-z0-9_]*}. */
    static boolean isName(String s) {
        if (s == null || s.isEmpty() || !isNameStart(s.charAt(0))) {
            return false;
        }
        for (int i = 1; i < s.length(); i++) {
            if (!isNamePart(s.charAt(i))) {
                return false;
            }
        }
        return true;
    }

    private static boolean isDigit(char c) {
        return c >= '0' && c <= '9';
    }

    private static boolean isNameStart(char c) {
        return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
    }

    private static boolean isNamePart(char c) {
        return isNameStart(c) || isDigit(c);
    }

    private static String quote(int codePoint) {
        String shown = "'" + Character.toString(codePoint) + "'";
        if (codePoint >= 0x21 && codePoint < 0x7f) {
            return shown;
        }
        String hex = String.format("U+%04X", codePoint);
        boolean invisible = Character.isISOControl(codePoint) || Character.isWhitespace(codePoint)
                || Character.isSpaceChar(codePoint) || Character.getType(codePoint) == Character.FORMAT;
        return invisible ? hex : shown + " (" + hex + ")";
    }
}
