package dev.streamfold.compiler.lower;

import dev.streamfold.compiler.kir.KBuffer;
import dev.streamfold.compiler.kir.KBuilder;
import dev.streamfold.compiler.kir.KInstr;
import dev.streamfold.compiler.kir.KInstr.CompareKind;
import dev.streamfold.compiler.kir.KType;
import dev.streamfold.compiler.kir.KValue;
import dev.streamfold.compiler.kir.Kernel;
import dev.streamfold.compiler.kir.KirVerifier;
import dev.streamfold.compiler.lower.LoweredValue.Folded;
import dev.streamfold.compiler.lower.LoweredValue.Stored;
import dev.streamfold.ir.Binary;
import dev.streamfold.ir.Broadcast;
import dev.streamfold.ir.Cholesky;
import dev.streamfold.ir.Compare;
import dev.streamfold.ir.Concatenate;
import dev.streamfold.ir.Constant;
import dev.streamfold.ir.Convert;
import dev.streamfold.ir.DType;
import dev.streamfold.ir.DerivativeGuard;
import dev.streamfold.ir.DiagEmbed;
import dev.streamfold.ir.DiagPart;
import dev.streamfold.ir.Eigh;
import dev.streamfold.ir.Eqn;
import dev.streamfold.ir.GatherRows;
import dev.streamfold.ir.Interpreter;
import dev.streamfold.ir.Iota;
import dev.streamfold.ir.Lu;
import dev.streamfold.ir.MatMul;
import dev.streamfold.ir.Op;
import dev.streamfold.ir.Program;
import dev.streamfold.ir.Qr;
import dev.streamfold.ir.Reduce;
import dev.streamfold.ir.Reshape;
import dev.streamfold.ir.RingDot;
import dev.streamfold.ir.RingPush;
import dev.streamfold.ir.Scan;
import dev.streamfold.ir.Select;
import dev.streamfold.ir.Slice;
import dev.streamfold.ir.StreamfoldException;
import dev.streamfold.ir.Svd;
import dev.streamfold.ir.TakeClipped;
import dev.streamfold.ir.Tensor;
import dev.streamfold.ir.Transpose;
import dev.streamfold.ir.Triangle;
import dev.streamfold.ir.TriangularSolve;
import dev.streamfold.ir.Type;
import dev.streamfold.ir.Unary;
import dev.streamfold.ir.Var;
import dev.streamfold.runtime.batched.BatchStatus;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * Lowers an IR program over a batch axis to one kernel of kernel IR v2 that computes one batch item per lane.
 * Axis 0 of every parameter and result is the batch axis; every value is either batched (its axis 0 is the
 * batch axis, and the kernel holds one item of it) or the same for every item (folded to a constant at compile
 * time, or computed into an array holding the whole value, inside scan bodies). Each op becomes a static loop
 * nest over scratch arrays (results go straight to their output buffers); floating results equal the
 * {@link Interpreter}'s. An op that would mix the batch axis with other axes is refused with a {@link
 * StreamfoldException} naming the equation.
 */
public final class LowerProgram {
    private LowerProgram() {}

    /** Lowers p, whose parameters and results all have axis 0 as the batch axis (any extent). */
    public static LoweredProgram lower(String name, Program p) {
        String where = "lowering " + name + ": ";
        int batch = batchExtent(where, p);
        KBuilder b = new KBuilder(name);
        List<Integer> inputs = new ArrayList<>();
        List<Type> inputTypes = new ArrayList<>();
        List<LoweredValue> params = new ArrayList<>();
        for (int i = 0; i < p.params().size(); i++) {
            Type item = itemType(p.params().get(i).type());
            int buffer = b.buffer("in" + i, KBuffer.Role.IN, LowerContext.bufferType(item.dtype()), size(item));
            inputs.add(buffer);
            inputTypes.add(item);
            params.add(new Stored(array(buffer, item), true));
        }
        List<Integer> outputs = new ArrayList<>();
        List<Type> outputTypes = new ArrayList<>();
        List<KArray> outArrays = new ArrayList<>();
        Map<Integer, KArray> destinations = new HashMap<>();
        for (int i = 0; i < p.results().size(); i++) {
            Type item = itemType(p.results().get(i).type());
            int buffer = b.buffer("out" + i, KBuffer.Role.OUT, LowerContext.bufferType(item.dtype()), size(item));
            outputs.add(buffer);
            outputTypes.add(item);
            KArray out = array(buffer, item);
            outArrays.add(out);
            destinations.putIfAbsent(p.results().get(i).id(), out);
        }
        int status = b.buffer("status", KBuffer.Role.OUT, KType.I32, 1);
        b.store(status, 0, b.index(0));
        LowerContext cx = new LowerContext(b, status);
        Lowering top = new Lowering(cx, batch, where);
        List<LoweredValue> results = top.run(p, params, destinations);
        for (int i = 0; i < results.size(); i++) {
            top.storeResult(i, results.get(i), outArrays.get(i));
        }
        Kernel k = KirVerifier.verify(b.build());
        return new LoweredProgram(k, inputs, outputs, status, inputTypes, outputTypes);
    }

