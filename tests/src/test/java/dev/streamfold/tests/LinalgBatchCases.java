package dev.streamfold.tests;

import dev.streamfold.compiler.batched.BatchedBackend;
import dev.streamfold.compiler.batched.BatchedCompiler;
import dev.streamfold.compiler.batched.BatchedExecution;
import dev.streamfold.compiler.batched.LinalgKernel;
import dev.streamfold.compiler.kir.KBuffer;
import dev.streamfold.compiler.kir.Kernel;
import dev.streamfold.compiler.kir.KirEvaluator;
import dev.streamfold.ir.DType;
import dev.streamfold.ir.Jvp;
import dev.streamfold.ir.Program;
import dev.streamfold.ir.ProgramBuilder;
import dev.streamfold.ir.Shape;
import dev.streamfold.ir.Tensor;
import dev.streamfold.ir.Type;
import dev.streamfold.ir.Var;
import dev.streamfold.ir.linalg.LinalgOp;
import dev.streamfold.runtime.batched.BatchedKernel;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Batched linear-algebra programs shared by the batched-kernel tests: each {@link Case} puts several
 * decompositions of one family (every option, several shapes) into one program over a batch axis, so that one
 * compiled kernel covers them all; kernels are compiled once per JVM and loaded once per backend. Inputs are
 * made where each op is defined and well conditioned.
 */
final class LinalgBatchCases {
    private LinalgBatchCases() {}

    /** How an input matrix is made. */
    enum Input {
        /** Random with a dominant diagonal of alternating sign: distinct, unambiguous pivots. */
        DOMINANT,
        /** Symmetric positive definite. */
        SPD,
        /** Symmetric with well-separated eigenvalues, plus a small asymmetric part so each triangle matters. */
        SYMMETRIC,
        /** Uniform in [-1, 1). */
        RANDOM
    }

    /** One op applied to parameters {@code params} of a case; {@code differentiable}: also in the JVP program. */
    record Use(LinalgOp op, List<Integer> params, boolean differentiable) {
        Use {
            params = List.copyOf(params);
        }

        Use(LinalgOp op, List<Integer> params) {
            this(op, params, true);
        }
    }

    /** A family of ops over item-shaped parameters ({@code rows x cols} each, without the batch axis). */
    record Case(String family, List<int[]> shapes, List<Input> inputs, List<Use> uses) {
        Case {
            shapes = List.copyOf(shapes);
            inputs = List.copyOf(inputs);
            uses = List.copyOf(uses);
        }

        /** The uses in the program, or in the one a JVP program is made of. */
        List<Use> uses(boolean jvp) {
            return uses.stream().filter(u -> !jvp || u.differentiable()).toList();
        }

        /** The program over {@code batch} items in {@code dtype}: the parameters, then every use's outputs in order. */
        Program program(DType dtype, int batch, boolean jvp) {
            ProgramBuilder b = new ProgramBuilder();
            List<Var> params = new ArrayList<>();
            for (int[] s : shapes) {
                params.add(b.param(Type.of(dtype, batch, s[0], s[1])));
            }
            List<Var> results = new ArrayList<>();
            for (Use u : uses(jvp)) {
                results.addAll(b.emit(u.op().op(), u.params().stream().map(params::get).toList()));
            }
            return b.build(results);
        }

        /** The names of the outputs, e.g. {@code 2:q} for output q of use 2. */
        List<String> outputNames(boolean jvp) {
            List<String> names = new ArrayList<>();
            List<Use> in = uses(jvp);
            for (int i = 0; i < in.size(); i++) {
                for (String o : in.get(i).op().outputs()) {
                    names.add(i + ":" + in.get(i).op().name() + "." + o);
                }
            }
            return names;
        }
    }

    /** A case's program, or its JVP program (inputs then tangents; outputs then the non-zero tangents). */
    record Variant(Case c, DType dtype, boolean jvp) {
        String name() {
            return c.family() + "_" + dtype.shortName() + (jvp ? "_jvp" : "");
        }

        Program program(int batch) {
            Program p = c.program(dtype, batch, jvp);
            if (!jvp) {
                return p;
            }
            boolean[] all = new boolean[p.params().size()];
            Arrays.fill(all, true);
            return Jvp.transform(p, all, null).program();
        }

        /** The primal outputs' names, then the tangents' (prefixed d). */
        List<String> outputNames() {
            List<String> names = new ArrayList<>(c.outputNames(jvp));
            if (jvp) {
                Program p = c.program(dtype, 1, true);
                boolean[] all = new boolean[p.params().size()];
                Arrays.fill(all, true);
                boolean[] nonZero = Jvp.transform(p, all, null).nonZeroOut();
                List<String> primal = c.outputNames(true);
                for (int i = 0; i < nonZero.length; i++) {
                    if (nonZero[i]) {
                        names.add("d" + primal.get(i));
                    }
                }
            }
            return names;
        }

