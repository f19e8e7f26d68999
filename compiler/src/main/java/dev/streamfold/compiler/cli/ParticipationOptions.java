package dev.streamfold.compiler.cli;

import dev.streamfold.ir.StreamfoldException;

/**
 * {@code --steps N [--min-sep B] [--max-participations K]} of {@code optimize} and {@code
 * mechanism}. Giving either of the last two asks for min-separation participation (min-sep 1 and no
 * participation limit by default); giving neither is single participation.
 */
record ParticipationOptions(int steps, Integer minSep, Integer maxParticipations) {
    static ParticipationOptions of(String command, Args a) {
        a.require("--steps");
        int steps = a.intValue("--steps", 1, 1);
        Integer limit = a.get("--max-participations") == null ? null : a.intValue("--max-participations", 1, 1);
        Integer minSep = null;
        if (a.get("--min-sep") != null) {
            minSep = a.intValue("--min-sep", 1, 1);
        } else if (limit != null) {
            minSep = 1;
        }
        if (minSep != null && minSep > steps) {
            throw new StreamfoldException(command + ": --min-sep " + minSep + " must not exceed --steps " + steps);
        }
        return new ParticipationOptions(steps, minSep, limit);
    }
}
