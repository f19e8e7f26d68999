package dev.streamfold.compiler.kir;

import java.util.List;
import java.util.Objects;

/**
 * A kernel of kernel IR v2: a buffer table, uniform scalar arguments, and a body run once per batch item.
 * {@code name} is the kernel's readable name (it appears in emitted code); {@code nextId} is one past the
 * largest value id used. Every backend renders this, the {@link KirEvaluator} defines it.
 */
public record Kernel(String name, List<KBuffer> buffers, List<KType> args, List<KInstr> body, int nextId) {
    public Kernel {
        Objects.requireNonNull(name);
        buffers = List.copyOf(buffers);
        args = List.copyOf(args);
        body = List.copyOf(body);
    }

    public Kernel withBody(List<KInstr> body, int nextId) {
        return new Kernel(name, buffers, args, body, nextId);
    }

    /** The index of the buffer called {@code name}, or -1. */
    public int buffer(String name) {
        for (int i = 0; i < buffers.size(); i++) {
            if (buffers.get(i).name().equals(name)) {
                return i;
            }
        }
        return -1;
    }

    @Override
    public String toString() {
        return KirPrinter.print(this);
    }
}
