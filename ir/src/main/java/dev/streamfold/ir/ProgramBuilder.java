package dev.streamfold.ir;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Builds a {@link Program} equation by equation, inferring every output type from the op's shape
 * rule. Not thread-safe; one builder per program (nested bodies get their own).
 */
public class ProgramBuilder {
    private final List<Var> params = new ArrayList<>();
    private final List<Eqn> eqns = new ArrayList<>();
    private int nextId;

    public ProgramBuilder() {
        this(0);
    }

    protected ProgramBuilder(int firstId) {
        this.nextId = firstId;
    }

    /** Declares the next program parameter. */
    public Var param(Type type) {
        Var v = fresh(type);
        params.add(v);
        return v;
    }

    /** A new var not yet defined; callers must define it (as a param or an equation output). */
    protected Var fresh(Type type) {
        return new Var(nextId++, type);
    }

    /** Appends {@code op(ins)} and returns its outputs. */
    public List<Var> emit(Op op, List<Var> ins) {
        List<Type> outTypes;
        try {
            outTypes = op.outTypes(ins.stream().map(Var::type).toList());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("cannot emit " + op.name() + ": " + e.getMessage(), e);
        }
        List<Var> outs = new ArrayList<>(outTypes.size());
        for (Type t : outTypes) {
            outs.add(fresh(t));
        }
        eqns.add(new Eqn(outs, op, ins));
        return outs;
    }

    /** Appends a single-output op and returns its output. */
    public Var emit1(Op op, Var... ins) {
        List<Var> outs = emit(op, Arrays.asList(ins));
        if (outs.size() != 1) {
            throw new IllegalArgumentException(op.name() + " has " + outs.size() + " outputs");
        }
        return outs.get(0);
    }

    /** The program with the given results. */
    public Program build(List<Var> results) {
        return new Program(params, eqns, results);
    }

    public Program build(Var... results) {
        return build(Arrays.asList(results));
    }

    // ---- conveniences -------------------------------------------------------------------------

    public Var constant(Tensor t) {
        return emit1(new Constant(t));
    }

    /** A scalar constant of the given element type. */
    public Var scalar(DType d, double v) {
        return constant(Tensor.scalar(d, v));
    }

    /** An array of {@code type} filled with {@code v} (a broadcast scalar constant). */
    public Var full(Type type, double v) {
        Var s = scalar(type.dtype(), v);
        return type.rank() == 0 ? s : broadcastScalar(s, type.shape());
    }

    public Var unary(Unary.Kind k, Var x) {
        return emit1(new Unary(k), x);
    }

    public Var binary(Binary.Kind k, Var x, Var y) {
        return emit1(new Binary(k), x, y);
    }

    public Var add(Var x, Var y) {
        return binary(Binary.Kind.ADD, x, y);
    }

    public Var sub(Var x, Var y) {
        return binary(Binary.Kind.SUB, x, y);
    }

    public Var mul(Var x, Var y) {
        return binary(Binary.Kind.MUL, x, y);
    }

    public Var div(Var x, Var y) {
        return binary(Binary.Kind.DIV, x, y);
    }

    public Var neg(Var x) {
        return unary(Unary.Kind.NEG, x);
    }

    public Var compare(Compare.Kind k, Var x, Var y) {
        return emit1(new Compare(k), x, y);
    }

    public Var select(Var pred, Var x, Var y) {
        return emit1(new Select(), pred, x, y);
    }

    public Var convert(Var x, DType to) {
        return x.type().dtype() == to ? x : emit1(new Convert(to), x);
    }

    public Var broadcast(Var x, Shape shape, int... dims) {
        return emit1(new Broadcast(shape, dims), x);
    }

    /** Broadcasts a scalar to {@code shape}; returns {@code x} when it already has that shape. */
    public Var broadcastScalar(Var x, Shape shape) {
        if (x.type().shape().equals(shape)) {
            return x;
        }
        return emit1(Broadcast.scalarTo(shape), x);
    }

    /** Broadcasts {@code reduced} (the result of reducing {@code axes}) back to {@code shape}. */
    public Var broadcastBack(Var reduced, Shape shape, int[] axes) {
        int[] dims = new int[shape.rank() - axes.length];
        int j = 0;
        for (int i = 0; i < shape.rank(); i++) {
            if (Arrays.binarySearch(axes, i) < 0) {
                dims[j++] = i;
            }
        }
        return broadcast(reduced, shape, dims);
    }

    public Var reshape(Var x, Shape shape) {
        return x.type().shape().equals(shape) ? x : emit1(new Reshape(shape), x);
    }

