package dev.streamfold.compiler.batched;

import dev.streamfold.ir.DType;
import dev.streamfold.ir.Jvp;
import dev.streamfold.ir.Program;
import dev.streamfold.ir.ProgramBuilder;
import dev.streamfold.ir.StreamfoldException;
import dev.streamfold.ir.TriangularSolve;
import dev.streamfold.ir.Type;
import dev.streamfold.ir.Var;
import dev.streamfold.ir.linalg.LinalgOp;
import java.util.ArrayList;
import java.util.List;

/**
 * A decomposition or solve at a static shape, as a batched kernel: the op's program over a batch axis, or
 * its JVP program ({@code jvp}), which takes the inputs then their tangents ({@code dA}, {@code dB}) and
 * returns the outputs then the tangents of the floating outputs ({@code dlu}, {@code dq}, ...). {@code m x n}
 * is A's shape; for triangular_solve A is {@code n x n} and B has {@code rhs} columns (left side) or rows.
 */
public record LinalgKernel(LinalgOp op, int m, int n, int rhs, DType dtype, boolean jvp) {
    /** The largest matrix side a kernel is compiled for. */
    public static final int MAX_SIDE = 32;

    /** The batch extent the program is built at; the kernel runs any batch. */
    public static final int BUILD_BATCH = 2;

    public LinalgKernel {
        if (!dtype.isFloating()) {
            throw new StreamfoldException(op.name() + ": kernels are float32 or float64, got " + dtype.longName());
        }
        for (int d : new int[] {m, n, rhs}) {
            if (d < 1 || d > MAX_SIDE) {
                throw new StreamfoldException(op.name() + ": matrix sides must be in [1, " + MAX_SIDE + "], got " + m + "x" + n
                        + (op.op() instanceof TriangularSolve ? " with " + rhs + " right-hand sides" : ""));
            }
        }
        if (op.op() instanceof TriangularSolve && m != n) {
            throw new StreamfoldException("triangular_solve: A must be square, got " + m + "x" + n);
        }
    }

    /** A one-input op of {@code m x n} matrices. */
    public static LinalgKernel of(LinalgOp op, int m, int n, DType dtype, boolean jvp) {
        return new LinalgKernel(op, m, n, n, dtype, jvp);
    }

    /** A readable, unique name: op, set flags, dtype, shape, and {@code _jvp}; e.g. {@code qr_full_f32_8x8_jvp}. */
    public String name() {
        StringBuilder flags = new StringBuilder();
        for (String kv : op.op().attributes().split(" ")) {
            if (kv.endsWith("=true")) {
                flags.append('_').append(kv, 0, kv.length() - "=true".length());
            }
        }
        String shape = m + "x" + n + (op.op() instanceof TriangularSolve ? "_rhs" + rhs : "");
        return op.name() + flags + "_" + dtype.shortName() + "_" + shape + (jvp ? "_jvp" : "");
    }

    /** The item type (no batch axis) of each input, in program order. */
    public List<Type> inputItemTypes() {
        List<Type> t = new ArrayList<>();
        t.add(Type.of(dtype, m, n));
        if (op.op() instanceof TriangularSolve ts) {
            t.add(ts.leftSide() ? Type.of(dtype, n, rhs) : Type.of(dtype, rhs, n));
        }
        return t;
    }

    /** The program (built at batch extent {@link #BUILD_BATCH}) and the names of its inputs and outputs, in order. */
    public Named program() {
        return program(BUILD_BATCH);
    }

    /** The program over {@code batch} items; the kernel compiled from it runs any batch. */
    public Named program(int batch) {
        ProgramBuilder b = new ProgramBuilder();
        List<Var> params = new ArrayList<>();
        for (Type t : inputItemTypes()) {
            params.add(b.param(t.withShape(t.shape().prepend(batch))));
        }
        Program primal = b.build(b.emit(op.op(), params));
        if (!jvp) {
            return new Named(primal, op.inputs(), op.outputs());
        }
        boolean[] all = new boolean[params.size()];
        java.util.Arrays.fill(all, true);
        Jvp.Result r = Jvp.transform(primal, all, null);
        List<String> ins = new ArrayList<>(op.inputs());
        for (String i : op.inputs()) {
            ins.add("d" + i);
        }
        List<String> outs = new ArrayList<>(op.outputs());
        for (int i = 0; i < op.outputs().size(); i++) {
            if (r.nonZeroOut()[i]) {
                outs.add("d" + op.outputs().get(i));
            }
        }
        return new Named(r.program(), ins, outs);
    }

    /** A program with names for its parameters and results. */
    public record Named(Program program, List<String> inputs, List<String> outputs) {
        public Named {
            inputs = List.copyOf(inputs);
            outputs = List.copyOf(outputs);
        }
    }
}