    private static int batchExtent(String where, Program p) {
        List<Var> all = new ArrayList<>(p.params());
        all.addAll(p.results());
        if (all.isEmpty()) {
            throw new StreamfoldException(where + "a program without parameters or results has no batch axis");
        }
        int batch = -1;
        for (Var v : all) {
            String role = (p.params().contains(v) ? "parameter " + p.params().indexOf(v) : "result " + p.results().indexOf(v));
            if (v.type().rank() < 1) {
                throw new StreamfoldException(where + role + " is the scalar " + v.type() + " and has no batch axis");
            }
            int extent = v.type().shape().dim(0);
            if (batch < 0) {
                batch = extent;
            } else if (extent != batch) {
                throw new StreamfoldException(where + role + " is " + v.type() + ", whose axis 0 is not the batch extent "
                        + batch + " of the others");
            }
        }
        if (batch < 1) {
            throw new StreamfoldException(where + "the batch extent is 0");
        }
        return batch;
    }

    private static Type itemType(Type t) {
        return t.withShape(t.shape().dropLeading());
    }

    private static int size(Type t) {
        return Math.toIntExact(t.shape().size());
    }

    private static KArray array(int buffer, Type t) {
        return new KArray(buffer, 0, t.shape().dims(), LowerContext.bufferType(t.dtype()));
    }

    /** The lowering of one program (the kernel's, or a scan body's) into the current block of the builder. */
    private static final class Lowering {
        private final LowerContext cx;
        private final KBuilder b;
        private final int batch;
        private final String where;
        private final Map<Tensor, KArray> itemConstants = new HashMap<>();
        private final Map<Tensor, KArray> wholeConstants = new HashMap<>();
        private String at = "";

        Lowering(LowerContext cx, int batch, String where) {
            this.cx = cx;
            this.b = cx.builder();
            this.batch = batch;
            this.where = where;
        }

        /** Lowers {@code p} with its parameters bound to {@code params}; results of vars in {@code destinations} go there. */
        List<LoweredValue> run(Program p, List<LoweredValue> params, Map<Integer, KArray> destinations) {
            Map<Integer, LoweredValue> env = new HashMap<>();
            for (int i = 0; i < params.size(); i++) {
                env.put(p.params().get(i).id(), params.get(i));
            }
            Map<Integer, KArray> dest = new HashMap<>(destinations);
            for (int e = 0; e < p.eqns().size(); e++) {
                Eqn eqn = p.eqns().get(e);
                at = "equation " + e + " (" + eqn.op().name() + "): ";
                List<LoweredValue> ins = eqn.ins().stream().map(v -> env.get(v.id())).toList();
                List<LoweredValue> outs = lowerEqn(eqn, ins, dest);
                for (int i = 0; i < outs.size(); i++) {
                    env.put(eqn.outs().get(i).id(), outs.get(i));
                }
            }
            at = "";
            return p.results().stream().map(v -> env.get(v.id())).toList();
        }

        /** Writes result {@code index} into its output array. */
        void storeResult(int index, LoweredValue v, KArray out) {
            at = "result " + index + ": ";
            switch (v) {
                case Folded f -> ArrayCode.storeConstants(b, out, slice0(f.value(), "it"), 0);
                case Stored s when s.batched() -> {
                    if (!s.array().equals(out)) {
                        ArrayCode.copy(b, s.array(), out);
                    }
                }
                case Stored s -> throw refuse("it is the same for every item but its axis 0 is not the batch axis");
            }
        }

