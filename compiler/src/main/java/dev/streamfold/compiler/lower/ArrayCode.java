package dev.streamfold.compiler.lower;

import dev.streamfold.compiler.kir.KBuilder;
import dev.streamfold.compiler.kir.KInstr.CompareKind;
import dev.streamfold.compiler.kir.KType;
import dev.streamfold.compiler.kir.KValue;
import dev.streamfold.ir.DerivativeGuard;
import dev.streamfold.ir.Reduce;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * Static loop nests over {@link KArray}s, one per array operation: every element is a load, lane arithmetic
 * and a store inside counted loops with uniform indices; reductions carry their accumulator through the loops.
 * Shapes are per item (or whole, for values the same for every item); the caller has checked them.
 */
final class ArrayCode {
    private ArrayCode() {}

    /** The body of a loop nest that carries values: given the index of every axis and the carried values. */
    @FunctionalInterface
    interface CarryBody {
        List<KValue> emit(KValue[] index, List<KValue> carried);
    }

    /** Emits a loop nest over {@code dims} (nothing around the body for rank 0). */
    static void forEachIndex(KBuilder b, int[] dims, Consumer<KValue[]> body) {
        nest(b, dims, 0, new KValue[dims.length], body);
    }

    private static void nest(KBuilder b, int[] dims, int axis, KValue[] index, Consumer<KValue[]> body) {
        if (axis == dims.length) {
            body.accept(index.clone());
            return;
        }
        b.forRange(0, dims[axis], i -> {
            index[axis] = i;
            nest(b, dims, axis + 1, index, body);
        });
    }

    /** Emits a loop nest over {@code dims} carrying {@code inits} through every iteration, in row-major order. */
    static List<KValue> foldIndex(KBuilder b, int[] dims, List<KValue> inits, CarryBody body) {
        return foldNest(b, dims, 0, new KValue[dims.length], inits, body);
    }

    private static List<KValue> foldNest(KBuilder b, int[] dims, int axis, KValue[] index, List<KValue> carried,
            CarryBody body) {
        if (axis == dims.length) {
            return body.emit(index.clone(), carried);
        }
        return b.loop(0, dims[axis], carried, (i, c) -> {
            index[axis] = i;
            return foldNest(b, dims, axis + 1, index, c, body);
        });
    }

    /** A uniform constant of {@code type}: {@code value} as a float, or as an integer. */
    static KValue constant(KBuilder b, KType type, double value) {
        return type.isFloat() ? b.constF(type, value) : b.constI(type, (long) value);
    }

    /** {@code out[i] = f(ins[0][i], ins[1][i], ...)} for every index of {@code out}; the inputs have its dims. */
    static void map(KBuilder b, KArray out, List<KArray> ins, Function<List<KValue>, KValue> f) {
        forEachIndex(b, out.dims(), idx -> {
            List<KValue> values = new ArrayList<>(ins.size());
            for (KArray in : ins) {
                values.add(in.load(b, idx));
            }
            out.store(b, f.apply(values), idx);
        });
    }

    /** Copies {@code from} into {@code to}, which has as many elements (its own dims). */
    static void copy(KBuilder b, KArray from, KArray to) {
        KArray view = new KArray(from.buffer(), from.offset(), to.dims(), from.type());
        map(b, to, List.of(view), v -> v.get(0));
    }

    /** Stores {@code data} (row-major, {@code to}'s element count from {@code start}) into {@code to}. */
    static void storeConstants(KBuilder b, KArray to, double[] data, int start) {
        int n = to.size();
        boolean same = true;
        for (int i = 1; i < n && same; i++) {
            same = Double.compare(data[start + i], data[start]) == 0;
        }
        if (n == 0) {
            return;
        }
        if (same) {
            KValue v = constant(b, to.type(), data[start]);
            KValue base = b.index(to.offset());
            b.forRange(0, n, i -> b.store(to.buffer(), b.add(base, i), v));
            return;
        }
        for (int i = 0; i < n; i++) {
            to.storeFlat(b, i, constant(b, to.type(), data[start + i]));
        }
    }

