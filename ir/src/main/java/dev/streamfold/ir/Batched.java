package dev.streamfold.ir;

/** Shape checks and index arithmetic shared by the ops over batches of matrices ({@code [..., m, n]}). */
final class Batched {
    private Batched() {}

    /** Checks that {@code t} is a floating-point array of rank >= {@code minRank}; names the op and the role. */
    static void requireFloating(Op op, Type t, String role, int minRank) {
        if (t.rank() < minRank || !t.dtype().isFloating()) {
            throw new IllegalArgumentException(op.name() + " needs a floating-point " + role + " of rank >= " + minRank
                    + ", got " + t);
        }
    }

    /** Checks that the first {@code axes} axes of {@code a} and {@code b} agree. */
    static void requireSameBatch(Op op, Type a, Type b, int axes) {
        for (int i = 0; i < axes; i++) {
            if (a.shape().dim(i) != b.shape().dim(i)) {
                throw new IllegalArgumentException(op.name() + " batch axes differ: " + a + " and " + b);
            }
        }
    }

    /** The number of batch entries: the product of all but the last {@code trailing} axes. */
    static int count(Shape s, int trailing) {
        long n = 1;
        for (int i = 0; i < s.rank() - trailing; i++) {
            n *= s.dim(i);
        }
        return Math.toIntExact(n);
    }

    /** {@code s} with its last {@code trailing} axes replaced by {@code last}. */
    static Shape withTrailing(Shape s, int trailing, int... last) {
        int lead = s.rank() - trailing;
        int[] d = new int[lead + last.length];
        System.arraycopy(s.dims(), 0, d, 0, lead);
        System.arraycopy(last, 0, d, lead, last.length);
        return new Shape(d);
    }

    /** Rounds every value of {@code data} to {@code t} and wraps it as a tensor. */
    static Tensor rounded(DType t, Shape shape, double[] data) {
        for (int i = 0; i < data.length; i++) {
            data[i] = t.round(data[i]);
        }
        return new Tensor(t, shape, data);
    }
}
