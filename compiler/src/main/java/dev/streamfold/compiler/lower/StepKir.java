package dev.streamfold.compiler.lower;

import dev.streamfold.compiler.kir.Kernel;
import dev.streamfold.compiler.kir.KirPrinter;
import dev.streamfold.ir.DType;
import dev.streamfold.runtime.ParamSlot;
import java.util.List;
import java.util.Objects;
import java.util.stream.Collectors;

/**
 * A streaming step as a kernel of kernel IR v2 whose batch axis is the slice: one batch item per element
 * of the slice. The buffer table is fixed: {@code x} (IN, one element) at {@link #X}, {@code y} (OUT) at
 * {@link #Y}, state buffer {@code k} (STATE) at {@link #state}, parameter slot {@code i} (PARAM, float64,
 * length given by the call) at {@link #param}; argument 0 is the step index {@code t} (i64). {@code slots}
 * says what each parameter slot must hold; rendered kernels report it as {@code StepKernel.paramSlots()}.
 */
public record StepKir(Kernel kernel, DType dtype, int paramCount, int stateCount, List<ParamSlot> slots) {
    /** Buffer index of the step's input element. */
    public static final int X = 0;

    /** Buffer index of the step's output element. */
    public static final int Y = 1;

    /** Argument index of the step index. */
    public static final int T = 0;

    public StepKir {
        Objects.requireNonNull(kernel);
        Objects.requireNonNull(dtype);
        slots = List.copyOf(slots);
        if (slots.size() != paramCount) {
            throw new IllegalArgumentException("kernel has " + paramCount + " parameters but " + slots.size() + " slots");
        }
        if (kernel.buffers().size() != 2 + stateCount + paramCount) {
            throw new IllegalArgumentException("kernel " + kernel.name() + " has " + kernel.buffers().size()
                    + " buffers, expected x, y, " + stateCount + " state and " + paramCount + " param buffers");
        }
    }

    /** Buffer index of state buffer {@code k}. */
    public int state(int k) {
        return 2 + k;
    }

    /** Buffer index of parameter slot {@code i}. */
    public int param(int i) {
        return 2 + stateCount + i;
    }

    /** The parameter slot a buffer holds, or -1 when it holds none. */
    public int paramOfBuffer(int buffer) {
        int i = buffer - 2 - stateCount;
        return i >= 0 && i < paramCount ? i : -1;
    }

    /** The state buffer a buffer is, or -1. */
    public int stateOfBuffer(int buffer) {
        int k = buffer - 2;
        return k >= 0 && k < stateCount ? k : -1;
    }

    public StepKir withKernel(Kernel k) {
        return new StepKir(k, dtype, paramCount, stateCount, slots);
    }

    public StepKir withSlots(List<ParamSlot> s) {
        return new StepKir(kernel, dtype, paramCount, stateCount, s);
    }

    /** Which slots are read with clip indexing by the step, as {@link #slots} say. */
    public boolean[] perStepSlots() {
        boolean[] perStep = new boolean[paramCount];
        for (int i = 0; i < paramCount; i++) {
            perStep[i] = slots.get(i).length() == ParamSlot.PER_STEP;
        }
        return perStep;
    }

    /** The compile caches' key: the kernel's text form and the slots; equal keys mean interchangeable kernels. */
    public String key() {
        return KirPrinter.print(kernel) + slots.stream().map(s -> s.name() + "|" + s.length() + "|" + s.rule())
                .collect(Collectors.joining("\n", "slots:\n", "\n"));
    }

    @Override
    public String toString() {
        return KirPrinter.print(kernel);
    }
}
