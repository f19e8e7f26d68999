package dev.streamfold.compiler.kir.passes;

import dev.streamfold.compiler.kir.KInstr;
import java.util.BitSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/** The buffers a loop (its body and the loops in it) stores to and loads from, computed once per loop. */
final class BufferEffects {
    private record Effects(BitSet stored, BitSet loaded) {}

    private final Map<KInstr.Loop, Effects> byLoop = new IdentityHashMap<>();

    /** Buffers stored to anywhere in {@code l}; the caller does not modify the set. */
    BitSet stored(KInstr.Loop l) {
        return of(l).stored();
    }

    /** Buffers loaded from anywhere in {@code l}; the caller does not modify the set. */
    BitSet loaded(KInstr.Loop l) {
        return of(l).loaded();
    }

    private Effects of(KInstr.Loop l) {
        Effects e = byLoop.get(l);
        if (e == null) {
            e = new Effects(new BitSet(), new BitSet());
            collect(l.body(), e);
            byLoop.put(l, e);
        }
        return e;
    }

    private void collect(List<KInstr> body, Effects into) {
        for (KInstr i : body) {
            switch (i) {
                case KInstr.Store s -> into.stored().set(s.buffer());
                case KInstr.Load l -> into.loaded().set(l.buffer());
                case KInstr.Loop l -> {
                    Effects inner = of(l);
                    into.stored().or(inner.stored());
                    into.loaded().or(inner.loaded());
                }
                case KInstr.ConstF c -> { }
                case KInstr.ConstI c -> { }
                case KInstr.Arg a -> { }
                case KInstr.Length n -> { }
                case KInstr.Unary u -> { }
                case KInstr.Binary b -> { }
                case KInstr.Fma f -> { }
                case KInstr.Compare c -> { }
                case KInstr.Select s -> { }
                case KInstr.Convert c -> { }
            }
        }
    }
}
