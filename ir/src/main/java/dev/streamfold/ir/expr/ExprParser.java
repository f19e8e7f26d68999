package dev.streamfold.ir.expr;

import dev.streamfold.ir.expr.Lexer.Kind;
import dev.streamfold.ir.expr.Lexer.Token;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Parses the expression language (see the package documentation) by recursive descent. Errors are
 * reported at the leftmost problem as an {@link ExprException} whose message starts with the
 * problem's {@code line:col}.
 */
public final class ExprParser {
    /** How deeply parentheses, calls and arrays may nest. */
    public static final int MAX_NESTING = 200;

    /**
     * How many operators one expression may hold: each operator name and each {@code * number} (a
     * diagonal) counts one. Products are bound into nested compositions, so this bounds their depth.
     */
    public static final int MAX_OPERATORS = 256;

    private final Lexer lexer;
    private Token current;
    private Token lookahead;
    private int nesting;
    private int operators;

    private ExprParser(String text) {
        this.lexer = new Lexer(text);
        this.current = lexer.next();
    }

    /**
     * Parses a whole expression.
     *
     * @throws ExprException if {@code text} is not exactly one expression
     */
    public static Expr parse(String text) {
        ExprParser parser = new ExprParser(text);
        if (parser.current.kind() == Kind.END) {
            throw new ExprException(parser.current.pos(), "expected an operator");
        }
        Expr expr = parser.product();
        parser.expectEnd("expression");
        return expr;
    }

    /**
     * Parses a whole {@code value}: a number, a {@code $parameter} or an array literal (the form
     * of values given outside an expression, for example on a command line).
     *
     * @throws ExprException if {@code text} is not exactly one value
     */
    public static Value parseValue(String text) {
        ExprParser parser = new ExprParser(text);
        Value value = switch (parser.current.kind()) {
            case NUMBER, PARAM, LBRACKET -> parser.value();
            case END -> throw new ExprException(parser.current.pos(), "expected a value");
            case NAME, LPAREN, RPAREN, RBRACKET, COMMA, EQUALS, AT, STAR -> throw parser.unexpected("a value");
        };
        parser.expectEnd("value");
        return value;
    }

    private Expr product() {
        Expr first = scaled();
        if (current.kind() != Kind.AT) {
            return first;
        }
        Position firstAt = current.pos();
        List<Expr> factors = new ArrayList<>();
        factors.add(first);
        while (current.kind() == Kind.AT) {
            advance();
            if (current.kind() != Kind.NAME && current.kind() != Kind.LPAREN) {
                throw new ExprException(current.pos(), "expected an operand after '@'");
            }
            factors.add(scaled());
        }
        return new Expr.MatMul(factors, firstAt);
    }

    private Expr scaled() {
        Expr expr = atom();
        while (current.kind() == Kind.STAR) {
            Position star = current.pos();
            countOperator(star);
            advance();
            if (current.kind() != Kind.NUMBER) {
                throw new ExprException(current.pos(), "expected a number after '*'");
            }
            expr = new Expr.Scaled(expr, number(current), star);
            advance();
        }
        return expr;
    }

    private Expr atom() {
        return switch (current.kind()) {
            case NAME -> call();
            case LPAREN -> {
                Token open = current;
                enter(open);
                advance();
                Expr inner = product();
                if (current.kind() != Kind.RPAREN) {
                    throw new ExprException(current.pos(), "expected ')' to close '(' at " + open.pos());
                }
                advance();
                nesting--;
                yield inner;
            }
            case END -> throw new ExprException(current.pos(), "unexpected end of input");
            case NUMBER, PARAM, RPAREN, LBRACKET, RBRACKET, COMMA, EQUALS, AT, STAR -> throw unexpected("an operator");
        };
    }

    private Expr.Call call() {
        Token name = current;
        countOperator(name.pos());
        advance();
        if (current.kind() != Kind.LPAREN) {
            return new Expr.Call(name.text(), List.of(), false, name.pos());
        }
        enter(current);
        advance();
        List<Arg> args = new ArrayList<>();
        Set<String> keywords = new HashSet<>();
        if (current.kind() != Kind.RPAREN) {
            do {
                args.add(arg(keywords));
            } while (acceptComma());
        }
        if (current.kind() != Kind.RPAREN) {
            throw new ExprException(current.pos(), "expected ')' after argument list");
        }
        advance();
        nesting--;
        return new Expr.Call(name.text(), args, true, name.pos());
    }

