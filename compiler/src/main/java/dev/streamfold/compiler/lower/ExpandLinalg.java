package dev.streamfold.compiler.lower;

import dev.streamfold.compiler.kir.KBuilder;
import dev.streamfold.compiler.kir.KInstr.CompareKind;
import dev.streamfold.compiler.kir.KInstr.UnaryKind;
import dev.streamfold.compiler.kir.KType;
import dev.streamfold.compiler.kir.KValue;
import dev.streamfold.ir.Binary;
import dev.streamfold.ir.Broadcast;
import dev.streamfold.ir.Cholesky;
import dev.streamfold.ir.Compare;
import dev.streamfold.ir.Concatenate;
import dev.streamfold.ir.Constant;
import dev.streamfold.ir.Convert;
import dev.streamfold.ir.DerivativeGuard;
import dev.streamfold.ir.DiagEmbed;
import dev.streamfold.ir.DiagPart;
import dev.streamfold.ir.Eigh;
import dev.streamfold.ir.Eqn;
import dev.streamfold.ir.GatherRows;
import dev.streamfold.ir.Iota;
import dev.streamfold.ir.Lu;
import dev.streamfold.ir.MatMul;
import dev.streamfold.ir.Op;
import dev.streamfold.ir.Qr;
import dev.streamfold.ir.Reduce;
import dev.streamfold.ir.Reshape;
import dev.streamfold.ir.RingDot;
import dev.streamfold.ir.RingPush;
import dev.streamfold.ir.Scan;
import dev.streamfold.ir.Select;
import dev.streamfold.ir.Slice;
import dev.streamfold.ir.Svd;
import dev.streamfold.ir.TakeClipped;
import dev.streamfold.ir.Transpose;
import dev.streamfold.ir.Triangle;
import dev.streamfold.ir.TriangularSolve;
import dev.streamfold.ir.Unary;
import dev.streamfold.runtime.batched.BatchStatus;
import java.util.ArrayList;
import java.util.List;
import java.util.function.IntUnaryOperator;

/**
 * Expands the decompositions (lu, triangular_solve, cholesky, qr, eigh, svd) of a program into kernel-level
 * code over the batch axis. The lowering hands every such equation to {@link #expand}.
 *
 * <p>qr, eigh and svd reproduce the float64 reference evaluations of {@link Qr}, {@link Eigh} and {@link Svd}
 * (their algorithms, orders and sign conventions) in the input's precision. Per-item choices (rotation angles,
 * skipped rotations, orders, signs) are lane values combined with compare and select. The Jacobi iterations
 * run a fixed number of sweeps ({@link #sweeps}); a rotation whose off-diagonal entry is already negligible is
 * the identity, so extra sweeps change nothing. Items still above tolerance afterwards are flagged {@link
 * BatchStatus#NOT_CONVERGED}. Eigenvalues and singular values are put in order by their stable rank (the
 * reference's stable sort), each output column gathered from the column of that rank with selects.
 *
 * <p>The code computes, per batch item, what the op's {@code evaluate} computes, in the same order of
 * operations: every matrix of an item (leading axes inside the item are walked by a static loop) is
 * factored by static loops over all rows and columns, and the steps that touch only part of the matrix
 * (the rows below a pivot, the entries already solved) keep the other entries by selecting on uniform index
 * comparisons. Per-item choices (the pivot row) are lane values compared against uniform row indices. Where
 * the reference refuses an item, the kernel records a {@link BatchStatus} and still writes every output.
 */
public final class ExpandLinalg {
    private ExpandLinalg() {}

    /** True for the ops this pass expands. */
    public static boolean expands(Op op) {
        return op instanceof Lu || op instanceof TriangularSolve || op instanceof Cholesky || op instanceof Qr
                || op instanceof Eigh || op instanceof Svd;
    }

    /**
     * Emits code that writes every element of {@code outs} (allocated by the caller, typed and shaped as the
     * equation's outputs without the batch axis) from {@code ins}, flagging failing items through {@code cx}.
     */
    public static void expand(LowerContext cx, Eqn eqn, List<KArray> ins, List<KArray> outs) {
        switch (eqn.op()) {
            case Lu _ -> {
                arity(eqn, ins, outs, 1, 3);
                lu(cx, ins.get(0), outs.get(0), outs.get(1), outs.get(2));
            }
            case Cholesky c -> {
                arity(eqn, ins, outs, 1, 1);
                cholesky(cx, c.symmetrizeInput(), ins.get(0), outs.get(0));
            }
            case TriangularSolve t -> {
                arity(eqn, ins, outs, 2, 1);
                triangularSolve(cx, t, ins.get(0), ins.get(1), outs.get(0));
            }
            case Qr _, Eigh _, Svd _ -> expandSpectral(cx, eqn, ins, outs);
            case Constant _, Unary _, Binary _, Compare _, Select _, Convert _, Broadcast _, Reshape _, Reduce _,
                    TakeClipped _, RingDot _, RingPush _, Iota _, Transpose _, MatMul _, Slice _, Concatenate _, Scan _,
                    GatherRows _,
                    Triangle _, DiagPart _, DiagEmbed _, DerivativeGuard _ ->
                throw new IllegalArgumentException("expand_linalg: " + eqn.op().name() + " is not a decomposition");
        }
    }

    /**
     * LU with partial pivoting, as {@link Lu#evaluate}: step {@code j} takes the first row {@code >= j} of
     * largest magnitude in column {@code j}, swaps it with row {@code j} (in {@code lu} and the permutation),
     * divides the column below by the pivot unless it is zero, and updates the trailing rows. Items with a
     * non-finite entry are flagged {@link BatchStatus#NON_FINITE_INPUT}, items with an exactly zero pivot
     * {@link BatchStatus#ZERO_PIVOT}.
     */
    private static void lu(LowerContext cx, KArray a, KArray luOut, KArray pivotsOut, KArray permutationOut) {
        KBuilder b = cx.builder();
        int m = rowsOf(a);
        int n = colsOf(a);
        int k = Math.min(m, n);
        requireShape(a, luOut, m, n, "lu");
        requireVector(pivotsOut, a, k, KType.I32, "lu pivots");
        requireVector(permutationOut, a, m, KType.I32, "lu permutation");
        forEachMatrix(b, a, entry -> {
            Mat in = Mat.of(b, a, entry);
            Mat lu = Mat.of(b, luOut, entry);
            Mat pivots = Mat.vector(b, pivotsOut, entry);
            Mat permutation = Mat.vector(b, permutationOut, entry);
            KValue row0 = b.index(0);
            cx.fail(nonFinite(b, in, lu, (i, j) -> null), BatchStatus.NON_FINITE_INPUT);
            b.forRange(0, m, i -> permutation.store(b, i, row0, i));
            KValue zero = b.constF(a.type(), 0);
            // The steps are emitted one by one, so that each touches only the rows and columns it changes:
            // the pivot search and the swap see rows j.. only, the scaling and the update rows and columns j+1..
            KValue zeroPivot = b.bool(false);
            for (int jj = 0; jj < k; jj++) {
                int step = jj;
                KValue j = b.index(step);
                List<KValue> best = b.loop(step + 1, m, List.of(b.abs(lu.load(b, j, j)), j), (i, c) -> {
                    KValue v = b.abs(lu.load(b, i, j));
                    KValue take = b.compare(CompareKind.GT, v, c.get(0));
                    return List.of(b.select(take, v, c.get(0)), b.select(take, i, c.get(1)));
                });
                KValue p = best.get(1);
                pivots.store(b, p, row0, j);
                if (step + 1 < m) {
                    b.forRange(0, n, col -> swapRows(b, lu, step, p, col));
                    // The permutation, seen as one column, swaps its entries j and p the same way.
                    swapRows(b, permutation.transposed(), step, p, row0);
                }
                KValue pivot = lu.load(b, j, j);
                KValue nonzero = b.compare(CompareKind.NE, pivot, zero);
                b.forRange(step + 1, m, i -> {
                    KValue at = lu.flat(b, i, j);
                    KValue x = lu.loadAt(b, at);
                    lu.storeAt(b, at, b.select(nonzero, b.div(x, pivot), x));
                });
                b.forRange(step + 1, m, i -> {
                    KValue multiplier = lu.load(b, i, j);
                    b.forRange(step + 1, n, col -> {
                        KValue at = lu.flat(b, i, col);
                        KValue reduced = b.sub(lu.loadAt(b, at), b.mul(multiplier, lu.load(b, j, col)));
                        lu.storeAt(b, at, reduced);
                    });
                });
                zeroPivot = b.or(zeroPivot, b.not(nonzero));
            }
            cx.fail(zeroPivot, BatchStatus.ZERO_PIVOT);
        });
    }