        private StreamfoldException refuse(String what) {
            return new StreamfoldException(where + at + what);
        }

        /**
         * Lowers one equation: folded when every input is a constant; otherwise over items when any input is
         * batched, else over whole values.
         */
        private List<LoweredValue> lowerEqn(Eqn e, List<LoweredValue> ins, Map<Integer, KArray> dest) {
            if (ins.stream().allMatch(v -> v instanceof Folded)) {
                return fold(e, ins);
            }
            boolean batched = ins.stream().anyMatch(v -> v instanceof Stored s && s.batched());
            Op op = e.op();
            return switch (op) {
                case Constant c -> fold(e, ins);
                case Iota i -> fold(e, ins);
                case Unary u -> List.of(elementwise(e, ins, batched, dest, v -> unary(u.kind(), v.get(0))));
                case Binary bin -> {
                    if (!e.ins().get(0).type().dtype().isFloating()
                            && (bin.kind() == Binary.Kind.DIV || bin.kind() == Binary.Kind.POW)) {
                        throw refuse(op.name() + " of " + e.ins().get(0).type().dtype().longName()
                                + " values has no kernel form (the interpreter keeps the fraction)");
                    }
                    yield List.of(elementwise(e, ins, batched, dest, v -> binary(bin.kind(), v.get(0), v.get(1))));
                }
                case Compare c -> List.of(elementwise(e, ins, batched, dest,
                        v -> b.convert(KType.I32, b.compare(compareKind(c.kind()), v.get(0), v.get(1)))));
                case Select s -> List.of(elementwise(e, ins, batched, dest, v -> b.select(truth(v.get(0)), v.get(1), v.get(2))));
                case Convert c -> List.of(elementwise(e, ins, batched, dest, v -> convert(c.to(), v.get(0))));
                case Broadcast bc -> List.of(broadcast(e, bc, (Stored) ins.get(0), dest));
                case Reshape r -> List.of(reshape(e, r, (Stored) ins.get(0)));
                case Reduce r -> {
                    int s = shift(batched);
                    if (batched && r.axes().length > 0 && r.axes()[0] == 0) {
                        throw refuse("it reduces over axis 0, the batch axis");
                    }
                    KArray out = out(e, 0, batched, dest);
                    ArrayCode.reduce(b, r.kind(), in(ins, 0, batched), shifted(r.axes(), s), out);
                    yield List.of(new Stored(out, batched));
                }
                case TakeClipped t -> List.of(takeClipped(e, ins, batched));
                case RingDot r -> throw refuse("ring buffers are state of streaming steps, which lower through the step lowering");
                case RingPush r -> throw refuse("ring buffers are state of streaming steps, which lower through the step lowering");
                case Transpose t -> {
                    if (batched && t.perm()[0] != 0) {
                        throw refuse("it moves axis 0, the batch axis, to another place (perm " + Arrays.toString(t.perm()) + ")");
                    }
                    KArray out = out(e, 0, batched, dest);
                    int[] perm = batched ? shifted(Arrays.copyOfRange(t.perm(), 1, t.perm().length), 1) : t.perm();
                    ArrayCode.transpose(b, in(ins, 0, batched), perm, out);
                    yield List.of(new Stored(out, batched));
                }
                case MatMul m -> List.of(matmul(e, ins, batched, dest));
                case Slice s -> {
                    if (batched && (s.start()[0] != 0 || s.limit()[0] != batch)) {
                        throw refuse("it slices axis 0, the batch axis, to [" + s.start()[0] + ", " + s.limit()[0] + ")");
                    }
                    int[] start = batched ? Arrays.copyOfRange(s.start(), 1, s.start().length) : s.start();
                    KArray out = out(e, 0, batched, dest);
                    ArrayCode.slice(b, in(ins, 0, batched), start, out);
                    yield List.of(new Stored(out, batched));
                }
                case Concatenate c -> {
                    if (batched && c.axis() == 0) {
                        throw refuse("it joins along axis 0, the batch axis");
                    }
                    KArray out = out(e, 0, batched, dest);
                    int axis = c.axis() - shift(batched);
                    int offset = 0;
                    for (int i = 0; i < ins.size(); i++) {
                        KArray part = in(ins, i, batched);
                        ArrayCode.place(b, part, axis, offset, out);
                        offset += part.dim(axis);
                    }
                    yield List.of(new Stored(out, batched));
                }
                case Scan s -> scan(s, ins);
                case GatherRows g -> List.of(gatherRows(e, ins, batched, dest));
                case Triangle t -> {
                    requireMatrices(batched, e.ins().get(0).type(), 3, "a batch of matrices [batch, ..., m, n]");
                    KArray out = out(e, 0, batched, dest);
                    ArrayCode.triangle(b, in(ins, 0, batched), t.lower(), t.offset(), out);
                    yield List.of(new Stored(out, batched));
                }
                case DiagPart d -> {
                    requireMatrices(batched, e.ins().get(0).type(), 3, "a batch of matrices [batch, ..., m, n]");
                    KArray out = out(e, 0, batched, dest);
                    ArrayCode.diagPart(b, in(ins, 0, batched), out);
                    yield List.of(new Stored(out, batched));
                }
                case DiagEmbed d -> {
                    requireMatrices(batched, e.ins().get(0).type(), 2, "a batch of diagonals [batch, ..., k]");
                    KArray out = out(e, 0, batched, dest);
                    ArrayCode.diagEmbed(b, in(ins, 0, batched), out);
                    yield List.of(new Stored(out, batched));
                }
                case DerivativeGuard g -> List.of(derivativeGuard(e, g, ins));
                case TriangularSolve t -> expand(e, ins, batched);
                case Cholesky c -> expand(e, ins, batched);
                case Lu l -> expand(e, ins, batched);
                case Qr q -> expand(e, ins, batched);
                case Svd s -> expand(e, ins, batched);
                case Eigh h -> expand(e, ins, batched);
            };
        }

