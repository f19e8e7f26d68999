package dev.streamfold.compiler.kernel;

import dev.streamfold.compiler.kir.KInstr;
import dev.streamfold.compiler.kir.KValue;
import dev.streamfold.compiler.kir.KirWalk;
import dev.streamfold.compiler.lower.StepKir;
import dev.streamfold.ir.StreamfoldException;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The size limit every compiled backend shares, checked before any backend renders a kernel. A step kernel's size is
 * its statements plus its state buffers. Its statements are the kernel IR v2 instructions that load, store or compute
 * a floating value, per step (uniform values) or per element (lane values and stores), and per element one broadcast
 * of each uniform floating value the element loop reads. The integer arithmetic that clips a parameter's index and
 * the conversions of float64 parameter values to the kernel's type belong to reading the parameter and are not
 * counted, so a parameter read is one statement. The limit keeps generated code
 * within what javac and LLVM compile in reasonable time and memory. The reference interpreter has no such limit.
 */
public final class KernelSize {
    /** The largest kernel size a compiled backend takes. */
    public static final int MAX = 1500;

    private KernelSize() {}

    /** Statements plus state buffers of {@code k}. */
    public static int of(StepKir k) {
        int[] counts = counts(k);
        return counts[0] + counts[1] + k.stateCount();
    }

    /**
     * Returns {@code k} if its size is at most {@link #MAX}.
     *
     * @throws StreamfoldException naming the size and the limit otherwise
     */
    public static StepKir check(StepKir k) {
        int[] counts = counts(k);
        int size = counts[0] + counts[1] + k.stateCount();
        if (size > MAX) {
            throw new StreamfoldException("the expression's step kernel has " + counts[0] + " per-step statements, "
                    + counts[1] + " per-element statements and " + k.stateCount() + " state buffers (" + size
                    + " in all), more than the " + MAX + " a compiled backend takes (eval --backend interpreter has no such limit)");
        }
        return k;
    }

    /** Per-step and per-element statements of {@code k}. */
    private static int[] counts(StepKir k) {
        int[] counts = new int[2];
        Set<Integer> broadcast = new HashSet<>();
        KirWalk.forEach(k.kernel().body(), i -> {
            List<KValue> perElement = switch (i) {
                case KInstr.Store s -> List.of(s.value());
                case KInstr.Load l -> List.of();
                case KInstr.Loop l -> List.of();
                case KInstr.ConstF _, KInstr.ConstI _, KInstr.Arg _, KInstr.Length _, KInstr.Unary _, KInstr.Binary _,
                        KInstr.Fma _, KInstr.Compare _, KInstr.Select _, KInstr.Convert _ ->
                        i.dst().lane() ? i.operands() : List.of();
            };
            for (KValue v : perElement) {
                if (!v.lane() && v.type().isFloat()) {
                    broadcast.add(v.id());
                }
            }
            boolean statement = switch (i) {
                case KInstr.Store s -> true;
                case KInstr.Load l -> true;
                case KInstr.Convert c -> false;
                case KInstr.Loop l -> false;
                case KInstr.ConstF _, KInstr.ConstI _, KInstr.Arg _, KInstr.Length _, KInstr.Unary _, KInstr.Binary _,
                        KInstr.Fma _, KInstr.Compare _, KInstr.Select _ -> i.dst().type().isFloat();
            };
            if (statement) {
                counts[i.dst() != null && !i.dst().lane() ? 0 : 1]++;
            }
        });
        counts[1] += broadcast.size();
        return counts;
    }
}