    /**
     * Exchanges rows {@code j} and {@code p} (per item, {@code p >= j}) of column {@code col} of {@code m}: every
     * row {@code i > j} takes row {@code j}'s value where {@code p == i}, and row {@code j} takes the value of the
     * row that matched (its own where {@code p == j}).
     */
    private static void swapRows(KBuilder b, Mat m, int j, KValue p, KValue col) {
        KValue rowJ = m.flat(b, b.index(j), col);
        KValue atJ = m.loadAt(b, rowJ);
        KValue fromP = b.loop(j + 1, m.rows(), List.of(atJ), (i, c) -> {
            KValue at = m.flat(b, i, col);
            KValue x = m.loadAt(b, at);
            KValue hit = b.compare(CompareKind.EQ, p, i);
            m.storeAt(b, at, b.select(hit, atJ, x));
            return List.of(b.select(hit, x, c.get(0)));
        }).get(0);
        m.storeAt(b, rowJ, fromP);
    }

    /**
     * The Cholesky factor, column by column as {@link Cholesky#evaluate}: zeros above the diagonal; without
     * {@code symmetrize} only the lower triangle of the input is read. Items with a non-finite entry read are
     * flagged {@link BatchStatus#NON_FINITE_INPUT}, items with a pivot {@code d} not {@code > 0} (NaN
     * included) {@link BatchStatus#NOT_POSITIVE_DEFINITE}.
     */
    private static void cholesky(LowerContext cx, boolean symmetrize, KArray a, KArray out) {
        KBuilder b = cx.builder();
        int m = rowsOf(a);
        if (colsOf(a) != m) {
            throw new IllegalArgumentException("expand_linalg: cholesky needs square matrices, got " + a);
        }
        requireShape(a, out, m, m, "cholesky");
        forEachMatrix(b, a, entry -> {
            Mat in = Mat.of(b, a, entry);
            Mat l = Mat.of(b, out, entry);
            KValue zero = b.constF(a.type(), 0);
            KValue bad = nonFinite(b, in, null, (i, j) -> symmetrize ? null : b.compare(CompareKind.LE, j, i));
            cx.fail(bad, BatchStatus.NON_FINITE_INPUT);
            b.forRange(0, m, i -> b.forRange(0, m, j -> l.store(b, zero, i, j)));
            KValue notPositive = b.loop(0, m, List.of(b.bool(false)), (j, carried) -> {
                KValue d = subtractProducts(b, l, j, j, j, factored(b, in, symmetrize, j, j));
                KValue diagonal = b.sqrt(d);
                l.store(b, diagonal, j, j);
                b.forRange(0, m, i -> {
                    KValue s = subtractProducts(b, l, i, j, j, factored(b, in, symmetrize, i, j));
                    KValue below = b.compare(CompareKind.GT, i, j);
                    l.store(b, b.select(below, b.div(s, diagonal), l.load(b, i, j)), i, j);
                });
                return List.of(b.or(carried.get(0), b.not(b.compare(CompareKind.GT, d, zero))));
            }).get(0);
            cx.fail(notPositive, BatchStatus.NOT_POSITIVE_DEFINITE);
        });
    }

    /** Entry {@code (i, j)}, {@code i >= j}, of the matrix Cholesky factors: {@code (a_ij + a_ji) / 2} when symmetrized. */
    private static KValue factored(KBuilder b, Mat in, boolean symmetrize, KValue i, KValue j) {
        KValue lower = in.load(b, i, j);
        if (!symmetrize) {
            return lower;
        }
        return b.div(b.add(lower, in.load(b, j, i)), b.constF(lower.type(), 2));
    }

    /** {@code start - l[i][0] l[j][0] - ... - l[i][count-1] l[j][count-1]}, subtracted in that order. */
    private static KValue subtractProducts(KBuilder b, Mat l, KValue i, KValue j, KValue count, KValue start) {
        return b.loop(0, l.cols(), List.of(start), (k, c) -> {
            KValue reduced = b.sub(c.get(0), b.mul(l.load(b, i, k), l.load(b, j, k)));
            return List.of(b.select(b.compare(CompareKind.LT, k, count), reduced, c.get(0)));
        }).get(0);
    }

