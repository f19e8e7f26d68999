package dev.streamfold.compiler.passes;

import dev.streamfold.compiler.kernel.KOp;
import dev.streamfold.compiler.kernel.KStmt;
import dev.streamfold.compiler.kernel.StepKernelIr;
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
import dev.streamfold.ir.Var;
import dev.streamfold.ir.stream.StepProgram;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Lowers a step program to one fused kernel: values of rank 0 (computed from the step index and
 * parameters) become per-step scalars; values shaped like the slice become lanes of one loop body.
 */
public final class LowerStepToKernel {
    private LowerStepToKernel() {}

    public static StepKernelIr run(StepProgram step) {
        Program p = step.program();
        int np = step.numParams();
        int ns = step.numState();
        List<KStmt> prologue = new ArrayList<>();
        List<KStmt> body = new ArrayList<>();
        Map<Integer, Integer> ids = new HashMap<>();
        Map<Integer, Integer> paramOf = new HashMap<>();
        int[] next = {0};
        for (int i = 0; i < np; i++) {
            Var v = p.params().get(i);
            paramOf.put(v.id(), i);
            if (v.type().rank() == 0) {
                ids.put(v.id(), add(prologue, next, new KOp.ParamScalar(i)));
            }
        }
        Var tVar = step.stepIndexParam();
        Var xVar = p.params().get(np + ns + 1);
        Map<Integer, Integer> constantIndex = new HashMap<>();
        Map<Integer, Integer> lazyLoads = new HashMap<>();
        for (int k = 0; k < ns; k++) {
            lazyLoads.put(p.params().get(np + k).id(), k);
        }
        for (Eqn e : p.eqns()) {
            Var out = e.outs().get(0);
            boolean lane = out.type().rank() > 0;
            KOp op = switch (e.op()) {
                case TakeClipped t -> {
                    Integer param = paramOf.get(e.ins().get(0).id());
                    Integer index = constantIndex.get(e.ins().get(1).id());
                    if (param == null || e.ins().get(0).type().rank() != 1
                            || (e.ins().get(1).id() != tVar.id() && index == null)) {
                        throw unsupported(e, "only 1-D parameters read at the step index or at a constant index");
                    }
                    yield index == null ? new KOp.ParamAtStep(param) : new KOp.ParamElement(param, index);
                }
                case Constant c -> {
                    if (c.value().size() != 1 || lane) {
                        throw unsupported(e, "array constants are not streamed");
                    }
                    if (c.value().dtype() == DType.I32) {
                        constantIndex.put(out.id(), (int) c.value().item());
                    }
                    yield new KOp.ScalarConst(c.value().item());
                }
                case Broadcast b -> {
                    if (e.ins().get(0).type().rank() != 0) {
                        throw unsupported(e, "only scalars are broadcast over the slice");
                    }
                    yield new KOp.Splat(operand(e.ins().get(0), ids, lazyLoads, body, next, xVar));
                }
                case Unary u -> lane
                        ? new KOp.LaneUnary(u.kind(), operand(e.ins().get(0), ids, lazyLoads, body, next, xVar))
                        : new KOp.ScalarUnary(u.kind(), operand(e.ins().get(0), ids, lazyLoads, body, next, xVar));
                case Binary b -> {
                    int a0 = operand(e.ins().get(0), ids, lazyLoads, body, next, xVar);
                    int a1 = operand(e.ins().get(1), ids, lazyLoads, body, next, xVar);
                    yield lane ? new KOp.LaneBinary(b.kind(), a0, a1) : new KOp.ScalarBinary(b.kind(), a0, a1);
                }
                case Compare c -> throw unsupported(e, "comparisons");
                case Select s -> throw unsupported(e, "selects");
                case Convert c -> throw unsupported(e, "conversions");
                case Reshape r -> throw unsupported(e, "reshapes");
                case Reduce r -> throw unsupported(e, "reductions");
                case Iota i -> throw unsupported(e, "iota");
                case Transpose t -> throw unsupported(e, "transposes");
                case MatMul m -> throw unsupported(e, "matrix products");
                case Slice s -> throw unsupported(e, "slices");
                case Concatenate c -> throw unsupported(e, "concatenation");
                case Scan s -> throw unsupported(e, "nested scans");
                case GatherRows g -> throw unsupported(e, "row gathers");
                case Triangle t -> throw unsupported(e, "triangle masks");
                case DiagPart d -> throw unsupported(e, "diagonal extractions");
                case DiagEmbed d -> throw unsupported(e, "diagonal embeddings");
                case TriangularSolve t -> throw unsupported(e, "triangular solves");
                case Cholesky c -> throw unsupported(e, "Cholesky factorizations");
                case Lu l -> throw unsupported(e, "LU factorizations");
                case Qr q -> throw unsupported(e, "QR decompositions");
                case Svd s -> throw unsupported(e, "singular value decompositions");
                case Eigh h -> throw unsupported(e, "eigendecompositions");
                case DerivativeGuard g -> throw unsupported(e, "derivative guards");
            };
            ids.put(out.id(), add(lane ? body : prologue, next, op));
        }
        // Every load precedes every store, so a buffer is read before it is overwritten.
        List<Var> results = p.results();
        int[] values = new int[ns + 1];
        for (int k = 0; k <= ns; k++) {
            values[k] = operand(results.get(k), ids, lazyLoads, body, next, xVar);
        }
        for (int k = 0; k < ns; k++) {
            add(body, next, new KOp.StoreState(k, values[k]));
        }
        add(body, next, new KOp.StoreY(values[ns]));
        return new StepKernelIr(p.params().get(np + ns + 1).type().dtype(), np, ns, prologue, body);
    }

    private static int operand(Var v, Map<Integer, Integer> ids, Map<Integer, Integer> lazyLoads, List<KStmt> body,
            int[] next, Var x) {
        Integer id = ids.get(v.id());
        if (id != null) {
            return id;
        }
        Integer buffer = lazyLoads.get(v.id());
        KOp load = buffer != null ? new KOp.LoadState(buffer) : v.id() == x.id() ? new KOp.LoadX() : null;
        if (load == null) {
            throw new IllegalStateException("value " + v + " is neither computed nor a streamed input");
        }
        int id2 = add(body, next, load);
        ids.put(v.id(), id2);
        return id2;
    }

    private static int add(List<KStmt> list, int[] next, KOp op) {
        int id = next[0]++;
        list.add(new KStmt(id, op));
        return id;
    }

    private static StreamfoldException unsupported(Eqn e, String what) {
        return new StreamfoldException(
                "cannot fuse " + e.op().name() + " into a streaming step kernel (" + what + " are not supported there)");
    }
}
