package dev.streamfold.ir;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Rewrites a program so that every floating-point type in it, nested bodies included, is one given
 * type: parameters, constants (rounded), conversions to a floating type, iotas. Integer and bool
 * values are unchanged. Output types follow from the ops' shape rules.
 */
public final class CastFloatingTypes {
    private CastFloatingTypes() {}

    /**
     * {@code p} with every floating-point value of type {@code to}.
     *
     * @throws IllegalArgumentException when {@code to} is not a floating type
     */
    public static Program apply(Program p, DType to) {
        if (!to.isFloating()) {
            throw new IllegalArgumentException("cast to a floating type, not " + to);
        }
        ProgramBuilder b = new ProgramBuilder();
        Map<Integer, Var> vars = new HashMap<>();
        for (Var v : p.params()) {
            vars.put(v.id(), b.param(cast(v.type(), to)));
        }
        for (Eqn e : p.eqns()) {
            List<Var> ins = e.ins().stream().map(v -> vars.get(v.id())).toList();
            List<Var> outs = b.emit(cast(e.op(), to), ins);
            for (int i = 0; i < outs.size(); i++) {
                vars.put(e.outs().get(i).id(), outs.get(i));
            }
        }
        List<Var> results = new ArrayList<>();
        for (Var r : p.results()) {
            results.add(vars.get(r.id()));
        }
        return b.build(results);
    }

    private static Type cast(Type t, DType to) {
        return t.dtype().isFloating() ? t.withDtype(to) : t;
    }

    /** The op with its own floating types replaced; ops that take their types from their inputs stay. */
    private static Op cast(Op op, DType to) {
        return switch (op) {
            case Constant c -> c.value().dtype().isFloating() ? new Constant(c.value().astype(to)) : c;
            case Convert c -> c.to().isFloating() ? new Convert(to) : c;
            case Iota i -> new Iota(cast(i.type(), to), i.dimension());
            case Scan s -> new Scan(apply(s.body(), to), s.numConsts(), s.numCarries(), s.length(), s.reverse());
            case Unary u -> u;
            case Binary x -> x;
            case Compare x -> x;
            case Select x -> x;
            case Broadcast x -> x;
            case Reshape x -> x;
            case Reduce x -> x;
            case TakeClipped x -> x;
            case RingDot x -> x;
            case RingPush x -> x;
            case Transpose x -> x;
            case MatMul x -> x;
            case Slice x -> x;
            case Concatenate x -> x;
            case GatherRows x -> x;
            case Triangle x -> x;
            case DiagPart x -> x;
            case DiagEmbed x -> x;
            case TriangularSolve x -> x;
            case Cholesky x -> x;
            case Lu x -> x;
            case Qr x -> x;
            case Svd x -> x;
            case Eigh x -> x;
            case DerivativeGuard x -> x;
        };
    }
}