    /**
     * {@code op(A) X = B} or {@code X op(A) = B} by forward or back substitution, as
     * {@link TriangularSolve#evaluate}: only A's triangle (without the diagonal when unit) is read. Items with
     * a non-finite entry read are flagged {@link BatchStatus#NON_FINITE_INPUT}, items with a zero diagonal
     * entry (not unit) {@link BatchStatus#SINGULAR_TRIANGLE}.
     */
    private static void triangularSolve(LowerContext cx, TriangularSolve op, KArray a, KArray rhs, KArray out) {
        KBuilder b = cx.builder();
        int m = rowsOf(a);
        int rows = rowsOf(rhs);
        int cols = colsOf(rhs);
        if (colsOf(a) != m || (op.leftSide() ? rows : cols) != m || rhs.rank() != a.rank() || rhs.type() != a.type()) {
            throw new IllegalArgumentException("expand_linalg: triangular_solve of " + a + " and " + rhs);
        }
        for (int axis = 0; axis < a.rank() - 2; axis++) {
            if (a.dim(axis) != rhs.dim(axis)) {
                throw new IllegalArgumentException("expand_linalg: triangular_solve batch axes differ: " + a + " and " + rhs);
            }
        }
        requireShape(rhs, out, rows, cols, "triangular_solve");
        boolean lowerM = op.lower() != op.transposeA();
        boolean unit = op.unitDiagonal();
        forEachMatrix(b, a, entry -> {
            Mat am = Mat.of(b, a, entry);
            Mat x = Mat.of(b, out, entry);
            KValue badA = nonFinite(b, am, null, (i, j) -> {
                KValue inTriangle = op.lower() ? b.compare(CompareKind.LE, j, i) : b.compare(CompareKind.GE, j, i);
                return unit ? b.and(inTriangle, b.compare(CompareKind.NE, i, j)) : inTriangle;
            });
            KValue badB = nonFinite(b, Mat.of(b, rhs, entry), x, (i, j) -> null);
            cx.fail(b.or(badA, badB), BatchStatus.NON_FINITE_INPUT);
            if (!unit) {
                KValue zero = b.constF(a.type(), 0);
                KValue singular = b.loop(0, m, List.of(b.bool(false)),
                        (i, c) -> List.of(b.or(c.get(0), b.compare(CompareKind.EQ, am.load(b, i, i), zero)))).get(0);
                cx.fail(singular, BatchStatus.SINGULAR_TRIANGLE);
            }
            KValue last = b.index(m - 1);
            if (op.leftSide()) {
                // Column c of X solves M x = b; step s solves row i from the rows solved before it.
                b.forRange(0, cols, c -> b.forRange(0, m, s -> {
                    KValue i = lowerM ? s : b.sub(last, s);
                    KValue at = x.flat(b, i, c);
                    KValue v = b.loop(0, m, List.of(x.loadAt(b, at)), (u, t) -> {
                        KValue j = lowerM ? u : b.sub(last, u);
                        KValue reduced = b.sub(t.get(0), b.mul(opEntry(b, am, op, i, j), x.load(b, j, c)));
                        return List.of(b.select(b.compare(CompareKind.LT, u, s), reduced, t.get(0)));
                    }).get(0);
                    x.storeAt(b, at, unit ? v : b.div(v, am.load(b, i, i)));
                }));
            } else {
                // Row w of X solves x M = b, that is M^T x^T = b^T: M^T is lower when M is upper.
                b.forRange(0, rows, w -> b.forRange(0, m, s -> {
                    KValue j = lowerM ? b.sub(last, s) : s;
                    KValue at = x.flat(b, w, j);
                    KValue v = b.loop(0, m, List.of(x.loadAt(b, at)), (u, t) -> {
                        KValue i = lowerM ? b.sub(last, u) : u;
                        KValue reduced = b.sub(t.get(0), b.mul(x.load(b, w, i), opEntry(b, am, op, i, j)));
                        return List.of(b.select(b.compare(CompareKind.LT, u, s), reduced, t.get(0)));
                    }).get(0);
                    x.storeAt(b, at, unit ? v : b.div(v, am.load(b, j, j)));
                }));
            }
        });
    }

    /** Entry {@code (i, j)} of {@code op(A)}. */
    private static KValue opEntry(KBuilder b, Mat a, TriangularSolve op, KValue i, KValue j) {
        return op.transposeA() ? a.load(b, j, i) : a.load(b, i, j);
    }

    /** Which entries {@code (i, j)} of a matrix are read: a uniform bool, or null for every entry. */
    @FunctionalInterface
    private interface Reads {
        KValue at(KValue i, KValue j);
    }

    /**
     * A lane bool: whether an entry of {@code from} that {@code reads} names is NaN or infinite. When
     * {@code copyTo} is not null, every entry of {@code from} is also copied there (same shape).
     */
    private static KValue nonFinite(KBuilder b, Mat from, Mat copyTo, Reads reads) {
        KValue largest = b.constF(from.array().type(), from.array().type() == KType.F32 ? Float.MAX_VALUE : Double.MAX_VALUE);
        return b.loop(0, from.rows(), List.of(b.bool(false)), (i, outer) -> b.loop(0, from.cols(), outer, (j, inner) -> {
            KValue x = from.load(b, i, j);
            if (copyTo != null) {
                copyTo.store(b, x, i, j);
            }
            KValue bad = b.not(b.compare(CompareKind.LE, b.abs(x), largest));
            KValue read = reads.at(i, j);
            return List.of(b.or(inner.get(0), read == null ? bad : b.and(read, bad)));
        })).get(0);
    }

    /** Emits {@code body} once per matrix of an item: a static loop over the leading axes of {@code a}. */
    private static void forEachMatrix(KBuilder b, KArray a, KBuilder.RangeBody body) {
        int count = 1;
        for (int axis = 0; axis < a.rank() - 2; axis++) {
            count = Math.multiplyExact(count, a.dim(axis));
        }
        b.forRange(0, count, body);
    }

    private static int rowsOf(KArray a) {
        if (a.rank() < 2) {
            throw new IllegalArgumentException("expand_linalg: needs matrices, got " + a);
        }
        return a.dim(a.rank() - 2);
    }

    private static int colsOf(KArray a) {
        return a.dim(a.rank() - 1);
    }

    private static void arity(Eqn eqn, List<KArray> ins, List<KArray> outs, int inCount, int outCount) {
        if (ins.size() != inCount || outs.size() != outCount) {
            throw new IllegalArgumentException("expand_linalg: " + eqn.op().name() + " takes " + inCount + " inputs and "
                    + outCount + " outputs, got " + ins.size() + " and " + outs.size());
        }
    }

    /** Checks that {@code out} has {@code like}'s type and leading axes and trailing {@code rows x cols}. */
    private static void requireShape(KArray like, KArray out, int rows, int cols, String what) {
        int r = like.rank();
        boolean ok = out.rank() == r && out.type() == like.type() && out.dim(r - 2) == rows && out.dim(r - 1) == cols;
        for (int axis = 0; ok && axis < r - 2; axis++) {
            ok = out.dim(axis) == like.dim(axis);
        }
        if (!ok) {
            throw new IllegalArgumentException("expand_linalg: " + what + " output " + out + " does not fit " + like);
        }
    }

    /** Checks that {@code out} is a {@code type} vector of {@code length} per matrix of {@code like}. */
    private static void requireVector(KArray out, KArray like, int length, KType type, String what) {
        int r = like.rank();
        boolean ok = out.rank() == r - 1 && out.type() == type && out.dim(r - 2) == length;
        for (int axis = 0; ok && axis < r - 2; axis++) {
            ok = out.dim(axis) == like.dim(axis);
        }
        if (!ok) {
            throw new IllegalArgumentException("expand_linalg: " + what + " output " + out + " does not fit " + like);
        }
    }

    /**
     * One {@code rows x cols} row-major matrix of an array, from element {@code base} (uniform) of its buffer;
     * a vector is one row.
     */
    private record Mat(KArray array, KValue base, int rows, int cols, boolean byColumn) {
        /** Matrix {@code entry} (uniform) of {@code a}'s matrices. */
        static Mat of(KBuilder b, KArray a, KValue entry) {
            int rows = rowsOf(a);
            int cols = colsOf(a);
            return new Mat(a, start(b, a, entry, rows * cols), rows, cols, false);
        }

        /** Vector {@code entry} (uniform) of {@code a}'s vectors, as a matrix of one row. */
        static Mat vector(KBuilder b, KArray a, KValue entry) {
            int length = a.dim(a.rank() - 1);
            return new Mat(a, start(b, a, entry, length), 1, length, false);
        }

