package dev.streamfold.compiler.kir.passes;

import dev.streamfold.compiler.kir.KInstr;
import dev.streamfold.compiler.kir.KType;
import dev.streamfold.compiler.kir.KValue;
import dev.streamfold.compiler.kir.Kernel;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Value numbering: an instruction that computes what an earlier one in scope computed (the same operation on
 * the same operands, commutative operands in either order) is replaced by that earlier value; a loop body
 * sees the values before the loop, and what it defines is forgotten after it. Loads count as the same only
 * with no store to their buffer in between; a loop that stores to a buffer counts as a store to it at its
 * start, which separates the loads before the loop from those in and after it. Stores and loops are never
 * merged.
 */
public final class CommonSubexpressions implements KirPass {
    @Override
    public String name() {
        return "cse";
    }

    @Override
    public Kernel run(Kernel k) {
        Numbering n = new Numbering(new ValueMap(), new HashMap<>(), new ArrayList<>(), new int[k.buffers().size()],
                new int[1], new BufferEffects());
        return k.withBody(n.block(k.body()), k.nextId());
    }

    /** What an instruction computes: its operation, result type, and operands (or constant, argument, buffer). */
    private record Key(int op, int kind, KType type, long a, long b, long c) {}

    /**
     * {@code table} and {@code added} (in order, for forgetting a loop body's keys); {@code version[b]} changes
     * at every store to buffer {@code b}, from {@code clock[0]}.
     */
    private record Numbering(ValueMap map, Map<Key, KValue> table, List<Key> added, int[] version, int[] clock,
            BufferEffects effects) {
        List<KInstr> block(List<KInstr> body) {
            List<KInstr> out = new ArrayList<>(body.size());
            for (KInstr i : body) {
                if (i instanceof KInstr.Loop l) {
                    touch(l);
                    int mark = added.size();
                    List<KInstr> inner = block(l.body());
                    while (added.size() > mark) {
                        table.remove(added.removeLast());
                    }
                    out.add(map.loop(l, inner));
                    continue;
                }
                KInstr r = map.rewrite(i);
                if (r instanceof KInstr.Store s) {
                    version[s.buffer()] = ++clock[0];
                    out.add(r);
                    continue;
                }
                Key key = key(r);
                KValue earlier = table.get(key);
                if (earlier != null) {
                    map.put(i.dst(), earlier);
                } else {
                    table.put(key, r.dst());
                    added.add(key);
                    out.add(r);
                }
            }
            return out;
        }

        /** Counts a store to every buffer that {@code l} stores to. */
        private void touch(KInstr.Loop l) {
            var stored = effects.stored(l);
            for (int b = stored.nextSetBit(0); b >= 0; b = stored.nextSetBit(b + 1)) {
                version[b] = ++clock[0];
            }
        }

        private Key key(KInstr r) {
            KType t = r.dst().type();
            return switch (r) {
                case KInstr.ConstF c -> new Key(0, 0, t, Double.doubleToLongBits(t == KType.F32 ? (double) (float) c.value() : c.value()), 0, 0);
                case KInstr.ConstI c -> new Key(1, 0, t, c.value(), 0, 0);
                case KInstr.Arg a -> new Key(2, 0, t, a.index(), 0, 0);
                case KInstr.Length n -> new Key(3, 0, t, n.buffer(), 0, 0);
                case KInstr.Load l -> new Key(4, 0, t, l.buffer(), l.index().id(), version[l.buffer()]);
                case KInstr.Unary u -> new Key(5, u.kind().ordinal(), t, u.a().id(), 0, 0);
                case KInstr.Binary b -> commutative(b.kind())
                        ? new Key(6, b.kind().ordinal(), t, Math.min(b.a().id(), b.b().id()), Math.max(b.a().id(), b.b().id()), 0)
                        : new Key(6, b.kind().ordinal(), t, b.a().id(), b.b().id(), 0);
                case KInstr.Fma f -> new Key(7, 0, t, Math.min(f.a().id(), f.b().id()), Math.max(f.a().id(), f.b().id()), f.c().id());
                case KInstr.Compare c -> c.kind() == KInstr.CompareKind.EQ || c.kind() == KInstr.CompareKind.NE
                        ? new Key(8, c.kind().ordinal(), t, Math.min(c.a().id(), c.b().id()), Math.max(c.a().id(), c.b().id()), 0)
                        : new Key(8, c.kind().ordinal(), t, c.a().id(), c.b().id(), 0);
                case KInstr.Select s -> new Key(9, 0, t, s.cond().id(), s.a().id(), s.b().id());
                case KInstr.Convert c -> new Key(10, 0, t, c.a().id(), 0, 0);
                case KInstr.Store s -> throw new IllegalArgumentException("a store has no value");
                case KInstr.Loop l -> throw new IllegalArgumentException("a loop has no value");
            };
        }

        private static boolean commutative(KInstr.BinaryKind kind) {
            return switch (kind) {
                case ADD, MUL, MIN, MAX, AND, OR, XOR -> true;
                case SUB, DIV, REM, POW -> false;
            };
        }
    }
}
