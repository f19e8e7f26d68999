package dev.streamfold.compiler.lower;

import dev.streamfold.compiler.kir.KBuilder;
import dev.streamfold.compiler.kir.KInstr.CompareKind;
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
import java.util.List;

/**
 * Expands the decompositions (lu, triangular_solve, cholesky, qr, eigh, svd) of a program into kernel-level
 * code over the batch axis. The lowering hands every such equation to {@link #expand}.
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
            case Qr _, Eigh _, Svd _ -> ExpandSpectral.expand(cx, eqn, ins, outs);
            case Constant _, Unary _, Binary _, Compare _, Select _, Convert _, Broadcast _, Reshape _, Reduce _,
                    TakeClipped _, Iota _, Transpose _, MatMul _, Slice _, Concatenate _, Scan _, GatherRows _,
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
}
