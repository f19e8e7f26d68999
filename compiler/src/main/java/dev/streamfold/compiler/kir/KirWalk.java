package dev.streamfold.compiler.kir;

import java.util.List;
import java.util.function.Consumer;

/** Visits every instruction of a body, loop bodies included, in program order. */
public final class KirWalk {
    private KirWalk() {}

    public static void forEach(List<KInstr> body, Consumer<KInstr> visit) {
        for (KInstr i : body) {
            visit.accept(i);
            if (i instanceof KInstr.Loop l) {
                forEach(l.body(), visit);
            }
        }
    }

    /** Instructions in the body, loops counted with their bodies (not multiplied by trip counts). */
    public static int size(List<KInstr> body) {
        int[] n = {0};
        forEach(body, i -> n[0]++);
        return n[0];
    }
}