        // ---- values ---------------------------------------------------------------------------------

        private static int shift(boolean batched) {
            return batched ? 1 : 0;
        }

        private static int[] shifted(int[] axes, int s) {
            int[] out = axes.clone();
            for (int i = 0; i < out.length; i++) {
                out[i] -= s;
            }
            return out;
        }

        /** The dims the kernel holds of a value of type {@code t}: without axis 0 when batched. */
        private static int[] dims(Type t, boolean batched) {
            return batched ? t.shape().dropLeading().dims() : t.shape().dims();
        }

        /** A fresh array for output {@code i} of {@code e}: its output buffer when it is a result, else scratch. */
        private KArray out(Eqn e, int i, boolean batched, Map<Integer, KArray> dest) {
            Var v = e.outs().get(i);
            KType type = LowerContext.bufferType(v.type().dtype());
            if (batched) {
                KArray d = dest.remove(v.id());
                if (d != null) {
                    return d;
                }
            }
            return cx.scratch(type, dims(v.type(), batched));
        }

        /** Input {@code i} as an array: one item when {@code batched}, else the whole value. */
        private KArray in(List<LoweredValue> ins, int i, boolean batched) {
            LoweredValue v = ins.get(i);
            return switch (v) {
                case Folded f -> batched ? itemConstant(f.value(), "input " + i) : wholeConstant(f.value());
                case Stored s when s.batched() == batched -> s.array();
                case Stored s when batched -> throw refuse("input " + i + " is the same for every item, but its axis 0 "
                        + "is not known to be the batch axis, so it cannot be split into items");
                case Stored s -> throw new IllegalStateException("a batched input in an op over whole values");
            };
        }

        /** The item of a constant whose axis 0 has the batch extent and whose slices along it are equal. */
        private KArray itemConstant(Tensor t, String what) {
            KArray known = itemConstants.get(t);
            if (known != null) {
                return known;
            }
            double[] item = slice0(t, what);
            Type itemType = t.type().withShape(t.shape().dropLeading());
            KArray a = cx.scratch(LowerContext.bufferType(t.dtype()), itemType.shape().dims());
            ArrayCode.storeConstants(b, a, item, 0);
            itemConstants.put(t, a);
            return a;
        }

        private KArray wholeConstant(Tensor t) {
            KArray known = wholeConstants.get(t);
            if (known != null) {
                return known;
            }
            KArray a = cx.scratch(LowerContext.bufferType(t.dtype()), t.shape().dims());
            ArrayCode.storeConstants(b, a, t.raw(), 0);
            wholeConstants.put(t, a);
            return a;
        }

