package dev.streamfold.compiler.kernel;

import java.util.HashMap;
import java.util.Map;

/**
 * Checks a step kernel: ids defined once before use, scalars only in the prologue and lanes only
 * in the body, y stored exactly once, every state buffer loaded at most once and stored exactly
 * once, parameter and buffer indices in range.
 */
public final class KernelVerifier {
    private KernelVerifier() {}

    /** @throws IllegalStateException naming the statement and the broken rule */
    public static StepKernelIr verify(StepKernelIr k) {
        Map<Integer, Boolean> lane = new HashMap<>();
        for (KStmt s : k.prologue()) {
            if (s.op().isLane()) {
                throw new IllegalStateException("lane op in the per-step prologue: " + KernelPrinter.line(s));
            }
            define(k, s, lane);
        }
        int storesY = 0;
        int[] loads = new int[k.stateCount()];
        int[] stores = new int[k.stateCount()];
        for (KStmt s : k.body()) {
            if (!s.op().isLane()) {
                throw new IllegalStateException("scalar op in the loop body: " + KernelPrinter.line(s));
            }
            define(k, s, lane);
            if (s.op() instanceof KOp.StoreY) {
                storesY++;
            } else if (s.op() instanceof KOp.StoreState st) {
                stores[buffer(k, st.buffer(), s)]++;
            } else if (s.op() instanceof KOp.LoadState l) {
                loads[buffer(k, l.buffer(), s)]++;
            } else if (s.op() instanceof KOp.Splat sp && lane.get(sp.scalar())) {
                throw new IllegalStateException("splat of a lane value: " + KernelPrinter.line(s));
            }
        }
        if (storesY != 1) {
            throw new IllegalStateException("y is stored " + storesY + " times, expected once");
        }
        for (int b = 0; b < k.stateCount(); b++) {
            if (stores[b] != 1 || loads[b] > 1) {
                throw new IllegalStateException(
                        "state" + b + " is loaded " + loads[b] + " and stored " + stores[b] + " times (at most once, exactly once)");
            }
        }
        return k;
    }

    private static int buffer(StepKernelIr k, int b, KStmt s) {
        if (b < 0 || b >= k.stateCount()) {
            throw new IllegalStateException("state buffer out of range: " + KernelPrinter.line(s));
        }
        return b;
    }

    private static void define(StepKernelIr k, KStmt s, Map<Integer, Boolean> lane) {
        for (int a : s.operands()) {
            if (!lane.containsKey(a)) {
                throw new IllegalStateException("v" + a + " used before it is defined: " + KernelPrinter.line(s));
            }
            if (lane.get(a) != s.op().isLane() && !(s.op() instanceof KOp.Splat)) {
                throw new IllegalStateException("mixes lane and scalar values: " + KernelPrinter.line(s));
            }
        }
        Integer param = s.op() instanceof KOp.ParamScalar ps ? Integer.valueOf(ps.param())
                : s.op() instanceof KOp.ParamAtStep pa ? Integer.valueOf(pa.param())
                : s.op() instanceof KOp.ParamElement pe ? Integer.valueOf(pe.index() < 0 ? -1 : pe.param()) : null;
        if (param != null && (param < 0 || param >= k.paramCount())) {
            throw new IllegalStateException("parameter out of range: " + KernelPrinter.line(s));
        }
        if (lane.put(s.id(), s.op().isLane()) != null) {
            throw new IllegalStateException("v" + s.id() + " defined twice");
        }
    }
}
