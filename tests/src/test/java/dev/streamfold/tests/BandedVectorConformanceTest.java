package dev.streamfold.tests;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.streamfold.compiler.KernelEval;
import dev.streamfold.compiler.kir.KInstr;
import dev.streamfold.compiler.lower.StepKir;
import dev.streamfold.compiler.vector.VectorKernels;
import dev.streamfold.ir.DType;
import dev.streamfold.ir.Shape;
import dev.streamfold.ir.Tensor;
import dev.streamfold.ir.stream.Bindings;
import dev.streamfold.ir.stream.ParamLayout;
import dev.streamfold.ir.stream.StreamingEval;
import dev.streamfold.ir.stream.StreamingEval.Query;
import dev.streamfold.ir.stream.StreamingMatrix;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** BLT and banded kernels: long horizons, named parameters, per-buffer parameter reads, fusion. */
class BandedVectorConformanceTest {
    static Stream<String> expressions() {
        return Stream.of(
                "blt(buf_decay=[0.5, 0.99, 0.9], output_scale=[0.2, 0.05, 0.1])",
                "inverse(blt(buf_decay=[0.5, 0.99, 0.9], output_scale=[0.2, 0.05, 0.1]))",
                "prefix_sum @ inverse(blt(buf_decay=[0.5, 0.99, 0.9], output_scale=[0.2, 0.05, 0.1]))",
                "inverse_params(blt(buf_decay=[0.5, 0.99, 0.9], output_scale=[0.2, 0.05, 0.1])) @ momentum_sgd(0.9)",
                "inverse(inverse_params(blt(buf_decay=[0.9, 0.4], output_scale=[0.3, 0.2]))) * 2",
                "toeplitz_inverse(coef=[1, 0.5, 0.375], column_normalize_for_n=40) @ diagonal([1, 2])",
                "inverse(toeplitz_inverse(coef=[1, 0.5, 0.375], column_normalize_for_n=40))",
                "scale_rows_and_columns(toeplitz(coef=[1, -0.5, 0.25]), row=[2, 1], col=[0.5])",
                "inverse(toeplitz(coef=[2, 0.5]))",
                "prefix_sum @ inverse(column_normalized_banded(params=[[1, 0.5], [0.9, -0.4], [1.2, 0.6], [0.8, 0.2]]))",
                "column_normalized_banded(params=[[1, 0.5, 0.25], [0.9, -0.4, 0.3]]) @ diagonal([2, 1])");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("expressions")
    void longHorizonsMatchTheInterpreter(String expr) {
        StreamingMatrix m = OperatorTable.parse(expr);
        for (int n : new int[] {1, 2, 64, 512}) {
            for (DType dtype : new DType[] {DType.F64, DType.F32}) {
                Tensor want = StreamingEval.run(m, Bindings.NONE, Query.ROW_NORMS_SQUARED, null, n, dtype);
                Tensor got = KernelEval.run(m, Bindings.NONE, Query.ROW_NORMS_SQUARED, null, n, dtype, 1);
                OperatorTable.assertClose(want, got, dtype, expr + " n=" + n + " " + dtype);
            }
        }
        Tensor x = OperatorTable.random(new Random(expr.hashCode()), new Shape(70, 37));
        OperatorTable.assertClose(StreamingEval.run(m, Bindings.NONE, Query.MULTIPLY, x, 0, DType.F64),
                KernelEval.run(m, Bindings.NONE, Query.MULTIPLY, x, 0, DType.F64, 2), DType.F64, expr + " multiply");
    }

    @Test
    void namedBufferParametersAreKernelArguments() {
        StreamingMatrix named = OperatorTable.parse("prefix_sum @ inverse(blt(buf_decay=$theta, output_scale=$omega))");
        Bindings a = Bindings.NONE.with("theta", Tensor.vector(DType.F64, 0.5, 0.99, 0.9))
                .with("omega", Tensor.vector(DType.F64, 0.2, 0.05, 0.1));
        Bindings b = Bindings.NONE.with("theta", Tensor.vector(DType.F64, 0.7, 0.2, 0.95))
                .with("omega", Tensor.vector(DType.F64, 0.4, 0.3, 0.01));
        for (Bindings bind : List.of(a, b)) {
            Tensor want = StreamingEval.run(named, bind, Query.MATERIALIZE, null, 20, DType.F64);
            Tensor got = KernelEval.run(named, bind, Query.MATERIALIZE, null, 20, DType.F64, 1);
            OperatorTable.assertClose(want, got, DType.F64, "named " + bind);
        }
        KernelEval.Bound ba = KernelEval.bind(named, a, DType.F64);
        KernelEval.Bound bb = KernelEval.bind(named, b, DType.F64);
        assertTrue(ba.kernel().getClass() == bb.kernel().getClass(), "values are arguments, not baked in");
        assertArrayEquals(new double[] {0.99, 0.9, 0.5}, ba.params()[0], "sorted by decreasing buf_decay");
    }

    @Test
    void bufferCountIsStructureAndOnePassFusesTheComposition() {
        StreamingMatrix m = OperatorTable.parse(
                "prefix_sum @ inverse(blt(buf_decay=[0.9, 0.5], output_scale=[0.1, 0.2])) @ toeplitz(coef=[1, 0.5, 0.25])");
        var values = ParamLayout.of(m).bind(m, Bindings.NONE, DType.F32);
        var k = VectorKernels.lowerKir(m, values, DType.F32);
        assertTrue(k.stateCount() == 1 + 2 + 2, k.toString());
        Set<String> reads = constantReads(k);
        assertTrue(reads.containsAll(Set.of("param 0[2]", "param 1[1]", "param 2[1]")), reads + " in\n" + k);
    }

    /** The parameter elements {@code k} reads at constant indices, as {@code param P[I]}: {@code min(I, len - 1)}. */
    private static Set<String> constantReads(StepKir k) {
        Map<Integer, KInstr> defs = new HashMap<>();
        Set<String> reads = new TreeSet<>();
        for (KInstr i : k.kernel().body()) {
            if (i.dst() != null) {
                defs.put(i.dst().id(), i);
            }
            if (i instanceof KInstr.Binary min && min.kind() == KInstr.BinaryKind.MIN
                    && defs.get(min.a().id()) instanceof KInstr.ConstI index
                    && defs.get(min.b().id()) instanceof KInstr.Binary last
                    && defs.get(last.a().id()) instanceof KInstr.Length length) {
                reads.add("param " + k.paramOfBuffer(length.buffer()) + "[" + index.value() + "]");
            }
        }
        return reads;
    }
}