        /** The first slice along axis 0 of {@code t}, which must have the batch extent there and equal slices. */
        private double[] slice0(Tensor t, String what) {
            if (t.shape().rank() < 1 || t.shape().dim(0) != batch) {
                throw refuse(what + " is the constant " + t.type() + ", whose axis 0 is not the batch axis of extent " + batch);
            }
            double[] d = t.raw();
            int n = d.length / batch;
            for (int item = 1; item < batch; item++) {
                for (int j = 0; j < n; j++) {
                    if (Double.compare(d[item * n + j], d[j]) != 0) {
                        throw refuse(what + " is a constant whose slices along the batch axis differ (slice " + item
                                + " is not slice 0), so it is not the same for every item");
                    }
                }
            }
            return Arrays.copyOf(d, n);
        }

        private List<LoweredValue> fold(Eqn e, List<LoweredValue> ins) {
            List<Tensor> args = ins.stream().map(v -> ((Folded) v).value()).toList();
            try {
                List<Tensor> outs = Interpreter.run(new Program(e.ins(), List.of(e), e.outs()), args);
                return outs.stream().map(t -> (LoweredValue) new Folded(t)).toList();
            } catch (StreamfoldException ex) {
                if (e.op() instanceof DerivativeGuard) {
                    cx.fail(b.bool(true), BatchStatus.DERIVATIVE_UNDEFINED);
                    return List.of(ins.get(1));
                }
                throw refuse("it fails on its constant inputs: " + ex.getMessage());
            }
        }

        // ---- ops ------------------------------------------------------------------------------------

        private LoweredValue elementwise(Eqn e, List<LoweredValue> ins, boolean batched, Map<Integer, KArray> dest,
                Function<List<KValue>, KValue> f) {
            List<KArray> arrays = new ArrayList<>();
            for (int i = 0; i < ins.size(); i++) {
                arrays.add(in(ins, i, batched));
            }
            KArray out = out(e, 0, batched, dest);
            ArrayCode.map(b, out, arrays, f);
            return new Stored(out, batched);
        }

        private KValue unary(Unary.Kind kind, KValue x) {
            return switch (kind) {
                case NEG -> b.neg(x);
                case ABS -> b.abs(x);
                case SQRT -> b.sqrt(x);
                case EXP -> b.unary(KInstr.UnaryKind.EXP, x);
                case LOG -> b.unary(KInstr.UnaryKind.LOG, x);
                case SQUARE -> b.mul(x, x);
                case SIGN -> b.unary(KInstr.UnaryKind.SIGN, x);
                case RECIPROCAL -> b.unary(KInstr.UnaryKind.RECIPROCAL, x);
            };
        }

        private KValue binary(Binary.Kind kind, KValue x, KValue y) {
            return switch (kind) {
                case ADD -> b.add(x, y);
                case SUB -> b.sub(x, y);
                case MUL -> b.mul(x, y);
                case DIV -> b.div(x, y);
                case MAX -> b.max(x, y);
                case MIN -> b.min(x, y);
                case POW -> b.binary(KInstr.BinaryKind.POW, x, y);
            };
        }

        private static CompareKind compareKind(Compare.Kind kind) {
            return switch (kind) {
                case LT -> CompareKind.LT;
                case LE -> CompareKind.LE;
                case GT -> CompareKind.GT;
                case GE -> CompareKind.GE;
                case EQ -> CompareKind.EQ;
                case NE -> CompareKind.NE;
            };
        }

        /** A stored bool (i32 0/1) as a kernel bool. */
        private KValue truth(KValue stored) {
            return b.compare(CompareKind.NE, stored, b.constI(stored.type(), 0));
        }

        private KValue convert(DType to, KValue x) {
            return switch (to) {
                case BOOL -> b.convert(KType.I32, b.compare(CompareKind.NE, x, ArrayCode.constant(b, x.type(), 0)));
                case I32 -> b.convert(KType.I32, x);
                case F32 -> b.convert(KType.F32, x);
                case F64 -> b.convert(KType.F64, x);
            };
        }

