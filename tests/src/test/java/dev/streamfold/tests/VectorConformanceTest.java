package dev.streamfold.tests;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.streamfold.compiler.KernelEval;
import dev.streamfold.ir.DType;
import dev.streamfold.ir.Shape;
import dev.streamfold.ir.Tensor;
import dev.streamfold.ir.stream.Bindings;
import dev.streamfold.ir.stream.StreamingEval;
import dev.streamfold.ir.stream.StreamingEval.Query;
import dev.streamfold.ir.stream.StreamingMatrix;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The vector backend against the reference interpreter, for every operator and random compositions. */
class VectorConformanceTest {
    static Stream<Arguments> cases() {
        List<Arguments> a = new ArrayList<>();
        for (StreamingMatrix m : OperatorTable.all()) {
            for (DType d : new DType[] {DType.F64, DType.F32}) {
                a.add(Arguments.of(m.describe(), m, d));
            }
        }
        return a.stream();
    }

    @ParameterizedTest(name = "{0} {2}")
    @MethodSource("cases")
    void multiplyMatchesInterpreter(String name, StreamingMatrix m, DType dtype) {
        Random r = new Random(name.hashCode());
        for (int d : new int[] {1, 15, 16, 17}) {
            int n = 9;
            Tensor x = OperatorTable.random(r, new Shape(n, d));
            Tensor want = StreamingEval.run(m, Bindings.NONE, Query.MULTIPLY, x, 0, dtype);
            Tensor got = KernelEval.run(m, Bindings.NONE, Query.MULTIPLY, x, 0, dtype, 1);
            OperatorTable.assertClose(want, got, dtype, name + " d=" + d);
        }
    }

    @ParameterizedTest(name = "{0} {2}")
    @MethodSource("cases")
    void materializeAndRowNormsMatchInterpreter(String name, StreamingMatrix m, DType dtype) {
        for (Query q : new Query[] {Query.MATERIALIZE, Query.ROW_NORMS_SQUARED}) {
            Tensor want = StreamingEval.run(m, Bindings.NONE, q, null, 11, dtype);
            Tensor got = KernelEval.run(m, Bindings.NONE, q, null, 11, dtype, 1);
            OperatorTable.assertClose(want, got, dtype, name + " " + q);
        }
    }

    @Test
    void largeSliceWithTailIsBitIdenticalAcrossThreadCounts() {
        StreamingMatrix m = OperatorTable.compose3();
        Random r = new Random(3);
        Tensor x = OperatorTable.random(r, new Shape(4, 1_000_003));
        for (DType dtype : new DType[] {DType.F32, DType.F64}) {
            KernelEval.Bound b = KernelEval.bind(m, Bindings.NONE, dtype);
            Tensor one = KernelEval.multiply(b, x, dtype, 1);
            for (int threads : new int[] {2, 3}) {
                assertArrayEquals(one.raw(), KernelEval.multiply(b, x, dtype, threads).raw(), "threads=" + threads);
            }
            Tensor want = StreamingEval.run(m, Bindings.NONE, Query.MULTIPLY, x, 0, dtype);
            OperatorTable.assertClose(want, one, dtype, "compose3 d=1000003 " + dtype);
        }
    }

    /** Other test classes in this JVM may have compiled the structure already: at most one new class. */
    @Test
    void sameStructureReusesOneClass() {
        int before = dev.streamfold.compiler.vector.VectorKernels.cachedClasses();
        KernelEval.Bound a = KernelEval.bind(OperatorTable.parse("prefix_sum @ diagonal([1, 2, 3])"), Bindings.NONE,
                DType.F32);
        KernelEval.Bound b = KernelEval.bind(OperatorTable.parse("prefix_sum @ diagonal([4, 5])"), Bindings.NONE,
                DType.F32);
        assertSame(a.kernel(), b.kernel());
        assertTrue(dev.streamfold.compiler.vector.VectorKernels.cachedClasses() <= before + 1);
    }
}
