package dev.streamfold.ir;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The forward-mode transform {@code Program -> Program}. Tangents of values are symbolic {@link
 * Tangent.Zero}s or dense values; zeros are never allocated unless a consumer needs a dense value
 * (a scan carry that becomes non-zero, a requested output).
 */
public final class Jvp {
    private Jvp() {}

    /**
     * The JVP of {@code p} with respect to the parameters marked in {@code nonZeroIn}.
     *
     * @param program params are {@code p}'s params then one tangent per marked param; results are
     *     {@code p}'s results then one tangent per result marked in {@code nonZeroOut}
     * @param nonZeroOut which results have a (dense) tangent
     */
    public record Result(Program program, boolean[] nonZeroOut) {}

    /** Transforms {@code p}; results listed in {@code forceOut} (may be null) get dense tangents. */
    public static Result transform(Program p, boolean[] nonZeroIn, boolean[] forceOut) {
        if (nonZeroIn.length != p.params().size()) {
            throw new IllegalArgumentException("jvp: " + nonZeroIn.length + " flags for " + p.params().size() + " params");
        }
        Emitter b = new Emitter();
        Map<Integer, Var> primal = new HashMap<>();
        Map<Integer, Tangent> tangent = new HashMap<>();
        for (Var v : p.params()) {
            primal.put(v.id(), b.param(v.type()));
        }
        for (int i = 0; i < nonZeroIn.length; i++) {
            Var v = p.params().get(i);
            boolean nz = nonZeroIn[i] && v.type().dtype().isFloating();
            tangent.put(v.id(), nz ? Tangent.of(b.param(v.type())) : Tangent.zero(v.type()));
        }
        for (Eqn e : p.eqns()) {
            List<Var> ins = e.ins().stream().map(v -> primal.get(v.id())).toList();
            List<Tangent> tin = e.ins().stream().map(v -> tangent.get(v.id())).toList();
            boolean allZero = tin.stream().allMatch(Tangent::isZero);
            List<Var> outs;
            List<Tangent> tout;
            if (e.op() instanceof Scan s && !allZero) {
                // One scan computes primal and tangent together.
                ScanJvp sj = scan(s, b, ins, tin);
                outs = sj.primals();
                tout = sj.tangents();
            } else {
                outs = b.emit(e.op(), ins);
                tout = allZero
                        ? outs.stream().map(v -> Tangent.zero(v.type())).toList()
                        : e.op().jvp(b, ins, outs, tin);
            }
            for (int i = 0; i < outs.size(); i++) {
                Var old = e.outs().get(i);
                primal.put(old.id(), outs.get(i));
                Tangent t = tout.get(i);
                if (!t.type().equals(old.type())) {
                    throw new IllegalStateException("jvp of " + e.op().name() + " gave a tangent of type " + t.type()
                            + " for an output of type " + old.type());
                }
                tangent.put(old.id(), old.type().dtype().isFloating() ? t : Tangent.zero(old.type()));
            }
        }
        List<Var> results = new ArrayList<>();
        for (Var r : p.results()) {
            results.add(primal.get(r.id()));
        }
        boolean[] nzOut = new boolean[p.results().size()];
        for (int i = 0; i < nzOut.length; i++) {
            Tangent t = tangent.get(p.results().get(i).id());
            boolean force = forceOut != null && forceOut[i];
            if (!t.isZero() || force) {
                nzOut[i] = true;
                results.add(b.instantiate(t));
            }
        }
        return new Result(b.build(results), nzOut);
    }

    /** Outputs of a program and their tangents; a null tangent is structurally zero. */
    public record Evaluated(List<Tensor> outputs, List<Tensor> tangents) {
        public Evaluated {
            outputs = List.copyOf(outputs);
            tangents = java.util.Collections.unmodifiableList(new ArrayList<>(tangents));
        }
    }