        private LoweredValue broadcast(Eqn e, Broadcast bc, Stored in, Map<Integer, KArray> dest) {
            int[] map = bc.dims();
            Type inType = e.ins().get(0).type();
            Type outType = e.outs().get(0).type();
            if (in.batched()) {
                if (map[0] != 0) {
                    throw refuse("it moves axis 0, the batch axis, to output axis " + map[0]);
                }
                KArray out = out(e, 0, true, dest);
                int[] itemMap = new int[map.length - 1];
                for (int i = 1; i < map.length; i++) {
                    itemMap[i - 1] = map[i] - 1;
                }
                ArrayCode.broadcast(b, in.array(), itemMap, out);
                return new Stored(out, true);
            }
            // A whole value: when output axis 0 is new (or repeats an axis of one entry) and has the batch extent,
            // every slice along it is equal, so the result is held as one item of a batched value.
            boolean spreadOverAxis0 = outType.rank() >= 1 && outType.shape().dim(0) == batch;
            for (int i = 0; i < map.length && spreadOverAxis0; i++) {
                spreadOverAxis0 = map[i] != 0 || inType.shape().dim(i) == 1;
            }
            KArray out = out(e, 0, spreadOverAxis0, dest);
            int[] arrayMap = map.clone();
            if (spreadOverAxis0) {
                for (int i = 0; i < arrayMap.length; i++) {
                    arrayMap[i] = map[i] == 0 ? -1 : map[i] - 1;
                }
            }
            ArrayCode.broadcast(b, in.array(), arrayMap, out);
            return new Stored(out, spreadOverAxis0);
        }

        private LoweredValue reshape(Eqn e, Reshape r, Stored in) {
            Type outType = e.outs().get(0).type();
            if (in.batched() && (outType.rank() < 1 || outType.shape().dim(0) != batch)) {
                throw refuse("it reshapes " + e.ins().get(0).type() + " to " + outType
                        + ", which moves elements across axis 0, the batch axis");
            }
            KArray a = in.array();
            return new Stored(new KArray(a.buffer(), a.offset(), dims(outType, in.batched()), a.type()), in.batched());
        }

        private LoweredValue takeClipped(Eqn e, List<LoweredValue> ins, boolean batched) {
            if (batched) {
                throw refuse("it indexes axis 0, the batch axis");
            }
            KArray a = in(ins, 0, false);
            KArray out = cx.scratch(a.type(), dims(e.outs().get(0).type(), false));
            switch (ins.get(1)) {
                case Folded f -> {
                    int row = (int) Math.max(0, Math.min(a.dim(0) - 1, f.value().item()));
                    KArray block = new KArray(a.buffer(), a.offset() + row * out.size(), out.dims(), a.type());
                    ArrayCode.copy(b, block, out);
                }
                case Stored s -> ArrayCode.takeClipped(b, a, s.array().load(b), out);
            }
            return new Stored(out, false);
        }

        private LoweredValue matmul(Eqn e, List<LoweredValue> ins, boolean batched, Map<Integer, KArray> dest) {
            int r = e.ins().get(0).type().rank();
            if (!batched || r >= 3) {
                KArray out = out(e, 0, batched, dest);
                ArrayCode.matmul(b, in(ins, 0, batched), in(ins, 1, batched), out);
                return new Stored(out, batched);
            }
            if (!(ins.get(0) instanceof Stored x && x.batched()) || ins.get(1) instanceof Stored y && y.batched()) {
                throw refuse("a product of matrices " + e.ins().get(0).type() + " and " + e.ins().get(1).type()
                        + " with a batched right operand sums over axis 0, the batch axis");
            }
            // Rows of the left operand are the items: each is a row vector times the shared right operand.
            KArray row = x.array();
            KArray left = new KArray(row.buffer(), row.offset(), new int[] {1, row.dim(0)}, row.type());
            KArray out = out(e, 0, true, dest);
            KArray outRow = new KArray(out.buffer(), out.offset(), new int[] {1, out.dim(0)}, out.type());
            ArrayCode.matmul(b, left, in(ins, 1, false), outRow);
            return new Stored(out, true);
        }

