package dev.streamfold.ir.strategy;

import dev.streamfold.ir.StreamfoldException;
import dev.streamfold.ir.stream.Bindings;
import dev.streamfold.ir.stream.Blt;
import dev.streamfold.ir.stream.ColumnNormalizedBanded;
import dev.streamfold.ir.stream.Compose;
import dev.streamfold.ir.stream.Diagonal;
import dev.streamfold.ir.stream.Identity;
import dev.streamfold.ir.stream.Inverse;
import dev.streamfold.ir.stream.InverseParams;
import dev.streamfold.ir.stream.Mechanisms;
import dev.streamfold.ir.stream.MomentumSgd;
import dev.streamfold.ir.stream.Param;
import dev.streamfold.ir.stream.ParamLayout;
import dev.streamfold.ir.stream.PrefixSum;
import dev.streamfold.ir.stream.ScaleRowsAndColumns;
import dev.streamfold.ir.stream.StreamingEval;
import dev.streamfold.ir.stream.StreamingMatrix;
import dev.streamfold.ir.stream.Toeplitz;
import dev.streamfold.ir.stream.ToeplitzInverse;
import java.util.Arrays;

/**
 * The accounting of the mechanism with strategy C and the prefix-sum workload over n steps, as
 * jax_privacy computes it: single-participation sensitivity (the largest column norm), min-separation
 * sensitivity (exact, or an upper bound that says it is one), per-query error ({@code
 * row_norms_squared(A C^-1)}), mean and max error, and the losses {@code sensitivity^2 x error}.
 * BLT and Toeplitz strategies use their Toeplitz coefficients (O(n K) and O(n b)); any other C is
 * materialized.
 *
 * @param kind {@code blt}, {@code toeplitz}, {@code banded} or {@code general}
 * @param minSep the min-separation sensitivity; null when only single participation was asked for
 */
public record MechanismReport(String kind, Participation participation, double singleSensitivity,
        Mechanisms.Sensitivity minSep, double[] perQueryError, double meanError, double maxError) {

    /** The sensitivity the losses use: the min-separation one when it was asked for. */
    public double sensitivity() {
        return minSep == null ? singleSensitivity : minSep.value();
    }

    /** sensitivity² × the largest per-query error. */
    public double maxLoss() {
        return Mechanisms.loss(sensitivity(), maxError);
    }

    /** sensitivity² × the mean per-query error. */
    public double meanLoss() {
        return Mechanisms.loss(sensitivity(), meanError);
    }

    /**
     * Accounts for strategy {@code c} (literal parameters only) over {@code steps} steps; {@code
     * minSep} null means single participation only, {@code maxParticipations} null means no limit.
     */
    public static MechanismReport of(StreamingMatrix c, int steps, Integer minSep, Integer maxParticipations) {
        if (!ParamLayout.of(c).names().isEmpty()) {
            throw new StreamfoldException("the strategy has named parameters (" + String.join(", ",
                    ParamLayout.of(c).names().stream().map(s -> "$" + s).toList()) + "); write their values in the expression");
        }
        Participation p = minSep == null ? Participation.single(steps) : Participation.minSep(steps, minSep, maxParticipations);
        return switch (c) {
            case Blt b -> {
                double[] theta = literal(b.bufDecay());
                double[] omega = literal(b.outputScale());
                double[] coef = Mechanisms.bltCoefficients(theta, omega, steps);
                yield toeplitz("blt", p, minSep, Math.sqrt(Mechanisms.bltSensitivitySquared(theta, omega, steps)), coef,
                        bltNoising(theta, omega, steps), maxParticipations);
            }
            case Toeplitz t -> {
                // Unpadded: entries past the given ones are zero, and the inverse and sensitivities need only these.
                double[] given = literal(t.coef());
                double[] coef = Arrays.copyOf(given, Math.max(1, Math.min(given.length, steps)));
                if (coef[0] == 0) {
                    throw new StreamfoldException("toeplitz: coef[0] = 0.0 must not be 0 for C to be invertible");
                }
                double single = 0;
                for (double v : coef) {
                    single += v * v;
                }
                yield toeplitz("toeplitz", p, minSep, Math.sqrt(single), coef,
                        ToeplitzOptimizer.inverseCoefficients(coef, steps), maxParticipations);
            }
            case ColumnNormalizedBanded banded -> dense("banded", banded, p, minSep, maxParticipations);
            case InverseParams _, ToeplitzInverse _, Inverse _, Identity _, PrefixSum _, Diagonal _, MomentumSgd _,
                    Compose _, ScaleRowsAndColumns _ -> dense("general", c, p, minSep, maxParticipations);
        };
    }

    private static MechanismReport toeplitz(String kind, Participation p, Integer minSep, double single, double[] coef,
            double[] noising, Integer maxParticipations) {
        int n = p.steps();
        Mechanisms.Sensitivity ms = minSep == null ? null
                : Mechanisms.toeplitzMinSepSensitivity(coef, n, minSep, maxParticipations);
        double[] err = new double[n];
        double b = 0;
        double acc = 0;
        for (int d = 0; d < n; d++) {
            b += noising[d];
            acc += b * b;
            err[d] = acc;
        }
        return new MechanismReport(kind, p, single, ms, err, Mechanisms.meanError(err), Mechanisms.maxError(err));
    }

    private static MechanismReport dense(String kind, StreamingMatrix c, Participation p, Integer minSep,
            Integer maxParticipations) {
        int n = p.steps();
        double[][] m = StreamingEval.materialize(c, Bindings.NONE, n).rows();
        for (int i = 0; i < n; i++) {
            if (m[i][i] == 0) {
                throw new StreamfoldException("the strategy is singular: C[" + i + "][" + i + "] = 0.0");
            }
        }
        Mechanisms.Sensitivity ms = minSep == null ? null : Mechanisms.minSepSensitivity(m, minSep, maxParticipations);
        // Z = C^-1 column by column; row i of B = A Z is the sum of Z's first i + 1 rows.
        double[][] z = new double[n][n];
        for (int col = 0; col < n; col++) {
            for (int i = col; i < n; i++) {
                double v = i == col ? 1 : 0;
                for (int l = col; l < i; l++) {
                    v -= m[i][l] * z[l][col];
                }
                z[i][col] = v / m[i][i];
            }
        }
        double[] row = new double[n];
        double[] err = new double[n];
        for (int i = 0; i < n; i++) {
            double s = 0;
            for (int l = 0; l < n; l++) {
                row[l] += z[i][l];
                s += row[l] * row[l];
            }
            err[i] = s;
        }
        return new MechanismReport(kind, p, Mechanisms.sensitivity(m), ms, err, Mechanisms.meanError(err),
                Mechanisms.maxError(err));
    }

    /** The first n Toeplitz coefficients of {@code C^-1} for {@code C = blt(theta, omega)}: its stream on a unit impulse. */
    static double[] bltNoising(double[] theta, double[] omega, int n) {
        double[] s = new double[theta.length];
        double[] out = new double[n];
        for (int t = 0; t < n; t++) {
            double x = t == 0 ? 1 : 0;
            for (int j = 0; j < theta.length; j++) {
                x -= omega[j] * s[j];
            }
            for (int j = 0; j < theta.length; j++) {
                s[j] = theta[j] * s[j] + x;
            }
            out[t] = x;
        }
        return out;
    }

    private static double[] literal(Param p) {
        return ((Param.Literal) p).value().raw();
    }
}
