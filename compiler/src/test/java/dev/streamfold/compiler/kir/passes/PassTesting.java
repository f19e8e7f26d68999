package dev.streamfold.compiler.kir.passes;

import dev.streamfold.compiler.kir.KBuffer;
import dev.streamfold.compiler.kir.KInstr;
import dev.streamfold.compiler.kir.Kernel;
import dev.streamfold.compiler.kir.KirWalk;
import java.util.ArrayList;
import java.util.List;

/** Counting what a pass left in a kernel. */
final class PassTesting {
    private PassTesting() {}

    /** Instructions of class {@code kind} anywhere in {@code k}, loop bodies included. */
    static <T extends KInstr> List<T> all(Kernel k, Class<T> kind) {
        List<T> found = new ArrayList<>();
        KirWalk.forEach(k.body(), i -> {
            if (kind.isInstance(i)) {
                found.add(kind.cast(i));
            }
        });
        return found;
    }

    static int count(Kernel k, Class<? extends KInstr> kind) {
        return all(k, kind).size();
    }

    /** Loads from buffers of {@code role}. */
    static int loads(Kernel k, KBuffer.Role role) {
        return (int) all(k, KInstr.Load.class).stream().filter(l -> k.buffers().get(l.buffer()).role() == role).count();
    }

    /** Stores to buffers of {@code role}. */
    static int stores(Kernel k, KBuffer.Role role) {
        return (int) all(k, KInstr.Store.class).stream().filter(s -> k.buffers().get(s.buffer()).role() == role).count();
    }
}