        /** Random inputs (and tangents, for a JVP) over {@code batch} items, values representable in the dtype. */
        List<Tensor> inputs(int batch, long seed) {
            Random r = new Random(seed);
            List<Tensor> args = new ArrayList<>();
            for (int i = 0; i < c.shapes().size(); i++) {
                args.add(matrices(dtype, batch, c.shapes().get(i), c.inputs().get(i), r));
            }
            if (jvp) {
                for (int[] s : c.shapes()) {
                    args.add(matrices(dtype, batch, s, Input.RANDOM, r));
                }
            }
            return args;
        }
    }

    /** {@code batch} matrices of item shape {@code s} made as {@code how} says. */
    static Tensor matrices(DType dtype, int batch, int[] s, Input how, Random r) {
        int rows = s[0];
        int cols = s[1];
        double[] d = new double[batch * rows * cols];
        for (int item = 0; item < batch; item++) {
            double[][] a = matrix(rows, cols, how, r);
            for (int i = 0; i < rows; i++) {
                for (int j = 0; j < cols; j++) {
                    double v = a[i][j];
                    d[(item * rows + i) * cols + j] = dtype == DType.F32 ? (float) v : v;
                }
            }
        }
        return new Tensor(dtype, new Shape(batch, rows, cols), d);
    }

