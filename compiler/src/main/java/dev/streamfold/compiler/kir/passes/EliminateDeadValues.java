package dev.streamfold.compiler.kir.passes;

import dev.streamfold.compiler.kir.KInstr;
import dev.streamfold.compiler.kir.KValue;
import dev.streamfold.compiler.kir.Kernel;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.Collections;
import java.util.List;

/**
 * Removes instructions whose value nothing uses, and loops that store nothing and whose results nothing
 * uses. Stores are kept, and so are loops that store and all their carried values. Ids are not renumbered.
 * A load's only effect besides its value is failing on an index out of range, which is not kept.
 */
public final class EliminateDeadValues implements KirPass {
    @Override
    public String name() {
        return "dead";
    }

    @Override
    public Kernel run(Kernel k) {
        Sweep s = new Sweep(new BitSet(k.nextId()), new BufferEffects());
        return k.withBody(s.block(k.body()), k.nextId());
    }

    private record Sweep(BitSet used, BufferEffects effects) {
        List<KInstr> block(List<KInstr> body) {
            List<KInstr> kept = new ArrayList<>(body.size());
            for (int at = body.size() - 1; at >= 0; at--) {
                KInstr i = body.get(at);
                switch (i) {
                    case KInstr.Store s -> {
                        use(i.operands());
                        kept.add(i);
                    }
                    case KInstr.Loop l -> {
                        if (anyUsed(l.results()) || !effects.stored(l).isEmpty()) {
                            use(l.yields());
                            List<KInstr> inner = block(l.body());
                            use(l.inits());
                            kept.add(new KInstr.Loop(l.index(), l.start(), l.end(), l.params(), l.inits(), inner, l.yields(),
                                    l.results()));
                        }
                    }
                    case KInstr.ConstF c -> keepIfUsed(i, kept);
                    case KInstr.ConstI c -> keepIfUsed(i, kept);
                    case KInstr.Arg a -> keepIfUsed(i, kept);
                    case KInstr.Length n -> keepIfUsed(i, kept);
                    case KInstr.Load l -> keepIfUsed(i, kept);
                    case KInstr.Unary u -> keepIfUsed(i, kept);
                    case KInstr.Binary b -> keepIfUsed(i, kept);
                    case KInstr.Fma f -> keepIfUsed(i, kept);
                    case KInstr.Compare c -> keepIfUsed(i, kept);
                    case KInstr.Select s -> keepIfUsed(i, kept);
                    case KInstr.Convert c -> keepIfUsed(i, kept);
                }
            }
            Collections.reverse(kept);
            return kept;
        }

        private void keepIfUsed(KInstr i, List<KInstr> kept) {
            if (used.get(i.dst().id())) {
                use(i.operands());
                kept.add(i);
            }
        }

        private boolean anyUsed(List<KValue> vs) {
            for (KValue v : vs) {
                if (used.get(v.id())) {
                    return true;
                }
            }
            return false;
        }

        private void use(List<KValue> vs) {
            for (KValue v : vs) {
                used.set(v.id());
            }
        }
    }
}
