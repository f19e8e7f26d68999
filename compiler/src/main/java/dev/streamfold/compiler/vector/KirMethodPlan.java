package dev.streamfold.compiler.vector;

import dev.streamfold.compiler.kir.KBuffer;
import dev.streamfold.compiler.kir.KInstr;
import dev.streamfold.compiler.kir.KValue;
import dev.streamfold.compiler.kir.Kernel;
import dev.streamfold.compiler.kir.KirWalk;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * How a kernel body is spread over generated methods, so that no method grows past javac's 64 KiB of
 * bytecode (nor past the JIT's limit for compiling a method). Method 0 is the per-group entry; a block of
 * more than {@code limit} instructions is cut into consecutive parts, each its own method, except that a
 * loop larger than the limit stays in its block and has its own body cut. A value used in another method
 * than the one defining it lives in a slot of the per-call state instead of a local, except constants, which
 * every method writes as literals.
 */
final class KirMethodPlan {
    /** One step of a cut block: an instruction emitted in place, or a call of part method {@code part}. */
    sealed interface Step {
        record Inline(KInstr instr) implements Step {}

        record Call(int part) implements Step {}
    }

    /**
     * What an access to a batched buffer in memory (a masked {@code fromMemorySegment} or
     * {@code intoMemorySegment}) counts against the limit: C2 inlines a bounded amount of bytecode into one
     * method, and one such access inlines about as much as four lane operations; past the budget the Vector API
     * calls are left out of line and run their allocating fallback.
     */
    static final int SEGMENT_ACCESS_WEIGHT = 4;

    private final int limit;
    private final List<KBuffer> buffers;
    private final Map<List<KInstr>, List<Step>> steps = new IdentityHashMap<>();
    private final List<List<KInstr>> parts = new ArrayList<>();
    private final Map<KInstr, Integer> owner = new IdentityHashMap<>();
    private final Map<Integer, Integer> definedIn = new HashMap<>();
    private final Map<Integer, Boolean> crossing = new HashMap<>();
    private final java.util.Set<Integer> constants = new java.util.HashSet<>();

    private KirMethodPlan(int limit, List<KBuffer> buffers) {
        this.limit = limit;
        this.buffers = buffers;
    }

    /**
     * The plan of {@code k} with at most {@code limit} instructions per method (loops count with their bodies,
     * accesses to batched buffers in memory {@link #SEGMENT_ACCESS_WEIGHT} each).
     */
    static KirMethodPlan of(Kernel k, int limit) {
        if (limit < 1) {
            throw new IllegalArgumentException("method limit " + limit);
        }
        KirMethodPlan p = new KirMethodPlan(limit, k.buffers());
        p.assign(k.body(), 0);
        p.defineAndUse(k.body());
        return p;
    }

    /** The steps of {@code block} when it is cut, or null when it is emitted in place. */
    List<Step> steps(List<KInstr> block) {
        return steps.get(block);
    }

    /** The instructions of part method {@code part} (numbered from 1). */
    List<KInstr> part(int part) {
        return parts.get(part - 1);
    }

    int partCount() {
        return parts.size();
    }

    /** The method defining {@code v}: 0 for the group entry, else a part. */
    int definedIn(KValue v) {
        return definedIn.get(v.id());
    }

    /** True when {@code v} is used in another method than the one defining it. */
    boolean crossesMethods(KValue v) {
        return crossing.getOrDefault(v.id(), false);
    }

    private void assign(List<KInstr> block, int method) {
        if (weight(block) <= limit) {
            own(block, method);
            return;
        }
        List<Step> cut = new ArrayList<>();
        List<KInstr> chunk = new ArrayList<>();
        int size = 0;
        for (KInstr i : block) {
            int s = weight(List.of(i));
            if (s > limit && i instanceof KInstr.Loop l) {
                size = flush(chunk, cut);
                owner.put(l, method);
                assign(l.body(), method);
                cut.add(new Step.Inline(l));
                continue;
            }
            if (size + s > limit) {
                size = flush(chunk, cut);
            }
            chunk.add(i);
            size += s;
        }
        flush(chunk, cut);
        steps.put(block, List.copyOf(cut));
    }

    /** What {@code block} counts against the limit. */
    private int weight(List<KInstr> block) {
        int[] w = {0};
        KirWalk.forEach(block, i -> {
            boolean segment = (i instanceof KInstr.Load l && inMemory(l.buffer()))
                    || (i instanceof KInstr.Store st && inMemory(st.buffer()));
            w[0] += segment ? SEGMENT_ACCESS_WEIGHT : 1;
        });
        return w[0];
    }

    private boolean inMemory(int buffer) {
        KBuffer.Role role = buffers.get(buffer).role();
        return role.batched() && role != KBuffer.Role.SCRATCH;
    }

    private int flush(List<KInstr> chunk, List<Step> cut) {
        if (!chunk.isEmpty()) {
            parts.add(List.copyOf(chunk));
            int id = parts.size();
            own(chunk, id);
            cut.add(new Step.Call(id));
            chunk.clear();
        }
        return 0;
    }

    private void own(List<KInstr> block, int method) {
        KirWalk.forEach(block, i -> owner.put(i, method));
    }

    private void defineAndUse(List<KInstr> block) {
        KirWalk.forEach(block, i -> {
            int m = owner.get(i);
            if (i.dst() != null) {
                definedIn.put(i.dst().id(), m);
            }
            if (i instanceof KInstr.ConstF || i instanceof KInstr.ConstI) {
                constants.add(i.dst().id());
            }
            if (i instanceof KInstr.Loop l) {
                definedIn.put(l.index().id(), m);
                l.params().forEach(v -> definedIn.put(v.id(), m));
                l.results().forEach(v -> definedIn.put(v.id(), m));
            }
        });
        KirWalk.forEach(block, i -> {
            int m = owner.get(i);
            i.operands().forEach(v -> use(v, m));
            if (i instanceof KInstr.Loop l) {
                l.yields().forEach(v -> use(v, m));
            }
        });
    }

    private void use(KValue v, int method) {
        if (definedIn.get(v.id()) != method && !constants.contains(v.id())) {
            crossing.put(v.id(), true);
        }
    }
}
