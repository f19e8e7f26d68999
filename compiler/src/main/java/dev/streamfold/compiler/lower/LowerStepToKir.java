package dev.streamfold.compiler.lower;

import dev.streamfold.compiler.kir.KBuffer;
import dev.streamfold.compiler.kir.KBuilder;
import dev.streamfold.compiler.kir.KInstr;
import dev.streamfold.compiler.kir.KType;
import dev.streamfold.compiler.kir.KValue;
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
import dev.streamfold.ir.Iota;
import dev.streamfold.ir.Lu;
import dev.streamfold.ir.MatMul;
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
import dev.streamfold.ir.Transpose;
import dev.streamfold.ir.Triangle;
import dev.streamfold.ir.TriangularSolve;
import dev.streamfold.ir.Unary;
import dev.streamfold.ir.Type;
import dev.streamfold.ir.Var;
import dev.streamfold.ir.stream.StepProgram;
import dev.streamfold.runtime.ParamSlot;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Lowers a step program to a {@link StepKir}: one batch item per element of the slice. Values of rank 0
 * (computed from the step index and parameters) become uniform values computed in the kernel's dtype, once
 * per step; values shaped like the slice become lane values. What every compiled backend computes, bit for bit:
 * <ul>
 *   <li>parameter reads clip their index ({@code min(t, len - 1)} on i64, then i32) and round the float64
 *       value to the dtype;
 *   <li>float32 {@code exp}, {@code log} and {@code pow} are computed in float64 and rounded once;
 *   <li>{@code square} of a slice-shaped value is {@code fma(a, a, -0.0)}, which is {@code a * a} exactly
 *       but is no product a contraction pass may fuse (a square is never fused);
 *   <li>a slice-shaped product of broadcast scalars used only by a slice-shaped add is fused into one
 *       {@code fma} here, since such a product is uniform and {@code ContractMulAddKir} fuses lane products only;
 *   <li>a ring state buffer ({@code [rows, slice...]}) is a STATE buffer of {@code rows} elements per item: {@code
 *       ring_dot} becomes one loop over the rows, which reads each row once with the weight of its age ({@code tm =
 *       t rem rows}, computed once per step in i64; 2-D weights are read in the row of the step that wrote it), and {@code ring_push}, which must be the buffer's next value,
 *       one store of the pushed value at row {@code tm}.
 * </ul>
 */
public final class LowerStepToKir {
    private LowerStepToKir() {}

    public static StepKir run(StepProgram step) {
        return new Lowering(step).run();
    }

    /** The operands of a slice-shaped product, kept so an add that is its only use can fuse it. */
    private record Product(KValue a, KValue b) {}

    /** A {@code ring_push} of {@code value} into ring state buffer {@code state}, stored when the step ends. */
    private record Push(int state, KValue value) {}

    private static final class Lowering {
        private final StepProgram step;
        private final Program p;
        private final int np;
        private final int ns;
        private final DType dtype;
        private final KType type;
        private final KBuilder b;
        private final Map<Integer, KValue> values = new HashMap<>();
        private final Map<Integer, Integer> paramOf = new HashMap<>();
        private final Map<Integer, Integer> stateOf = new HashMap<>();
        private final Map<Integer, Integer> constantIndex = new HashMap<>();
        private final Map<Integer, Product> products = new HashMap<>();
        private final Map<Integer, Integer> uses = new HashMap<>();
        private final Map<Integer, Push> pushes = new HashMap<>();
        private final Map<Integer, KValue> ringRow = new HashMap<>();
        private final int[] rows;
        private final boolean[] perStep;
        private final int[] exact;
        private final int x;
        private final int y;
        private final int[] state;
        private final int[] param;
        private KValue t;
        private KValue zero;
        private KValue one;