        private static KValue start(KBuilder b, KArray a, KValue entry, int size) {
            return b.add(b.index(a.offset()), b.mul(entry, b.index(size)));
        }

        /** This matrix's transpose, over the same elements. */
        Mat transposed() {
            return new Mat(array, base, cols, rows, !byColumn);
        }

        /** The buffer index of entry {@code (i, j)}. */
        KValue flat(KBuilder b, KValue i, KValue j) {
            KValue row = byColumn ? j : i;
            KValue col = byColumn ? i : j;
            int stride = byColumn ? rows : cols;
            return b.add(base, b.add(b.mul(row, b.index(stride)), col));
        }

        KValue load(KBuilder b, KValue i, KValue j) {
            return loadAt(b, flat(b, i, j));
        }

        void store(KBuilder b, KValue value, KValue i, KValue j) {
            storeAt(b, flat(b, i, j), value);
        }

        /** The element at buffer index {@code at}, from {@link #flat}. */
        KValue loadAt(KBuilder b, KValue at) {
            return b.load(array.buffer(), at);
        }

        void storeAt(KBuilder b, KValue at, KValue value) {
            b.store(array.buffer(), at, value);
        }
    }

    // ---- qr, eigh and svd ----


    /** Emits code writing every element of {@code outs} for a qr, eigh or svd equation. */
    static void expandSpectral(LowerContext cx, Eqn eqn, List<KArray> ins, List<KArray> outs) {
        expandSpectral(cx, eqn, ins, outs, ExpandLinalg::sweeps);
    }

    /**
     * As {@link #expandSpectral(LowerContext, Eqn, List, List)}, running {@code sweeps.applyAsInt(n)} Jacobi sweeps at
     * order {@code n}.
     */
    static void expandSpectral(LowerContext cx, Eqn eqn, List<KArray> ins, List<KArray> outs, IntUnaryOperator sweeps) {
        if (eqn.op() instanceof Qr qr) {
            qr(cx, qr, ins.get(0), outs.get(0), outs.get(1));
        } else if (eqn.op() instanceof Eigh eigh) {
            eigh(cx, eigh, ins.get(0), outs.get(0), outs.get(1), sweeps.applyAsInt(ins.get(0).dim(ins.get(0).rank() - 1)));
        } else if (eqn.op() instanceof Svd svd) {
            KArray a = ins.get(0);
            svd(cx, svd, a, outs, sweeps.applyAsInt(Math.min(a.dim(a.rank() - 2), a.dim(a.rank() - 1))));
        } else {
            throw new IllegalArgumentException("ExpandLinalg does not expand " + eqn.op().name());
        }
    }

    /**
     * The fixed number of Jacobi sweeps for order {@code n}: {@code 3 + 2 ceil(log2 n)}, at least two more
     * than cyclic Jacobi needs in float64 on random, clustered and graded matrices up to {@code n = 32}.
     */
    public static int sweeps(int n) {
        if (n <= 1) {
            return 0;
        }
        return 3 + 2 * (32 - Integer.numberOfLeadingZeros(n - 1));
    }

    /** The number of matrices of {@code rows x cols} in an item of {@code a}. */
    private static int matrices(KArray a, int rows, int cols) {
        return rows * cols == 0 ? 0 : a.size() / (rows * cols);
    }

    // ---------------------------------------------------------------- qr

    /** Householder QR as {@link Qr}'s reference, computed on the matrix scaled by a power of two. */
    static void qr(LowerContext cx, Qr op, KArray a, KArray qOut, KArray rOut) {
        int m = a.dim(a.rank() - 2);
        int n = a.dim(a.rank() - 1);
        int k = Math.min(m, n);
        int qCols = qOut.dim(qOut.rank() - 1);
        int rRows = rOut.dim(rOut.rank() - 2);
        int count = Math.max(matrices(a, m, n), matrices(qOut, m, qCols));
        if (count == 0 || m == 0) {
            return;
        }
        Emitter e = new Emitter(cx.builder(), a.type());
        KArray rw = cx.scratch(a.type(), m, Math.max(n, 1));
        KArray vs = cx.scratch(a.type(), Math.max(k, 1), m);
        KArray taus = cx.scratch(a.type(), Math.max(k, 1));
        e.b.forRange(0, count, l -> {
            MatrixView src = MatrixView.of(e, a, l, m, n);
            MatrixView r = MatrixView.of(e, rw, null, m, n);
            MatrixView v = MatrixView.of(e, vs, null, k, m);
            MatrixView tau = MatrixView.of(e, taus, null, 1, k);
            MatrixView q = MatrixView.of(e, qOut, l, m, qCols);
            MatrixView rDst = MatrixView.of(e, rOut, l, rRows, n);
            KValue[] scale = e.readScaled(cx, src, r);
            e.b.forRange(0, k, j -> {
                KValue alpha = r.get(j, j);
                KValue below = e.sum(m, i -> e.sel(e.gt(i, j), e.sq(r.get(i, j)), e.f(0)));
                KValue norm = e.b.sqrt(e.b.add(e.sq(alpha), below));
                KValue skip = e.b.or(e.b.compare(CompareKind.EQ, norm, e.f(0)),
                        e.b.compare(CompareKind.EQ, j, e.b.index(m - 1)));
                KValue beta = e.sel(e.b.compare(CompareKind.GE, alpha, e.f(0)), e.b.neg(norm), norm);
                KValue denom = e.b.sub(alpha, beta);
                e.b.forRange(0, m, i -> {
                    KValue vi = e.sel(e.gt(i, j), e.b.div(r.get(i, j), denom), e.unit(i, j));
                    v.set(j, i, e.sel(skip, e.f(0), vi));
                    r.set(i, j, e.sel(e.b.and(e.gt(i, j), e.b.not(skip)), e.f(0), r.get(i, j)));
                });
                KValue t = e.sel(skip, e.f(0), e.b.div(e.b.sub(beta, alpha), beta));
                tau.set(e.b.index(0), j, t);
                r.set(j, j, e.sel(skip, alpha, beta));
                e.b.forRange(0, n, c -> reflect(e, r, v, j, e.sel(e.gt(c, j), t, e.f(0)), c, m));
            });
            e.b.forRange(0, m, i -> e.b.forRange(0, qCols, c -> q.set(i, c, e.unit(i, c))));
            e.b.forRange(0, k, back -> {
                KValue j = e.b.sub(e.b.index(k - 1), back);
                KValue t = tau.get(e.b.index(0), j);
                e.b.forRange(0, qCols, c -> reflect(e, q, v, j, t, c, m));
            });
            e.b.forRange(0, k, i -> {
                KValue negative = e.b.compare(CompareKind.LT, r.get(i, i), e.f(0));
                e.b.forRange(0, n, c -> {
                    KValue x = r.get(i, c);
                    r.set(i, c, e.sel(e.b.and(negative, e.b.compare(CompareKind.GE, c, i)), e.b.neg(x), x));
                });
                e.b.forRange(0, m, row -> {
                    KValue x = q.get(row, i);
                    q.set(row, i, e.sel(negative, e.b.neg(x), x));
                });
            });
            e.b.forRange(0, rRows, i -> e.b.forRange(0, n, c -> rDst.set(i, c, e.b.mul(r.get(i, c), scale[1]))));
        });
    }

