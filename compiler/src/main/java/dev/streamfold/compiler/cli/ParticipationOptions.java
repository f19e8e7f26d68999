package dev.streamfold.compiler.cli;

/**
 * {@code --steps N [--min-sep B] [--max-participations K]} of {@code optimize} and {@code
 * mechanism}. Giving either of the last two asks for min-separation participation (min-sep 1 and no
 * participation limit by default); giving neither is single participation.
 */
record ParticipationOptions(int steps, Integer minSep, Integer maxParticipations) {
    /** The most steps a strategy is optimized or accounted for. */
    static final int MAX_STEPS = 1 << 24;

    static ParticipationOptions of(Args a) {
        a.require("--steps");
        int steps = a.intValue("--steps", 1, 1, MAX_STEPS);
        Integer limit = a.get("--max-participations") == null ? null
                : a.intValue("--max-participations", 1, 1, Integer.MAX_VALUE);
        Integer minSep = null;
        if (a.get("--min-sep") != null) {
            minSep = a.intValue("--min-sep", 1, 1, steps);
        } else if (limit != null) {
            minSep = 1;
        }
        return new ParticipationOptions(steps, minSep, limit);
    }
}
