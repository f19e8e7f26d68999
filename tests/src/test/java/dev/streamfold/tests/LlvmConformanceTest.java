package dev.streamfold.tests;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import dev.streamfold.compiler.KernelEval;
import dev.streamfold.compiler.llvm.LlvmKernels;
import dev.streamfold.ir.DType;
import dev.streamfold.ir.Shape;
import dev.streamfold.ir.Tensor;
import dev.streamfold.ir.stream.Bindings;
import dev.streamfold.ir.stream.StreamingEval;
import dev.streamfold.ir.stream.StreamingEval.Query;
import dev.streamfold.ir.stream.StreamingMatrix;
import dev.streamfold.runtime.StreamingRunner;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The LLVM host backend against the reference interpreter for every operator and random compositions, and bit for
 * bit against the Vector API backend (both round every operation the same way).
 */
class LlvmConformanceTest {
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
    void multiplyMatchesInterpreterAndVectorBits(String name, StreamingMatrix m, DType dtype) {
        Random r = new Random(name.hashCode());
        KernelEval.Bound llvm = KernelEval.bind(LlvmKernels.LLVM, m, Bindings.NONE, dtype);
        KernelEval.Bound vector = KernelEval.bind(KernelEval.VECTOR, m, Bindings.NONE, dtype);
        for (int d : new int[] {1, 15, 16, 17}) {
            int n = 9;
            Tensor x = OperatorTable.random(r, new Shape(n, d));
            Tensor want = StreamingEval.run(m, Bindings.NONE, Query.MULTIPLY, x, 0, dtype);
            Tensor got = KernelEval.multiply(llvm, x, dtype, 1);
            OperatorTable.assertClose(want, got, dtype, name + " d=" + d);
            assertArrayEquals(KernelEval.multiply(vector, x, dtype, 1).raw(), got.raw(), name + " d=" + d);
        }
    }

    @ParameterizedTest(name = "{0} {2}")
    @MethodSource("cases")
    void queriesMatchInterpreter(String name, StreamingMatrix m, DType dtype) {
        Tensor x = OperatorTable.random(new Random(name.hashCode()), new Shape(11, 3));
        Tensor want = StreamingEval.run(m, Bindings.NONE, Query.MULTIPLY, x, 0, dtype);
        OperatorTable.assertClose(want, KernelEval.run(LlvmKernels.LLVM, m, Bindings.NONE, Query.MULTIPLY, x, 0,
                dtype, 1), dtype, name + " MULTIPLY");
        for (Query q : new Query[] {Query.MATERIALIZE, Query.ROW_NORMS_SQUARED}) {
            want = StreamingEval.run(m, Bindings.NONE, q, null, 11, dtype);
            Tensor got = KernelEval.run(LlvmKernels.LLVM, m, Bindings.NONE, q, null, 11, dtype, 1);
            OperatorTable.assertClose(want, got, dtype, name + " " + q);
            assertArrayEquals(KernelEval.run(KernelEval.VECTOR, m, Bindings.NONE, q, null, 11, dtype, 1).raw(),
                    got.raw(), name + " " + q);
        }
    }

    /** Large enough that the runner splits the slice across threads (at least two chunks). */
    @Test
    void largeSliceIsBitIdenticalAcrossThreadCountsAndBackends() {
        int d = 2 * StreamingRunner.CHUNK + 3;
        StreamingMatrix m = OperatorTable.compose3();
        Tensor x = OperatorTable.random(new Random(3), new Shape(4, d));
        for (DType dtype : new DType[] {DType.F32, DType.F64}) {
            KernelEval.Bound b = KernelEval.bind(LlvmKernels.LLVM, m, Bindings.NONE, dtype);
            Tensor one = KernelEval.multiply(b, x, dtype, 1);
            for (int threads : new int[] {2, 3}) {
                assertArrayEquals(one.raw(), KernelEval.multiply(b, x, dtype, threads).raw(), "threads=" + threads);
            }
            KernelEval.Bound vector = KernelEval.bind(KernelEval.VECTOR, m, Bindings.NONE, dtype);
            assertArrayEquals(KernelEval.multiply(vector, x, dtype, 2).raw(), one.raw(), "vector backend " + dtype);
            Tensor want = StreamingEval.run(m, Bindings.NONE, Query.MULTIPLY, x, 0, dtype);
            OperatorTable.assertClose(want, one, dtype, "compose3 d=" + d + " " + dtype);
        }
    }

    /** Step by step, in place (y is x), with three threads: the same bits as the whole scan. */
    @Test
    void inPlaceStepsEqualTheScan() {
        int d = 2 * StreamingRunner.CHUNK + 17;
        int n = 3;
        StreamingMatrix m = OperatorTable.compose3();
        Tensor x = OperatorTable.random(new Random(5), new Shape(n, d));
        KernelEval.Bound b = KernelEval.bind(LlvmKernels.LLVM, m, Bindings.NONE, DType.F64);
        double[] scan = KernelEval.multiply(b, x, DType.F64, 3).raw();
        double[] steps = new double[scan.length];
        try (Arena arena = Arena.ofShared();
                StreamingRunner runner = new StreamingRunner(b.kernel(), b.params(), d, 3)) {
            MemorySegment row = arena.allocate(8L * d, 64);
            for (int k = 0; k < n; k++) {
                MemorySegment.copy(x.raw(), k * d, row, ValueLayout.JAVA_DOUBLE, 0, d);
                runner.next(row, row);
                MemorySegment.copy(row, ValueLayout.JAVA_DOUBLE, 0, steps, k * d, d);
            }
        }
        assertArrayEquals(scan, steps);
    }
}
