package dev.streamfold.ir.stream;

import dev.streamfold.ir.DType;
import dev.streamfold.ir.StreamfoldException;
import dev.streamfold.ir.Tensor;
import dev.streamfold.ir.Type;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The parameter slots and state buffers of an operator tree, flattened in tree order (an operator's
 * own, then each operand's in {@link StreamingMatrix#operands()} order).
 */
public record ParamLayout(List<Entry> slots, int stateCount, List<String> stateOwners) {
    /** One slot and the operator it belongs to. */
    public record Entry(StreamingMatrix op, Slot slot) {}

    public ParamLayout {
        slots = List.copyOf(slots);
        stateOwners = List.copyOf(stateOwners);
    }

    public static ParamLayout of(StreamingMatrix m) {
        List<Entry> slots = new ArrayList<>();
        List<String> owners = new ArrayList<>();
        collect(m, slots, owners);
        return new ParamLayout(slots, owners.size(), owners);
    }

    private static void collect(StreamingMatrix m, List<Entry> slots, List<String> owners) {
        for (Slot s : m.slots()) {
            slots.add(new Entry(m, s));
        }
        for (int i = 0; i < m.stateCount(); i++) {
            owners.add(m.opName());
        }
        for (StreamingMatrix o : m.operands()) {
            collect(o, slots, owners);
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
        List<Tensor> prepared = m.prepare(own);
        out.addAll(prepared);
        for (StreamingMatrix o : m.operands()) {
            bindTree(o, bindings, out);
        }
    }

    /** Program parameter types of the bound values. */
    public static List<Type> types(List<Tensor> values) {
        return values.stream().map(Tensor::type).toList();
    }
}