        Lowering(StepProgram step) {
            this.step = step;
            this.p = step.program();
            this.np = step.numParams();
            this.ns = step.numState();
            Var xVar = p.params().get(np + ns + 1);
            this.dtype = xVar.type().dtype();
            this.type = LowerContext.bufferType(dtype);
            this.b = new KBuilder("step_" + dtype.shortName());
            this.x = b.buffer("x", KBuffer.Role.IN, type, 1);
            this.y = b.buffer("y", KBuffer.Role.OUT, type, 1);
            this.state = new int[ns];
            this.rows = new int[ns];
            for (int k = 0; k < ns; k++) {
                rows[k] = step.stateRows(k);
                state[k] = b.buffer("state" + k, KBuffer.Role.STATE, type, rows[k]);
                stateOf.put(p.params().get(np + k).id(), k);
            }
            this.param = new int[np];
            for (int i = 0; i < np; i++) {
                param[i] = b.buffer("param" + i, KBuffer.Role.PARAM, KType.F64, -1);
                paramOf.put(p.params().get(i).id(), i);
            }
            b.declareArg(KType.I64);
            this.perStep = new boolean[np];
            this.exact = new int[np];
            for (Eqn e : p.eqns()) {
                for (Var v : e.ins()) {
                    uses.merge(v.id(), 1, Integer::sum);
                }
            }
            for (Var v : p.results()) {
                uses.merge(v.id(), 1, Integer::sum);
            }
        }

        StepKir run() {
            Var tVar = step.stepIndexParam();
            Var xVar = p.params().get(np + ns + 1);
            for (Eqn e : p.eqns()) {
                Var out = e.outs().get(0);
                boolean lane = out.type().rank() > 0;
                KValue v = switch (e.op()) {
                    case TakeClipped tc -> {
                        Integer slot = paramOf.get(e.ins().get(0).id());
                        Integer index = constantIndex.get(e.ins().get(1).id());
                        if (slot == null || e.ins().get(0).type().rank() != 1
                                || (e.ins().get(1).id() != tVar.id() && index == null)) {
                            throw unsupported(e, "only 1-D parameters read at the step index or at a constant index");
                        }
                        yield index == null ? paramAtStep(slot) : paramElement(slot, index);
                    }
                    case RingDot d -> ringDot(e, d, tVar);
                    case RingPush r -> {
                        int k = ringOperand(e, e.ins().get(0));
                        requireStepIndex(e, e.ins().get(1), tVar);
                        pushes.put(out.id(), new Push(k, operand(e.ins().get(2), xVar)));
                        yield null;
                    }
                    case Constant c -> {
                        if (c.value().size() != 1 || lane) {
                            throw unsupported(e, "array constants are not streamed");
                        }
                        if (c.value().dtype() == DType.I32) {
                            constantIndex.put(out.id(), (int) c.value().item());
                        }
                        yield b.constF(type, c.value().item());
                    }
                    case Broadcast bc -> {
                        if (e.ins().get(0).type().rank() != 0) {
                            throw unsupported(e, "only scalars are broadcast over the slice");
                        }
                        yield operand(e.ins().get(0), xVar);
                    }
                    case Unary u -> unary(u.kind(), operand(e.ins().get(0), xVar), lane);
                    case Binary bin -> binary(bin.kind(), e, lane, xVar);
                    case Compare c -> throw unsupported(e, "comparisons");
                    case Select s -> throw unsupported(e, "selects");
                    case Convert c -> throw unsupported(e, "conversions");
                    case Reshape r -> throw unsupported(e, "reshapes");
                    case Reduce r -> throw unsupported(e, "reductions");
                    case Iota i -> throw unsupported(e, "iota");
                    case Transpose tr -> throw unsupported(e, "transposes");
                    case MatMul m -> throw unsupported(e, "matrix products");
                    case Slice s -> throw unsupported(e, "slices");
                    case Concatenate c -> throw unsupported(e, "concatenation");
                    case Scan s -> throw unsupported(e, "nested scans");
                    case GatherRows g -> throw unsupported(e, "row gathers");
                    case Triangle tr -> throw unsupported(e, "triangle masks");
                    case DiagPart d -> throw unsupported(e, "diagonal extractions");
                    case DiagEmbed d -> throw unsupported(e, "diagonal embeddings");
                    case TriangularSolve ts -> throw unsupported(e, "triangular solves");
                    case Cholesky c -> throw unsupported(e, "Cholesky factorizations");
                    case Lu l -> throw unsupported(e, "LU factorizations");
                    case Qr q -> throw unsupported(e, "QR decompositions");
                    case Svd s -> throw unsupported(e, "singular value decompositions");
                    case Eigh h -> throw unsupported(e, "eigendecompositions");
                    case DerivativeGuard g -> throw unsupported(e, "derivative guards");
                };
                if (lane && e.op() instanceof Binary bin && bin.kind() == Binary.Kind.MUL) {
                    products.put(out.id(), new Product(operand(e.ins().get(0), xVar), operand(e.ins().get(1), xVar)));
                }
                if (v != null) {
                    values.put(out.id(), v);
                }
            }
            // Every load precedes every store, so a buffer is read before it is overwritten.
            List<Var> results = p.results();
            KValue[] outs = new KValue[ns + 1];
            for (int k = 0; k <= ns; k++) {
                if (k < ns && rows[k] > 1) {
                    continue; // a ring's next value is a push, stored below
                }
                outs[k] = operand(results.get(k), xVar);
            }
            KValue zero = zero();
            for (int k = 0; k < ns; k++) {
                if (rows[k] == 1) {
                    b.store(state[k], zero, outs[k]);
                    continue;
                }
                Push push = pushes.get(results.get(k).id());
                if (push == null || push.state() != k) {
                    throw new StreamfoldException("cannot fuse the step into a streaming step kernel: the next value of ring "
                            + "state buffer " + k + " must be one ring_push into that buffer");
                }
                b.store(state[k], b.convert(KType.I32, ringRow(k)), push.value());
            }
            b.store(y, zero, outs[ns]);
            List<ParamSlot> slots = new ArrayList<>();
            for (int i = 0; i < np; i++) {
                slots.add(new ParamSlot("param " + i, perStep[i] ? ParamSlot.PER_STEP : exact[i], ParamSlot.Rule.FINITE));
            }
            return new StepKir(b.build(), dtype, np, ns, slots);
        }