    /**
     * Runs the JVP of {@code p} in the interpreter at {@code inputs} along {@code tangents} (one per
     * parameter; null is a symbolic zero, as is any tangent of an integer or bool parameter).
     */
    public static Evaluated evaluate(Program p, List<Tensor> inputs, List<Tensor> tangents) {
        if (tangents.size() != inputs.size()) {
            throw new IllegalArgumentException("jvp: " + tangents.size() + " tangents for " + inputs.size() + " inputs");
        }
        boolean[] nonZero = new boolean[inputs.size()];
        List<Tensor> args = new ArrayList<>(inputs);
        for (int i = 0; i < nonZero.length; i++) {
            nonZero[i] = tangents.get(i) != null && inputs.get(i).dtype().isFloating();
            if (nonZero[i]) {
                args.add(tangents.get(i));
            }
        }
        Result r = transform(p, nonZero, null);
        List<Tensor> out = Interpreter.run(r.program(), args);
        int n = p.results().size();
        List<Tensor> dOut = new ArrayList<>();
        int k = n;
        for (int i = 0; i < n; i++) {
            dOut.add(r.nonZeroOut()[i] ? out.get(k++) : null);
        }
        return new Evaluated(out.subList(0, n), dOut);
    }

    /** Primal outputs and their tangents of a scan's JVP. */
    record ScanJvp(List<Var> primals, List<Tangent> tangents) {}

    /** Scan's JVP: iterate the body's JVP until the set of non-zero carry tangents is stable. */
    static ScanJvp scan(Scan s, Emitter b, List<Var> ins, List<Tangent> t) {
        int nc = s.numConsts();
        int nk = s.numCarries();
        int nx = s.numXs();
        Program body = s.body();
        boolean[] carryNz = new boolean[nk];
        for (int i = 0; i < nk; i++) {
            carryNz[i] = !t.get(nc + i).isZero();
        }
        Result r;
        while (true) {
            boolean[] nzIn = new boolean[nc + nk + nx];
            for (int i = 0; i < nzIn.length; i++) {
                nzIn[i] = i >= nc && i < nc + nk ? carryNz[i - nc] : !t.get(i).isZero();
            }
            boolean[] force = new boolean[body.results().size()];
            System.arraycopy(carryNz, 0, force, 0, nk);
            r = transform(body, nzIn, force);
            boolean changed = false;
            for (int i = 0; i < nk; i++) {
                if (r.nonZeroOut()[i] && !carryNz[i]) {
                    carryNz[i] = true;
                    changed = true;
                }
            }
            if (!changed) {
                break;
            }
        }
        // r.program: params (consts, carries, xs, tangents of the non-zero ones in that order);
        // results (carries, ys, tangents of the non-zero ones). Reorder into scan form.
        Program jp = r.program();
        List<Var> jparams = jp.params();
        int base = nc + nk + nx;
        List<Var> tparams = jparams.subList(base, jparams.size());
        List<Var> pc = new ArrayList<>(jparams.subList(0, nc));
        List<Var> pk = new ArrayList<>(jparams.subList(nc, nc + nk));
        List<Var> px = new ArrayList<>(jparams.subList(nc + nk, base));
        List<Var> inC = new ArrayList<>(ins.subList(0, nc));
        List<Var> inK = new ArrayList<>(ins.subList(nc, nc + nk));
        List<Var> inX = new ArrayList<>(ins.subList(nc + nk, base));
        int k = 0;
        for (int i = 0; i < base; i++) {
            boolean nz = i >= nc && i < nc + nk ? carryNz[i - nc] : !t.get(i).isZero();
            if (!nz || !body.params().get(i).type().dtype().isFloating()) {
                continue;
            }
            Var tp = tparams.get(k++);
            if (i < nc) {
                pc.add(tp);
                inC.add(b.instantiate(t.get(i)));
            } else if (i < nc + nk) {
                pk.add(tp);
                inK.add(b.instantiate(t.get(i)));
            } else {
                px.add(tp);
                inX.add(b.instantiate(t.get(i)));
            }
        }
        List<Var> jres = jp.results();
        int nres = body.results().size();
        List<Var> rk = new ArrayList<>(jres.subList(0, nk));
        List<Var> ry = new ArrayList<>(jres.subList(nk, nres));
        boolean[] nzOut = r.nonZeroOut();
        int q = nres;
        List<Integer> yTangentOf = new ArrayList<>();
        for (int i = 0; i < nres; i++) {
            if (!nzOut[i]) {
                continue;
            }
            Var tr = jres.get(q++);
            if (i < nk) {
                rk.add(tr);
            } else {
                ry.add(tr);
                yTangentOf.add(i - nk);
            }
        }
        List<Var> params = new ArrayList<>(pc);
        params.addAll(pk);
        params.addAll(px);
        List<Var> results = new ArrayList<>(rk);
        results.addAll(ry);
        Program nb = new Program(params, jp.eqns(), results);
        List<Var> newOuts = b.scan(nb, s.length(), inC, inK, inX, s.reverse());
        // Outputs: carries (nk), carry tangents (non-zero), ys (numYs), ys tangents.
        List<Tangent> tout = new ArrayList<>();
        int pos = nk;
        for (int i = 0; i < nk; i++) {
            tout.add(carryNz[i] ? Tangent.of(newOuts.get(pos++)) : Tangent.zero(newOuts.get(i).type()));
        }
        int ys = pos;
        int yt = ys + s.numYs();
        List<Var> primals = new ArrayList<>(newOuts.subList(0, nk));
        primals.addAll(newOuts.subList(ys, yt));
        Tangent[] ysT = new Tangent[s.numYs()];
        for (int j = 0; j < ysT.length; j++) {
            ysT[j] = Tangent.zero(newOuts.get(ys + j).type());
        }
        for (int j = 0; j < yTangentOf.size(); j++) {
            ysT[yTangentOf.get(j)] = Tangent.of(newOuts.get(yt + j));
        }
        tout.addAll(Arrays.asList(ysT));
        return new ScanJvp(primals, tout);
    }

