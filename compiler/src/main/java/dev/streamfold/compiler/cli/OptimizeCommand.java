package dev.streamfold.compiler.cli;

import dev.streamfold.ir.DType;
import dev.streamfold.ir.StreamfoldException;
import dev.streamfold.ir.Tensor;
import dev.streamfold.ir.stream.Blt;
import dev.streamfold.ir.stream.ColumnNormalizedBanded;
import dev.streamfold.ir.stream.Param;
import dev.streamfold.ir.stream.StreamingMatrix;
import dev.streamfold.ir.stream.Toeplitz;
import dev.streamfold.ir.strategy.BandedOptimizer;
import dev.streamfold.ir.strategy.BltOptimizer;
import dev.streamfold.ir.strategy.ErrorKind;
import dev.streamfold.ir.strategy.Lbfgs;
import dev.streamfold.ir.strategy.MechanismReport;
import dev.streamfold.ir.strategy.Participation;
import dev.streamfold.ir.strategy.ToeplitzOptimizer;
import java.io.PrintStream;
import java.util.Arrays;
import java.util.Locale;
import java.util.Set;

/**
 * {@code streamfold optimize}: optimizes a BLT, column-normalized banded or banded Toeplitz strategy
 * for N steps and a participation pattern, printing progress on stderr and one JSON object with the
 * parameters, the loss reached and ready expressions for {@code noise} and {@code eval}.
 */
final class OptimizeCommand {
    /** jax_privacy's bound on the number of BLT buffers its optimizer accepts (more are numerically unstable). */
    static final int MAX_BUFFERS = 15;
    static final int MAX_ITERATIONS = 1_000_000;

    private OptimizeCommand() {}

    static String run(String[] argv, PrintStream err) {
        Args a = new Args("optimize", argv, 1, Set.of("--strategy", "--steps", "--buffers", "--bands", "--min-sep",
                "--max-participations", "--error", "--max-iterations"), Set.of(), Set.of("--closed-form", "--quiet"));
        String strategy = a.require("--strategy");
        switch (strategy) {
            case "blt", "banded", "toeplitz" -> {}
            default -> throw new StreamfoldException("optimize: unknown strategy '" + strategy + "' (expected blt, banded or toeplitz)");
        }
        ParticipationOptions opts = ParticipationOptions.of(a);
        int n = opts.steps();
        Participation p = opts.minSep() == null ? Participation.single(n)
                : Participation.minSep(n, opts.minSep(), opts.maxParticipations());
        ErrorKind error = switch (a.get("--error", "max")) {
            case "max" -> ErrorKind.MAX;
            case "mean" -> ErrorKind.MEAN;
            default -> throw new StreamfoldException("optimize: --error must be max or mean, got '" + a.get("--error") + "'");
        };
        if (strategy.equals("blt") && a.get("--bands") != null) {
            throw new StreamfoldException("optimize: --bands applies to banded and toeplitz strategies; blt takes --buffers");
        }
        if (!strategy.equals("blt") && a.get("--buffers") != null) {
            throw new StreamfoldException("optimize: --buffers applies to the blt strategy; " + strategy + " takes --bands");
        }
        if (a.flag("--closed-form") && !strategy.equals("toeplitz")) {
            throw new StreamfoldException("optimize: --closed-form applies to the toeplitz strategy only");
        }
        int iterations = a.intValue("--max-iterations", strategy.equals("banded") ? 100 : Lbfgs.Settings.DEFAULT.maxIterations(), 1,
                MAX_ITERATIONS);
        Lbfgs.Settings settings = Lbfgs.Settings.DEFAULT.withMaxIterations(iterations);
        Lbfgs.Progress progress = a.flag("--quiet") ? null : (it, value, gnorm) -> err.println(String.format(Locale.ROOT,
                "optimize: iteration %d: objective %.15g, gradient norm %.3e", it, value, gnorm));
        JsonObject out = new JsonObject().put("strategy", strategy).put("steps", n)
                .put("min_sep", p.minSep()).put("max_participations", p.participations())
                .put("error", error.name().toLowerCase(Locale.ROOT));
        StreamingMatrix c = switch (strategy) {
            case "blt" -> blt(a, p, error, settings, progress, out);
            case "banded" -> banded(a, p, error, settings, progress, out);
            default -> toeplitz(a, p, error, settings, progress, out);
        };
        MechanismReport report = MechanismReport.of(c, n, p.isSingle() ? null : p.minSep(),
                p.isSingle() ? null : p.participations());
        String noise = "inverse(" + c.describe() + ")";
        return out.put("loss", error == ErrorKind.MAX ? report.maxLoss() : report.meanLoss())
                .put("sensitivity", report.sensitivity())
                .put("sensitivity_is_upper_bound", report.minSep() != null && report.minSep().upperBound())
                .put(error == ErrorKind.MAX ? "max_error" : "mean_error", error == ErrorKind.MAX ? report.maxError() : report.meanError())
                .put("strategy_expr", c.describe())
                .put("noise_expr", noise)
                .toString();
    }

