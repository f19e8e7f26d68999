package dev.streamfold.ir;

/**
 * IR building blocks shared by the JVP rules of the decompositions: batches of vectors {@code [...,
 * k]} spread over matrices, the reciprocal-gap matrix, and blocks of columns or rows.
 */
final class SpectralTerms {
    private SpectralTerms() {}

    /** {@code [..., rows, k]} holding {@code s_j} at column {@code j} of every row. */
    static Var alongColumns(ProgramBuilder b, Var s, int rows) {
        int batch = s.type().rank() - 1;
        int k = s.type().shape().dim(batch);
        return b.broadcast(s, Batched.withTrailing(s.type().shape(), 1, rows, k), spread(batch, batch + 1));
    }

    /** {@code [..., k, cols]} holding {@code s_i} at row {@code i} of every column. */
    static Var alongRows(ProgramBuilder b, Var s, int cols) {
        int batch = s.type().rank() - 1;
        int k = s.type().shape().dim(batch);
        return b.broadcast(s, Batched.withTrailing(s.type().shape(), 1, k, cols), spread(batch, batch));
    }

    private static int[] spread(int batch, int vectorAxis) {
        int[] dims = new int[batch + 1];
        for (int i = 0; i < batch; i++) {
            dims[i] = i;
        }
        dims[batch] = vectorAxis;
        return dims;
    }

    /**
     * {@code F [..., k, k]} with {@code F_ij = 1 / (x_j - x_i)} off the diagonal and zero on it, from
     * {@code x [..., k]} whose entries a {@link DerivativeGuard} has found distinct.
     */
    static Var inverseGaps(ProgramBuilder b, Var x) {
        int k = x.type().shape().dim(x.type().rank() - 1);
        Var gaps = b.sub(alongColumns(b, x, k), alongRows(b, x, k));
        Var eye = b.eye(gaps.type());
        return b.sub(b.unary(Unary.Kind.RECIPROCAL, b.add(gaps, eye)), eye);
    }

    /** Columns {@code [from, to)} of {@code x [..., m, n]}. */
    static Var columns(ProgramBuilder b, Var x, int from, int to) {
        return block(b, x, 1, from, to);
    }

    /** Rows {@code [from, to)} of {@code x [..., m, n]}. */
    static Var rows(ProgramBuilder b, Var x, int from, int to) {
        return block(b, x, 2, from, to);
    }

    private static Var block(ProgramBuilder b, Var x, int fromEnd, int from, int to) {
        int[] start = new int[x.type().rank()];
        int[] limit = x.type().shape().dims();
        int axis = x.type().rank() - fromEnd;
        start[axis] = from;
        limit[axis] = to;
        return b.slice(x, start, limit);
    }

    /** The number of rows of {@code x [..., m, n]}. */
    static int rowCount(Var x) {
        return x.type().shape().dim(x.type().rank() - 2);
    }

    /** The number of columns of {@code x [..., m, n]}. */
    static int columnCount(Var x) {
        return x.type().shape().dim(x.type().rank() - 1);
    }
}
