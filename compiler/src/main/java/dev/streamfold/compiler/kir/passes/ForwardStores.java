package dev.streamfold.compiler.kir.passes;

import dev.streamfold.compiler.kir.KBuffer;
import dev.streamfold.compiler.kir.KInstr;
import dev.streamfold.compiler.kir.KType;
import dev.streamfold.compiler.kir.KValue;
import dev.streamfold.compiler.kir.Kernel;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Store-to-load forwarding, then dead-store removal. In program order, what each buffer holds at constant
 * indices is known from the stores and loads seen (a loop body starts from what is known before the loop);
 * a load at a constant index whose element is known is replaced by that value. A store at a non-constant
 * index forgets all of its buffer, and a loop that stores to a buffer forgets all of it in its body and after
 * it. Then stores to scratch buffers that nothing loads are removed, and so are stores to out and scratch
 * buffers at a constant index that a later store in the same block overwrites before anything may read that
 * element. Only {@link KInstr.ConstI} values count as constant indices: run {@link FoldConstants} first.
 * Stores to i64 buffers are not forwarded, since the evaluator's buffers hold an i64 as a double.
 */
public final class ForwardStores implements KirPass {
    @Override
    public String name() {
        return "forward";
    }

    @Override
    public Kernel run(Kernel k) {
        Constants constants = new Constants(new boolean[k.nextId()], new long[k.nextId()]);
        Forward f = new Forward(new ValueMap(), constants, new Known(k.buffers().size()), new BufferEffects());
        List<KInstr> forwarded = f.block(k.body());
        BitSet loaded = new BitSet();
        loadedBuffers(forwarded, loaded);
        List<KInstr> body = new DeadStores(k, loaded, constants, new BufferEffects()).block(forwarded);
        return k.withBody(body, k.nextId());
    }

    /** The integer constants of the kernel by id: {@code known[id]} and then {@code value[id]}, as the evaluator holds it. */
    private record Constants(boolean[] known, long[] value) {
        void record(KInstr i) {
            if (i instanceof KInstr.ConstI c) {
                known[c.dst().id()] = true;
                value[c.dst().id()] = c.dst().type() == KType.I32 ? (int) c.value() : c.value();
            }
        }

        boolean has(KValue v) {
            return known[v.id()];
        }

        long of(KValue v) {
            return value[v.id()];
        }
    }

    /**
     * What each buffer holds at constant indices, with an undo log so that a loop body's knowledge is dropped
     * after it in time proportional to what the body learned.
     */
    private static final class Known {
        /** An undo entry: element {@code index} of {@code buffer} was {@code value}, or the whole map was {@code all}. */
        private record Undo(int buffer, long index, KValue value, Map<Long, KValue> all) {}

        private final List<Map<Long, KValue>> byBuffer = new ArrayList<>();
        private final List<Undo> log = new ArrayList<>();

        Known(int buffers) {
            for (int b = 0; b < buffers; b++) {
                byBuffer.add(new HashMap<>());
            }
        }

        KValue get(int buffer, long index) {
            return byBuffer.get(buffer).get(index);
        }

        void put(int buffer, long index, KValue v) {
            log.add(new Undo(buffer, index, byBuffer.get(buffer).put(index, v), null));
        }

        void forget(int buffer) {
            Map<Long, KValue> all = byBuffer.get(buffer);
            if (!all.isEmpty()) {
                log.add(new Undo(buffer, 0, null, all));
                byBuffer.set(buffer, new HashMap<>());
            }
        }

        int mark() {
            return log.size();
        }

        void undo(int mark) {
            while (log.size() > mark) {
                Undo u = log.removeLast();
                if (u.all() != null) {
                    byBuffer.set(u.buffer(), u.all());
                } else if (u.value() == null) {
                    byBuffer.get(u.buffer()).remove(u.index());
                } else {
                    byBuffer.get(u.buffer()).put(u.index(), u.value());
                }
            }
        }
    }