    /** Column {@code c} of {@code x} becomes {@code (I - tau v v^T) x_c}, {@code v} row {@code j} of {@code v}. */
    private static void reflect(Emitter e, MatrixView x, MatrixView v, KValue j, KValue tau, KValue c, int rows) {
        KValue w = e.b.mul(e.sum(rows, i -> e.b.mul(v.get(j, i), x.get(i, c))), tau);
        e.b.forRange(0, rows, i -> x.set(i, c, e.b.sub(x.get(i, c), e.b.mul(w, v.get(j, i)))));
    }

    // ---------------------------------------------------------------- eigh

    /** Cyclic Jacobi as {@link Eigh}'s reference: eigenvalues ascending, eigenvector signs by the largest entry. */
    static void eigh(LowerContext cx, Eigh op, KArray a, KArray wOut, KArray vOut, int sweeps) {
        int n = a.dim(a.rank() - 1);
        int count = matrices(a, n, n);
        if (count == 0) {
            return;
        }
        Emitter e = new Emitter(cx.builder(), a.type());
        KArray aw = cx.scratch(a.type(), n, n);
        KArray vw = cx.scratch(a.type(), n, n);
        KArray ranks = cx.scratch(KType.I32, n);
        e.b.forRange(0, count, l -> {
            MatrixView src = MatrixView.of(e, a, l, n, n);
            MatrixView x = MatrixView.of(e, aw, null, n, n);
            MatrixView v = MatrixView.of(e, vw, null, n, n);
            MatrixView w = MatrixView.of(e, wOut, l, 1, n);
            MatrixView vDst = MatrixView.of(e, vOut, l, n, n);
            KValue bad = e.readSymmetric(src, x, op);
            cx.fail(bad, BatchStatus.NON_FINITE_INPUT);
            KValue[] scale = e.scaleInPlace(x);
            KValue frob = e.b.sqrt(e.sum(n, i -> e.sum(n, j -> e.sq(x.get(i, j)))));
            e.identity(v, n);
            jacobiEigen(e, x, v, n, frob, sweeps);
            KValue off = e.b.sqrt(e.sum(n, i -> e.sum(n, j ->
                    e.sel(e.b.compare(CompareKind.NE, i, j), e.sq(x.get(i, j)), e.f(0)))));
            cx.fail(e.b.compare(CompareKind.GT, off, e.b.mul(e.f(n * e.eps()), frob)), BatchStatus.NOT_CONVERGED);
            MatrixView rank = MatrixView.of(new Emitter(e.b, KType.I32), ranks, null, 1, n);
            e.ranks(n, j -> x.get(j, j), true, rank);
            e.b.forRange(0, n, at -> {
                KValue value = e.gather(n, rank, at, j -> x.get(j, j));
                w.set(e.b.index(0), at, e.b.mul(value, scale[1]));
                e.b.forRange(0, n, i -> vDst.set(i, at, e.gather(n, rank, at, j -> v.get(i, j))));
                e.signByLargest(vDst, at, n);
            });
        });
    }

    // ---------------------------------------------------------------- svd

    /** One-sided Jacobi as {@link Svd}'s reference, on the columns of {@code A} or {@code A^T} (wide). */
    static void svd(LowerContext cx, Svd op, KArray a, List<KArray> outs, int sweeps) {
        int m = a.dim(a.rank() - 2);
        int n = a.dim(a.rank() - 1);
        int k = Math.min(m, n);
        boolean wide = m < n;
        int rows = Math.max(m, n);
        int cols = k;
        int count = matrices(a, m, n);
        if (count == 0) {
            return;
        }
        KArray sOut = op.computeUv() ? outs.get(1) : outs.get(0);
        Emitter e = new Emitter(cx.builder(), a.type());
        KArray gw = cx.scratch(a.type(), rows, cols);
        KArray vw = cx.scratch(a.type(), cols, cols);
        KArray norms = cx.scratch(a.type(), cols);
        KArray ranks = cx.scratch(KType.I32, cols);
        int completeCols = op.fullMatrices() ? rows : cols;
        KArray uw = cx.scratch(a.type(), rows, completeCols);
        KArray vsw = cx.scratch(a.type(), cols, cols);
        KArray done = cx.scratch(KType.I32, completeCols);
        KArray candidate = cx.scratch(a.type(), rows);
        KArray best = cx.scratch(a.type(), rows);
        e.b.forRange(0, count, l -> {
            MatrixView src = MatrixView.of(e, a, l, m, n);
            MatrixView g = MatrixView.of(e, gw, null, rows, cols);
            MatrixView v = MatrixView.of(e, vw, null, cols, cols);
            MatrixView s = MatrixView.of(e, sOut, l, 1, k);
            MatrixView norm = MatrixView.of(e, norms, null, 1, cols);
            MatrixView read = wide ? g.transpose() : g;
            KValue[] scale = e.readScaled(cx, src, read);
            boolean vectors = op.computeUv();
            if (vectors) {
                e.identity(v, cols);
            }
            jacobiColumns(e, g, vectors ? v : null, rows, cols, sweeps);
            KValue unconverged = e.pairs(cols, List.of(e.b.bool(false)), (p, q, flag) -> {
                KValue[] dots = e.dots(g, p, q, rows);
                KValue above = e.b.compare(CompareKind.GT, e.b.abs(dots[2]),
                        e.b.mul(e.b.mul(e.f(cols * e.eps()), e.b.sqrt(dots[0])), e.b.sqrt(dots[1])));
                return List.of(e.b.or(flag.get(0), above));
            }).get(0);
            cx.fail(unconverged, BatchStatus.NOT_CONVERGED);
            KValue zero = e.b.index(0);
            e.b.forRange(0, cols, j -> norm.set(zero, j, e.b.sqrt(e.sum(rows, i -> e.sq(g.get(i, j))))));
            MatrixView rank = MatrixView.of(new Emitter(e.b, KType.I32), ranks, null, 1, cols);
            e.ranks(cols, j -> norm.get(zero, j), false, rank);
            e.b.forRange(0, cols, at ->
                    s.set(zero, at, e.b.mul(e.gather(cols, rank, at, j -> norm.get(zero, j)), scale[1])));
            if (!vectors) {
                return;
            }
            MatrixView u = MatrixView.of(e, uw, null, rows, completeCols);
            MatrixView vs = MatrixView.of(e, vsw, null, cols, cols);
            MatrixView have = MatrixView.of(new Emitter(e.b, KType.I32), done, null, 1, completeCols);
            e.b.forRange(0, cols, at -> {
                KValue sigma = e.gather(cols, rank, at, j -> norm.get(zero, j));
                KValue positive = e.b.compare(CompareKind.GT, sigma, e.f(0));
                have.set(zero, at, e.b.select(positive, e.b.index(1), e.b.index(0)));
                e.b.forRange(0, rows, i -> u.set(i, at,
                        e.sel(positive, e.b.div(e.gather(cols, rank, at, j -> g.get(i, j)), sigma), e.f(0))));
                e.b.forRange(0, cols, i -> vs.set(i, at, e.gather(cols, rank, at, j -> v.get(i, j))));
            });
            e.b.forRange(cols, completeCols, j -> {
                have.set(zero, j, e.b.index(0));
                e.b.forRange(0, rows, i -> u.set(i, j, e.f(0)));
            });
            e.completeOrthonormal(u, have, rows, completeCols, MatrixView.of(e, candidate, null, 1, rows),
                    MatrixView.of(e, best, null, 1, rows));
            MatrixView uf = wide ? vs : u;
            MatrixView vf = wide ? u : vs;
            KArray uOut = outs.get(0);
            KArray vtOut = outs.get(2);
            int uCols = uOut.dim(uOut.rank() - 1);
            int vtRows = vtOut.dim(vtOut.rank() - 2);
            MatrixView uDst = MatrixView.of(e, uOut, l, m, uCols);
            MatrixView vDst = MatrixView.of(e, vtOut, l, vtRows, n).transpose();
            e.b.forRange(0, k, j -> {
                KValue negative = e.largestNegative(uf, j, m);
                e.b.forRange(0, m, i -> uDst.set(i, j, e.negIf(negative, uf.get(i, j))));
                e.b.forRange(0, n, i -> vDst.set(i, j, e.negIf(negative, vf.get(i, j))));
            });
            e.b.forRange(k, uCols, j -> {
                KValue negative = e.largestNegative(uf, j, m);
                e.b.forRange(0, m, i -> uDst.set(i, j, e.negIf(negative, uf.get(i, j))));
            });
            e.b.forRange(k, vtRows, j -> {
                KValue negative = e.largestNegative(vf, j, n);
                e.b.forRange(0, n, i -> vDst.set(i, j, e.negIf(negative, vf.get(i, j))));
            });
        });
    }

