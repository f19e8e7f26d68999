package dev.streamfold.compiler.kir.passes;

import dev.streamfold.compiler.kir.KInstr;
import dev.streamfold.compiler.kir.KType;
import dev.streamfold.compiler.kir.KValue;
import dev.streamfold.compiler.kir.Kernel;
import dev.streamfold.compiler.kir.KirWalk;
import java.util.ArrayList;
import java.util.List;

/**
 * Fully unrolls every loop whose trip count times its body size, counted after its inner loops were unrolled
 * (innermost first), is at most {@code budget} instructions; a body counts as at least one instruction, so a
 * loop of many trips over an empty body is kept. Each trip becomes a copy of the body with fresh ids, the
 * index a constant and the carried values those of the trip before; the loop's results become the last
 * carried values (its initial values when it runs no trip). Loops over the budget are kept, their bodies
 * unrolled where they fit.
 */
public record UnrollLoops(int budget) implements KirPass {
    public UnrollLoops {
        if (budget < 0) {
            throw new IllegalArgumentException("unroll budget " + budget + " is negative");
        }
    }

    @Override
    public String name() {
        return "unroll";
    }

    @Override
    public Kernel run(Kernel k) {
        ValueMap map = new ValueMap();
        ValueMap.Ids ids = new ValueMap.Ids(k.nextId());
        List<KInstr> body = block(k.body(), map, ids);
        return k.withBody(body, ids.end());
    }

    /**
     * The number of instructions {@link #run} gives {@code k} (loops counted with their bodies), computed
     * without building the unrolled kernel.
     */
    public long unrolledSize(Kernel k) {
        return size(k.body());
    }

    private long size(List<KInstr> body) {
        long n = 0;
        for (KInstr i : body) {
            if (i instanceof KInstr.Loop l) {
                long inner = size(l.body());
                long trips = l.trips();
                // Each unrolled trip is its index constant plus a copy of the body.
                n += trips * Math.max(1, inner) <= budget ? trips * (1 + inner) : 1 + inner;
            } else {
                n++;
            }
        }
        return n;
    }

    private List<KInstr> block(List<KInstr> body, ValueMap map, ValueMap.Ids ids) {
        List<KInstr> out = new ArrayList<>(body.size());
        for (KInstr i : body) {
            if (i instanceof KInstr.Loop l) {
                List<KInstr> inner = block(l.body(), map, ids);
                KInstr.Loop rewritten = map.loop(l, inner);
                long cost = (long) l.trips() * Math.max(1, KirWalk.size(inner));
                if (cost <= budget) {
                    unroll(rewritten, map, ids, out);
                } else {
                    out.add(rewritten);
                }
            } else {
                out.add(map.rewrite(i));
            }
        }
        return out;
    }

    /** Appends the trips of {@code l}, whose body and yields are already rewritten, to {@code out}. */
    private static void unroll(KInstr.Loop l, ValueMap map, ValueMap.Ids ids, List<KInstr> out) {
        List<KValue> carried = map.get(l.inits());
        for (int at = l.start(); at < l.end(); at++) {
            KInstr.ConstI index = new KInstr.ConstI(new KValue(ids.next(), KType.I32, false), at);
            out.add(index);
            map.put(l.index(), index.dst());
            for (int j = 0; j < carried.size(); j++) {
                map.put(l.params().get(j), carried.get(j));
            }
            copy(l.body(), map, ids, out);
            carried = map.get(l.yields());
        }
        for (int j = 0; j < carried.size(); j++) {
            map.put(l.results().get(j), carried.get(j));
        }
    }

    /** Appends a copy of {@code body} with fresh ids to {@code out}. */
    private static void copy(List<KInstr> body, ValueMap map, ValueMap.Ids ids, List<KInstr> out) {
        for (KInstr i : body) {
            if (i instanceof KInstr.Loop l) {
                List<KValue> inits = map.get(l.inits());
                KValue index = fresh(l.index(), map, ids);
                List<KValue> params = new ArrayList<>();
                for (KValue p : l.params()) {
                    params.add(fresh(p, map, ids));
                }
                List<KInstr> inner = new ArrayList<>(l.body().size());
                copy(l.body(), map, ids, inner);
                List<KValue> yields = map.get(l.yields());
                List<KValue> results = new ArrayList<>();
                for (KValue r : l.results()) {
                    results.add(fresh(r, map, ids));
                }
                out.add(new KInstr.Loop(index, l.start(), l.end(), params, inits, inner, yields, results));
            } else {
                out.add(map.copy(i, ids));
            }
        }
    }

    private static KValue fresh(KValue old, ValueMap map, ValueMap.Ids ids) {
        KValue v = new KValue(ids.next(), old.type(), old.lane());
        map.put(old, v);
        return v;
    }
}
