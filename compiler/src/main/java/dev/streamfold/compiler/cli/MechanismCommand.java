package dev.streamfold.compiler.cli;

import dev.streamfold.ir.strategy.MechanismReport;
import java.util.Set;

/**
 * {@code streamfold mechanism}: the accounting of the mechanism whose strategy matrix is EXPR, for
 * the prefix-sum workload over N steps, as one JSON object.
 */
final class MechanismCommand {
    private MechanismCommand() {}

    static String run(String[] argv) {
        Args a = new Args("mechanism", argv, 1, Set.of("--expr", "--steps", "--min-sep", "--max-participations"), Set.of(),
                Set.of());
        String expr = a.require("--expr");
        ParticipationOptions p = ParticipationOptions.of(a);
        MechanismReport r = MechanismReport.of(EvalCommand.matrix(expr), p.steps(), p.minSep(), p.maxParticipations());
        return render(r).toString();
    }

    static JsonObject render(MechanismReport r) {
        JsonObject o = new JsonObject()
                .put("strategy", r.kind())
                .put("steps", r.participation().steps())
                .put("sensitivity_single_participation", r.singleSensitivity());
        if (r.minSep() != null) {
            o.put("min_sep", r.participation().minSep())
                    .put("max_participations", r.participation().participations())
                    .put("sensitivity_min_sep", r.minSep().value())
                    .put("sensitivity_min_sep_is_upper_bound", r.minSep().upperBound());
        }
        return o.put("sensitivity", r.sensitivity())
                .put("per_query_error", r.perQueryError())
                .put("mean_error", r.meanError())
                .put("max_error", r.maxError())
                .put("max_loss", r.maxLoss())
                .put("mean_loss", r.meanLoss());
    }
}