        /** Gathers rows; an item whose index lies outside the rows gets {@link BatchStatus#INDEX_OUT_OF_RANGE}. */
        private LoweredValue gatherRows(Eqn e, List<LoweredValue> ins, boolean batched, Map<Integer, KArray> dest) {
            int r = e.ins().get(0).type().rank();
            int rows = e.ins().get(0).type().shape().dim(r - 2);
            if (!batched || r >= 3) {
                cx.fail(ArrayCode.anyOutside(b, in(ins, 1, batched), rows), BatchStatus.INDEX_OUT_OF_RANGE);
                KArray out = out(e, 0, batched, dest);
                ArrayCode.gatherRows(b, in(ins, 0, batched), in(ins, 1, batched), out);
                return new Stored(out, batched);
            }
            if (ins.get(0) instanceof Stored x && x.batched()) {
                throw refuse("it gathers rows of " + e.ins().get(0).type() + " along axis 0, the batch axis");
            }
            // Each item's index picks one row of the shared matrix.
            KArray index = in(ins, 1, true);
            KArray out = out(e, 0, true, dest);
            KArray indexRow = new KArray(index.buffer(), index.offset(), new int[] {1}, index.type());
            cx.fail(ArrayCode.anyOutside(b, indexRow, rows), BatchStatus.INDEX_OUT_OF_RANGE);
            KArray outRow = new KArray(out.buffer(), out.offset(), new int[] {1, out.dim(0)}, out.type());
            ArrayCode.gatherRows(b, in(ins, 0, false), indexRow, outRow);
            return new Stored(out, true);
        }

        private void requireMatrices(boolean batched, Type t, int rank, String what) {
            if (batched && t.rank() < rank) {
                throw refuse("its input " + t + " is not " + what + ": its axis 0, the batch axis, would be "
                        + (rank == 3 ? "the rows" : "the diagonal"));
            }
        }

        private LoweredValue derivativeGuard(Eqn e, DerivativeGuard g, List<LoweredValue> ins) {
            Type valuesType = e.ins().get(0).type();
            double tolerance = DerivativeGuard.relativeTolerance(valuesType.dtype());
            switch (ins.get(0)) {
                case Folded f -> {
                    try {
                        g.evaluate(List.of(f.value(), Tensor.zeros(e.ins().get(1).type())));
                    } catch (StreamfoldException ex) {
                        cx.fail(b.bool(true), BatchStatus.DERIVATIVE_UNDEFINED);
                    }
                }
                case Stored s -> {
                    if (s.batched() && valuesType.rank() < 2) {
                        throw refuse("its values " + valuesType + " are one row along axis 0, the batch axis");
                    }
                    cx.fail(ArrayCode.guardFails(b, g.condition(), s.array(), tolerance), BatchStatus.DERIVATIVE_UNDEFINED);
                }
            }
            return ins.get(1);
        }

        /** A decomposition, handed to {@link ExpandLinalg} with its inputs and fresh outputs. */
        private List<LoweredValue> expand(Eqn e, List<LoweredValue> ins, boolean batched) {
            requireMatrices(batched, e.ins().get(0).type(), 3, "a batch of matrices [batch, ..., m, n]");
            List<KArray> arrays = new ArrayList<>();
            for (int i = 0; i < ins.size(); i++) {
                arrays.add(in(ins, i, batched));
            }
            List<KArray> outs = new ArrayList<>();
            List<LoweredValue> values = new ArrayList<>();
            for (Var v : e.outs()) {
                KArray a = cx.scratch(LowerContext.bufferType(v.type().dtype()), dims(v.type(), batched));
                outs.add(a);
                values.add(new Stored(a, batched));
            }
            ExpandLinalg.expand(cx, e, arrays, outs);
            return values;
        }

        // ---- scan -----------------------------------------------------------------------------------