    /**
     * {@code out[i] = in[j]} where input axis {@code a} is output axis {@code map[a]}, read at 0 when the input
     * axis has one entry; input axes with {@code map[a] < 0} have one entry.
     */
    static void broadcast(KBuilder b, KArray in, int[] map, KArray out) {
        KValue zero = b.index(0);
        forEachIndex(b, out.dims(), idx -> {
            KValue[] at = new KValue[in.rank()];
            for (int a = 0; a < at.length; a++) {
                at[a] = map[a] < 0 || in.dim(a) == 1 ? zero : idx[map[a]];
            }
            out.store(b, in.load(b, at), idx);
        });
    }

    /** Output axis {@code i} is input axis {@code perm[i]}. */
    static void transpose(KBuilder b, KArray in, int[] perm, KArray out) {
        forEachIndex(b, out.dims(), idx -> {
            KValue[] at = new KValue[in.rank()];
            for (int i = 0; i < perm.length; i++) {
                at[perm[i]] = idx[i];
            }
            out.store(b, in.load(b, at), idx);
        });
    }

    /** The block of {@code in} starting at {@code start}, of {@code out}'s dims. */
    static void slice(KBuilder b, KArray in, int[] start, KArray out) {
        forEachIndex(b, out.dims(), idx -> out.store(b, in.load(b, shifted(b, idx, start)), idx));
    }

    /** Writes {@code part} into {@code out} from entry {@code at} of {@code axis}. */
    static void place(KBuilder b, KArray part, int axis, int at, KArray out) {
        int[] start = new int[part.rank()];
        start[axis] = at;
        forEachIndex(b, part.dims(), idx -> out.store(b, part.load(b, idx), shifted(b, idx, start)));
    }

    private static KValue[] shifted(KBuilder b, KValue[] idx, int[] start) {
        KValue[] at = idx.clone();
        for (int i = 0; i < at.length; i++) {
            if (start[i] != 0) {
                at[i] = b.add(idx[i], b.index(start[i]));
            }
        }
        return at;
    }

    /**
     * Reduces the (increasing) {@code axes} of {@code in} into {@code out}: an accumulator starting at the
     * reduction's identity and combined in row-major order of the reduced axes, the interpreter's order. Floating
     * values accumulate in their own type, so a float32 kernel stays in float32 lanes (the interpreter
     * accumulates in float64: float32 sums agree to rounding); integers accumulate exactly in float64.
     */
    static void reduce(KBuilder b, Reduce.Kind kind, KArray in, int[] axes, KArray out) {
        int[] reduced = new int[axes.length];
        for (int i = 0; i < axes.length; i++) {
            reduced[i] = in.dim(axes[i]);
        }
        KType acc = accumulator(in.type());
        forEachIndex(b, out.dims(), idx -> {
            KValue init = b.constF(acc, kind.identity());
            KValue total = foldIndex(b, reduced, List.of(init), (r, c) -> {
                KValue[] at = new KValue[in.rank()];
                int kept = 0;
                int red = 0;
                for (int a = 0; a < at.length; a++) {
                    at[a] = red < axes.length && axes[red] == a ? r[red++] : idx[kept++];
                }
                KValue x = b.convert(acc, in.load(b, at));
                KValue sum = switch (kind) {
                    case SUM -> b.add(c.get(0), x);
                    case MAX -> b.max(c.get(0), x);
                    case MIN -> b.min(c.get(0), x);
                };
                return List.of(sum);
            }).get(0);
            out.store(b, b.convert(out.type(), total), idx);
        });
    }

    /** The type sums of {@code t} accumulate in: floating types their own, integers float64 (exact). */
    private static KType accumulator(KType t) {
        return t.isFloat() ? t : KType.F64;
    }

