package dev.streamfold.ir;

import java.util.List;
import java.util.Locale;

/**
 * Passes its second input through unchanged after checking that the first, a batch of values
 * {@code [..., k]} computed by a decomposition, lets that decomposition's derivative exist. JVP
 * programs route their tangents through it, so the refusal comes from evaluating the program.
 *
 * <p>Values {@code a, b} count as repeated, and a value {@code a} as zero, when {@code |a - b|}
 * (resp. {@code |a|}) is below {@link #relativeTolerance} times the largest magnitude of the
 * matrix's values: {@code 1e-10} in float64, {@code 1e-5} in float32.
 */
public record DerivativeGuard(Condition condition) implements Op {
    /** What must hold, and which op's derivative needs it. */
    public enum Condition {
        /** eigh: the eigenvalues are distinct. */
        DISTINCT_EIGENVALUES("eigh"),
        /** svd: the singular values are distinct and non-zero. */
        DISTINCT_NONZERO_SINGULAR_VALUES("svd"),
        /** qr: the diagonal of {@code r} has no zero, so the factored block has full rank. */
        NONZERO_R_DIAGONAL("qr");

        private final String op;

        Condition(String op) {
            this.op = op;
        }

        /** The name of the op whose derivative needs this. */
        public String op() {
            return op;
        }
    }

    public DerivativeGuard {
        java.util.Objects.requireNonNull(condition);
    }

    @Override
    public String name() {
        return "derivative_guard";
    }

    @Override
    public List<Type> outTypes(List<Type> ins) {
        Op.arity(this, ins, 2);
        Type values = ins.get(0);
        Type x = ins.get(1);
        int batchRank = values.rank() - 1;
        boolean fits = values.rank() >= 1 && values.dtype().isFloating() && x.rank() >= batchRank;
        for (int i = 0; fits && i < batchRank; i++) {
            fits = values.shape().dim(i) == x.shape().dim(i);
        }
        if (!fits) {
            throw new IllegalArgumentException("derivative_guard needs floating-point values [..., k] and an array with"
                    + " the same batch axes, got " + values + " and " + x);
        }
        return List.of(x);
    }

    // The output is the second input: its tangent passes; the values only decide whether it exists.
    @Override
    public List<Tangent> jvp(Jvp.Emitter b, List<Var> ins, List<Var> outs, List<Tangent> t) {
        Tangent dx = t.get(1);
        return List.of(dx.isZero() ? dx : Tangent.of(b.emit1(this, ins.get(0), b.instantiate(dx))));
    }

    @Override
    public String attributes() {
        return "condition=" + condition.name().toLowerCase(Locale.ROOT);
    }

    /** The tolerance relative to the largest magnitude, by element type. */
    public static double relativeTolerance(DType dtype) {
        return dtype == DType.F32 ? 1e-5 : 1e-10;
    }

    /**
     * The reference evaluation: the second input, once the condition holds for every matrix.
     *
     * @throws StreamfoldException naming the op, the matrix of the batch, the values and the reason
     */
    public List<Tensor> evaluate(List<Tensor> ins) {
        Tensor values = ins.get(0);
        int k = values.shape().dim(values.shape().rank() - 1);
        int count = k == 0 ? 0 : values.size() / k;
        double tol = relativeTolerance(values.dtype());
        for (int i = 0; i < count; i++) {
            double[] w = java.util.Arrays.copyOfRange(values.raw(), i * k, (i + 1) * k);
            check(w, tol, BatchedMatrix.which(i, count));
        }
        return List.of(ins.get(1));
    }

    private void check(double[] w, double tol, String which) {
        double largest = Double.MIN_NORMAL;
        for (double x : w) {
            if (!Double.isFinite(x)) {
                throw new StreamfoldException(condition.op() + ": " + which + " has the non-finite value " + x
                        + "; the derivative does not exist");
            }
            largest = Math.max(largest, Math.abs(x));
        }
        String prefix = condition.op() + ": " + which;
        switch (condition) {
            case DISTINCT_EIGENVALUES -> requireDistinct(w, largest, tol, prefix + " has repeated eigenvalues ");
            case DISTINCT_NONZERO_SINGULAR_VALUES -> {
                for (double x : w) {
                    if (Math.abs(x) / largest < tol) {
                        throw new StreamfoldException(prefix + " has a zero singular value " + x + " (relative size "
                                + relative(Math.abs(x) / largest) + " < " + tolerance(tol)
                                + "); the derivative does not exist");
                    }
                }
                requireDistinct(w, largest, tol, prefix + " has repeated singular values ");
            }
            case NONZERO_R_DIAGONAL -> {
                for (int j = 0; j < w.length; j++) {
                    if (Math.abs(w[j]) / largest < tol) {
                        throw new StreamfoldException(prefix + " is rank-deficient: r[" + j + ", " + j + "] = " + w[j]
                                + " (relative size " + relative(Math.abs(w[j]) / largest) + " < " + tolerance(tol)
                                + "); the derivative does not exist");
                    }
                }
            }
        }
    }

    private static void requireDistinct(double[] w, double largest, double tol, String what) {
        for (int i = 0; i < w.length; i++) {
            for (int j = i + 1; j < w.length; j++) {
                double gap = Math.abs(w[i] - w[j]) / largest;
                if (gap < tol) {
                    throw new StreamfoldException(what + w[i] + " and " + w[j] + " (relative gap " + relative(gap)
                            + " < " + tolerance(tol) + "); the derivative does not exist");
                }
            }
        }
    }

    private static String relative(double x) {
        return x == 0 ? "0" : String.format(Locale.ROOT, "%.1e", x);
    }

    private static String tolerance(double tol) {
        return String.format(Locale.ROOT, "%.0e", tol);
    }
}