        /**
         * {@code sum over rows r of coef[first - 1 + j(r)] * ring[r]} as one loop, {@code j(r) = tm - r} or {@code tm
         * - r + rows} when that is not positive, so {@code j - 1} is the row's age.
         */
        private KValue ringDot(Eqn e, RingDot d, Var tVar) {
            int k = ringOperand(e, e.ins().get(0));
            Integer slot = paramOf.get(e.ins().get(1).id());
            Type coef = e.ins().get(1).type();
            if (slot == null || coef.rank() > 2) {
                throw unsupported(e, "only ring weights that are a 1-D or 2-D parameter");
            }
            requireStepIndex(e, e.ins().get(2), tVar);
            int n = rows[k];
            int width = coef.shape().dim(coef.rank() - 1);
            exact[slot] = Math.max(exact[slot], coef.rank() == 1 ? d.first() + n : Math.toIntExact(coef.shape().size()));
            KValue tm = ringRow(k);
            KValue last = last(slot);
            KValue count = b.constI(KType.I64, n);
            KValue shift = b.constI(KType.I64, d.first() - 1);
            KValue none = b.constI(KType.I64, 0);
            KValue step = coef.rank() == 2 ? t() : null;
            KValue lastWriter = coef.rank() == 2 ? b.constI(KType.I64, coef.shape().dim(0) - 1) : null;
            KValue stride = coef.rank() == 2 ? b.constI(KType.I64, width) : null;
            List<KValue> sum = b.loop(0, n, List.of(b.constF(type, 0.0)), (r, acc) -> {
                KValue age = b.sub(tm, b.convert(KType.I64, r));
                KValue j = b.select(b.compare(KInstr.CompareKind.LE, age, none), b.add(age, count), age);
                KValue at = b.add(j, shift);
                if (step != null) {
                    // the row of age j - 1 was written at step t - j; its weights are that step's row, clamped
                    KValue writer = b.max(b.min(b.sub(step, j), lastWriter), none);
                    at = b.add(b.binary(KInstr.BinaryKind.MUL, writer, stride), at);
                }
                KValue w = read(slot, b.min(at, last));
                return List.of(b.fma(w, b.load(state[k], r), acc.get(0)));
            });
            return sum.get(0);
        }

        /** {@code t rem rows[k]} as i64, the row step t writes; computed once per step. */
        private KValue ringRow(int k) {
            return ringRow.computeIfAbsent(rows[k], n -> b.binary(KInstr.BinaryKind.REM, t(), b.constI(KType.I64, n)));
        }

        /** The ring state buffer {@code v} is, refusing anything else. */
        private int ringOperand(Eqn e, Var v) {
            Integer k = stateOf.get(v.id());
            if (k == null || rows[k] < 2) {
                throw unsupported(e, "only rings that are a state buffer of the step");
            }
            return k;
        }

        private void requireStepIndex(Eqn e, Var v, Var tVar) {
            if (v.id() != tVar.id()) {
                throw unsupported(e, "only rings indexed by the step index");
            }
        }

