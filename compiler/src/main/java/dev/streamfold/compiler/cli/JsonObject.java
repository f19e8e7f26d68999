package dev.streamfold.compiler.cli;

import dev.streamfold.ir.StreamfoldException;

/** Builds one JSON object, key by key, in insertion order; a non-finite number is an error naming its key. */
final class JsonObject {
    private final StringBuilder b = new StringBuilder("{");

    JsonObject put(String key, String value) {
        return raw(key, Json.quote(value));
    }

    JsonObject put(String key, double value) {
        StringBuilder v = new StringBuilder();
        Json.number(v, finite(key, value), false);
        return raw(key, v.toString());
    }

    JsonObject put(String key, long value) {
        return raw(key, Long.toString(value));
    }

    JsonObject put(String key, boolean value) {
        return raw(key, Boolean.toString(value));
    }

    JsonObject put(String key, double[] values) {
        return raw(key, array(key, values));
    }

    JsonObject put(String key, double[][] rows) {
        StringBuilder v = new StringBuilder("[");
        for (int i = 0; i < rows.length; i++) {
            v.append(i > 0 ? ", " : "").append(array(key, rows[i]));
        }
        return raw(key, v.append(']').toString());
    }

    @Override
    public String toString() {
        return b + "}\n";
    }

    private JsonObject raw(String key, String value) {
        b.append(b.length() > 1 ? ", " : "").append(Json.quote(key)).append(": ").append(value);
        return this;
    }

    private static String array(String key, double[] values) {
        StringBuilder v = new StringBuilder("[");
        for (int i = 0; i < values.length; i++) {
            v.append(i > 0 ? ", " : "");
            Json.number(v, finite(key, values[i]), false);
        }
        return v.append(']').toString();
    }

    private static double finite(String key, double v) {
        if (!Double.isFinite(v)) {
            throw new StreamfoldException(key + " is " + v + " (not finite)");
        }
        return v;
    }
}
