package dev.streamfold.compiler.kir.passes;

import dev.streamfold.compiler.kir.KInstr;
import dev.streamfold.compiler.kir.KValue;
import dev.streamfold.compiler.kir.Kernel;
import dev.streamfold.compiler.kir.KirWalk;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Removes the kernel body's instructions whose values no store needs. Stores and loops are kept (a loop
 * whole, with every value it reads), so only straight-line value instructions of the body are dropped.
 */
public final class DropDeadValuesKir {
    private DropDeadValuesKir() {}

    public static Kernel run(Kernel k) {
        Set<Integer> live = new HashSet<>();
        List<KInstr> kept = new ArrayList<>();
        List<KInstr> body = k.body();
        for (int at = body.size() - 1; at >= 0; at--) {
            KInstr i = body.get(at);
            boolean keep = i.dst() == null || live.contains(i.dst().id());
            if (!keep) {
                continue;
            }
            kept.add(0, i);
            if (i instanceof KInstr.Loop l) {
                KirWalk.forEach(List.of(l), inner -> {
                    for (KValue v : inner.operands()) {
                        live.add(v.id());
                    }
                    if (inner instanceof KInstr.Loop il) {
                        for (KValue v : il.yields()) {
                            live.add(v.id());
                        }
                    }
                });
            } else {
                for (KValue v : i.operands()) {
                    live.add(v.id());
                }
            }
        }
        return k.withBody(kept, k.nextId());
    }
}
