package dev.streamfold.ir;

import java.util.ArrayList;
import java.util.List;

/**
 * A loop of {@code length} steps over a closed body program. Inputs: {@code numConsts} constants,
 * {@code numCarries} initial carries, then arrays {@code xs} whose leading axis has {@code length}
 * entries. The body takes {@code (consts, carries, x_t...)} and returns {@code (carries', y_t...)};
 * outputs are the final carries then the {@code ys} stacked along a new leading axis. With {@code
 * reverse} the steps run from the last to the first.
 */
public record Scan(Program body, int numConsts, int numCarries, int length, boolean reverse) implements Op {
    public Scan {
        java.util.Objects.requireNonNull(body);
        if (numConsts < 0 || numCarries < 0 || length < 0 || numConsts + numCarries > body.params().size()) {
            throw new IllegalArgumentException("scan with consts=" + numConsts + " carries=" + numCarries
                    + " length=" + length + " for a body of " + body.params().size() + " params");
        }
        if (body.results().size() < numCarries) {
            throw new IllegalArgumentException("scan body returns fewer values than its " + numCarries + " carries");
        }
    }

    public int numXs() {
        return body.params().size() - numConsts - numCarries;
    }

    public int numYs() {
        return body.results().size() - numCarries;
    }

    @Override
    public String name() {
        return "scan";
    }

    @Override
    public List<Type> outTypes(List<Type> ins) {
        List<Type> bp = body.paramTypes();
        if (ins.size() != bp.size()) {
            throw new IllegalArgumentException("scan takes " + bp.size() + " inputs, got " + ins.size());
        }
        for (int i = 0; i < numConsts + numCarries; i++) {
            if (!ins.get(i).equals(bp.get(i))) {
                throw new IllegalArgumentException("scan input " + i + " is " + ins.get(i) + ", body expects " + bp.get(i));
            }
        }
        for (int i = numConsts + numCarries; i < ins.size(); i++) {
            Type x = ins.get(i);
            if (x.rank() < 1 || x.shape().dim(0) != length || !x.withShape(x.shape().dropLeading()).equals(bp.get(i))) {
                throw new IllegalArgumentException(
                        "scan xs input " + i + " is " + x + ", body expects " + length + " rows of " + bp.get(i));
            }
        }
        List<Type> br = body.resultTypes();
        for (int i = 0; i < numCarries; i++) {
            if (!br.get(i).equals(bp.get(numConsts + i))) {
                throw new IllegalArgumentException(
                        "scan carry " + i + " enters as " + bp.get(numConsts + i) + " but leaves as " + br.get(i));
            }
        }
        List<Type> out = new ArrayList<>(br.subList(0, numCarries));
        for (Type y : br.subList(numCarries, br.size())) {
            out.add(y.withShape(y.shape().prepend(length)));
        }
        return out;
    }

    /** Scan's rule, as in the seed: the non-zero carries are found by a fixed point. */
    @Override
    public List<Tangent> jvp(Jvp.Emitter b, List<Var> ins, List<Var> outs, List<Tangent> t) {
        // The transform emits one combined scan instead (Jvp.transform); used alone, this rule
        // recomputes the primal beside the tangents.
        return Jvp.scan(this, b, ins, t).tangents();
    }

    @Override
    public String attributes() {
        return "consts=" + numConsts + " carries=" + numCarries + " length=" + length + (reverse ? " reverse" : "");
    }
}
