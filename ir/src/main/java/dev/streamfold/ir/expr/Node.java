package dev.streamfold.ir.expr;

/** A piece of the syntax tree that can be a call argument: an operator expression or a value. */
public sealed interface Node permits Expr, Value {
    /** Where this node's text is; see the implementing records for which character. */
    Position pos();
}
