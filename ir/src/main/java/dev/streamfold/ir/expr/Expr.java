package dev.streamfold.ir.expr;

import java.util.List;
import java.util.Objects;

/** An operator expression: what the language's {@code expr} rule produces. */
public sealed interface Expr extends Node permits Expr.Call, Expr.MatMul, Expr.Scaled {

    /**
     * An operator by name (a NAME: {@code [A-Za-z_][A-Za-z0-9_]*}), with its arguments. A bare
     * {@code NAME} is a call with no arguments and {@code hadParens == false}; {@code NAME()} has
     * {@code hadParens == true}. {@code pos} is the first character of the name.
     */
    record Call(String name, List<Arg> args, boolean hadParens, Position pos) implements Expr {
        public Call {
            if (!Lexer.isName(name)) {
                throw new IllegalArgumentException("not a name: '" + name + "'");
            }
            args = List.copyOf(args);
            Objects.requireNonNull(pos, "pos");
            if (!hadParens && !args.isEmpty()) {
                throw new IllegalArgumentException("a call without parentheses has no arguments: " + name);
            }
        }
    }

    /**
     * {@code f1 @ f2 @ ... @ fn} with n >= 2, factors in source order (the matrix product
     * f1 f2 ... fn). {@code pos} is the first {@code @}.
     */
    record MatMul(List<Expr> factors, Position pos) implements Expr {
        public MatMul {
            factors = List.copyOf(factors);
            Objects.requireNonNull(pos, "pos");
            if (factors.size() < 2) {
                throw new IllegalArgumentException("a product has at least two factors, got " + factors.size());
            }
        }
    }

    /**
     * {@code base * factor}; {@code a * s1 * s2} is {@code Scaled(Scaled(a, s1), s2)}. The factor
     * is finite. {@code pos} is the {@code *}.
     */
    record Scaled(Expr base, double factor, Position pos) implements Expr {
        public Scaled {
            Objects.requireNonNull(base, "base");
            Objects.requireNonNull(pos, "pos");
            if (!Double.isFinite(factor)) {
                throw new IllegalArgumentException("scale factor is not finite: " + factor);
            }
        }
    }
}