    /**
     * The fixed sweeps of cyclic Jacobi on the symmetric {@code x} (scaled, Frobenius norm {@code frob}),
     * accumulating the rotations into {@code v}. A rotation whose entry is negligible, by the reference's
     * test, is the identity.
     */
    private static void jacobiEigen(Emitter e, MatrixView x, MatrixView v, int n, KValue frob, int sweeps) {
        KValue negligible = e.b.mul(frob, e.f(e.t == KType.F64 ? 1e-300 : 1e-36));
        KValue epsScale = e.b.mul(e.f(e.eps()), frob);
        e.b.forRange(0, sweeps, sweep -> e.pairs(n, (p, q) -> {
            KValue app = x.get(p, p);
            KValue aqq = x.get(q, q);
            KValue apq = x.get(p, q);
            KValue mag = e.b.abs(apq);
            KValue small = e.b.and(
                    e.b.compare(CompareKind.LE, mag,
                            e.b.mul(e.b.mul(e.f(e.eps()), e.b.sqrt(e.b.abs(app))), e.b.sqrt(e.b.abs(aqq)))),
                    e.b.compare(CompareKind.LE, mag, epsScale));
            KValue skip = e.b.or(e.b.compare(CompareKind.LE, mag, negligible), small);
            KValue theta = e.b.div(e.b.sub(aqq, app), e.b.mul(e.f(2), apq));
            KValue t = e.sel(e.b.compare(CompareKind.EQ, theta, e.f(0)), e.f(1),
                    e.b.div(e.b.unary(UnaryKind.SIGN, theta), e.b.add(e.b.abs(theta), e.hypot1(theta))));
            KValue c0 = e.b.div(e.f(1), e.hypot1(t));
            KValue c = e.sel(skip, e.f(1), c0);
            KValue s = e.sel(skip, e.f(0), e.b.mul(c0, t));
            e.b.forRange(0, n, r -> e.rotate(x, r, p, r, q, c, s));
            e.b.forRange(0, n, r -> e.rotate(x, p, r, q, r, c, s));
            x.set(p, q, e.sel(skip, apq, e.f(0)));
            x.set(q, p, e.sel(skip, apq, e.f(0)));
            e.b.forRange(0, n, r -> e.rotate(v, r, p, r, q, c, s));
        }));
    }

    /**
     * The fixed sweeps of one-sided Jacobi on the columns of {@code g} ({@code rows x cols}), accumulating the
     * rotations into {@code v} unless it is null. Columns already orthogonal to working precision are not rotated.
     */
    private static void jacobiColumns(Emitter e, MatrixView g, MatrixView v, int rows, int cols, int sweeps) {
        e.b.forRange(0, sweeps, sweep -> e.pairs(cols, (p, q) -> {
            KValue[] dots = e.dots(g, p, q, rows);
            KValue gamma = dots[2];
            KValue skip = e.b.or(e.b.compare(CompareKind.EQ, gamma, e.f(0)), e.b.compare(CompareKind.LE, e.b.abs(gamma),
                    e.b.mul(e.b.mul(e.f(e.eps()), e.b.sqrt(dots[0])), e.b.sqrt(dots[1]))));
            KValue zeta = e.b.div(e.b.sub(dots[1], dots[0]), e.b.mul(e.f(2), gamma));
            KValue t = e.sel(e.b.compare(CompareKind.EQ, zeta, e.f(0)), e.f(1),
                    e.b.div(e.b.unary(UnaryKind.SIGN, zeta), e.b.add(e.b.abs(zeta), e.hypot1(zeta))));
            KValue c0 = e.b.div(e.f(1), e.hypot1(t));
            KValue c = e.sel(skip, e.f(1), c0);
            KValue sn = e.sel(skip, e.f(0), e.b.mul(c0, t));
            e.b.forRange(0, rows, r -> e.rotate(g, r, p, r, q, c, sn));
            if (v != null) {
                e.b.forRange(0, cols, r -> e.rotate(v, r, p, r, q, c, sn));
            }
        }));
    }

    /**
     * The symmetric matrix of the lower triangle of {@code a} ({@code [n, n]}) after {@code sweeps} of eigh's Jacobi sweeps,
     * scaled back, into {@code out} ({@code [n, n]}): its off-diagonal part measures what the sweeps left.
     */
    static void eighSweeps(LowerContext cx, KArray a, KArray out, int sweeps) {
        int n = a.dim(0);
        Emitter e = new Emitter(cx.builder(), a.type());
        MatrixView src = MatrixView.of(e, a, null, n, n);
        MatrixView x = MatrixView.of(e, cx.scratch(a.type(), n, n), null, n, n);
        MatrixView v = MatrixView.of(e, cx.scratch(a.type(), n, n), null, n, n);
        MatrixView dst = MatrixView.of(e, out, null, n, n);
        e.readSymmetric(src, x, new Eigh(true, false));
        KValue[] scale = e.scaleInPlace(x);
        KValue frob = e.b.sqrt(e.sum(n, i -> e.sum(n, j -> e.sq(x.get(i, j)))));
        e.identity(v, n);
        jacobiEigen(e, x, v, n, frob, sweeps);
        e.b.forRange(0, n, i -> e.b.forRange(0, n, j -> dst.set(i, j, e.b.mul(x.get(i, j), scale[1]))));
    }

