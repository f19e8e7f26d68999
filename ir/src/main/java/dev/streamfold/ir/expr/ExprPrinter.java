package dev.streamfold.ir.expr;

/**
 * Prints the canonical text of an expression: one space around {@code @} and {@code *}, {@code ", "}
 * between arguments and array items, numbers as {@link Double#toString(double)} (shortest text that
 * reads back to the same double, so {@code 2} prints as {@code 2.0}), parentheses only where the
 * structure needs them. {@code ExprParser.parse(print(e))} equals {@code e} except for positions,
 * and equal trees print equal text, so the text can serve as a cache key.
 */
public final class ExprPrinter {
    private ExprPrinter() {}

    public static String print(Expr expr) {
        StringBuilder out = new StringBuilder();
        expr(expr, out);
        return out.toString();
    }

    public static String print(Value value) {
        StringBuilder out = new StringBuilder();
        value(value, out);
        return out.toString();
    }

    private static void expr(Expr expr, StringBuilder out) {
        switch (expr) {
            case Expr.Call call -> {
                out.append(call.name());
                if (call.hadParens()) {
                    out.append('(');
                    for (int i = 0; i < call.args().size(); i++) {
                        if (i > 0) {
                            out.append(", ");
                        }
                        arg(call.args().get(i), out);
                    }
                    out.append(')');
                }
            }
            case Expr.MatMul product -> {
                for (int i = 0; i < product.factors().size(); i++) {
                    if (i > 0) {
                        out.append(" @ ");
                    }
                    operand(product.factors().get(i), out);
                }
            }
            case Expr.Scaled scaled -> {
                operand(scaled.base(), out);
                out.append(" * ").append(Double.toString(scaled.factor()));
            }
        }
    }

    /** An operand of {@code @} or {@code *}: a product there needs parentheses. */
    private static void operand(Expr expr, StringBuilder out) {
        if (expr instanceof Expr.MatMul) {
            out.append('(');
            expr(expr, out);
            out.append(')');
        } else {
            expr(expr, out);
        }
    }

    private static void arg(Arg arg, StringBuilder out) {
        if (arg.keyword() != null) {
            out.append(arg.keyword()).append('=');
        }
        switch (arg.value()) {
            case Expr e -> expr(e, out);
            case Value v -> value(v, out);
        }
    }

    private static void value(Value value, StringBuilder out) {
        switch (value) {
            case Value.Num num -> out.append(Double.toString(num.v()));
            case Value.ParamRef ref -> out.append('$').append(ref.name());
            case Value.ArrayLit array -> {
                out.append('[');
                for (int i = 0; i < array.items().size(); i++) {
                    if (i > 0) {
                        out.append(", ");
                    }
                    value(array.items().get(i), out);
                }
                out.append(']');
            }
        }
    }
}
