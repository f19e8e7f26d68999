package dev.streamfold.ir;

import java.util.List;

/**
 * A flat SSA program: parameters, equations in dependency order, results. Nested programs (scan
 * bodies) are closed: they see only their own parameters.
 */
public record Program(List<Var> params, List<Eqn> eqns, List<Var> results) {
    public Program {
        params = List.copyOf(params);
        eqns = List.copyOf(eqns);
        results = List.copyOf(results);
    }

    public List<Type> paramTypes() {
        return params.stream().map(Var::type).toList();
    }

    public List<Type> resultTypes() {
        return results.stream().map(Var::type).toList();
    }

    /** One more than the largest var id used anywhere at this level. */
    public int nextId() {
        int max = -1;
        for (Var v : params) {
            max = Math.max(max, v.id());
        }
        for (Eqn e : eqns) {
            for (Var v : e.outs()) {
                max = Math.max(max, v.id());
            }
        }
        return max + 1;
    }

    @Override
    public String toString() {
        return Printer.print(this);
    }
}
