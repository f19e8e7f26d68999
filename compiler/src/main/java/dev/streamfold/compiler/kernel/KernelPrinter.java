package dev.streamfold.compiler.kernel;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/** Prints the kernel IR as stable text: the dump format and the structural cache key. */
public final class KernelPrinter {
    private KernelPrinter() {}

    public static String print(StepKernelIr k) {
        StringBuilder sb = new StringBuilder();
        sb.append("step_kernel ").append(k.dtype().shortName()).append(" params=").append(k.paramCount())
                .append(" state=").append(k.stateCount()).append(" {\n  per step:\n");
        for (KStmt s : k.prologue()) {
            sb.append("    ").append(line(s)).append('\n');
        }
        sb.append("  per element:\n");
        for (KStmt s : k.body()) {
            sb.append("    ").append(line(s)).append('\n');
        }
        return sb.append("}\n").toString();
    }

    static String line(KStmt s) {
        String args = Arrays.stream(s.operands()).mapToObj(i -> "v" + i).collect(Collectors.joining(", "));
        String what = switch (s.op()) {
            case KOp.ParamScalar p -> "param " + p.param();
            case KOp.ParamAtStep p -> "param_at_step " + p.param();
            case KOp.ParamElement p -> "param " + p.param() + "[" + p.index() + "]";
            case KOp.ScalarConst c -> "const " + c.value();
            case KOp.ScalarUnary u -> u.kind().name().toLowerCase(Locale.ROOT) + " " + args;
            case KOp.ScalarBinary b -> b.kind().name().toLowerCase(Locale.ROOT) + " " + args;
            case KOp.Splat sp -> "splat " + args;
            case KOp.LoadX l -> "load x";
            case KOp.LoadState l -> "load state" + l.buffer();
            case KOp.LaneUnary u -> u.kind().name().toLowerCase(Locale.ROOT) + " " + args;
            case KOp.LaneBinary b -> b.kind().name().toLowerCase(Locale.ROOT) + " " + args;
            case KOp.Fma f -> "fma " + args;
            case KOp.StoreState st -> "store state" + st.buffer() + " " + args;
            case KOp.StoreY st -> "store y " + args;
        };
        return s.isStore() ? what : "v" + s.id() + " = " + what;
    }
}
