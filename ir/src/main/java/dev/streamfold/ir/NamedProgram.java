package dev.streamfold.ir;

import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * A program with optional names for its parameters and results, as a program file gives them ({@code
 * program(x=%0: f64[3]) ... return y=%4}). An empty string means unnamed.
 */
public record NamedProgram(Program program, List<String> paramNames, List<String> resultNames) {
    public NamedProgram {
        paramNames = List.copyOf(paramNames);
        resultNames = List.copyOf(resultNames);
        if (paramNames.size() != program.params().size() || resultNames.size() != program.results().size()) {
            throw new IllegalArgumentException("names for " + paramNames.size() + " params and " + resultNames.size()
                    + " results of a program with " + program.params().size() + " and " + program.results().size());
        }
        checkNames(paramNames, "parameter");
        checkNames(resultNames, "result");
    }

    /** The program with no names. */
    public static NamedProgram unnamed(Program program) {
        return new NamedProgram(program, blank(program.params().size()), blank(program.results().size()));
    }

    /** Whether {@code s} can be a name: a letter or {@code _}, then letters, digits or {@code _}. */
    public static boolean isName(String s) {
        if (s.isEmpty() || !(Character.isLetter(s.charAt(0)) || s.charAt(0) == '_')) {
            return false;
        }
        return s.chars().allMatch(c -> Character.isLetterOrDigit(c) || c == '_');
    }

    private static List<String> blank(int n) {
        return java.util.Collections.nCopies(n, "");
    }

    private static void checkNames(List<String> names, String what) {
        Set<String> seen = new HashSet<>();
        for (String n : names) {
            if (n.isEmpty()) {
                continue;
            }
            if (!isName(n)) {
                throw new IllegalArgumentException("bad " + what + " name '" + n + "'");
            }
            if (!seen.add(n)) {
                throw new IllegalArgumentException(what + " name '" + n + "' is used twice");
            }
        }
    }
}
