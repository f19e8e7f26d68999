package dev.streamfold.tests;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.streamfold.compiler.batched.BatchedBackend;
import dev.streamfold.compiler.batched.BatchedExecution;
import dev.streamfold.ir.DType;
import dev.streamfold.ir.Interpreter;
import dev.streamfold.ir.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Batched decomposition kernels in float64, on the Vector API and LLVM host backends, against the interpreter on
 * the same program: every op and option (lu square, wide and tall; cholesky with and without symmetrizing; qr
 * reduced and full, square, tall and wide; eigh from either triangle, symmetrized or not; svd full, reduced and
 * values only, tall and wide; all 16 flag sets of triangular_solve), primal and JVP. Floating outputs agree
 * within 1e-10 of each output's largest entry, integer outputs (pivots, permutations) exactly. In float32 the
 * same ops satisfy their defining identities ({@link LinalgIdentities}) within a small multiple of n eps ||A||,
 * and their pivots and permutations equal the interpreter's; float32 JVPs of lu, cholesky and triangular_solve
 * are close to the float64 interpreter's.
 */
class BatchedLinalgKernelTest {
    /** Lanes plus one, so that the last lane group is partial. */
    static final int BATCH = DoubleVector.SPECIES_PREFERRED.length() + 1;

    static Stream<Arguments> variants() {
        List<Arguments> a = new ArrayList<>();
        for (LinalgBatchCases.Case c : LinalgBatchCases.all()) {
            for (boolean jvp : new boolean[] {false, true}) {
                for (BatchedBackend backend : BatchedBackend.values()) {
                    a.add(Arguments.of(new LinalgBatchCases.Variant(c, DType.F64, jvp), backend));
                }
            }
        }
        return a.stream();
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("variants")
    void float64KernelEqualsTheInterpreter(LinalgBatchCases.Variant v, BatchedBackend backend) {
        List<Tensor> args = v.inputs(BATCH, 17);
        List<Tensor> want = Interpreter.run(v.program(BATCH), args);
        BatchedExecution.Result got = LinalgBatchCases.run(v, backend, args, 1);
        assertArrayEquals(new int[BATCH], got.status(), v.name() + " status");
        List<String> names = v.outputNames();
        assertEquals(want.size(), got.outputs().size(), v.name() + " outputs");
        for (int i = 0; i < want.size(); i++) {
            assertClose(want.get(i), got.outputs().get(i), 1e-10, v.name() + " on " + backend + ": " + names.get(i));
        }
    }

    static Stream<Arguments> float32Variants() {
        List<Arguments> a = new ArrayList<>();
        for (LinalgBatchCases.Case c : LinalgBatchCases.all()) {
            for (BatchedBackend backend : BatchedBackend.values()) {
                a.add(Arguments.of(new LinalgBatchCases.Variant(c, DType.F32, false), backend));
            }
        }
        return a.stream();
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("float32Variants")
    void float32KernelSatisfiesTheIdentities(LinalgBatchCases.Variant v, BatchedBackend backend) {
        int batch = FloatVector.SPECIES_PREFERRED.length() + 1;
        List<Tensor> args = v.inputs(batch, 23);
        List<Tensor> reference = Interpreter.run(v.program(batch), args);
        BatchedExecution.Result got = LinalgBatchCases.run(v, backend, args, 1);
        assertArrayEquals(new int[batch], got.status(), v.name() + " status");
        LinalgIdentities.check(v.c().uses(false), args, got.outputs(), reference, v.name() + " on " + backend);
    }

    static Stream<Arguments> float32JvpVariants() {
        List<Arguments> a = new ArrayList<>();
        for (LinalgBatchCases.Case c : List.of(LinalgBatchCases.lu(), LinalgBatchCases.cholesky(),
                LinalgBatchCases.triangularSolve())) {
            for (BatchedBackend backend : BatchedBackend.values()) {
                a.add(Arguments.of(new LinalgBatchCases.Variant(c, DType.F32, true), backend));
            }
        }
        return a.stream();
    }

    /**
     * Float32 JVP kernels of the direct factorizations against the float64 interpreter on the same (float32) inputs:
     * outputs and tangents within 1e-4 of each output's largest entry (these inputs are well conditioned), pivots
     * and permutations exactly.
     */
    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("float32JvpVariants")
    void float32JvpKernelIsCloseToTheFloat64Interpreter(LinalgBatchCases.Variant v, BatchedBackend backend) {
        int batch = FloatVector.SPECIES_PREFERRED.length() + 1;
        List<Tensor> args = v.inputs(batch, 31);
        List<Tensor> wide = args.stream().map(t -> new Tensor(DType.F64, t.shape(), t.raw())).toList();
        List<Tensor> want = Interpreter.run(new LinalgBatchCases.Variant(v.c(), DType.F64, true).program(batch), wide);
        BatchedExecution.Result got = LinalgBatchCases.run(v, backend, args, 1);
        assertArrayEquals(new int[batch], got.status(), v.name() + " status");
        List<String> names = v.outputNames();
        for (int i = 0; i < want.size(); i++) {
            Tensor g = got.outputs().get(i);
            assertClose(want.get(i), new Tensor(want.get(i).dtype(), g.shape(), g.raw()), 1e-4,
                    v.name() + " on " + backend + ": " + names.get(i));
        }
    }

    /** Equal shapes; entries within {@code tolerance} times the largest entry of {@code want} (integers exactly). */
    static void assertClose(Tensor want, Tensor got, double tolerance, String what) {
        assertEquals(want.shape(), got.shape(), what + " shape");
        double scale = Double.MIN_NORMAL;
        for (double x : want.raw()) {
            scale = Math.max(scale, Math.abs(x));
        }
        double bound = want.dtype().isFloating() ? tolerance * scale : 0;
        double[] w = want.raw();
        double[] g = got.raw();
        for (int i = 0; i < w.length; i++) {
            if (!(Math.abs(w[i] - g[i]) <= bound)) {
                throw new AssertionError(what + ": element " + i + " is " + g[i] + ", want " + w[i] + " (within " + bound + ")");
            }
        }
    }
}