    private static StreamingMatrix blt(Args a, Participation p, ErrorKind error, Lbfgs.Settings settings,
            Lbfgs.Progress progress, JsonObject out) {
        a.require("--buffers");
        int buffers = a.intValue("--buffers", 1, 1, MAX_BUFFERS);
        BltOptimizer.Result r = new BltOptimizer(buffers, p, error).optimize(settings, progress);
        out.put("buffers", buffers).put("buf_decay", r.theta()).put("output_scale", r.omega())
                .put("inverse_buf_decay", r.thetaHat()).put("inverse_output_scale", r.omegaHat());
        summary(out, r.objective(), r.iterations(), r.evaluations(), r.stopReason());
        return Blt.of(r.theta(), r.omega());
    }

    private static StreamingMatrix banded(Args a, Participation p, ErrorKind error, Lbfgs.Settings settings,
            Lbfgs.Progress progress, JsonObject out) {
        int bands = bands(a, p.steps(), null);
        if (error == ErrorKind.MAX) {
            throw new StreamfoldException("optimize: the banded strategy optimizes --error mean only"
                    + " (the max over its per-query errors is not differentiable)");
        }
        BandedOptimizer.Result r = new BandedOptimizer(bands, p).optimize(settings, progress);
        out.put("bands", bands).put("params", r.params());
        summary(out, r.objective(), r.iterations(), r.evaluations(), r.stopReason());
        return new ColumnNormalizedBanded(new Param.Literal(Tensor.matrix(DType.F64, r.params())));
    }

    private static StreamingMatrix toeplitz(Args a, Participation p, ErrorKind error, Lbfgs.Settings settings,
            Lbfgs.Progress progress, JsonObject out) {
        int n = p.steps();
        boolean closed = a.flag("--closed-form");
        int bands = bands(a, n, closed ? n : null);
        double[] coef;
        if (closed) {
            coef = Arrays.copyOf(ToeplitzOptimizer.optimalMaxErrorStrategy(n), bands);
            out.put("bands", bands).put("closed_form", true).put("coef", coef)
                    .put("noising_coef", bands == n ? ToeplitzOptimizer.optimalMaxErrorNoising(n)
                            : ToeplitzOptimizer.inverseCoefficients(coef, n));
        } else {
            ToeplitzOptimizer.Result r = new ToeplitzOptimizer(bands, p, error).optimize(settings, progress);
            coef = r.coef();
            out.put("bands", bands).put("coef", coef).put("noising_coef", r.noisingCoef());
            summary(out, r.objective(), r.iterations(), r.evaluations(), r.stopReason());
        }
        return new Toeplitz(Param.vector(coef));
    }

    private static int bands(Args a, int steps, Integer dflt) {
        if (dflt == null) {
            a.require("--bands");
        }
        return a.intValue("--bands", dflt == null ? 1 : dflt, 1, steps);
    }

    private static void summary(JsonObject out, double objective, int iterations, int evaluations, String stop) {
        out.put("objective", objective).put("iterations", iterations).put("evaluations", evaluations).put("stop", stop);
    }
}