    /**
     * {@code out[..., i, j] = sum_l x[..., i, l] * y[..., l, j]} (arrays of one rank; {@code y} may lack the
     * leading axes, then it is shared by all of them): an fma chain from 0 over increasing {@code l}, in the
     * operands' own floating type (integers in float64, where their products are exact), then converted to
     * {@code out}'s type. The interpreter multiplies and adds in float64, so results agree to rounding.
     */
    static void matmul(KBuilder b, KArray x, KArray y, KArray out) {
        int r = out.rank();
        int k = x.dim(r - 1);
        KType acc = accumulator(x.type());
        forEachIndex(b, out.dims(), idx -> {
            KValue init = b.constF(acc, 0.0);
            KValue sum = foldIndex(b, new int[] {k}, List.of(init), (l, c) -> {
                KValue[] xa = idx.clone();
                xa[r - 1] = l[0];
                KValue[] ya = Arrays.copyOfRange(idx, r - y.rank(), r);
                ya[y.rank() - 2] = l[0];
                KValue xv = b.convert(acc, x.load(b, xa));
                KValue yv = b.convert(acc, y.load(b, ya));
                return List.of(b.fma(xv, yv, c.get(0)));
            }).get(0);
            out.store(b, b.convert(out.type(), sum), idx);
        });
    }

    /**
     * {@code out[..., i, :] = x[..., index[..., i], :]}: the row is picked by comparing the per-item index with
     * every candidate row (indices into buffers are uniform); an index outside {@code [0, m)} picks no row and
     * gives zeros. {@code x} may lack the leading axes, then it is shared by all of them.
     */
    static void gatherRows(KBuilder b, KArray x, KArray index, KArray out) {
        int r = out.rank();
        int m = x.dim(x.rank() - 2);
        forEachIndex(b, out.dims(), idx -> {
            KValue row = index.load(b, Arrays.copyOf(idx, r - 1));
            KValue picked = foldIndex(b, new int[] {m}, List.of(constant(b, out.type(), 0)), (c, acc) -> {
                KValue[] xa = Arrays.copyOfRange(idx, r - x.rank(), r);
                xa[x.rank() - 2] = c[0];
                KValue hit = b.compare(CompareKind.EQ, row, c[0]);
                return List.of(b.select(hit, x.load(b, xa), acc.get(0)));
            }).get(0);
            out.store(b, picked, idx);
        });
    }

    /** Whether any entry of the i32 array {@code index} lies outside {@code [0, rows)}: a bool. */
    static KValue anyOutside(KBuilder b, KArray index, int rows) {
        KValue zero = b.index(0);
        KValue limit = b.index(rows);
        return foldIndex(b, index.dims(), List.of(b.bool(false)), (idx, acc) -> {
            KValue v = index.load(b, idx);
            KValue outside = b.or(b.compare(CompareKind.LT, v, zero), b.compare(CompareKind.GE, v, limit));
            return List.of(b.or(acc.get(0), outside));
        }).get(0);
    }

    /**
     * {@code out = a[clamp(index, 0, len - 1)]} for a per-item scalar i32 {@code index}: every candidate row is
     * compared with the clamped index.
     */
    static void takeClipped(KBuilder b, KArray a, KValue index, KArray out) {
        int len = a.dim(0);
        KValue clamped = b.max(b.index(0), b.min(b.index(len - 1), index));
        forEachIndex(b, out.dims(), idx -> {
            KValue[] first = new KValue[a.rank()];
            first[0] = b.index(0);
            System.arraycopy(idx, 0, first, 1, idx.length);
            KValue picked = foldIndex(b, new int[] {len}, List.of(a.load(b, first)), (c, acc) -> {
                KValue[] at = first.clone();
                at[0] = c[0];
                return List.of(b.select(b.compare(CompareKind.EQ, clamped, c[0]), a.load(b, at), acc.get(0)));
            }).get(0);
            out.store(b, picked, idx);
        });
    }