    public Var reduce(Reduce.Kind k, Var x, int... axes) {
        return emit1(new Reduce(k, axes), x);
    }

    /** Sum over every axis. */
    public Var sumAll(Var x) {
        int[] axes = new int[x.type().rank()];
        for (int i = 0; i < axes.length; i++) {
            axes[i] = i;
        }
        return axes.length == 0 ? x : reduce(Reduce.Kind.SUM, x, axes);
    }

    public Var takeClipped(Var array, Var index) {
        return emit1(new TakeClipped(), array, index);
    }

    /** {@link RingDot}: the rows of {@code ring} weighted by age with {@code coef[first + age]}. */
    public Var ringDot(Var ring, Var coef, Var t, int first) {
        return emit1(new RingDot(first), ring, coef, t);
    }

    /** {@link RingPush}: {@code ring} with row {@code floorMod(t, rows)} set to {@code value}. */
    public Var ringPush(Var ring, Var t, Var value) {
        return emit1(new RingPush(), ring, t, value);
    }

    public Var iota(Type type, int dimension) {
        return emit1(new Iota(type, dimension));
    }

    public Var transpose(Var x, int... perm) {
        return emit1(new Transpose(perm), x);
    }

    public Var matmul(Var a, Var b) {
        return emit1(new MatMul(), a, b);
    }

    public Var slice(Var x, int[] start, int[] limit) {
        return emit1(new Slice(start, limit), x);
    }

    public Var concatenate(int axis, List<Var> parts) {
        return parts.size() == 1 ? parts.get(0) : emit(new Concatenate(axis), parts).get(0);
    }

    /** Swaps the last two axes of {@code x}. */
    public Var matrixTranspose(Var x) {
        int r = x.type().rank();
        int[] perm = new int[r];
        for (int i = 0; i < r; i++) {
            perm[i] = i;
        }
        perm[r - 2] = r - 1;
        perm[r - 1] = r - 2;
        return transpose(x, perm);
    }

    /** The identity matrices of {@code type} ({@code [..., m, n]}: ones where row equals column). */
    public Var eye(Type type) {
        int r = type.rank();
        if (r < 2) {
            throw new IllegalArgumentException("eye needs a type of rank >= 2, got " + type);
        }
        Type index = type.withDtype(DType.I32);
        Var same = compare(Compare.Kind.EQ, iota(index, r - 2), iota(index, r - 1));
        return convert(same, type.dtype());
    }

    /** {@code tril(x, offset)}: entries with {@code column - row <= offset}, others zero. */
    public Var tril(Var x, int offset) {
        return emit1(new Triangle(true, offset), x);
    }

    /** {@code triu(x, offset)}: entries with {@code column - row >= offset}, others zero. */
    public Var triu(Var x, int offset) {
        return emit1(new Triangle(false, offset), x);
    }

    /** {@code x[..., index[..., i], :]}; see {@link GatherRows}. */
    public Var gatherRows(Var x, Var index) {
        return emit1(new GatherRows(), x, index);
    }

    /** The main diagonals, {@code [..., m, n] -> [..., min(m, n)]}. */
    public Var diagPart(Var x) {
        return emit1(new DiagPart(), x);
    }

    /** Square matrices with diagonals {@code x}, {@code [..., k] -> [..., k, k]}. */
    public Var diagEmbed(Var x) {
        return emit1(new DiagEmbed(), x);
    }

    /** {@code X} solving {@code op(A) X = B} or {@code X op(A) = B}; see {@link TriangularSolve}. */
    public Var triangularSolve(Var a, Var rhs, boolean leftSide, boolean lower, boolean transposeA,
            boolean unitDiagonal) {
        return emit1(new TriangularSolve(leftSide, lower, transposeA, unitDiagonal), a, rhs);
    }

    /** The Cholesky factor of {@code a}; see {@link Cholesky}. */
    public Var cholesky(Var a, boolean symmetrizeInput) {
        return emit1(new Cholesky(symmetrizeInput), a);
    }

    /** The outputs {@code lu}, {@code pivots}, {@code permutation} of {@code a}'s LU decomposition; see {@link Lu}. */
    public List<Var> lu(Var a) {
        return emit(new Lu(), List.of(a));
    }

    /** Emits a scan; inputs are consts, then carries, then xs, as {@link Scan} describes. */
    public List<Var> scan(Program body, int length, List<Var> consts, List<Var> carries, List<Var> xs, boolean reverse) {
        List<Var> ins = new ArrayList<>(consts);
        ins.addAll(carries);
        ins.addAll(xs);
        return emit(new Scan(body, consts.size(), carries.size(), length, reverse), ins);
    }
}
