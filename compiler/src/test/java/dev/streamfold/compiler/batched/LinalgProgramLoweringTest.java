package dev.streamfold.compiler.batched;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.streamfold.compiler.kir.KBuffer;
import dev.streamfold.compiler.kir.KirEvaluator;
import dev.streamfold.compiler.kir.Kernel;
import dev.streamfold.compiler.lower.LowerProgram;
import dev.streamfold.compiler.lower.LoweredProgram;
import dev.streamfold.ir.DType;
import dev.streamfold.ir.Interpreter;
import dev.streamfold.ir.Tensor;
import dev.streamfold.ir.Type;
import dev.streamfold.ir.linalg.LinalgOp;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every decomposition's program and JVP program, lowered over the batch axis and run in the kernel-IR evaluator,
 * against the interpreter on the same program: float64 within 1e-10 relative to each output's largest entry.
 */
class LinalgProgramLoweringTest {
    static Stream<LinalgKernel> kernels() {
        List<LinalgKernel> k = new ArrayList<>();
        for (boolean jvp : new boolean[] {false, true}) {
            k.add(LinalgKernel.of(LinalgOp.lu(), 4, 4, DType.F64, jvp));
            k.add(LinalgKernel.of(LinalgOp.lu(), 3, 5, DType.F64, jvp));
            k.add(LinalgKernel.of(LinalgOp.lu(), 5, 3, DType.F64, jvp));
            k.add(LinalgKernel.of(LinalgOp.cholesky(true), 4, 4, DType.F64, jvp));
            k.add(LinalgKernel.of(LinalgOp.qr(false), 4, 4, DType.F64, jvp));
            k.add(LinalgKernel.of(LinalgOp.qr(false), 5, 3, DType.F64, jvp));
            k.add(LinalgKernel.of(LinalgOp.qr(true), 5, 3, DType.F64, jvp));
            k.add(LinalgKernel.of(LinalgOp.eigh(true, true), 4, 4, DType.F64, jvp));
            k.add(LinalgKernel.of(LinalgOp.svd(false, true), 4, 3, DType.F64, jvp));
            k.add(LinalgKernel.of(LinalgOp.svd(true, true), 3, 3, DType.F64, jvp));
            k.add(LinalgKernel.of(LinalgOp.svd(false, false), 3, 4, DType.F64, jvp));
            for (int flags = 0; flags < 16; flags += 5) {
                k.add(new LinalgKernel(LinalgOp.triangularSolve((flags & 1) != 0, (flags & 2) != 0, (flags & 4) != 0,
                        (flags & 8) != 0), 4, 4, 2, DType.F64, jvp));
            }
        }
        return k.stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("kernels")
    void loweredProgramEqualsTheInterpreter(LinalgKernel spec) {
        LoweredProgram lp = LowerProgram.lower(spec.name(), spec.program().program());
        for (int batch : new int[] {1, 3}) {
            LinalgKernel.Named named = spec.program(batch);
            List<Tensor> args = inputs(spec, named, batch, new Random(batch));
            List<Tensor> want = Interpreter.run(named.program(), args);
            int[] status = new int[batch];
            List<Tensor> got = run(lp, args, batch, status);
            assertEquals(0, java.util.Arrays.stream(status).max().getAsInt(), spec.name() + " status");
            for (int i = 0; i < want.size(); i++) {
                assertClose(want.get(i), got.get(i), 1e-10, spec.name() + " output " + named.outputs().get(i));
            }
        }
    }

    /** Inputs each op is defined at: symmetric positive definite, diagonally dominant, distinct spectra. */
    static List<Tensor> inputs(LinalgKernel spec, LinalgKernel.Named named, int batch, Random r) {
        List<Tensor> args = new ArrayList<>();
        for (int i = 0; i < named.program().params().size(); i++) {
            Type t = named.program().params().get(i).type();
            int rows = t.shape().dim(t.rank() - 2);
            int cols = t.shape().dim(t.rank() - 1);
            double[] d = new double[Math.toIntExact(t.shape().size())];
            for (int j = 0; j < d.length; j++) {
                d[j] = r.nextDouble() * 2 - 1;
            }
            boolean tangent = i >= spec.inputItemTypes().size();
            if (!tangent && i == 0) {
                for (int b = 0; b < batch; b++) {
                    int at = b * rows * cols;
                    switch (spec.op().name()) {
                        case "cholesky", "eigh" -> {
                            for (int x = 0; x < rows; x++) {
                                for (int y = 0; y < x; y++) {
                                    d[at + y * cols + x] = d[at + x * cols + y];
                                }
                            }
                            if (spec.op().name().equals("cholesky")) {
                                for (int x = 0; x < rows; x++) {
                                    d[at + x * cols + x] += rows + 1;
                                }
                            } else {
                                for (int x = 0; x < rows; x++) {
                                    d[at + x * cols + x] += 3 * x;
                                }
                            }
                        }
                        case "triangular_solve", "lu" -> {
                            for (int x = 0; x < Math.min(rows, cols); x++) {
                                d[at + x * cols + x] += (x % 2 == 0 ? 1 : -1) * (cols + 1);
                            }
                        }
                        default -> { }
                    }
                }
            }
            args.add(new Tensor(t.dtype(), t.shape(), d));
        }
        return args;
    }

    /** Runs {@code lp}'s kernel in the evaluator on items in {@code args} (each with the batch axis). */
    static List<Tensor> run(LoweredProgram lp, List<Tensor> args, int batch, int[] status) {
        Kernel k = lp.kernel();
        double[][] storage = new double[k.buffers().size()][];
        for (int i = 0; i < storage.length; i++) {
            KBuffer b = k.buffers().get(i);
            storage[i] = b.role() == KBuffer.Role.SCRATCH ? null : new double[Math.max(b.elements(), 0) * batch];
        }
        for (int i = 0; i < args.size(); i++) {
            int buffer = lp.inputBuffers().get(i);
            int e = k.buffers().get(buffer).elements();
            double[] items = args.get(i).raw();
            for (int b = 0; b < batch; b++) {
                for (int j = 0; j < e; j++) {
                    storage[buffer][j * batch + b] = items[b * e + j];
                }
            }
        }
        KirEvaluator.run(k, storage, new double[k.args().size()], batch);
        List<Tensor> out = new ArrayList<>();
        for (int i = 0; i < lp.outputBuffers().size(); i++) {
            int buffer = lp.outputBuffers().get(i);
            int e = k.buffers().get(buffer).elements();
            Type item = lp.itemOutputTypes().get(i);
            double[] items = new double[e * batch];
            for (int b = 0; b < batch; b++) {
                for (int j = 0; j < e; j++) {
                    items[b * e + j] = storage[buffer][j * batch + b];
                }
            }
            out.add(new Tensor(item.dtype(), item.shape().prepend(batch), items));
        }
        for (int b = 0; b < batch; b++) {
            status[b] = (int) storage[lp.statusBuffer()][b];
        }
        return out;
    }

    static void assertClose(Tensor want, Tensor got, double tolerance, String what) {
        assertEquals(want.shape(), got.shape(), what);
        double scale = 1e-300;
        for (double x : want.raw()) {
            scale = Math.max(scale, Math.abs(x));
        }
        double[] w = want.raw();
        double[] g = got.raw();
        for (int i = 0; i < w.length; i++) {
            if (!(Math.abs(w[i] - g[i]) <= tolerance * scale)) {
                throw new AssertionError(what + ": element " + i + " want " + w[i] + " got " + g[i] + " (scale " + scale + ")");
            }
        }
    }
}