    /** A program builder with the tangent arithmetic JVP rules use. */
    public static final class Emitter extends ProgramBuilder {
        /** A dense value for {@code t}: zeros when it is symbolic. */
        public Var instantiate(Tangent t) {
            return switch (t) {
                case Tangent.Dense d -> d.value();
                case Tangent.Zero z -> full(z.type(), 0.0);
            };
        }

        public Tangent addTangents(Tangent a, Tangent c) {
            if (a.isZero()) {
                return c;
            }
            if (c.isZero()) {
                return a;
            }
            return Tangent.of(add(instantiate(a), instantiate(c)));
        }

        public Tangent negTangent(Tangent a) {
            return a.isZero() ? a : Tangent.of(neg(instantiate(a)));
        }

        /** {@code a * s} for a value {@code s} of the tangent's type. */
        public Tangent scaleTangent(Tangent a, Var s) {
            return a.isZero() ? a : Tangent.of(mul(instantiate(a), s));
        }

        public Tangent divTangent(Tangent a, Var s) {
            return a.isZero() ? a : Tangent.of(div(instantiate(a), s));
        }

        public Tangent selectTangent(Var pred, Tangent a, Tangent c) {
            if (a.isZero() && c.isZero()) {
                return a;
            }
            return Tangent.of(select(pred, instantiate(a), instantiate(c)));
        }

        /** The rule of an op linear in all its inputs: apply it to the tangents. */
        public List<Tangent> linear(Op op, List<Var> outs, List<Tangent> t) {
            if (t.stream().allMatch(Tangent::isZero)) {
                return outs.stream().map(v -> (Tangent) Tangent.zero(v.type())).toList();
            }
            List<Var> dense = t.stream().map(this::instantiate).toList();
            return emit(op, dense).stream().map(v -> (Tangent) Tangent.of(v)).toList();
        }
    }
}