    /** One argument; {@code keywords} holds the keywords seen so far in this call. */
    private Arg arg(Set<String> keywords) {
        Token start = current;
        if (start.kind() == Kind.NAME) {
            Token after = peek();
            if (after.kind() == Kind.EQUALS) {
                if (!keywords.add(start.text())) {
                    throw new ExprException(start.pos(), "duplicate keyword argument '" + start.text() + "'");
                }
                advance();
                advance();
                return new Arg(start.text(), argValue("an argument after '" + start.text() + "='"), start.pos());
            }
            if (after.kind() == Kind.NUMBER || after.kind() == Kind.PARAM || after.kind() == Kind.LBRACKET) {
                throw new ExprException(after.pos(), "expected '=' after keyword '" + start.text() + "'");
            }
        }
        if (!keywords.isEmpty()) {
            throw new ExprException(start.pos(), "positional argument after keyword argument");
        }
        return new Arg(null, argValue("an argument"), start.pos());
    }

    private Node argValue(String expected) {
        return switch (current.kind()) {
            case NUMBER, PARAM, LBRACKET -> value();
            case NAME, LPAREN -> product();
            case END -> throw new ExprException(current.pos(), "unexpected end of input");
            case RPAREN, RBRACKET, COMMA, EQUALS, AT, STAR -> throw unexpected(expected);
        };
    }

    /** A whole value; the current token starts one. */
    private Value value() {
        return switch (current.kind()) {
            case NUMBER -> numberValue();
            case PARAM -> {
                Value.ParamRef ref = new Value.ParamRef(current.text(), current.pos());
                advance();
                yield ref;
            }
            case LBRACKET -> array(false);
            case NAME, END, LPAREN, RPAREN, RBRACKET, COMMA, EQUALS, AT, STAR ->
                    throw new IllegalStateException("not the start of a value: " + current);
        };
    }

    /** An array literal; the current token is its {@code [}. {@code isRow}: it is inside another array. */
    private Value.ArrayLit array(boolean isRow) {
        Token open = current;
        enter(open);
        advance();
        List<Value> items = new ArrayList<>();
        if (current.kind() != Kind.RBRACKET) {
            do {
                items.add(arrayItem(isRow, items.isEmpty() ? null : items.getFirst()));
            } while (acceptComma());
        }
        if (current.kind() != Kind.RBRACKET) {
            throw new ExprException(current.pos(), "expected ']' to close '[' at " + open.pos());
        }
        advance();
        nesting--;
        return new Value.ArrayLit(items, open.pos());
    }

    private Value arrayItem(boolean inRow, Value firstItem) {
        return switch (current.kind()) {
            case NUMBER -> {
                if (firstItem instanceof Value.ArrayLit) {
                    throw new ExprException(current.pos(), "an array holds numbers or rows, not both");
                }
                yield numberValue();
            }
            case LBRACKET -> {
                if (inRow) {
                    throw new ExprException(current.pos(), "arrays may have at most 2 dimensions");
                }
                if (firstItem instanceof Value.Num) {
                    throw new ExprException(current.pos(), "an array holds numbers or rows, not both");
                }
                yield array(true);
            }
            case PARAM -> throw new ExprException(current.pos(), "parameters may not appear inside arrays");
            case END -> throw new ExprException(current.pos(), "unexpected end of input");
            case NAME, LPAREN, RPAREN, RBRACKET, COMMA, EQUALS, AT, STAR ->
                    throw unexpected(inRow ? "a number" : "a number or '['");
        };
    }

    private Value.Num numberValue() {
        Value.Num num = new Value.Num(number(current), current.pos());
        advance();
        return num;
    }

    private static double number(Token token) {
        double v = Double.parseDouble(token.text());
        if (!Double.isFinite(v)) {
            throw new ExprException(token.pos(), "number " + token.text() + " is not finite");
        }
        return v;
    }

    private boolean acceptComma() {
        if (current.kind() != Kind.COMMA) {
            return false;
        }
        advance();
        return true;
    }

    private void expectEnd(String what) {
        if (current.kind() != Kind.END) {
            throw new ExprException(current.pos(), "unexpected " + current.describe() + " after the " + what);
        }
    }

    private void countOperator(Position at) {
        if (++operators > MAX_OPERATORS) {
            throw new ExprException(at, "more than " + MAX_OPERATORS
                    + " operators in one expression (each operator name and each '* number' counts one)");
        }
    }

    private void enter(Token open) {
        if (++nesting > MAX_NESTING) {
            throw new ExprException(open.pos(), "nested more than " + MAX_NESTING + " levels deep");
        }
    }

    private ExprException unexpected(String expected) {
        return new ExprException(current.pos(), "expected " + expected + ", found " + current.describe());
    }

    private void advance() {
        if (lookahead != null) {
            current = lookahead;
            lookahead = null;
        } else {
            current = lexer.next();
        }
    }

    private Token peek() {
        if (lookahead == null) {
            lookahead = lexer.next();
        }
        return lookahead;
    }
}
