package dev.streamfold.compiler.cli;

import dev.streamfold.ir.StreamfoldException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Command-line options of one subcommand: {@code --name value}, repeatable ones, and flags. */
final class Args {
    private final String command;
    private final Map<String, String> single = new HashMap<>();
    private final Map<String, List<String>> repeated = new HashMap<>();
    private final Set<String> flags = new java.util.HashSet<>();

    /**
     * @param valued options that take a value; {@code repeatable} ones may appear many times
     * @param flagNames options without a value
     */
    Args(String command, String[] argv, int start, Set<String> valued, Set<String> repeatable, Set<String> flagNames) {
        this.command = command;
        for (int i = start; i < argv.length; i++) {
            String a = argv[i];
            String name = a;
            String value = null;
            int eq = a.indexOf('=');
            if (a.startsWith("--") && eq > 0) {
                name = a.substring(0, eq);
                value = a.substring(eq + 1);
            }
            if (flagNames.contains(name) && value == null) {
                flags.add(name);
                continue;
            }
            if (!valued.contains(name) && !repeatable.contains(name)) {
                throw new StreamfoldException(command + ": unknown option '" + a + "'" + (a.startsWith("--") ? "" : " (options start with --)"));
            }
            if (value == null) {
                if (i + 1 >= argv.length) {
                    throw new StreamfoldException(command + ": option " + name + " needs a value");
                }
                value = argv[++i];
            }
            if (repeatable.contains(name)) {
                repeated.computeIfAbsent(name, k -> new ArrayList<>()).add(value);
            } else if (single.put(name, value) != null) {
                throw new StreamfoldException(command + ": option " + name + " is given twice");
            }
        }
    }

    String get(String name) {
        return single.get(name);
    }

    String get(String name, String dflt) {
        return single.getOrDefault(name, dflt);
    }

    String require(String name) {
        String v = single.get(name);
        if (v == null) {
            throw new StreamfoldException(command + ": option " + name + " is required");
        }
        return v;
    }

    List<String> all(String name) {
        return repeated.getOrDefault(name, List.of());
    }

    boolean flag(String name) {
        return flags.contains(name);
    }

    /** A non-negative int option, or {@code dflt}. */
    int intValue(String name, int dflt, int min) {
        String v = single.get(name);
        if (v == null) {
            return dflt;
        }
        try {
            int n = Integer.parseInt(v.trim());
            if (n < min) {
                throw new StreamfoldException(command + ": " + name + " must be >= " + min + ", got " + n);
            }
            return n;
        } catch (NumberFormatException e) {
            throw new StreamfoldException(command + ": " + name + " must be an integer, got '" + v + "'");
        }
    }

    long longValue(String name, long dflt, long min) {
        String v = single.get(name);
        if (v == null) {
            return dflt;
        }
        try {
            long n = Long.parseLong(v.trim());
            if (n < min) {
                throw new StreamfoldException(command + ": " + name + " must be >= " + min + ", got " + n);
            }
            return n;
        } catch (NumberFormatException e) {
            throw new StreamfoldException(command + ": " + name + " must be an integer, got '" + v + "'");
        }
    }
}