    static double[][] matrix(int rows, int cols, Input how, Random r) {
        double[][] a = new double[rows][cols];
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < cols; j++) {
                a[i][j] = r.nextDouble() * 2 - 1;
            }
        }
        switch (how) {
            case DOMINANT -> {
                for (int i = 0; i < Math.min(rows, cols); i++) {
                    a[i][i] += (i % 2 == 0 ? 1 : -1) * (Math.max(rows, cols) + 1);
                }
            }
            case SPD, SYMMETRIC -> {
                for (int i = 0; i < rows; i++) {
                    for (int j = 0; j < i; j++) {
                        double asym = how == Input.SYMMETRIC ? 0.1 * (r.nextDouble() - 0.5) : 0;
                        a[j][i] = a[i][j] + asym;
                    }
                    a[i][i] += how == Input.SPD ? rows + 1 : 3 * i;
                }
            }
            case RANDOM -> { }
        }
        return a;
    }

    static Case lu() {
        return new Case("lu", List.of(new int[] {4, 4}, new int[] {3, 5}, new int[] {5, 3}),
                List.of(Input.DOMINANT, Input.DOMINANT, Input.DOMINANT),
                List.of(new Use(LinalgOp.lu(), List.of(0)), new Use(LinalgOp.lu(), List.of(1)),
                        new Use(LinalgOp.lu(), List.of(2))));
    }

    static Case cholesky() {
        return new Case("cholesky", List.of(new int[] {4, 4}), List.of(Input.SPD),
                List.of(new Use(LinalgOp.cholesky(true), List.of(0)), new Use(LinalgOp.cholesky(false), List.of(0))));
    }

    static Case qr() {
        List<Use> uses = new ArrayList<>();
        for (int p = 0; p < 3; p++) {
            for (boolean full : new boolean[] {false, true}) {
                uses.add(new Use(LinalgOp.qr(full), List.of(p)));
            }
        }
        return new Case("qr", List.of(new int[] {3, 3}, new int[] {4, 3}, new int[] {3, 4}),
                List.of(Input.RANDOM, Input.RANDOM, Input.RANDOM), uses);
    }

    static Case eigh() {
        List<Use> uses = new ArrayList<>();
        for (boolean lower : new boolean[] {true, false}) {
            for (boolean symmetrize : new boolean[] {true, false}) {
                uses.add(new Use(LinalgOp.eigh(lower, symmetrize), List.of(0)));
            }
        }
        return new Case("eigh", List.of(new int[] {4, 4}), List.of(Input.SYMMETRIC), uses);
    }

    static Case svd() {
        List<Use> uses = new ArrayList<>();
        for (int p = 0; p < 2; p++) {
            // Full factors of a non-square matrix have no derivative (the complement is not unique).
            uses.add(new Use(LinalgOp.svd(true, true), List.of(p), false));
            uses.add(new Use(LinalgOp.svd(false, true), List.of(p)));
            uses.add(new Use(LinalgOp.svd(false, false), List.of(p)));
        }
        uses.add(new Use(LinalgOp.svd(true, true), List.of(2)));
        return new Case("svd", List.of(new int[] {4, 3}, new int[] {3, 4}, new int[] {3, 3}),
                List.of(Input.RANDOM, Input.RANDOM, Input.RANDOM), uses);
    }

    /** All 16 flag sets of triangular_solve on a 3x3 A and a 3x3 B (so that both sides fit). */
    static Case triangularSolve() {
        List<Use> uses = new ArrayList<>();
        for (int flags = 0; flags < 16; flags++) {
            uses.add(new Use(triangularSolve(flags), List.of(0, 1)));
        }
        return new Case("triangular_solve", List.of(new int[] {3, 3}, new int[] {3, 3}),
                List.of(Input.DOMINANT, Input.RANDOM), uses);
    }

    /** triangular_solve with bit 0 left side, bit 1 lower, bit 2 transpose A, bit 3 unit diagonal. */
    static LinalgOp triangularSolve(int flags) {
        return LinalgOp.triangularSolve((flags & 1) != 0, (flags & 2) != 0, (flags & 4) != 0, (flags & 8) != 0);
    }

    static List<Case> all() {
        return List.of(lu(), cholesky(), qr(), eigh(), svd(), triangularSolve());
    }

    private static final Map<String, BatchedCompiler.Compiled> COMPILED = new ConcurrentHashMap<>();
    private static final Map<String, BatchedKernel> LOADED = new ConcurrentHashMap<>();

    /** The variant's optimized kernel, compiled once per JVM. */
    static BatchedCompiler.Compiled compiled(Variant v) {
        return COMPILED.computeIfAbsent(v.name(), name -> {
            Program p = v.program(2);
            List<String> in = new ArrayList<>();
            for (int i = 0; i < p.params().size(); i++) {
                in.add("in" + i);
            }
            List<String> out = new ArrayList<>();
            for (int i = 0; i < p.results().size(); i++) {
                out.add("out" + i);
            }
            return BatchedCompiler.compile(name, p, in, out, BatchedCompiler.unrollBudget());
        });
    }

    /** The variant's kernel loaded for {@code backend}, once per JVM. */
    static BatchedKernel loaded(Variant v, BatchedBackend backend) {
        BatchedCompiler.Compiled c = compiled(v);
        return LOADED.computeIfAbsent(v.name() + "@" + backend.option(), k -> backend.load(c.kernel()));
    }

    /** A single op's kernel, compiled once per JVM, its buffers named as the op names its inputs and outputs. */
    static BatchedCompiler.Compiled compiled(LinalgKernel spec) {
        return COMPILED.computeIfAbsent("spec:" + spec.name(), name -> BatchedCompiler.compile(spec));
    }

    /** A single op's kernel loaded for {@code backend}, once per JVM. */
    static BatchedKernel loaded(LinalgKernel spec, BatchedBackend backend) {
        BatchedCompiler.Compiled c = compiled(spec);
        return LOADED.computeIfAbsent("spec:" + spec.name() + "@" + backend.option(), k -> backend.load(c.kernel()));
    }

    /** Runs the variant's kernel on {@code backend} through the runtime's batched runner. */
    static BatchedExecution.Result run(Variant v, BatchedBackend backend, List<Tensor> inputs, int threads) {
        return BatchedExecution.run(compiled(v), loaded(v, backend), inputs, threads);
    }

    /** Runs a single op's kernel on {@code backend} through the runtime's batched runner. */
    static BatchedExecution.Result run(LinalgKernel spec, BatchedBackend backend, List<Tensor> inputs, int threads) {
        return BatchedExecution.run(compiled(spec), loaded(spec, backend), inputs, threads);
    }

    /** Runs a compiled kernel in the kernel-IR evaluator: its outputs (with the batch axis) and statuses. */
    static BatchedExecution.Result evaluate(BatchedCompiler.Compiled c, List<Tensor> inputs) {
        Kernel k = c.kernel();
        int batch = inputs.get(0).shape().dim(0);
        double[][] storage = new double[k.buffers().size()][];
        for (int i = 0; i < storage.length; i++) {
            KBuffer b = k.buffers().get(i);
            storage[i] = b.role() == KBuffer.Role.SCRATCH ? null
                    : new double[b.role().batched() ? b.elements() * batch : Math.max(b.elements(), 0)];
        }
        for (int i = 0; i < inputs.size(); i++) {
            int at = buffer(k, c.inputs().get(i));
            int e = k.buffers().get(at).elements();
            double[] items = inputs.get(i).raw();
            for (int item = 0; item < batch; item++) {
                for (int j = 0; j < e; j++) {
                    storage[at][j * batch + item] = items[item * e + j];
                }
            }
        }
        KirEvaluator.run(k, storage, new double[k.args().size()], batch);
        List<Tensor> outs = new ArrayList<>();
        for (int i = 0; i < c.outputs().size(); i++) {
            int at = buffer(k, c.outputs().get(i));
            int e = k.buffers().get(at).elements();
            double[] items = new double[e * batch];
            for (int item = 0; item < batch; item++) {
                for (int j = 0; j < e; j++) {
                    items[item * e + j] = storage[at][j * batch + item];
                }
            }
            Type t = c.outputTypes().get(i);
            outs.add(new Tensor(t.dtype(), t.shape().prepend(batch), items));
        }
        int[] status = new int[batch];
        int s = buffer(k, "status");
        for (int item = 0; item < batch; item++) {
            status[item] = (int) storage[s][item];
        }
        return new BatchedExecution.Result(outs, status);
    }

    private static int buffer(Kernel k, String name) {
        for (int i = 0; i < k.buffers().size(); i++) {
            if (k.buffers().get(i).name().equals(name)) {
                return i;
            }
        }
        throw new IllegalStateException("kernel " + k.name() + " has no buffer " + name);
    }
}
