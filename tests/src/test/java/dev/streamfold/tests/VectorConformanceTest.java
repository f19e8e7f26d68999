package dev.streamfold.tests;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

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

    @Test
    void multiLeafInputsRunOneKernelWithStatePerLeaf() {
        StreamingMatrix m = OperatorTable.compose3();
        Random r = new Random(11);
        List<Tensor> leaves = List.of(OperatorTable.random(r, new Shape(6, 3, 7)), OperatorTable.random(r, new Shape(6, 40)),
                OperatorTable.random(r, new Shape(6, 1)));
        List<Tensor> want = StreamingEval.multiplyLeaves(m, Bindings.NONE, leaves);
        KernelEval.Bound b = KernelEval.bind(m, Bindings.NONE, DType.F64);
        long[] lengths = leaves.stream().mapToLong(t -> t.size() / 6).toArray();
        try (java.lang.foreign.Arena arena = java.lang.foreign.Arena.ofShared();
                dev.streamfold.runtime.MultiLeafRunner runner = new dev.streamfold.runtime.MultiLeafRunner(
                        b.kernel(), b.params(), lengths, 2)) {
            List<java.lang.foreign.MemorySegment> xs = new ArrayList<>();
            List<java.lang.foreign.MemorySegment> ys = new ArrayList<>();
            for (Tensor leaf : leaves) {
                xs.add(arena.allocateFrom(java.lang.foreign.ValueLayout.JAVA_DOUBLE, leaf.raw()));
                ys.add(arena.allocate(leaf.size() * 8L));
            }
            for (int t = 0; t < 6; t++) {
                List<java.lang.foreign.MemorySegment> xt = new ArrayList<>();
                List<java.lang.foreign.MemorySegment> yt = new ArrayList<>();
                for (int i = 0; i < leaves.size(); i++) {
                    xt.add(xs.get(i).asSlice(t * lengths[i] * 8, lengths[i] * 8));
                    yt.add(ys.get(i).asSlice(t * lengths[i] * 8, lengths[i] * 8));
                }
                runner.next(xt, yt);
            }
            for (int i = 0; i < leaves.size(); i++) {
                double[] got = ys.get(i).toArray(java.lang.foreign.ValueLayout.JAVA_DOUBLE);
                OperatorTable.assertClose(want.get(i), new Tensor(DType.F64, leaves.get(i).shape(), got), DType.F64, "leaf " + i);
            }
        }
    }

    @Test
    void sameStructureReusesOneClass() {
        KernelEval.Bound a = KernelEval.bind(OperatorTable.parse("prefix_sum @ diagonal([1, 2, 3])"), Bindings.NONE, DType.F32);
        int after = dev.streamfold.compiler.vector.VectorKernels.cachedClasses();
        KernelEval.Bound b = KernelEval.bind(OperatorTable.parse("prefix_sum @ diagonal([4, 5])"), Bindings.NONE, DType.F32);
        assertEquals(after, dev.streamfold.compiler.vector.VectorKernels.cachedClasses());
        assertEquals(a.kernel().getClass(), b.kernel().getClass());
    }
}