    /**
     * The columns of {@code a} ({@code [m, n]}, {@code m >= n}) after {@code sweeps} of svd's one-sided Jacobi sweeps,
     * scaled back, into {@code out} ({@code [m, n]}): how far they are from orthogonal measures what the sweeps left.
     */
    static void svdSweeps(LowerContext cx, KArray a, KArray out, int sweeps) {
        int m = a.dim(0);
        int n = a.dim(1);
        Emitter e = new Emitter(cx.builder(), a.type());
        MatrixView src = MatrixView.of(e, a, null, m, n);
        MatrixView g = MatrixView.of(e, cx.scratch(a.type(), m, n), null, m, n);
        MatrixView dst = MatrixView.of(e, out, null, m, n);
        KValue[] scale = e.readScaled(cx, src, g);
        jacobiColumns(e, g, null, m, n, sweeps);
        e.b.forRange(0, m, i -> e.b.forRange(0, n, j -> dst.set(i, j, e.b.mul(g.get(i, j), scale[1]))));
    }

    // ---------------------------------------------------------------- building blocks

    /** A function of a uniform index. */
    @FunctionalInterface
    private interface Term {
        KValue at(KValue i);
    }

    /** A body over a pair of uniform indices. */
    @FunctionalInterface
    private interface PairBody {
        void emit(KValue p, KValue q);
    }

    /** A body over a pair of uniform indices carrying values: returns the next carried values. */
    @FunctionalInterface
    private interface PairLoopBody {
        List<KValue> emit(KValue p, KValue q, List<KValue> carried);
    }

    /**
     * A matrix in buffer {@code buffer}: stored row-major as {@code rows x cols} from the uniform element
     * {@code base}, and seen transposed (element {@code (i, j)} is the stored {@code (j, i)}) when
     * {@code transposed}.
     */
    private record MatrixView(Emitter e, int buffer, KValue base, int rows, int cols, boolean transposed) {
        /** Matrix {@code l} (a uniform index, or null for the first) of {@code a}'s {@code rows x cols} matrices. */
        static MatrixView of(Emitter e, KArray a, KValue l, int rows, int cols) {
            KValue base = e.b.index(a.offset());
            if (l != null) {
                base = e.b.add(base, e.b.mul(l, e.b.index(rows * cols)));
            }
            return new MatrixView(e, a.buffer(), base, rows, cols, false);
        }

        MatrixView transpose() {
            return new MatrixView(e, buffer, base, rows, cols, !transposed);
        }

        private KValue at(KValue i, KValue j) {
            KValue row = transposed ? j : i;
            KValue col = transposed ? i : j;
            return e.b.add(base, e.b.add(e.b.mul(row, e.b.index(cols)), col));
        }

        KValue get(KValue i, KValue j) {
            return e.b.load(buffer, at(i, j));
        }

        void set(KValue i, KValue j, KValue value) {
            e.b.store(buffer, at(i, j), value);
        }
    }

    /** Emission helpers for arithmetic of element type {@code t}. */
    private static final class Emitter {
        final KBuilder b;
        final KType t;

        Emitter(KBuilder b, KType t) {
            this.b = b;
            this.t = t;
        }

        KValue f(double value) {
            return b.constF(t, value);
        }

        double eps() {
            return t == KType.F64 ? Math.ulp(1.0) : Math.ulp(1.0f);
        }

        KValue sel(KValue cond, KValue x, KValue y) {
            return b.select(cond, x, y);
        }

        KValue gt(KValue i, KValue j) {
            return b.compare(CompareKind.GT, i, j);
        }

        KValue sq(KValue x) {
            return b.mul(x, x);
        }

        KValue negIf(KValue cond, KValue x) {
            return b.select(cond, b.neg(x), x);
        }

        /** {@code sum_{i < count} term(i)}, added in order from zero. */
        KValue sum(int count, Term term) {
            return b.loop(0, count, List.of(f(0)), (i, acc) -> List.of(b.add(acc.get(0), term.at(i)))).get(0);
        }

        /** {@code sqrt(1 + x^2)} without overflow. */
        KValue hypot1(KValue x) {
            KValue ax = b.abs(x);
            double big = t == KType.F64 ? 0x1p500 : 0x1p60;
            return sel(b.compare(CompareKind.GT, ax, f(big)), ax, b.sqrt(b.add(f(1), sq(ax))));
        }

        /** 1 where {@code i == j}, else 0 (uniform). */
        KValue unit(KValue i, KValue j) {
            return sel(b.compare(CompareKind.EQ, i, j), f(1), f(0));
        }

        void identity(MatrixView x, int n) {
            b.forRange(0, n, i -> b.forRange(0, n, j -> x.set(i, j, unit(i, j))));
        }

        /**
         * Copies {@code src} into {@code dst}, flags non-finite entries, and scales {@code dst} by the power of
         * two that brings its largest magnitude into {@code [1, 2)}; returns that factor and its inverse.
         */
        KValue[] readScaled(LowerContext cx, MatrixView src, MatrixView dst) {
            KValue acc = sum(src.rows(), i -> sum(src.cols(), j -> {
                KValue x = src.get(i, j);
                dst.set(i, j, x);
                return b.sub(x, x);
            }));
            cx.fail(b.not(b.compare(CompareKind.EQ, acc, f(0))), BatchStatus.NON_FINITE_INPUT);
            MatrixView m = new MatrixView(this, dst.buffer(), dst.base(), dst.rows(), dst.cols(), false);
            return scaleInPlace(m);
        }

        /** The symmetric matrix {@link Eigh} decomposes, into {@code dst}; returns whether a read entry is non-finite. */
        KValue readSymmetric(MatrixView src, MatrixView dst, Eigh op) {
            int n = src.rows();
            KValue acc = sum(n, i -> sum(n, j -> {
                KValue x = src.get(i, j);
                KValue y = src.get(j, i);
                KValue value;
                KValue check;
                if (op.symmetrizeInput()) {
                    value = b.div(b.add(x, y), f(2));
                    check = b.add(b.sub(x, x), b.sub(y, y));
                } else {
                    KValue own = b.compare(op.lower() ? CompareKind.GE : CompareKind.LE, i, j);
                    value = sel(own, x, y);
                    check = b.sub(value, value);
                }
                dst.set(i, j, value);
                return check;
            }));
            return b.not(b.compare(CompareKind.EQ, acc, f(0)));
        }

        /**
         * Scales {@code x} by the power of two bringing its largest magnitude into {@code [1, 2)} (exactly, by a
         * ladder of compare and select); returns the factor and its inverse.
         */
        KValue[] scaleInPlace(MatrixView x) {
            KValue largest = b.loop(0, x.rows(), List.of(f(0)), (i, acc) -> b.loop(0, x.cols(), acc,
                    (j, inner) -> List.of(b.max(inner.get(0), b.abs(x.get(i, j)))))).get(0);
            KValue v = largest;
            KValue s = f(1);
            KValue inv = f(1);
            int top = t == KType.F64 ? 512 : 64;
            for (int step = top; step >= 1; step /= 2) {
                KValue up = b.compare(CompareKind.GE, v, f(Math.scalb(1.0, step)));
                v = sel(up, b.mul(v, f(Math.scalb(1.0, -step))), v);
                s = sel(up, b.mul(s, f(Math.scalb(1.0, -step))), s);
                inv = sel(up, b.mul(inv, f(Math.scalb(1.0, step))), inv);
            }
            KValue zero = f(0);
            for (int step = top; step >= 1; step /= 2) {
                KValue down = b.and(b.compare(CompareKind.GT, v, zero),
                        b.compare(CompareKind.LT, v, f(Math.scalb(1.0, 1 - step))));
                v = sel(down, b.mul(v, f(Math.scalb(1.0, step))), v);
                s = sel(down, b.mul(s, f(Math.scalb(1.0, step))), s);
                inv = sel(down, b.mul(inv, f(Math.scalb(1.0, -step))), inv);
            }
            KValue factor = s;
            b.forRange(0, x.rows(), i -> b.forRange(0, x.cols(), j -> x.set(i, j, b.mul(x.get(i, j), factor))));
            return new KValue[] {s, inv};
        }

