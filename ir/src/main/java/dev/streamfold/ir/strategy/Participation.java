package dev.streamfold.ir.strategy;

import dev.streamfold.ir.StreamfoldException;

/**
 * A participation pattern over {@code steps} steps: at most {@code participations} contributions,
 * any two at least {@code minSep} steps apart ({@code participations} is already capped at {@code
 * ceil(steps / minSep)}). Single participation is {@code minSep = 1, participations = 1}.
 */
public record Participation(int steps, int minSep, int participations) {
    public Participation {
        if (steps < 1) {
            throw new StreamfoldException("steps must be >= 1, got " + steps);
        }
        if (minSep < 1 || minSep > steps) {
            throw new StreamfoldException("min_sep must be in [1, steps = " + steps + "], got " + minSep);
        }
        if (participations < 1 || participations > ceilDiv(steps, minSep)) {
            throw new StreamfoldException("participations must be in [1, ceil(steps / min_sep) = " + ceilDiv(steps, minSep)
                    + "], got " + participations);
        }
    }

    /** One participation in {@code steps} steps. */
    public static Participation single(int steps) {
        return new Participation(steps, 1, 1);
    }

    /**
     * Min-separation participation: {@code limit} (null for no limit) capped at {@code ceil(steps /
     * minSep)}, as jax_privacy's {@code minsep_true_max_participations}.
     */
    public static Participation minSep(int steps, int minSep, Integer limit) {
        if (limit != null && limit < 1) {
            throw new StreamfoldException("max_participations must be >= 1, got " + limit);
        }
        int most = minSep >= 1 ? ceilDiv(steps, minSep) : 1;
        return new Participation(steps, minSep, limit == null ? most : Math.min(limit, most));
    }

    public boolean isSingle() {
        return participations == 1;
    }

    /**
     * The worst-case pattern for a non-negative, non-increasing Toeplitz strategy: participations at
     * steps 0, minSep, 2 minSep, ...
     */
    public boolean participatesAt(int step) {
        return step % minSep == 0 && step / minSep < participations;
    }

    private static int ceilDiv(int a, int b) {
        return (a + b - 1) / b;
    }
}
