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

    /** The parameter slot this statement reads, or -1 when it reads none. */
    public int paramRead() {
        return switch (op) {
            case KOp.ParamScalar p -> p.param();
            case KOp.ParamAtStep p -> p.param();
            case KOp.ParamElement p -> p.param();
            case KOp.ScalarConst c -> -1;
            case KOp.ScalarUnary u -> -1;
            case KOp.ScalarBinary b -> -1;
            case KOp.Splat sp -> -1;
            case KOp.LoadX l -> -1;
            case KOp.LoadState l -> -1;
            case KOp.LaneUnary u -> -1;
            case KOp.LaneBinary b -> -1;
            case KOp.Fma f -> -1;
            case KOp.StoreState st -> -1;
            case KOp.StoreY st -> -1;
        };
    }

    /** True for statements kept for their effect (stores). */
    public boolean isStore() {
        return op instanceof KOp.StoreState || op instanceof KOp.StoreY;
    }
}
