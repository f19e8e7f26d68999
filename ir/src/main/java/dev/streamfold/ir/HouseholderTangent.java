package dev.streamfold.ir;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The tangent of a full QR of a tall matrix. The first {@code n} columns of {@code q} and {@code r}
 * follow the thin rule; the complement columns {@code k..m-1} of {@code q} are not unique, so they
 * are differentiated through the Householder construction {@link Qr} uses: that construction is
 * written as an IR program, its JVP taken by {@link Jvp#transform} and inlined into the rule.
 */
final class HouseholderTangent {
    private HouseholderTangent() {}

    /** {@code dq [..., m, m]} and {@code dr [..., m, n]} of {@code Qr(fullMatrices = true)} for {@code m > n}. */
    static List<Tangent> fullTall(Jvp.Emitter b, Var a, Var q, Var r, Var da) {
        int m = SpectralTerms.rowCount(a);
        int n = SpectralTerms.columnCount(a);
        Var[] thin = Qr.tallRule(b, SpectralTerms.columns(b, q, 0, n), SpectralTerms.rows(b, r, 0, n), da);
        ProgramBuilder construction = new ProgramBuilder();
        Var x = construction.param(a.type());
        Program complement = construction.build(complementColumns(construction, x));
        Jvp.Result tangent = Jvp.transform(complement, new boolean[] {true}, new boolean[] {true});
        Var dComplement = inline(b, tangent.program(), List.of(a, da)).get(1);
        Var dq = b.concatenate(q.type().rank() - 1, List.of(thin[0], dComplement));
        Var zeros = b.full(r.type().withShape(Batched.withTrailing(r.type().shape(), 2, m - n, n)), 0.0);
        Var dr = b.concatenate(r.type().rank() - 2, List.of(thin[1], zeros));
        return List.of(Tangent.of(dq), Tangent.of(dr));
    }

    /**
     * Columns {@code n..m-1} of {@code H_0 ... H_(n-1)} for {@code a [..., m, n]}, {@code m > n}, with
     * the reflectors of {@link Qr}: {@code v_j = 1}, {@code beta = -sign(alpha) norm}, {@code sign(0)
     * = 1}, {@code tau = (beta - alpha) / beta}.
     */
    static Var complementColumns(ProgramBuilder b, Var a) {
        int m = SpectralTerms.rowCount(a);
        int n = SpectralTerms.columnCount(a);
        int rank = a.type().rank();
        List<Var> reflectors = new ArrayList<>();
        List<Var> taus = new ArrayList<>();
        Var trailing = a;
        for (int j = 0; j < n; j++) {
            int rows = m - j;
            Var column = SpectralTerms.columns(b, trailing, 0, 1);
            Var alpha = SpectralTerms.rows(b, column, 0, 1);
            Shape one = Batched.withTrailing(a.type().shape(), 2, 1, 1);
            Var norm = b.unary(Unary.Kind.SQRT,
                    b.reshape(b.reduce(Reduce.Kind.SUM, b.mul(column, column), rank - 2), one));
            Type unit = alpha.type();
            Var sign = b.select(b.compare(Compare.Kind.GE, alpha, b.full(unit, 0.0)), b.full(unit, 1.0),
                    b.full(unit, -1.0));
            Var beta = b.neg(b.mul(sign, norm));
            Var below = SpectralTerms.rows(b, column, 1, rows);
            Var scaled = b.div(below, spread(b, b.sub(alpha, beta), below.type()));
            List<Var> parts = new ArrayList<>();
            if (j > 0) {
                parts.add(b.full(unit.withShape(Batched.withTrailing(a.type().shape(), 2, j, 1)), 0.0));
            }
            parts.add(b.full(unit, 1.0));
            parts.add(scaled);
            Var v = b.concatenate(rank - 2, parts);
            Var tau = b.div(b.sub(beta, alpha), beta);
            reflectors.add(v);
            taus.add(tau);
            if (j + 1 < n) {
                Var vj = SpectralTerms.rows(b, v, j, m);
                Var rest = SpectralTerms.columns(b, trailing, 1, n - j);
                Var reflected = reflect(b, vj, tau, rest);
                trailing = SpectralTerms.rows(b, reflected, 1, rows);
            }
        }
        Var z = SpectralTerms.columns(b, b.eye(a.type().withShape(Batched.withTrailing(a.type().shape(), 2, m, m))), n, m);
        for (int j = n - 1; j >= 0; j--) {
            z = reflect(b, reflectors.get(j), taus.get(j), z);
        }
        return z;
    }

    /** {@code (I - tau v v^T) x} for {@code v [..., p, 1]}, {@code tau [..., 1, 1]}, {@code x [..., p, c]}. */
    private static Var reflect(ProgramBuilder b, Var v, Var tau, Var x) {
        Var w = b.matmul(b.matrixTranspose(v), x);
        Var update = b.matmul(v, b.mul(spread(b, tau, w.type()), w));
        return b.sub(x, update);
    }

    /** Broadcasts {@code x [..., 1, 1]} to {@code type}. */
    private static Var spread(ProgramBuilder b, Var x, Type type) {
        int[] dims = new int[x.type().rank()];
        for (int i = 0; i < dims.length; i++) {
            dims[i] = i;
        }
        return b.broadcast(x, type.shape(), dims);
    }

    /** Emits the equations of {@code p} into {@code b} with its parameters bound to {@code args}; returns its results. */
    private static List<Var> inline(ProgramBuilder b, Program p, List<Var> args) {
        Map<Integer, Var> bound = new HashMap<>();
        for (int i = 0; i < args.size(); i++) {
            bound.put(p.params().get(i).id(), args.get(i));
        }
        for (Eqn e : p.eqns()) {
            List<Var> outs = b.emit(e.op(), e.ins().stream().map(v -> bound.get(v.id())).toList());
            for (int i = 0; i < outs.size(); i++) {
                bound.put(e.outs().get(i).id(), outs.get(i));
            }
        }
        return p.results().stream().map(v -> bound.get(v.id())).toList();
    }
}
