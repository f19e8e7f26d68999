package dev.streamfold.compiler.kir.passes;

import dev.streamfold.compiler.kir.KInstr;
import dev.streamfold.compiler.kir.KValue;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.UnaryOperator;

/**
 * Replacements of values while a pass rebuilds a kernel in program order. A replacement is always defined
 * before the uses it replaces and is never more of a lane value than what it replaces, so an instruction
 * rebuilt over replaced operands gets its value's lane-ness recomputed (a uniform operand may make it
 * uniform), and that retyped value replaces the old one for later uses. Loop parameters and results keep
 * their lane-ness, which the verifier allows when their initial and yielded values become uniform.
 */
final class ValueMap {
    private KValue[] to = new KValue[64];

    /** The value that replaces {@code v}, or {@code v}. */
    KValue get(KValue v) {
        int id = v.id();
        KValue r = id < to.length ? to[id] : null;
        return r != null ? r : v;
    }

    List<KValue> get(List<KValue> vs) {
        List<KValue> out = new ArrayList<>(vs.size());
        for (KValue v : vs) {
            out.add(get(v));
        }
        return out;
    }

    /** From now on {@code replacement} stands for {@code from}. */
    void put(KValue from, KValue replacement) {
        int id = from.id();
        if (id >= to.length) {
            to = Arrays.copyOf(to, Math.max(id + 1, to.length * 2));
        }
        to[id] = replacement;
    }

    /** {@code i} over replaced operands, its value keeping its id. Not for loops. */
    KInstr rewrite(KInstr i) {
        return rebuild(i, d -> d);
    }

    /**
     * {@code i} over replaced operands, its value given a fresh id from {@code ids} (which then replaces the old
     * value). Not for loops.
     */
    KInstr copy(KInstr i, Ids ids) {
        return rebuild(i, d -> new KValue(ids.next(), d.type(), d.lane()));
    }

    /** {@code l} with replaced initial and yielded values and {@code body}; its index, parameters and results kept. */
    KInstr.Loop loop(KInstr.Loop l, List<KInstr> body) {
        return new KInstr.Loop(l.index(), l.start(), l.end(), l.params(), get(l.inits()), body, get(l.yields()), l.results());
    }

    private KInstr rebuild(KInstr i, UnaryOperator<KValue> rename) {
        return switch (i) {
            case KInstr.ConstF c -> new KInstr.ConstF(def(c.dst(), rename, false), c.value());
            case KInstr.ConstI c -> new KInstr.ConstI(def(c.dst(), rename, false), c.value());
            case KInstr.Arg a -> new KInstr.Arg(def(a.dst(), rename, false), a.index());
            case KInstr.Length l -> new KInstr.Length(def(l.dst(), rename, false), l.buffer());
            case KInstr.Load l -> {
                KValue index = get(l.index());
                yield new KInstr.Load(def(l.dst(), rename, l.dst().lane()), l.buffer(), index);
            }
            case KInstr.Store s -> new KInstr.Store(s.buffer(), get(s.index()), get(s.value()));
            case KInstr.Unary u -> {
                KValue a = get(u.a());
                yield new KInstr.Unary(def(u.dst(), rename, a.lane()), u.kind(), a);
            }
            case KInstr.Binary b -> {
                KValue x = get(b.a());
                KValue y = get(b.b());
                yield new KInstr.Binary(def(b.dst(), rename, x.lane() || y.lane()), b.kind(), x, y);
            }
            case KInstr.Fma f -> {
                KValue a = get(f.a());
                KValue b = get(f.b());
                KValue c = get(f.c());
                yield new KInstr.Fma(def(f.dst(), rename, a.lane() || b.lane() || c.lane()), a, b, c);
            }
            case KInstr.Compare c -> {
                KValue a = get(c.a());
                KValue b = get(c.b());
                yield new KInstr.Compare(def(c.dst(), rename, a.lane() || b.lane()), c.kind(), a, b);
            }
            case KInstr.Select s -> {
                KValue c = get(s.cond());
                KValue a = get(s.a());
                KValue b = get(s.b());
                yield new KInstr.Select(def(s.dst(), rename, c.lane() || a.lane() || b.lane()), c, a, b);
            }
            case KInstr.Convert c -> {
                KValue a = get(c.a());
                yield new KInstr.Convert(def(c.dst(), rename, a.lane()), a);
            }
            case KInstr.Loop l -> throw new IllegalArgumentException("a loop is rebuilt by its pass: " + l.index());
        };
    }

    /** The new value for {@code old} (renamed, with lane-ness {@code lane}), registered as its replacement when it differs. */
    private KValue def(KValue old, UnaryOperator<KValue> rename, boolean lane) {
        KValue named = rename.apply(old);
        KValue d = named.lane() == lane ? named : new KValue(named.id(), named.type(), lane);
        if (!d.equals(old)) {
            put(old, d);
        }
        return d;
    }

    /** A source of fresh value ids. */
    static final class Ids {
        private int next;

        Ids(int next) {
            this.next = next;
        }

        int next() {
            return next++;
        }

        /** One past the largest id handed out. */
        int end() {
            return next;
        }
    }
}
