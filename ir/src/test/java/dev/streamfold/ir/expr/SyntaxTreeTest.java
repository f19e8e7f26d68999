package dev.streamfold.ir.expr;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.junit.jupiter.api.Test;

class SyntaxTreeTest {
    private static final Position P = Position.START;

    @Test
    void positionPrintsAsLineColon() {
        assertEquals("12:3", new Position(12, 3).toString());
        assertThrows(IllegalArgumentException.class, () -> new Position(0, 1));
        assertThrows(IllegalArgumentException.class, () -> new Position(1, 0));
    }

    @Test
    void nodesRejectWhatTheLanguageCannotSay() {
        Expr.Call a = new Expr.Call("a", List.of(), false, P);
        Arg one = new Arg(null, new Value.Num(1, P), P);
        assertThrows(IllegalArgumentException.class, () -> new Expr.Call("a", List.of(one), false, P));
        assertThrows(IllegalArgumentException.class, () -> new Expr.Call("2a", List.of(), false, P));
        assertThrows(IllegalArgumentException.class, () -> new Expr.MatMul(List.of(a), P));
        assertThrows(IllegalArgumentException.class, () -> new Expr.Scaled(a, Double.NaN, P));
        assertThrows(IllegalArgumentException.class, () -> new Value.Num(Double.POSITIVE_INFINITY, P));
        assertThrows(IllegalArgumentException.class, () -> new Value.ParamRef("", P));
        assertThrows(IllegalArgumentException.class, () -> new Arg("a b", a, P));
    }

    @Test
    void printsTreesBuiltInCode() {
        Expr.Call a = new Expr.Call("a", List.of(), false, P);
        Expr.Call b = new Expr.Call("b", List.of(), true, P);
        Expr product = new Expr.MatMul(List.of(new Expr.MatMul(List.of(a, b), P), new Expr.Scaled(a, 1e-9, P)), P);
        Expr call = new Expr.Call("f", List.of(
                new Arg(null, product, P),
                new Arg("k", new Value.ArrayLit(List.of(new Value.Num(-0.0, P)), P), P)), true, P);
        String printed = ExprPrinter.print(new Expr.Scaled(call, 3, P));
        assertEquals("f((a @ b()) @ a * 1.0E-9, k=[-0.0]) * 3.0", printed);
        assertEquals(Trees.withoutPositions(new Expr.Scaled(call, 3, P)),
                Trees.withoutPositions(ExprParser.parse(printed)));
    }
}
