package dev.streamfold.compiler.kernel;

import dev.streamfold.ir.Tensor;
import dev.streamfold.ir.stream.Blt;
import dev.streamfold.ir.stream.ColumnNormalizedBanded;
import dev.streamfold.ir.stream.Compose;
import dev.streamfold.ir.stream.Diagonal;
import dev.streamfold.ir.stream.Identity;
import dev.streamfold.ir.stream.Inverse;
import dev.streamfold.ir.stream.InverseParams;
import dev.streamfold.ir.stream.MomentumSgd;
import dev.streamfold.ir.stream.ParamLayout;
import dev.streamfold.ir.stream.PrefixSum;
import dev.streamfold.ir.stream.ScaleRowsAndColumns;
import dev.streamfold.ir.stream.Slot;
import dev.streamfold.ir.stream.StreamingMatrix;
import dev.streamfold.ir.stream.Toeplitz;
import dev.streamfold.ir.stream.ToeplitzInverse;
import dev.streamfold.runtime.ParamSlot;
import java.util.ArrayList;
import java.util.List;

/**
 * The {@link ParamSlot}s of a compiled streaming matrix: each slot is named by its operator and parameter, is
 * per-step where the kernel reads it by step and otherwise holds exactly as many entries as its prepared value
 * (structure: one per BLT buffer, one per Toeplitz band), and carries the rule its operator checks when binding.
 */
public final class KernelSlots {
    private KernelSlots() {}

    /** The slots of a kernel compiled from {@code m} with the prepared {@code values} that reads the slots {@code perStep} by step. */
    public static List<ParamSlot> of(StreamingMatrix m, List<Tensor> values, boolean[] perStep) {
        List<ParamLayout.Entry> entries = ParamLayout.of(m).slots();
        if (entries.size() != values.size() || values.size() != perStep.length) {
            throw new IllegalStateException("layout has " + entries.size() + " slots, " + values.size() + " values and the kernel "
                    + perStep.length + " parameters");
        }
        List<ParamSlot> out = new ArrayList<>();
        for (int i = 0; i < values.size(); i++) {
            ParamLayout.Entry e = entries.get(i);
            out.add(new ParamSlot(e.op().opName() + " " + e.slot().name(),
                    perStep[i] ? ParamSlot.PER_STEP : values.get(i).size(), rule(e.op(), e.slot())));
        }
        return out;
    }

    /** What {@code op} requires of the prepared value of its slot {@code slot}, besides being finite. */
    public static ParamSlot.Rule rule(StreamingMatrix op, Slot slot) {
        return switch (op) {
            case Identity i -> ParamSlot.Rule.FINITE;
            case PrefixSum p -> ParamSlot.Rule.FINITE;
            case Diagonal d -> ParamSlot.Rule.FINITE;
            case Compose c -> ParamSlot.Rule.FINITE;
            case ScaleRowsAndColumns s -> ParamSlot.Rule.FINITE;
            case MomentumSgd s -> slot.name().equals("learning_rates") ? ParamSlot.Rule.POSITIVE : ParamSlot.Rule.FINITE;
            case Blt b -> slot.name().equals("buf_decay") ? ParamSlot.Rule.DECREASING : ParamSlot.Rule.FINITE;
            case Inverse inv -> switch (inv.of()) {
                case Toeplitz t -> ParamSlot.Rule.NONZERO_FIRST;
                case Blt b -> rule(b, slot);
                case InverseParams p -> rule(p, slot);
                case ToeplitzInverse t -> rule(t, slot);
                case ColumnNormalizedBanded c -> rule(c, slot);
                case Inverse again -> rule(again, slot);
            };
            case InverseParams p -> ParamSlot.Rule.FINITE;
            case Toeplitz t -> ParamSlot.Rule.FINITE;
            case ToeplitzInverse t -> slot.name().equals("coef") ? ParamSlot.Rule.NONZERO_FIRST : ParamSlot.Rule.FINITE;
            case ColumnNormalizedBanded c -> ParamSlot.Rule.FINITE;
        };
    }
}
