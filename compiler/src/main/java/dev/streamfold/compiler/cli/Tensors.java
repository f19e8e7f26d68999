package dev.streamfold.compiler.cli;

import dev.streamfold.ir.DType;
import dev.streamfold.ir.StreamfoldException;
import dev.streamfold.ir.Tensor;
import dev.streamfold.ir.Type;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/** Tensors as nested JSON arrays: read against an expected type (errors name file:line:column), and written. */
final class Tensors {
    private Tensors() {}

    /**
     * Reads {@code value} (at {@code where}) as a tensor of {@code type}: nested arrays, one level per
     * axis, a bare value for a scalar; numbers for floats, integers for int32, true/false for bool.
     *
     * @param what names the value in errors, e.g. {@code inputs "x"}
     */
    static Tensor read(Json.Located doc, Object value, String where, Type type, String what) {
        // Check the whole value first, so that a wrong shape is reported before anything is allocated.
        fill(doc, value, () -> where, type, 0, null, new int[] {0}, what);
        double[] data = new double[Math.toIntExact(type.shape().size())];
        fill(doc, value, () -> where, type, 0, data, new int[] {0}, what);
        return new Tensor(type.dtype(), type.shape(), data);
    }

    /**
     * Checks {@code v} against {@code type} from {@code axis} on, storing its entries in {@code data} unless it is null.
     * {@code where} is asked for the value's location only when an error is reported, since finding it scans the text.
     */
    private static void fill(Json.Located doc, Object v, Supplier<String> where, Type type, int axis, double[] data, int[] next, String what) {
        if (axis == type.rank()) {
            double x = element(v, where, type, what);
            if (data != null) {
                data[next[0]++] = x;
            }
            return;
        }
        int n = type.shape().dim(axis);
        if (!(v instanceof List<?> list)) {
            throw new StreamfoldException(where.get() + ": " + what + ": expected an array of " + n + " along axis " + axis + " of "
                    + type + ", found " + describe(v));
        }
        if (list.size() != n) {
            throw new StreamfoldException(where.get() + ": " + what + ": expected " + n + " entries along axis " + axis + " of "
                    + type + ", found " + list.size());
        }
        for (int i = 0; i < n; i++) {
            int at = i;
            fill(doc, list.get(i), () -> doc.where(list, at), type, axis + 1, data, next, what);
        }
    }

    private static double element(Object v, Supplier<String> where, Type type, String what) {
        DType d = type.dtype();
        boolean fits = switch (d) {
            case F32, F64 -> v instanceof Double;
            case I32 -> v instanceof Double x && x == Math.rint(x) && x >= Integer.MIN_VALUE && x <= Integer.MAX_VALUE;
            case BOOL -> v instanceof Boolean;
        };
        if (!fits) {
            String expected = switch (d) {
                case F32, F64 -> "a number";
                case I32 -> "an int32 integer";
                case BOOL -> "true or false";
            };
            throw new StreamfoldException(where.get() + ": " + what + ": expected " + expected + " for " + type + ", found " + describe(v));
        }
        if (d == DType.F32 && !Float.isFinite((float) (double) (Double) v)) {
            throw new StreamfoldException(where.get() + ": " + what + ": " + describe(v) + " is outside the float32 range");
        }
        return v instanceof Boolean b ? (b ? 1 : 0) : d.round((Double) v);
    }

    /** How an error names a JSON value. */
    static String describe(Object v) {
        return switch (v) {
            case null -> "null";
            case Boolean b -> b.toString();
            case Double x -> "the number " + (x == Math.rint(x) && Math.abs(x) < 1e15 ? Long.toString(x.longValue()) : x.toString());
            case String s -> "a string";
            case List<?> l -> "an array";
            case Map<?, ?> m -> "an object";
            default -> v.getClass().getSimpleName();
        };
    }

    /**
     * Appends {@code t} as nested JSON arrays (a bare value for a scalar): int32 as integers, bool as
     * true/false. A non-finite entry is an error naming {@code what} and the entry.
     */
    static void write(StringBuilder b, Tensor t, String what) {
        double[] d = t.raw();
        for (int i = 0; i < d.length; i++) {
            if (!Double.isFinite(d[i])) {
                throw new StreamfoldException(what + ": entry " + index(t.shape().dims(), i) + " is " + d[i]);
            }
        }
        write(b, t, 0, 0);
    }

    private static int write(StringBuilder b, Tensor t, int axis, int flat) {
        if (axis == t.shape().rank()) {
            double v = t.raw()[flat];
            switch (t.dtype()) {
                case F32 -> Json.number(b, v, true);
                case F64 -> Json.number(b, v, false);
                case I32 -> b.append((long) v);
                case BOOL -> b.append(v != 0);
            }
            return flat + 1;
        }
        b.append('[');
        for (int i = 0; i < t.shape().dim(axis); i++) {
            b.append(i == 0 ? "" : ", ");
            flat = write(b, t, axis + 1, flat);
        }
        b.append(']');
        return flat;
    }

    /** {@code [i][j]...} of a row-major flat index; {@code []} for a scalar. */
    static String index(int[] dims, int flat) {
        int[] idx = new int[dims.length];
        for (int k = dims.length - 1; k >= 0; k--) {
            idx[k] = flat % dims[k];
            flat /= dims[k];
        }
        StringBuilder b = new StringBuilder();
        for (int v : idx) {
            b.append('[').append(v).append(']');
        }
        return b.isEmpty() ? "[]" : b.toString();
    }
}