    private record Forward(ValueMap map, Constants constants, Known known, BufferEffects effects) {
        List<KInstr> block(List<KInstr> body) {
            List<KInstr> out = new ArrayList<>(body.size());
            for (KInstr i : body) {
                switch (i) {
                    case KInstr.Loop l -> {
                        BitSet stored = effects.stored(l);
                        int mark = known.mark();
                        forget(stored);
                        List<KInstr> inner = block(l.body());
                        known.undo(mark);
                        forget(stored);
                        out.add(map.loop(l, inner));
                    }
                    case KInstr.Load l -> {
                        KInstr.Load r = (KInstr.Load) map.rewrite(l);
                        if (!constants.has(r.index())) {
                            out.add(r);
                            break;
                        }
                        long at = constants.of(r.index());
                        KValue v = known.get(r.buffer(), at);
                        if (v != null) {
                            map.put(l.dst(), v);
                        } else {
                            known.put(r.buffer(), at, r.dst());
                            out.add(r);
                        }
                    }
                    case KInstr.Store s -> {
                        KInstr.Store r = (KInstr.Store) map.rewrite(s);
                        if (r.value().type() == KType.I64) {
                            known.forget(r.buffer());
                        } else if (constants.has(r.index())) {
                            known.put(r.buffer(), constants.of(r.index()), r.value());
                        } else {
                            known.forget(r.buffer());
                        }
                        out.add(r);
                    }
                    case KInstr.ConstI c -> {
                        KInstr r = map.rewrite(c);
                        constants.record(r);
                        out.add(r);
                    }
                    case KInstr.ConstF c -> out.add(map.rewrite(c));
                    case KInstr.Arg a -> out.add(map.rewrite(a));
                    case KInstr.Length n -> out.add(map.rewrite(n));
                    case KInstr.Unary u -> out.add(map.rewrite(u));
                    case KInstr.Binary b -> out.add(map.rewrite(b));
                    case KInstr.Fma f -> out.add(map.rewrite(f));
                    case KInstr.Compare c -> out.add(map.rewrite(c));
                    case KInstr.Select s -> out.add(map.rewrite(s));
                    case KInstr.Convert c -> out.add(map.rewrite(c));
                }
            }
            return out;
        }

        private void forget(BitSet buffers) {
            for (int b = buffers.nextSetBit(0); b >= 0; b = buffers.nextSetBit(b + 1)) {
                known.forget(b);
            }
        }
    }

    private static void loadedBuffers(List<KInstr> body, BitSet into) {
        for (KInstr i : body) {
            if (i instanceof KInstr.Load l) {
                into.set(l.buffer());
            } else if (i instanceof KInstr.Loop l) {
                loadedBuffers(l.body(), into);
            }
        }
    }

    /** Removes stores to never-loaded scratch buffers, and stores overwritten in their block before any read. */
    private record DeadStores(Kernel k, BitSet loaded, Constants constants, BufferEffects effects) {
        List<KInstr> block(List<KInstr> body) {
            Map<Integer, Set<Long>> overwritten = new HashMap<>();
            List<KInstr> kept = new ArrayList<>(body.size());
            for (int at = body.size() - 1; at >= 0; at--) {
                KInstr i = body.get(at);
                switch (i) {
                    case KInstr.Store s -> {
                        KBuffer.Role role = k.buffers().get(s.buffer()).role();
                        if (role == KBuffer.Role.SCRATCH && !loaded.get(s.buffer())) {
                            break;
                        }
                        if ((role == KBuffer.Role.OUT || role == KBuffer.Role.SCRATCH) && constants.has(s.index())
                                && !overwritten.computeIfAbsent(s.buffer(), b -> new HashSet<>()).add(constants.of(s.index()))) {
                            break;
                        }
                        kept.add(s);
                    }
                    case KInstr.Load l -> {
                        Set<Long> later = overwritten.get(l.buffer());
                        if (later != null) {
                            if (constants.has(l.index())) {
                                later.remove(constants.of(l.index()));
                            } else {
                                later.clear();
                            }
                        }
                        kept.add(l);
                    }
                    case KInstr.Loop l -> {
                        BitSet reads = effects.loaded(l);
                        for (int b = reads.nextSetBit(0); b >= 0; b = reads.nextSetBit(b + 1)) {
                            overwritten.remove(b);
                        }
                        kept.add(new KInstr.Loop(l.index(), l.start(), l.end(), l.params(), l.inits(), block(l.body()), l.yields(),
                                l.results()));
                    }
                    case KInstr.ConstF c -> kept.add(c);
                    case KInstr.ConstI c -> kept.add(c);
                    case KInstr.Arg a -> kept.add(a);
                    case KInstr.Length n -> kept.add(n);
                    case KInstr.Unary u -> kept.add(u);
                    case KInstr.Binary b -> kept.add(b);
                    case KInstr.Fma f -> kept.add(f);
                    case KInstr.Compare c -> kept.add(c);
                    case KInstr.Select s -> kept.add(s);
                    case KInstr.Convert c -> kept.add(c);
                }
            }
            Collections.reverse(kept);
            return kept;
        }
    }
}
