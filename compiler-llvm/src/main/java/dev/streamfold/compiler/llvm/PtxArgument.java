package dev.streamfold.compiler.llvm;

import java.util.ArrayList;
import java.util.List;

/**
 * One argument of a GPU entry point, in launch order: a 64- or 32-bit integer, a float32 or float64 value, or a
 * pointer to global memory.
 *
 * @param name the argument's name in the LLVM IR (without {@code %}) and the manifest
 * @param type {@code i64}, {@code i32}, {@code f32}, {@code f64} or {@code ptr}
 * @param element for a pointer, what it points to: {@code f64} for parameter arrays, else the kernel's element
 *     type ({@code f32} or {@code f64}); null for values
 * @param attributes LLVM parameter attributes, such as {@code noalias readonly}; empty for none
 */
public record PtxArgument(String name, String type, String element, String attributes) {
    static PtxArgument integer(String name, String type) {
        return new PtxArgument(name, type, null, "");
    }

    static PtxArgument floating(String name, String type) {
        return new PtxArgument(name, type, null, "");
    }

    static PtxArgument pointer(String name, String element, String attributes) {
        return new PtxArgument(name, "ptr", element, attributes);
    }

    /** The argument as an LLVM function parameter. */
    public String llvm() {
        String t = switch (type) {
            case "ptr" -> "ptr addrspace(1)";
            case "f32" -> "float";
            case "f64" -> "double";
            default -> type;
        };
        return t + (attributes.isEmpty() ? "" : " " + attributes) + " %" + name;
    }

    /**
     * The arguments of {@code NAME_step} ({@code scan} false) or {@code NAME_scan}. Each {@code stateB} is a whole
     * state buffer: a buffer of several rows holds them {@code n} elements apart (row {@code r} of element {@code i} at
     * element {@code r * n + i}), so there is no stride argument.
     *
     * @param element the kernel's element type, {@code f32} or {@code f64}
     */
    static List<PtxArgument> of(boolean scan, int paramCount, int stateCount, String element) {
        List<PtxArgument> a = new ArrayList<>();
        if (scan) {
            a.add(integer("t0", "i64"));
            a.add(integer("steps", "i32"));
        } else {
            a.add(integer("t", "i64"));
        }
        for (int p = 0; p < paramCount; p++) {
            a.add(pointer("param" + p, "f64", "noalias readonly"));
            a.add(integer("param" + p + ".len", "i64"));
        }
        a.add(pointer("x", element, ""));
        a.add(pointer("y", element, ""));
        if (scan) {
            a.add(integer("rowStride", "i64"));
        }
        for (int b = 0; b < stateCount; b++) {
            a.add(pointer("state" + b, element, "noalias"));
        }
        a.add(integer("n", "i64"));
        return List.copyOf(a);
    }

    /**
     * The arguments of {@code NAME_noise_step}: {@code t}, the parameters, {@code seed}, {@code stddev} (of the
     * kernel's element type), {@code coordBase}, {@code y}, the state buffers (rows {@code n} elements apart, as in
     * {@link #of}) and {@code n}.
     */
    static List<PtxArgument> noiseStep(int paramCount, int stateCount, String element) {
        List<PtxArgument> a = new ArrayList<>();
        a.add(integer("t", "i64"));
        for (int p = 0; p < paramCount; p++) {
            a.add(pointer("param" + p, "f64", "noalias readonly"));
            a.add(integer("param" + p + ".len", "i64"));
        }
        a.add(integer("seed", "i64"));
        a.add(floating("stddev", element));
        a.add(integer("coordBase", "i64"));
        a.add(pointer("y", element, ""));
        for (int b = 0; b < stateCount; b++) {
            a.add(pointer("state" + b, element, "noalias"));
        }
        a.add(integer("n", "i64"));
        return List.copyOf(a);
    }
}
