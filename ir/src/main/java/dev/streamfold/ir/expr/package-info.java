/**
 * The one-line expression language that names a streaming matrix, for example
 * {@code prefix_sum @ momentum_sgd(momentum=0.9, learning_rates=[1.0, 0.5]) * 0.5}.
 *
 * <pre>
 * expr    := product
 * product := scaled ('@' scaled)*
 * scaled  := atom ('*' number)*
 * atom    := NAME | NAME '(' [arg (',' arg)*] ')' | '(' expr ')'
 * arg     := expr | value | NAME '=' value | NAME '=' expr
 * value   := number | '$' NAME | '[' [value (',' value)*] ']'
 * number  := ['-'] digits ['.' digits] [('e'|'E') ['-'|'+'] digits]
 * </pre>
 *
 * <p>{@link dev.streamfold.ir.expr.ExprParser} turns text into the syntax tree ({@link
 * dev.streamfold.ir.expr.Expr}, {@link dev.streamfold.ir.expr.Value}, {@link
 * dev.streamfold.ir.expr.Arg}); {@link dev.streamfold.ir.expr.ExprPrinter} turns it back into
 * canonical text. The tree is purely syntactic: operator names and their arguments are checked
 * later, against the operator catalogue.
 */
package dev.streamfold.ir.expr;
