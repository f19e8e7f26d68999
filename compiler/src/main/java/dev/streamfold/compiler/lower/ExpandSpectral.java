package dev.streamfold.compiler.lower;

import dev.streamfold.compiler.kir.KBuilder;
import dev.streamfold.compiler.kir.KInstr.CompareKind;
import dev.streamfold.compiler.kir.KInstr.UnaryKind;
import dev.streamfold.compiler.kir.KType;
import dev.streamfold.compiler.kir.KValue;
import dev.streamfold.ir.Eigh;
import dev.streamfold.ir.Eqn;
import dev.streamfold.ir.Qr;
import dev.streamfold.ir.Svd;
import dev.streamfold.runtime.batched.BatchStatus;
import java.util.ArrayList;
import java.util.List;
import java.util.function.IntUnaryOperator;

/**
 * Expands qr, eigh and svd into kernel-level code over the batch axis, reproducing the float64 reference
 * evaluations of {@link Qr}, {@link Eigh} and {@link Svd} (their algorithms, orders and sign conventions) in
 * the input's precision. Every buffer index is uniform: per-item choices (rotation angles, skipped rotations,
 * orders, signs) are lane values combined with compare and select. The Jacobi iterations run a fixed number
 * of sweeps ({@link #sweeps}); a rotation whose off-diagonal entry is already negligible is the identity, so
 * extra sweeps change nothing. Items whose iteration is still above tolerance afterwards are flagged
 * {@link BatchStatus#NOT_CONVERGED}, items with a non-finite entry read {@link BatchStatus#NON_FINITE_INPUT}.
 * Eigenvalues and singular values are put in order by their stable rank (the reference's stable sort, ties in
 * input order), each output column gathered from the column of that rank with selects. Singular vectors of
 * zero singular values and complement columns are completed as the reference does, for every item (the
 * choice is per item), which costs {@code O(rows^4)}. Leading axes inside an item are a static loop over the
 * matrices.
 */
public final class ExpandSpectral {
    private ExpandSpectral() {}

    /** Emits code writing every element of {@code outs} for a qr, eigh or svd equation. */
    public static void expand(LowerContext cx, Eqn eqn, List<KArray> ins, List<KArray> outs) {
        expand(cx, eqn, ins, outs, ExpandSpectral::sweeps);
    }

    /**
     * As {@link #expand(LowerContext, Eqn, List, List)}, running {@code sweeps.applyAsInt(n)} Jacobi sweeps at
     * order {@code n}.
     */
    static void expand(LowerContext cx, Eqn eqn, List<KArray> ins, List<KArray> outs, IntUnaryOperator sweeps) {
        if (eqn.op() instanceof Qr qr) {
            qr(cx, qr, ins.get(0), outs.get(0), outs.get(1));
        } else if (eqn.op() instanceof Eigh eigh) {
            eigh(cx, eigh, ins.get(0), outs.get(0), outs.get(1), sweeps.applyAsInt(ins.get(0).dim(ins.get(0).rank() - 1)));
        } else if (eqn.op() instanceof Svd svd) {
            KArray a = ins.get(0);
            svd(cx, svd, a, outs, sweeps.applyAsInt(Math.min(a.dim(a.rank() - 2), a.dim(a.rank() - 1))));
        } else {
            throw new IllegalArgumentException("ExpandSpectral does not expand " + eqn.op().name());
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