    /** Keeps entry {@code (i, j)} of the last two axes when {@code j - i <= offset} ({@code lower}) or {@code >=}. */
    static void triangle(KBuilder b, KArray in, boolean lower, int offset, KArray out) {
        int r = in.rank();
        KValue zero = constant(b, in.type(), 0);
        KValue off = b.index(offset);
        forEachIndex(b, out.dims(), idx -> {
            KValue diff = b.sub(idx[r - 1], idx[r - 2]);
            KValue keep = b.compare(lower ? CompareKind.LE : CompareKind.GE, diff, off);
            out.store(b, b.select(keep, in.load(b, idx), zero), idx);
        });
    }

    /** {@code out[..., i] = in[..., i, i]}. */
    static void diagPart(KBuilder b, KArray in, KArray out) {
        int r = out.rank();
        forEachIndex(b, out.dims(), idx -> {
            KValue[] at = Arrays.copyOf(idx, r + 1);
            at[r] = idx[r - 1];
            out.store(b, in.load(b, at), idx);
        });
    }

    /** {@code out[..., i, j] = i == j ? in[..., i] : 0}. */
    static void diagEmbed(KBuilder b, KArray in, KArray out) {
        int r = out.rank();
        KValue zero = constant(b, in.type(), 0);
        forEachIndex(b, out.dims(), idx -> {
            KValue onDiagonal = b.compare(CompareKind.EQ, idx[r - 2], idx[r - 1]);
            KValue v = in.load(b, Arrays.copyOf(idx, r - 1));
            out.store(b, b.select(onDiagonal, v, zero), idx);
        });
    }

    /**
     * Whether {@code condition} fails for any row {@code [..., k]} of {@code values}, as {@link
     * DerivativeGuard#evaluate} decides it (a non-finite value, or a value or gap whose size relative to the
     * row's largest magnitude is below the tolerance), in the values' own floating type.
     */
    static KValue guardFails(KBuilder b, DerivativeGuard.Condition condition, KArray values, double tolerance) {
        int r = values.rank();
        int k = values.dim(r - 1);
        int[] lead = Arrays.copyOf(values.dims(), r - 1);
        KType t = accumulator(values.type());
        KValue tol = b.constF(t, tolerance);
        KValue infinity = b.constF(t, Double.POSITIVE_INFINITY);
        return foldIndex(b, lead, List.of(b.bool(false)), (row, failed) -> {
            List<KValue> scan = foldIndex(b, new int[] {k},
                    List.of(b.constF(t, t == KType.F32 ? Float.MIN_NORMAL : Double.MIN_NORMAL), b.bool(false)), (i, c) -> {
                        KValue magnitude = b.abs(element(b, values, row, i[0]));
                        KValue nonFinite = b.not(b.compare(CompareKind.LT, magnitude, infinity));
                        return List.of(b.max(c.get(0), magnitude), b.or(c.get(1), nonFinite));
                    });
            KValue largest = scan.get(0);
            KValue bad = scan.get(1);
            if (condition != DerivativeGuard.Condition.DISTINCT_EIGENVALUES) {
                bad = foldIndex(b, new int[] {k}, List.of(bad), (i, c) -> {
                    KValue size = b.div(b.abs(element(b, values, row, i[0])), largest);
                    return List.of(b.or(c.get(0), b.compare(CompareKind.LT, size, tol)));
                }).get(0);
            }
            if (condition != DerivativeGuard.Condition.NONZERO_R_DIAGONAL) {
                bad = foldIndex(b, new int[] {k, k}, List.of(bad), (ij, c) -> {
                    KValue gap = b.div(b.abs(b.sub(element(b, values, row, ij[0]), element(b, values, row, ij[1]))),
                            largest);
                    KValue pair = b.compare(CompareKind.GT, ij[1], ij[0]);
                    return List.of(b.or(c.get(0), b.and(pair, b.compare(CompareKind.LT, gap, tol))));
                }).get(0);
            }
            return List.of(b.or(failed.get(0), bad));
        }).get(0);
    }

    private static KValue element(KBuilder b, KArray values, KValue[] row, KValue i) {
        KValue[] at = Arrays.copyOf(row, row.length + 1);
        at[row.length] = i;
        return b.convert(accumulator(values.type()), values.load(b, at));
    }
}
