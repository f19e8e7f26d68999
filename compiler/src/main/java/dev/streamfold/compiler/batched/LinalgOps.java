package dev.streamfold.compiler.batched;

import dev.streamfold.ir.linalg.LinalgOp;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The decompositions and solves by name, with their boolean flags and defaults as {@code jax.numpy.linalg} has them
 * (qr reduced, svd {@code full_matrices=true} and {@code compute_uv=true}, eigh {@code lower=true} and {@code
 * symmetrize_input=true}, cholesky {@code symmetrize_input=true}) and {@code lax.linalg.triangular_solve} (every flag
 * false). The one table behind {@code jvp --op}, {@code compile --op} and the {@code linalg} lines of a kernel spec.
 */
public final class LinalgOps {
    private LinalgOps() {}

    private static final Map<String, Map<String, Boolean>> PARAMS = params();

    private static Map<String, Map<String, Boolean>> params() {
        Map<String, Map<String, Boolean>> p = new LinkedHashMap<>();
        p.put("lu", ordered());
        p.put("qr", ordered("full_matrices", false));
        p.put("svd", ordered("full_matrices", true, "compute_uv", true));
        p.put("eigh", ordered("lower", true, "symmetrize_input", true));
        p.put("cholesky", ordered("symmetrize_input", true));
        p.put("triangular_solve", ordered("left_side", false, "lower", false, "transpose_a", false, "unit_diagonal", false));
        return Collections.unmodifiableMap(p);
    }

    private static Map<String, Boolean> ordered(Object... kv) {
        Map<String, Boolean> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put((String) kv[i], (Boolean) kv[i + 1]);
        }
        return Collections.unmodifiableMap(m);
    }

    /** The op names, in the order they are documented: lu, qr, svd, eigh, cholesky, triangular_solve. */
    public static List<String> names() {
        return List.copyOf(PARAMS.keySet());
    }

    /** {@code op}'s flags with their defaults, in documented order, or null for an unknown op. */
    public static Map<String, Boolean> defaults(String op) {
        return PARAMS.get(op);
    }

    /** True for the ops whose A must be square: eigh, cholesky and triangular_solve. */
    public static boolean needsSquare(String op) {
        return op.equals("eigh") || op.equals("cholesky") || op.equals("triangular_solve");
    }

    /**
     * The op {@code name} with {@code flags} set; flags not given take their defaults.
     *
     * @throws IllegalArgumentException for an unknown op or a flag the op does not have
     */
    public static LinalgOp of(String name, Map<String, Boolean> flags) {
        Map<String, Boolean> defaults = PARAMS.get(name);
        if (defaults == null) {
            throw new IllegalArgumentException("unknown op " + name);
        }
        Map<String, Boolean> f = new LinkedHashMap<>(defaults);
        for (Map.Entry<String, Boolean> e : flags.entrySet()) {
            if (!defaults.containsKey(e.getKey())) {
                throw new IllegalArgumentException(name + " has no flag " + e.getKey());
            }
            f.put(e.getKey(), e.getValue());
        }
        return switch (name) {
            case "lu" -> LinalgOp.lu();
            case "qr" -> LinalgOp.qr(f.get("full_matrices"));
            case "svd" -> LinalgOp.svd(f.get("full_matrices"), f.get("compute_uv"));
            case "eigh" -> LinalgOp.eigh(f.get("lower"), f.get("symmetrize_input"));
            case "cholesky" -> LinalgOp.cholesky(f.get("symmetrize_input"));
            case "triangular_solve" -> LinalgOp.triangularSolve(f.get("left_side"), f.get("lower"), f.get("transpose_a"),
                    f.get("unit_diagonal"));
            default -> throw new IllegalStateException("no op for " + name);
        };
    }
}
