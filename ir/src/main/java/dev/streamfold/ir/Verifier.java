package dev.streamfold.ir;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Checks a program's invariants: every var defined once before use, every equation's outputs typed
 * by its op's shape rule, nested bodies closed and valid. Passes run it between steps in tests.
 */
public final class Verifier {
    private Verifier() {}

    /** @throws IllegalStateException naming the equation and the broken invariant */
    public static Program verify(Program p) {
        verify(p, "");
        return p;
    }

    private static void verify(Program p, String where) {
        Map<Integer, Type> defined = new HashMap<>();
        for (Var v : p.params()) {
            define(defined, v, where + "param " + v);
        }
        List<Eqn> eqns = p.eqns();
        for (int i = 0; i < eqns.size(); i++) {
            Eqn e = eqns.get(i);
            String at = where + "eqn " + i + " (" + e.op().name() + ")";
            for (Var v : e.ins()) {
                Type t = defined.get(v.id());
                if (t == null) {
                    throw new IllegalStateException(at + ": uses " + v + " before it is defined");
                }
                if (!t.equals(v.type())) {
                    throw new IllegalStateException(at + ": " + v + " used as " + v.type() + " but defined as " + t);
                }
            }
            List<Type> expect;
            try {
                expect = e.op().outTypes(e.ins().stream().map(Var::type).toList());
            } catch (IllegalArgumentException ex) {
                throw new IllegalStateException(at + ": " + ex.getMessage(), ex);
            }
            if (!expect.equals(e.outs().stream().map(Var::type).toList())) {
                throw new IllegalStateException(at + ": outputs typed " + e.outs() + " but the shape rule gives " + expect);
            }
            for (Var v : e.outs()) {
                define(defined, v, at);
            }
            if (e.op() instanceof Scan s) {
                verify(s.body(), at + " body: ");
            }
        }
        for (Var r : p.results()) {
            if (!r.type().equals(defined.get(r.id()))) {
                throw new IllegalStateException(where + "result " + r + " is not defined as " + r.type());
            }
        }
    }

    private static void define(Map<Integer, Type> defined, Var v, String at) {
        if (defined.put(v.id(), v.type()) != null) {
            throw new IllegalStateException(at + ": " + v + " defined twice");
        }
    }
}