        private KValue unary(Unary.Kind kind, KValue a, boolean lane) {
            return switch (kind) {
                case NEG -> b.neg(a);
                case ABS -> b.abs(a);
                case SQRT -> b.sqrt(a);
                case EXP -> inFloat64(KInstr.UnaryKind.EXP, a);
                case LOG -> inFloat64(KInstr.UnaryKind.LOG, a);
                case SQUARE -> lane ? b.fma(a, a, b.constF(type, -0.0)) : b.mul(a, a);
                case SIGN -> b.unary(KInstr.UnaryKind.SIGN, a);
                case RECIPROCAL -> b.unary(KInstr.UnaryKind.RECIPROCAL, a);
            };
        }

        private KValue inFloat64(KInstr.UnaryKind kind, KValue a) {
            return b.convert(type, b.unary(kind, b.convert(KType.F64, a)));
        }

        private KValue binary(Binary.Kind kind, Eqn e, boolean lane, Var xVar) {
            KValue a0 = operand(e.ins().get(0), xVar);
            KValue a1 = operand(e.ins().get(1), xVar);
            return switch (kind) {
                case ADD -> {
                    if (lane) {
                        Var first = singleUseProduct(e.ins().get(0));
                        Var fused = first != null ? first : singleUseProduct(e.ins().get(1));
                        if (fused != null && !values.get(fused.id()).lane()) {
                            Product m = products.get(fused.id());
                            yield b.fma(m.a(), m.b(), fused == first ? a1 : a0);
                        }
                    }
                    yield b.add(a0, a1);
                }
                case SUB -> b.sub(a0, a1);
                case MUL -> b.mul(a0, a1);
                case DIV -> b.div(a0, a1);
                case MAX -> b.max(a0, a1);
                case MIN -> b.min(a0, a1);
                case POW -> b.convert(type, b.binary(KInstr.BinaryKind.POW, b.convert(KType.F64, a0), b.convert(KType.F64, a1)));
            };
        }

        /**
         * {@code v} when it is a slice-shaped product used once, the operand an add fuses (the first such one);
         * a uniform one is fused here, a lane one is left to the contraction pass.
         */
        private Var singleUseProduct(Var v) {
            return products.containsKey(v.id()) && uses.get(v.id()) == 1 ? v : null;
        }

        private KValue paramAtStep(int slot) {
            perStep[slot] = true;
            return read(slot, b.min(t(), last(slot)));
        }

        private KValue paramElement(int slot, int index) {
            exact[slot] = Math.max(exact[slot], index + 1);
            return read(slot, b.min(b.constI(KType.I64, index), last(slot)));
        }

        /** The index of a parameter slot's last entry, as i64. */
        private KValue last(int slot) {
            if (one == null) {
                one = b.constI(KType.I64, 1);
            }
            return b.sub(b.length(param[slot]), one);
        }

        /** The i32 index 0, shared by every access of element 0. */
        private KValue zero() {
            if (zero == null) {
                zero = b.index(0);
            }
            return zero;
        }

        private KValue read(int slot, KValue at) {
            return b.convert(type, b.load(param[slot], b.convert(KType.I32, at)));
        }

        private KValue t() {
            if (t == null) {
                t = b.arg(StepKir.T);
            }
            return t;
        }

        private KValue operand(Var v, Var xVar) {
            KValue known = values.get(v.id());
            if (known != null) {
                return known;
            }
            Integer slot = paramOf.get(v.id());
            Integer buffer = stateOf.get(v.id());
            KValue loaded;
            if (slot != null && v.type().rank() == 0) {
                exact[slot] = Math.max(exact[slot], 1);
                loaded = b.convert(type, b.load(param[slot], zero()));
            } else if (buffer != null) {
                if (rows[buffer] > 1) {
                    throw new StreamfoldException("cannot fuse the step into a streaming step kernel: ring state buffer "
                            + buffer + " is read other than by ring_dot");
                }
                loaded = b.load(state[buffer], zero());
            } else if (v.id() == xVar.id()) {
                loaded = b.load(x, zero());
            } else {
                throw new IllegalStateException("value " + v + " is neither computed nor a streamed input");
            }
            values.put(v.id(), loaded);
            return loaded;
        }
    }

    private static StreamfoldException unsupported(Eqn e, String what) {
        return new StreamfoldException(
                "cannot fuse " + e.op().name() + " into a streaming step kernel (" + what + " are not supported there)");
    }
}
