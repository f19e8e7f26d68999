package dev.streamfold.compiler.kir.passes;

import dev.streamfold.compiler.kir.KInstr;
import dev.streamfold.compiler.kir.KValue;
import dev.streamfold.compiler.kir.Kernel;
import dev.streamfold.compiler.kir.KirWalk;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Fuses a lane {@code a * b} used only by an {@code add} into {@code fma(a, b, c)}: one rounding instead of two,
 * and one instruction. The add's first operand is tried first. Uniform products are left alone (the same rule
 * as the step kernel IR's, whose per-step scalars are never fused); the product itself stays, unused, for a
 * later pass to drop. Every backend renders fma exactly, so backends stay bit-identical to each other.
 */
public final class ContractMulAddKir {
    private ContractMulAddKir() {}

    public static Kernel run(Kernel k) {
        Map<Integer, Integer> uses = new HashMap<>();
        Map<Integer, KInstr.Binary> products = new HashMap<>();
        KirWalk.forEach(k.body(), i -> {
            for (KValue v : i.operands()) {
                uses.merge(v.id(), 1, Integer::sum);
            }
            if (i instanceof KInstr.Loop l) {
                for (KValue v : l.yields()) {
                    uses.merge(v.id(), 1, Integer::sum);
                }
            }
            if (i instanceof KInstr.Binary b && b.kind() == KInstr.BinaryKind.MUL && b.dst().lane()) {
                products.put(b.dst().id(), b);
            }
        });
        return k.withBody(block(k.body(), uses, products), k.nextId());
    }

    private static List<KInstr> block(List<KInstr> body, Map<Integer, Integer> uses, Map<Integer, KInstr.Binary> products) {
        List<KInstr> out = new ArrayList<>();
        for (KInstr i : body) {
            if (i instanceof KInstr.Binary add && add.kind() == KInstr.BinaryKind.ADD && add.dst().type().isFloat()) {
                KInstr.Binary m = singleUse(add.a(), uses, products);
                KValue other = add.b();
                if (m == null) {
                    m = singleUse(add.b(), uses, products);
                    other = add.a();
                }
                out.add(m == null ? add : new KInstr.Fma(add.dst(), m.a(), m.b(), other));
            } else if (i instanceof KInstr.Loop l) {
                out.add(new KInstr.Loop(l.index(), l.start(), l.end(), l.params(), l.inits(), block(l.body(), uses, products),
                        l.yields(), l.results()));
            } else {
                out.add(i);
            }
        }
        return out;
    }

    private static KInstr.Binary singleUse(KValue v, Map<Integer, Integer> uses, Map<Integer, KInstr.Binary> products) {
        KInstr.Binary m = products.get(v.id());
        return m != null && uses.getOrDefault(v.id(), 0) == 1 ? m : null;
    }
}
