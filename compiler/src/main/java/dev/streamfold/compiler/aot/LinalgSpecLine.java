package dev.streamfold.compiler.aot;

import dev.streamfold.compiler.batched.LinalgKernel;
import dev.streamfold.compiler.batched.LinalgOps;
import dev.streamfold.ir.DType;
import dev.streamfold.ir.StreamfoldException;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The third column of a batched kernel's spec line: {@code linalg OP MxN [jvp] [rhs=K] [FLAG[=true|false]]...},
 * e.g. {@code linalg qr 8x8 full_matrices} or {@code linalg triangular_solve 8x8 rhs=4 left_side lower}. A bare
 * flag means {@code FLAG=true}; flags not given keep {@code jax.numpy.linalg}'s defaults ({@link LinalgOps}), and
 * {@code rhs} (triangular_solve only) defaults to N. Errors start with {@code file:line:column:} of the word at fault.
 */
final class LinalgSpecLine {
    private LinalgSpecLine() {}

    static final String KEYWORD = "linalg";

    private static final String GRAMMAR = "'linalg OP MxN [jvp] [rhs=K] [FLAG[=true|false]]...'";
    private static final Pattern WORD = Pattern.compile("\\S+");
    private static final Pattern SHAPE = Pattern.compile("(\\d{1,9})x(\\d{1,9})");
    private static final Pattern RHS = Pattern.compile("\\d{1,9}");

    /** True when {@code expr} (stripped) is a {@code linalg} line rather than an expression. */
    static boolean isLinalg(String expr) {
        return expr.equals(KEYWORD) || expr.startsWith(KEYWORD + " ") || expr.startsWith(KEYWORD + "\t");
    }

    /**
     * The kernel {@code expr} describes, at {@code dtype}.
     *
     * @param at {@code file:line:} of the spec line
     * @param column the 1-based column where {@code expr} starts
     */
    static LinalgKernel parse(String expr, DType dtype, String at, int column) {
        Matcher w = WORD.matcher(expr);
        w.find();
        if (!w.find()) {
            throw new StreamfoldException(at + column + ": expected " + GRAMMAR + ", found no op after 'linalg'");
        }
        String op = w.group();
        Map<String, Boolean> defaults = LinalgOps.defaults(op);
        if (defaults == null) {
            throw new StreamfoldException(at + (column + w.start()) + ": unknown linalg op '" + op + "' (expected "
                    + String.join(", ", LinalgOps.names()) + ")");
        }
        if (!w.find()) {
            throw new StreamfoldException(at + column + ": linalg " + op + ": expected a shape MxN (e.g. 8x8) after the op");
        }
        int shapeColumn = column + w.start();
        Matcher sm = SHAPE.matcher(w.group());
        if (!sm.matches()) {
            throw new StreamfoldException(at + shapeColumn + ": linalg " + op + ": expected a shape MxN (e.g. 8x8), found '"
                    + w.group() + "'");
        }
        int m = Integer.parseInt(sm.group(1));
        int n = Integer.parseInt(sm.group(2));
        if (m < 1 || n < 1 || m > LinalgKernel.MAX_SIDE || n > LinalgKernel.MAX_SIDE) {
            throw new StreamfoldException(at + shapeColumn + ": linalg " + op + ": matrix sides must be in [1, "
                    + LinalgKernel.MAX_SIDE + "], got " + w.group());
        }
        if (LinalgOps.needsSquare(op) && m != n) {
            throw new StreamfoldException(at + shapeColumn + ": linalg " + op + " needs a square shape, got " + w.group());
        }
        boolean jvp = false;
        int rhs = n;
        Map<String, Boolean> flags = new LinkedHashMap<>();
        Set<String> seen = new HashSet<>();
        while (w.find()) {
            String word = w.group();
            int c = column + w.start();
            int eq = word.indexOf('=');
            String key = eq < 0 ? word : word.substring(0, eq);
            String value = eq < 0 ? null : word.substring(eq + 1);
            if (!seen.add(key)) {
                throw new StreamfoldException(at + c + ": linalg " + op + ": '" + key + "' is given twice");
            }
            if (key.equals("jvp")) {
                if (value != null) {
                    throw new StreamfoldException(at + c + ": linalg " + op + ": 'jvp' takes no value, found '" + word + "'");
                }
                jvp = true;
            } else if (key.equals("rhs")) {
                if (!op.equals("triangular_solve")) {
                    throw new StreamfoldException(at + c + ": linalg " + op + ": rhs applies to triangular_solve only");
                }
                if (value == null || !RHS.matcher(value).matches() || Integer.parseInt(value) < 1
                        || Integer.parseInt(value) > LinalgKernel.MAX_SIDE) {
                    throw new StreamfoldException(at + c + ": linalg " + op + ": rhs must be an integer in [1, "
                            + LinalgKernel.MAX_SIDE + "], found '" + word + "'");
                }
                rhs = Integer.parseInt(value);
            } else if (defaults.containsKey(key)) {
                if (value != null && !value.equals("true") && !value.equals("false")) {
                    throw new StreamfoldException(at + c + ": linalg " + op + ": flag " + key + " must be true or false, found '"
                            + value + "'");
                }
                flags.put(key, value == null || value.equals("true"));
            } else {
                throw new StreamfoldException(at + c + ": linalg " + op + ": unknown word '" + word + "' (expected jvp"
                        + (op.equals("triangular_solve") ? ", rhs=K" : "")
                        + (defaults.isEmpty() ? "; " + op + " has no flags" : " or a flag: " + String.join(", ", defaults.keySet()))
                        + ")");
            }
        }
        try {
            return new LinalgKernel(LinalgOps.of(op, flags), m, n, rhs, dtype, jvp);
        } catch (StreamfoldException e) {
            throw new StreamfoldException(at + column + ": " + e.getMessage());
        }
    }
}
