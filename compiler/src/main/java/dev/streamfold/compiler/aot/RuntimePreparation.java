package dev.streamfold.compiler.aot;

import dev.streamfold.ir.stream.Blt;
import dev.streamfold.ir.stream.ColumnNormalizedBanded;
import dev.streamfold.ir.stream.Compose;
import dev.streamfold.ir.stream.Diagonal;
import dev.streamfold.ir.stream.Identity;
import dev.streamfold.ir.stream.Inverse;
import dev.streamfold.ir.stream.InverseParams;
import dev.streamfold.ir.stream.Invertible;
import dev.streamfold.ir.stream.MomentumSgd;
import dev.streamfold.ir.stream.PrefixSum;
import dev.streamfold.ir.stream.ScaleRowsAndColumns;
import dev.streamfold.ir.stream.StreamingMatrix;
import dev.streamfold.ir.stream.Toeplitz;
import dev.streamfold.ir.stream.ToeplitzInverse;

/**
 * What the runtime must do to an operator's bound values to match the expression language's {@code prepare}: the
 * runtime has no compiler, so a {@code $name} parameter is allowed in an ahead-of-time kernel only where preparing
 * its value is checking it ({@code ParamSlot} rules) or a BLT's sort.
 */
enum RuntimePreparation {
    /** Values are used as bound, after the slot checks. */
    CHECKED,
    /** A BLT's buf_decay is sorted by decreasing value and its output_scale permuted alike. */
    SORTED_BY_DECAY,
    /** Values are computed from the bound ones (eigenvalues, column norms): only literals are allowed. */
    COMPUTED;

    static RuntimePreparation of(StreamingMatrix m) {
        return switch (m) {
            case Identity i -> CHECKED;
            case PrefixSum p -> CHECKED;
            case Diagonal d -> CHECKED;
            case Compose c -> CHECKED;
            case ScaleRowsAndColumns s -> CHECKED;
            case MomentumSgd s -> CHECKED;
            case Invertible i -> ofInvertible(i);
        };
    }

    private static RuntimePreparation ofInvertible(Invertible m) {
        return switch (m) {
            case Blt b -> SORTED_BY_DECAY;
            case Toeplitz t -> CHECKED;
            case ToeplitzInverse t -> t.columnNormalizeForN() == null ? CHECKED : COMPUTED;
            case InverseParams p -> COMPUTED;
            case ColumnNormalizedBanded c -> COMPUTED;
            case Inverse inv -> ofInvertible(inv.of());
        };
    }
}
