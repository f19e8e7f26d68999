package dev.streamfold.ir.stream;

import dev.streamfold.ir.DType;
import dev.streamfold.ir.StreamfoldException;
import dev.streamfold.ir.Tensor;
import dev.streamfold.ir.Type;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The parameter slots of an operator tree, flattened in tree order (an operator's own, then each
 * operand's in {@link StreamingMatrix#operands()} order). State buffers follow the same order; their
 * number may depend on the bound values' lengths (see {@link StreamingMatrix#stateCount}).
 */
public record ParamLayout(List<Entry> slots) {
    /** One slot and the operator it belongs to. */
    public record Entry(StreamingMatrix op, Slot slot) {}

    public ParamLayout {
        slots = List.copyOf(slots);
    }

    public static ParamLayout of(StreamingMatrix m) {
        List<Entry> slots = new ArrayList<>();
        collect(m, slots);
        return new ParamLayout(slots);
    }

    private static void collect(StreamingMatrix m, List<Entry> slots) {
        for (Slot s : m.slots()) {
            slots.add(new Entry(m, s));
        }
        for (StreamingMatrix o : m.operands()) {
            collect(o, slots);
        }
    }

    /** Names of the run-time parameters, in first-use order. */
    public Set<String> names() {
        Set<String> n = new LinkedHashSet<>();
        for (Entry e : slots) {
            if (e.slot().param() instanceof Param.Named named) {
                n.add(named.name());
            }
        }
        return n;
    }

    /**
     * The value of every slot, checked, normalized by its operator, rounded to {@code dtype}.
     *
     * @throws StreamfoldException for an unbound or unknown name, or a value its operator rejects
     */
    public List<Tensor> bind(StreamingMatrix root, Bindings bindings, DType dtype) {
        for (String name : bindings.values().keySet()) {
            if (!names().contains(name)) {
                throw new StreamfoldException("unknown parameter $" + name + (names().isEmpty()
                        ? ": the expression has no named parameters"
                        : ": the expression's parameters are " + String.join(", ", names().stream().map(s -> "$" + s).toList())));
            }
        }
        List<Tensor> out = new ArrayList<>();
        bindTree(root, bindings, out);
        return out.stream().map(t -> t.astype(dtype)).toList();
    }

    private static void bindTree(StreamingMatrix m, Bindings bindings, List<Tensor> out) {
        List<Tensor> own = checkedValues(m, bindings);
        List<Tensor> prepared = m.prepare(own);
        out.addAll(prepared);
        for (StreamingMatrix o : m.operands()) {
            bindTree(o, bindings, out);
        }
    }

    /**
     * The tangent of every slot's prepared value when each named parameter in {@code tangents} moves
     * along the given array (null where the tangent is zero), in {@code dtype}.
     *
     * @throws StreamfoldException for a tangent of the wrong shape or an operator whose preparation
     *     has no supported derivative
     */
    public List<Tensor> bindTangents(StreamingMatrix root, Bindings bindings, Map<String, Tensor> tangents, DType dtype) {
        List<Tensor> out = new ArrayList<>();
        tangentTree(root, bindings, tangents, out);
        return out.stream().map(t -> t == null ? null : t.astype(dtype)).toList();
    }

    private static void tangentTree(StreamingMatrix m, Bindings bindings, Map<String, Tensor> tangents, List<Tensor> out) {
        List<Tensor> own = checkedValues(m, bindings);
        List<Tensor> dir = new ArrayList<>();
        boolean any = false;
        for (int i = 0; i < m.slots().size(); i++) {
            Slot s = m.slots().get(i);
            Tensor d = null;
            if (s.param() instanceof Param.Named named && tangents.containsKey(named.name())) {
                d = s.kind().check(m.opName(), "tangent of $" + named.name(), tangents.get(named.name()).astype(DType.F64));
                if (!d.shape().equals(own.get(i).shape())) {
                    throw new StreamfoldException("tangent of $" + named.name() + " has shape " + d.shape()
                            + " but the parameter has shape " + own.get(i).shape());
                }
                any = true;
            }
            dir.add(d);
        }
        out.addAll(any ? m.prepareTangents(own, dir) : dir);
        for (StreamingMatrix o : m.operands()) {
            tangentTree(o, bindings, tangents, out);
        }
    }

    private static List<Tensor> checkedValues(StreamingMatrix m, Bindings bindings) {
        List<Tensor> own = new ArrayList<>();
        for (Slot s : m.slots()) {
            Tensor raw = switch (s.param()) {
                case Param.Literal l -> l.value();
                case Param.Named n -> {
                    Tensor v = bindings.get(n.name());
                    if (v == null) {
                        throw new StreamfoldException(
                                "parameter $" + n.name() + " (" + m.opName() + " " + s.name() + ") is not bound: pass --param "
                                        + n.name() + "=VALUE");
                    }
                    yield v.astype(DType.F64);
                }
            };
            own.add(s.kind().check(m.opName(), s.name(), raw));
        }
        return own;
    }

    /** Program parameter types of the bound values. */
    public static List<Type> types(List<Tensor> values) {
        return values.stream().map(Tensor::type).toList();
    }
}