        /** Runs {@code body} for the pairs {@code p < q < n} in row-cyclic order, {@code p} and {@code q} uniform. */
        void pairs(int n, PairBody body) {
            pairs(n, List.of(), (p, q, carried) -> {
                body.emit(p, q);
                return List.of();
            });
        }

        /** As {@link #pairs(int, PairBody)}, carrying {@code inits}; returns the carried values after the last pair. */
        List<KValue> pairs(int n, List<KValue> inits, PairLoopBody body) {
            int count = n * (n - 1) / 2;
            List<KValue> start = new ArrayList<>(List.of(b.index(0), b.index(1)));
            start.addAll(inits);
            List<KValue> out = b.loop(0, count, start, (at, state) -> {
                KValue p = state.get(0);
                KValue q = state.get(1);
                List<KValue> next = body.emit(p, q, state.subList(2, state.size()));
                KValue q1 = b.add(q, b.index(1));
                KValue wrap = b.compare(CompareKind.EQ, q1, b.index(n));
                KValue p1 = b.add(p, b.index(1));
                List<KValue> yields = new ArrayList<>();
                yields.add(b.select(wrap, p1, p));
                yields.add(b.select(wrap, b.add(p1, b.index(1)), q1));
                yields.addAll(next);
                return yields;
            });
            return out.subList(2, out.size());
        }

        /** Elements {@code (i1, j1)} and {@code (i2, j2)} become {@code c x1 - s x2} and {@code s x1 + c x2}. */
        void rotate(MatrixView x, KValue i1, KValue j1, KValue i2, KValue j2, KValue c, KValue s) {
            KValue x1 = x.get(i1, j1);
            KValue x2 = x.get(i2, j2);
            x.set(i1, j1, b.sub(b.mul(c, x1), b.mul(s, x2)));
            x.set(i2, j2, b.add(b.mul(s, x1), b.mul(c, x2)));
        }

        /** {@code |g_p|^2, |g_q|^2, g_p . g_q} of columns {@code p, q} of {@code g}. */
        KValue[] dots(MatrixView g, KValue p, KValue q, int rows) {
            List<KValue> r = b.loop(0, rows, List.of(f(0), f(0), f(0)), (i, acc) -> {
                KValue gp = g.get(i, p);
                KValue gq = g.get(i, q);
                return List.of(b.add(acc.get(0), b.mul(gp, gp)), b.add(acc.get(1), b.mul(gq, gq)),
                        b.add(acc.get(2), b.mul(gp, gq)));
            });
            return new KValue[] {r.get(0), r.get(1), r.get(2)};
        }

        /**
         * Stores into {@code rank} the stable sorted position of each of {@code n} keys: ascending, or descending
         * when {@code !ascending}; equal keys keep their order.
         */
        void ranks(int n, Term key, boolean ascending, MatrixView rank) {
            KValue zero = b.index(0);
            b.forRange(0, n, j -> {
                KValue kj = key.at(j);
                KValue r = b.loop(0, n, List.of(b.index(0)), (i, acc) -> {
                    KValue ki = key.at(i);
                    KValue before = b.or(b.compare(ascending ? CompareKind.LT : CompareKind.GT, ki, kj),
                            b.and(b.compare(CompareKind.EQ, ki, kj), b.compare(CompareKind.LT, i, j)));
                    return List.of(b.add(acc.get(0), b.select(before, b.index(1), b.index(0))));
                }).get(0);
                rank.set(zero, j, r);
            });
        }

        /** {@code value(j)} for the {@code j < n} whose rank is {@code at}. */
        KValue gather(int n, MatrixView rank, KValue at, Term value) {
            KValue zero = b.index(0);
            return b.loop(0, n, List.of(f(0)), (j, acc) -> List.of(
                    sel(b.compare(CompareKind.EQ, rank.get(zero, j), at), value.at(j), acc.get(0)))).get(0);
        }

        /** Whether the largest-magnitude entry (the first on ties) of column {@code j} of {@code x} is negative. */
        KValue largestNegative(MatrixView x, KValue j, int rows) {
            List<KValue> r = b.loop(0, rows, List.of(f(-1), f(0)), (i, acc) -> {
                KValue v = x.get(i, j);
                KValue larger = b.compare(CompareKind.GT, b.abs(v), acc.get(0));
                return List.of(sel(larger, b.abs(v), acc.get(0)), sel(larger, v, acc.get(1)));
            });
            return b.compare(CompareKind.LT, r.get(1), f(0));
        }

        /** Negates column {@code j} of {@code x} where its largest entry is negative. */
        void signByLargest(MatrixView x, KValue j, int rows) {
            KValue negative = largestNegative(x, j, rows);
            b.forRange(0, rows, i -> x.set(i, j, negIf(negative, x.get(i, j))));
        }

        /**
         * Fills the columns {@code j} of {@code q} whose {@code have} flag is 0 with the standard basis vector
         * farthest from the columns before (after two Gram-Schmidt passes), normalized, as the reference does.
         */
        void completeOrthonormal(MatrixView q, MatrixView have, int rows, int cols, MatrixView candidate, MatrixView best) {
            KValue zero = b.index(0);
            b.forRange(0, cols, j -> {
                KValue filled = b.compare(CompareKind.NE, have.get(zero, j), zero);
                KValue bestNorm = b.loop(0, rows, List.of(f(-1)), (basis, acc) -> {
                    b.forRange(0, rows, i -> candidate.set(zero, i, unit(i, basis)));
                    b.forRange(0, 2, pass -> b.forRange(0, cols, c -> {
                        KValue counted = b.compare(CompareKind.NE, have.get(zero, c), zero);
                        KValue dot = sel(counted, sum(rows, i -> b.mul(q.get(i, c), candidate.get(zero, i))), f(0));
                        b.forRange(0, rows, i ->
                                candidate.set(zero, i, b.sub(candidate.get(zero, i), b.mul(dot, q.get(i, c)))));
                    }));
                    KValue norm = b.sqrt(sum(rows, i -> sq(candidate.get(zero, i))));
                    KValue better = b.compare(CompareKind.GT, norm, acc.get(0));
                    b.forRange(0, rows, i -> best.set(zero, i, sel(better, candidate.get(zero, i), best.get(zero, i))));
                    return List.of(sel(better, norm, acc.get(0)));
                }).get(0);
                b.forRange(0, rows, i -> q.set(i, j, sel(filled, q.get(i, j), b.div(best.get(zero, i), bestNorm))));
                have.set(zero, j, b.index(1));
            });
        }
    }
}
