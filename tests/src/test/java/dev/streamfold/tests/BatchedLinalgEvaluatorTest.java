package dev.streamfold.tests;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.streamfold.compiler.batched.BatchedBackend;
import dev.streamfold.compiler.batched.BatchedExecution;
import dev.streamfold.ir.DType;
import dev.streamfold.ir.Tensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The kernel-IR evaluator, the reference semantics of kernel IR v2, agrees bit for bit with the Vector API and
 * LLVM host backends on the compiled linear-algebra kernels: the same optimized kernel on the same inputs, every
 * op family in float64 (primal and JVP) and float32, over a batch whose last lane group is partial.
 */
class BatchedLinalgEvaluatorTest {
    static Stream<Arguments> variants() {
        List<Arguments> a = new ArrayList<>();
        for (LinalgBatchCases.Case c : LinalgBatchCases.all()) {
            for (LinalgBatchCases.Variant v : List.of(new LinalgBatchCases.Variant(c, DType.F64, false),
                    new LinalgBatchCases.Variant(c, DType.F64, true), new LinalgBatchCases.Variant(c, DType.F32, false))) {
                for (BatchedBackend backend : BatchedBackend.values()) {
                    a.add(Arguments.of(v, backend));
                }
            }
        }
        return a.stream();
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("variants")
    void backendEqualsTheEvaluatorBitForBit(LinalgBatchCases.Variant v, BatchedBackend backend) {
        int batch = (v.dtype() == DType.F32 ? FloatVector.SPECIES_PREFERRED.length()
                : DoubleVector.SPECIES_PREFERRED.length()) + 3;
        List<Tensor> args = v.inputs(batch, 41);
        BatchedExecution.Result want = LinalgBatchCases.evaluate(LinalgBatchCases.compiled(v), args);
        BatchedExecution.Result got = LinalgBatchCases.run(v, backend, args, 1);
        String what = v.name() + " on " + backend;
        assertArrayEquals(want.status(), got.status(), what + ": status");
        List<String> names = v.outputNames();
        assertEquals(want.outputs().size(), got.outputs().size(), what);
        for (int i = 0; i < want.outputs().size(); i++) {
            long[] w = bits(want.outputs().get(i));
            long[] g = bits(got.outputs().get(i));
            for (int j = 0; j < w.length; j++) {
                if (w[j] != g[j]) {
                    throw new AssertionError(what + ": " + names.get(i) + " element " + j + " is "
                            + got.outputs().get(i).raw()[j] + ", the evaluator's " + want.outputs().get(i).raw()[j]);
                }
            }
        }
    }

    private static long[] bits(Tensor t) {
        return Arrays.stream(t.raw()).mapToLong(Double::doubleToLongBits).toArray();
    }
}
