package dev.streamfold.compiler.kernel;

import dev.streamfold.ir.DType;
import dev.streamfold.runtime.ParamSlot;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

/**
 * A fused streaming step in the kernel IR: per-step scalars ({@code prologue}), then one loop body
 * over the slice that reads x and each state buffer once and writes y and each state buffer once.
 * Both the Vector API and the LLVM backends render this. {@code slots} says what each parameter slot
 * must hold; rendered kernels report it as {@code StepKernel.paramSlots()}.
 */
public record StepKernelIr(DType dtype, int paramCount, int stateCount, List<KStmt> prologue, List<KStmt> body,
        List<ParamSlot> slots) {
    public StepKernelIr {
        prologue = List.copyOf(prologue);
        body = List.copyOf(body);
        slots = List.copyOf(slots);
        if (slots.size() != paramCount) {
            throw new IllegalArgumentException("kernel has " + paramCount + " parameters but " + slots.size() + " slots");
        }
    }

    /** A kernel whose slots are known only from its reads (see {@link #slotsFromReads}). */
    public StepKernelIr(DType dtype, int paramCount, int stateCount, List<KStmt> prologue, List<KStmt> body) {
        this(dtype, paramCount, stateCount, prologue, body, slotsFromReads(paramCount, prologue));
    }

    public StepKernelIr withStatements(List<KStmt> prologue, List<KStmt> body) {
        return new StepKernelIr(dtype, paramCount, stateCount, prologue, body, slots);
    }

    public StepKernelIr withSlots(List<ParamSlot> slots) {
        return new StepKernelIr(dtype, paramCount, stateCount, prologue, body, slots);
    }

    /**
     * Slots named {@code "param i"} as the statements read them: a slot read at the step is per-step; any other
     * has exactly as many entries as its highest element read plus one (none when never read).
     */
    public static List<ParamSlot> slotsFromReads(int paramCount, List<KStmt> prologue) {
        int[] exact = new int[paramCount];
        boolean[] perStep = perStepSlots(paramCount, prologue);
        for (KStmt s : prologue) {
            if (s.paramRead() < 0 || s.paramRead() >= paramCount) {
                continue;
            }
            if (s.op() instanceof KOp.ParamScalar p) {
                exact[p.param()] = Math.max(exact[p.param()], 1);
            } else if (s.op() instanceof KOp.ParamElement p) {
                exact[p.param()] = Math.max(exact[p.param()], p.index() + 1);
            }
        }
        List<ParamSlot> out = new ArrayList<>();
        for (int i = 0; i < paramCount; i++) {
            out.add(new ParamSlot("param " + i, perStep[i] ? ParamSlot.PER_STEP : exact[i], ParamSlot.Rule.FINITE));
        }
        return out;
    }

    /** Which slots the statements read with clip indexing by the step (reads of no slot are the verifier's to refuse). */
    public static boolean[] perStepSlots(int paramCount, List<KStmt> prologue) {
        boolean[] perStep = new boolean[paramCount];
        for (KStmt s : prologue) {
            if (s.op() instanceof KOp.ParamAtStep p && p.param() >= 0 && p.param() < paramCount) {
                perStep[p.param()] = true;
            }
        }
        return perStep;
    }

    /** A stable text form; equal texts mean interchangeable kernel bodies (see {@link #key()}). */
    @Override
    public String toString() {
        return KernelPrinter.print(this);
    }

    /** The compile caches' key: the text form and the slots; equal keys mean interchangeable kernels. */
    public String key() {
        return toString() + slots.stream().map(s -> s.name() + "|" + s.length() + "|" + s.rule())
                .collect(Collectors.joining("\n", "slots:\n", "\n"));
    }
}