        /**
         * A scan as one counted loop: carries live in arrays copied from their initial values and overwritten by
         * the body's results after each step; xs and ys are whole values (their axis 0 is the scan axis).
         */
        private List<LoweredValue> scan(Scan s, List<LoweredValue> ins) {
            int nc = s.numConsts();
            int nk = s.numCarries();
            int nx = s.numXs();
            List<Type> bodyParams = s.body().paramTypes();
            List<Type> bodyResults = s.body().resultTypes();
            List<LoweredValue> consts = ins.subList(0, nc);
            List<KArray> xs = new ArrayList<>();
            for (int j = 0; j < nx; j++) {
                LoweredValue x = ins.get(nc + nk + j);
                if (x instanceof Stored st && st.batched()) {
                    throw refuse("its xs input " + j + " is batched: its axis 0 is the batch axis, not the scan axis");
                }
                xs.add(in(ins, nc + nk + j, false));
            }
            List<KArray> carries = new ArrayList<>();
            boolean[] carryBatched = new boolean[nk];
            for (int i = 0; i < nk; i++) {
                LoweredValue init = ins.get(nc + i);
                Type t = bodyParams.get(nc + i);
                carryBatched[i] = switch (init) {
                    case Stored st -> st.batched();
                    case Folded f -> t.rank() >= 1 && t.shape().dim(0) == batch && equalSlices(f.value());
                };
                KArray carry = cx.scratch(LowerContext.bufferType(t.dtype()), dims(t, carryBatched[i]));
                ArrayCode.copy(b, in(ins, nc + i, carryBatched[i]), carry);
                carries.add(carry);
            }
            List<KArray> ys = new ArrayList<>();
            for (int j = 0; j < s.numYs(); j++) {
                Type y = bodyResults.get(nk + j);
                ys.add(cx.scratch(LowerContext.bufferType(y.dtype()), y.shape().prepend(s.length()).dims()));
            }
            String bodyWhere = where + at + "body ";
            b.forRange(0, s.length(), step -> {
                KValue t = s.reverse() ? b.sub(b.index(s.length() - 1), step) : step;
                List<LoweredValue> params = new ArrayList<>(consts);
                for (int i = 0; i < nk; i++) {
                    params.add(new Stored(carries.get(i), carryBatched[i]));
                }
                for (int j = 0; j < nx; j++) {
                    Type xt = bodyParams.get(nc + nk + j);
                    KArray row = cx.scratch(LowerContext.bufferType(xt.dtype()), xt.shape().dims());
                    KArray whole = xs.get(j);
                    ArrayCode.forEachIndex(b, row.dims(), idx -> {
                        KValue[] from = new KValue[idx.length + 1];
                        from[0] = t;
                        System.arraycopy(idx, 0, from, 1, idx.length);
                        row.store(b, whole.load(b, from), idx);
                    });
                    params.add(new Stored(row, false));
                }
                Lowering body = new Lowering(cx, batch, bodyWhere);
                List<LoweredValue> results = body.run(s.body(), params, Map.of());
                List<KArray> next = new ArrayList<>();
                for (int i = 0; i < nk; i++) {
                    next.add(carryResult(i, results.get(i), carryBatched[i], carries, body));
                }
                for (int i = 0; i < nk; i++) {
                    if (!next.get(i).equals(carries.get(i))) {
                        ArrayCode.copy(b, next.get(i), carries.get(i));
                    }
                }
                for (int j = 0; j < s.numYs(); j++) {
                    LoweredValue y = results.get(nk + j);
                    if (y instanceof Stored st && st.batched()) {
                        throw refuse("its ys output " + j + " is batched, which would put the batch axis after the scan axis");
                    }
                    KArray yt = body.in(List.of(y), 0, false);
                    KArray whole = ys.get(j);
                    ArrayCode.forEachIndex(b, yt.dims(), idx -> {
                        KValue[] to = new KValue[idx.length + 1];
                        to[0] = t;
                        System.arraycopy(idx, 0, to, 1, idx.length);
                        whole.store(b, yt.load(b, idx), to);
                    });
                }
            });
            List<LoweredValue> outs = new ArrayList<>();
            for (int i = 0; i < nk; i++) {
                outs.add(new Stored(carries.get(i), carryBatched[i]));
            }
            for (KArray y : ys) {
                outs.add(new Stored(y, false));
            }
            return outs;
        }

        /** The array to copy into carry {@code i}: never one of the carries, unless it is carry {@code i} itself. */
        private KArray carryResult(int i, LoweredValue r, boolean batched, List<KArray> carries, Lowering body) {
            if (r instanceof Stored st && st.batched() != batched) {
                throw refuse(batched
                        ? "its carry " + i + " is batched but the body makes it a value that cannot be split into items"
                        : "its carry " + i + " starts the same for every item but the body makes it differ per item");
            }
            KArray a = body.in(List.of(r), 0, batched);
            if (a.equals(carries.get(i))) {
                return a;
            }
            for (KArray c : carries) {
                if (c.buffer() == a.buffer()) {
                    KArray staged = cx.scratch(a.type(), a.dims());
                    ArrayCode.copy(b, a, staged);
                    return staged;
                }
            }
            return a;
        }

        private boolean equalSlices(Tensor t) {
            double[] d = t.raw();
            int n = d.length / batch;
            for (int i = n; i < d.length; i++) {
                if (Double.compare(d[i], d[i % n]) != 0) {
                    return false;
                }
            }
            return true;
        }
    }
}
