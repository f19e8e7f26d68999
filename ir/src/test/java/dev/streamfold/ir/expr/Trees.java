package dev.streamfold.ir.expr;

import java.util.List;
import java.util.stream.Collectors;

/** Test views of syntax trees: a compact structural rendering, and position-free copies. */
final class Trees {
    private static final Position ANYWHERE = Position.START;

    private Trees() {}

    /**
     * An s-expression: {@code name} for a bare call, {@code (name arg ...)} for a call with
     * parentheses, {@code (@ f ...)}, {@code (* base factor)}, {@code key=value}, {@code $p},
     * {@code [item ...]}.
     */
    static String sexpr(Node node) {
        return switch (node) {
            case Expr.Call call -> call.hadParens()
                    ? "(" + call.name() + call.args().stream().map(a -> " " + sexpr(a)).collect(Collectors.joining()) + ")"
                    : call.name();
            case Expr.MatMul product -> "(@ " + join(product.factors()) + ")";
            case Expr.Scaled scaled -> "(* " + sexpr(scaled.base()) + " " + scaled.factor() + ")";
            case Value.Num num -> Double.toString(num.v());
            case Value.ParamRef ref -> "$" + ref.name();
            case Value.ArrayLit array -> "[" + join(array.items()) + "]";
        };
    }

    private static String sexpr(Arg arg) {
        return (arg.keyword() == null ? "" : arg.keyword() + "=") + sexpr(arg.value());
    }

    private static String join(List<? extends Node> nodes) {
        return nodes.stream().map(Trees::sexpr).collect(Collectors.joining(" "));
    }

    /** The same tree with every position replaced by 1:1. */
    static Expr withoutPositions(Expr expr) {
        return switch (expr) {
            case Expr.Call call -> new Expr.Call(call.name(),
                    call.args().stream().map(Trees::withoutPositions).toList(), call.hadParens(), ANYWHERE);
            case Expr.MatMul product -> new Expr.MatMul(
                    product.factors().stream().map(Trees::withoutPositions).toList(), ANYWHERE);
            case Expr.Scaled scaled -> new Expr.Scaled(withoutPositions(scaled.base()), scaled.factor(), ANYWHERE);
        };
    }

    private static Arg withoutPositions(Arg arg) {
        Node value = switch (arg.value()) {
            case Expr e -> withoutPositions(e);
            case Value v -> withoutPositions(v);
        };
        return new Arg(arg.keyword(), value, ANYWHERE);
    }

    static Value withoutPositions(Value value) {
        return switch (value) {
            case Value.Num num -> new Value.Num(num.v(), ANYWHERE);
            case Value.ParamRef ref -> new Value.ParamRef(ref.name(), ANYWHERE);
            case Value.ArrayLit array -> new Value.ArrayLit(
                    array.items().stream().map(Trees::withoutPositions).toList(), ANYWHERE);
        };
    }
}
