package dev.streamfold.ir.stream;

import dev.streamfold.ir.Tensor;
import java.util.Map;
import java.util.TreeMap;

/** Values of named parameters ({@code $name}), bound at run time. */
public record Bindings(Map<String, Tensor> values) {
    public static final Bindings NONE = new Bindings(Map.of());

    public Bindings {
        values = Map.copyOf(values);
    }

    public static Bindings of(Map<String, Tensor> values) {
        return new Bindings(values);
    }

    /** The bound value, or null. */
    public Tensor get(String name) {
        return values.get(name);
    }

    public Bindings with(String name, Tensor value) {
        Map<String, Tensor> m = new TreeMap<>(values);
        m.put(name, value);
        return new Bindings(m);
    }
}
