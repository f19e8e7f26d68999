package dev.streamfold.compiler.cli;

import dev.streamfold.ir.StreamfoldException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/** Command-line options of one subcommand: {@code --name value}, repeatable ones, and flags; numbers in one grammar. */
public final class Args {
    private final String command;
    private final Map<String, String> single = new HashMap<>();
    private final Map<String, List<String>> repeated = new HashMap<>();
    private final Set<String> flags = new java.util.HashSet<>();

    /**
     * @param valued options that take a value; {@code repeatable} ones may appear many times
     * @param flagNames options without a value
     */
    public Args(String command, String[] argv, int start, Set<String> valued, Set<String> repeatable, Set<String> flagNames) {
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
                throw new StreamfoldException(command + ": unknown option '" + printable(a) + "'" + (a.startsWith("--") ? "" : " (options start with --)"));
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

    public String get(String name) {
        return single.get(name);
    }

    public String get(String name, String dflt) {
        return single.getOrDefault(name, dflt);
    }

    public String require(String name) {
        String v = single.get(name);
        if (v == null) {
            throw new StreamfoldException(command + ": option " + name + " is required");
        }
        return v;
    }

    public List<String> all(String name) {
        return repeated.getOrDefault(name, List.of());
    }

    public boolean flag(String name) {
        return flags.contains(name);
    }

    /**
     * An integer option in {@code [min, max]}, or {@code dflt} when absent. The text must be an
     * integer of the expression language's number grammar: {@code ['-'] digits}.
     */
    public int intValue(String name, int dflt, int min, int max) {
        return (int) longValue(name, dflt, min, max);
    }

    /** A long option in {@code [min, max]}, or {@code dflt} when absent (see {@link #intValue}). */
    public long longValue(String name, long dflt, long min, long max) {
        String v = single.get(name);
        if (v == null) {
            return dflt;
        }
        return integer(command + ": " + name, v, min, max);
    }

    /**
     * {@code text} as an integer in {@code [min, max]}; otherwise a {@link StreamfoldException} that
     * starts with {@code what} and states the range.
     */
    public static long integer(String what, String text, long min, long max) {
        if (INTEGER.matcher(text).matches()) {
            try {
                long n = Long.parseLong(text);
                if (n >= min && n <= max) {
                    return n;
                }
            } catch (NumberFormatException e) {
                // more digits than a long holds: out of range, reported below
            }
        }
        throw new StreamfoldException(what + " must be an integer in [" + bound(min) + ", " + bound(max) + "], got '"
                + printable(text) + "'");
    }

    /**
     * {@code text} as a number of the expression language's grammar ({@code ['-'] digits ['.'
     * digits] [('e'|'E') ['-'|'+'] digits]}), finite; otherwise a {@link StreamfoldException} that
     * starts with {@code what}.
     */
    public static double number(String what, String text) {
        if (NUMBER.matcher(text).matches()) {
            double v = Double.parseDouble(text);
            if (Double.isFinite(v)) {
                return v;
            }
        }
        throw new StreamfoldException(what + " must be a finite number of the form [-]digits[.digits][e[+|-]digits], got '"
                + printable(text) + "'");
    }

    /** {@code n} in an error message: powers of two from 2^20 up as {@code 2^k}. */
    static String bound(long n) {
        if (n >= (1L << 20) && Long.bitCount(n) == 1) {
            return "2^" + Long.numberOfTrailingZeros(n);
        }
        if (n == Long.MAX_VALUE) {
            return "2^63-1";
        }
        return Long.toString(n);
    }

    /** {@code s} with each control character written as a JSON escape, so an error stays one printable line. */
    static String printable(String s) {
        StringBuilder b = new StringBuilder();
        for (char c : s.toCharArray()) {
            if (c < 0x20 || c == 0x7f) {
                b.append(String.format(java.util.Locale.ROOT, "\\u%04x", (int) c));
            } else {
                b.append(c);
            }
        }
        return b.toString();
    }

    private static final Pattern INTEGER = Pattern.compile("-?[0-9]+");
    private static final Pattern NUMBER = Pattern.compile("-?[0-9]+(\\.[0-9]+)?([eE][-+]?[0-9]+)?");
}
