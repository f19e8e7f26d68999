package dev.streamfold.compiler.kernel;

/** Defines value {@code id} by {@code op} (stores define nothing but still carry an id). */
public record KStmt(int id, KOp op) {
    public KStmt {
        java.util.Objects.requireNonNull(op);
    }

    /** Ids this statement reads. */
    public int[] operands() {
        return switch (op) {
            case KOp.ParamScalar p -> new int[0];
            case KOp.ParamAtStep p -> new int[0];
            case KOp.ParamElement p -> new int[0];
            case KOp.ScalarConst c -> new int[0];
            case KOp.ScalarUnary u -> new int[] {u.a()};
            case KOp.ScalarBinary b -> new int[] {b.a(), b.b()};
            case KOp.Splat s -> new int[] {s.scalar()};
            case KOp.LoadX l -> new int[0];
            case KOp.LoadState l -> new int[0];
            case KOp.LaneUnary u -> new int[] {u.a()};
            case KOp.LaneBinary b -> new int[] {b.a(), b.b()};
            case KOp.Fma f -> new int[] {f.a(), f.b(), f.c()};
            case KOp.StoreState s -> new int[] {s.value()};
            case KOp.StoreY s -> new int[] {s.value()};
        };
    }

    /** True for statements kept for their effect (stores). */
    public boolean isStore() {
        return op instanceof KOp.StoreState || op instanceof KOp.StoreY;
    }
}
