package dev.streamfold.tests;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.streamfold.compiler.batched.BatchedBackend;
import dev.streamfold.compiler.batched.BatchedExecution;
import dev.streamfold.compiler.batched.LinalgKernel;
import dev.streamfold.ir.DType;
import dev.streamfold.ir.Interpreter;
import dev.streamfold.ir.Shape;
import dev.streamfold.ir.Tensor;
import dev.streamfold.ir.linalg.LinalgOp;
import dev.streamfold.runtime.batched.BatchFailureException;
import dev.streamfold.runtime.batched.BatchResult;
import dev.streamfold.runtime.batched.BatchStatus;
import dev.streamfold.runtime.batched.BatchedArrays;
import dev.streamfold.runtime.batched.BatchedBuffer;
import dev.streamfold.runtime.batched.BatchedKernel;
import dev.streamfold.runtime.batched.BatchedRunner;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Batched lu and cholesky kernels through the runtime's {@link BatchedRunner} on both CPU backends: batches of 1,
 * lanes - 1, lanes, lanes + 1 and 100003 items are correct (float64 against the interpreter, float32 by the
 * identities), 1, 2 and 3 threads give bit-identical outputs, and singular, indefinite, non-finite and
 * derivative-less matrices inside a batch are flagged in the status output, named by {@link BatchResult} and
 * {@link BatchFailureException}, while the other matrices of the batch are correct.
 */
class BatchedRunnerLinalgTest {
    static final int LARGE = 100003;

    static Stream<Arguments> sizedKernels() {
        List<Arguments> a = new ArrayList<>();
        for (BatchedBackend backend : BatchedBackend.values()) {
            a.add(Arguments.of(LinalgKernel.of(LinalgOp.lu(), 8, 8, DType.F32, false), backend));
            a.add(Arguments.of(LinalgKernel.of(LinalgOp.cholesky(true), 8, 8, DType.F32, false), backend));
            a.add(Arguments.of(LinalgKernel.of(LinalgOp.lu(), 4, 4, DType.F64, false), backend));
            a.add(Arguments.of(LinalgKernel.of(LinalgOp.cholesky(false), 4, 4, DType.F64, false), backend));
        }
        return a.stream();
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("sizedKernels")
    void everyBatchSizeIsCorrectAndThreadCountsAgreeBitForBit(LinalgKernel spec, BatchedBackend backend) {
        int lanes = spec.dtype() == DType.F32 ? FloatVector.SPECIES_PREFERRED.length() : DoubleVector.SPECIES_PREFERRED.length();
        int[] batches = IntStream.of(1, lanes - 1, lanes, lanes + 1, LARGE).filter(b -> b >= 1).distinct().toArray();
        for (int batch : batches) {
            List<Tensor> args = List.of(input(spec, batch, new Random(batch)));
            BatchedExecution.Result got = LinalgBatchCases.run(spec, backend, args, 1);
            String what = spec.name() + " on " + backend + ", batch " + batch;
            assertEquals(-1, got.firstFailed(), what + ": the first failed item");
            // The interpreter checks every item of the small batches and a sample of the large one.
            List<Integer> sample = sample(batch);
            List<Tensor> sampled = args.stream().map(t -> items(t, sample)).toList();
            List<Tensor> outs = got.outputs().stream().map(t -> items(t, sample)).toList();
            List<Tensor> want = Interpreter.run(spec.program(sample.size()).program(), sampled);
            if (spec.dtype() == DType.F64) {
                for (int i = 0; i < want.size(); i++) {
                    BatchedLinalgKernelTest.assertClose(want.get(i), outs.get(i), 1e-10,
                            what + ": " + spec.op().outputs().get(i) + " of items " + sample);
                }
            } else {
                LinalgIdentities.check(List.of(new LinalgBatchCases.Use(spec.op(), List.of(0))), sampled, outs, want,
                        what + ", items " + sample);
            }
            if (batch == LARGE) {
                for (int threads : new int[] {2, 3}) {
                    BatchedExecution.Result other = LinalgBatchCases.run(spec, backend, args, threads);
                    assertArrayEquals(got.status(), other.status(), what + ", " + threads + " threads: status");
                    for (int i = 0; i < got.outputs().size(); i++) {
                        assertArrayEquals(bits(got.outputs().get(i)), bits(other.outputs().get(i)),
                                what + ", " + threads + " threads: " + spec.op().outputs().get(i) + " bit for bit");
                    }
                }
            }
        }
    }

    /** Every item of a batch of at most 256, else the first and last 128 lane groups' worth and every 997th item. */
    private static List<Integer> sample(int batch) {
        if (batch <= 256) {
            return IntStream.range(0, batch).boxed().toList();
        }
        return IntStream.range(0, batch).filter(i -> i < 128 || i >= batch - 128 || i % 997 == 0).boxed().toList();
    }

    /** A batch with bad items at chosen positions, and the status each must get. */
    record Faulty(LinalgKernel spec, Map<Integer, BatchStatus> bad) {
        @Override
        public String toString() {
            return spec.name() + " " + bad;
        }
    }

    static final int FAULTY_BATCH = 11;

    static Stream<Arguments> faultyBatches() {
        List<Faulty> f = List.of(
                new Faulty(LinalgKernel.of(LinalgOp.lu(), 4, 4, DType.F64, false),
                        Map.of(2, BatchStatus.ZERO_PIVOT, 7, BatchStatus.NON_FINITE_INPUT)),
                new Faulty(LinalgKernel.of(LinalgOp.lu(), 4, 4, DType.F64, true),
                        Map.of(2, BatchStatus.ZERO_PIVOT, 7, BatchStatus.NON_FINITE_INPUT)),
                new Faulty(LinalgKernel.of(LinalgOp.cholesky(true), 4, 4, DType.F64, false),
                        Map.of(3, BatchStatus.NOT_POSITIVE_DEFINITE, 10, BatchStatus.NON_FINITE_INPUT)),
                new Faulty(LinalgKernel.of(LinalgOp.eigh(true, true), 4, 4, DType.F64, true),
                        Map.of(0, BatchStatus.DERIVATIVE_UNDEFINED, 5, BatchStatus.NON_FINITE_INPUT)));
        List<Arguments> a = new ArrayList<>();
        for (BatchedBackend backend : BatchedBackend.values()) {
            for (Faulty x : f) {
                a.add(Arguments.of(x, backend));
            }
        }
        return a.stream();
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("faultyBatches")
    void badMatricesAreFlaggedAndTheOthersAreCorrect(Faulty faulty, BatchedBackend backend) {
        LinalgKernel spec = faulty.spec();
        List<Tensor> args = new ArrayList<>();
        args.add(input(spec, FAULTY_BATCH, new Random(5)));
        if (spec.jvp()) {
            args.add(LinalgBatchCases.matrices(spec.dtype(), FAULTY_BATCH, new int[] {spec.m(), spec.n()},
                    LinalgBatchCases.Input.RANDOM, new Random(6)));
        }
        int n = spec.n();
        double[] a = args.get(0).raw();
        for (Map.Entry<Integer, BatchStatus> e : faulty.bad().entrySet()) {
            int at = e.getKey() * n * n;
            switch (e.getValue()) {
                case ZERO_PIVOT -> {
                    for (int i = 0; i < n; i++) {
                        a[at + i * n + 1] = 0;
                    }
                }
                case NOT_POSITIVE_DEFINITE -> a[at + 2 * n + 2] = -a[at + 2 * n + 2];
                case NON_FINITE_INPUT -> a[at + n + 2] = Double.NaN;
                case DERIVATIVE_UNDEFINED -> {
                    Arrays.fill(a, at, at + n * n, 0);
                    double[] diagonal = {2, 2, 5, 7};
                    for (int i = 0; i < n; i++) {
                        a[at + i * n + i] = diagonal[i];
                    }
                }
                case OK, NOT_CONVERGED, SINGULAR_TRIANGLE, INDEX_OUT_OF_RANGE -> throw new IllegalArgumentException("no bad matrix makes "
                        + e.getValue());
            }
        }
        BatchedExecution.Result got = LinalgBatchCases.run(spec, backend, args, 2);
        String what = spec.name() + " on " + backend;
        List<Integer> good = new ArrayList<>();
        for (int item = 0; item < FAULTY_BATCH; item++) {
            BatchStatus want = faulty.bad().getOrDefault(item, BatchStatus.OK);
            assertEquals(want, BatchStatus.of(got.status()[item]), what + ": status of item " + item);
            if (want == BatchStatus.OK) {
                good.add(item);
            }
        }
        List<Tensor> goodArgs = args.stream().map(t -> items(t, good)).toList();
        List<Tensor> want = Interpreter.run(spec.program(good.size()).program(), goodArgs);
        for (int i = 0; i < want.size(); i++) {
            BatchedLinalgKernelTest.assertClose(want.get(i), items(got.outputs().get(i), good), 1e-10,
                    what + ": the good items' " + spec.program().outputs().get(i));
        }

        List<Integer> badItems = faulty.bad().keySet().stream().sorted().toList();
        BatchResult result = runnerResult(spec, backend, args);
        assertEquals(badItems.size(), result.failedCount(), what + ": " + result);
        assertFalse(result.ok());
        for (int i = 0; i < badItems.size(); i++) {
            assertEquals(new BatchResult.Failure(badItems.get(i), faulty.bad().get(badItems.get(i))),
                    result.firstFailures().get(i), what);
        }
        BatchFailureException e = assertThrows(BatchFailureException.class, result::throwIfFailed);
        BatchStatus first = faulty.bad().get(badItems.get(0));
        BatchStatus second = faulty.bad().get(badItems.get(1));
        String message = e.getMessage();
        assertTrue(message.contains("item " + badItems.get(0) + " of " + FAULTY_BATCH + " failed with " + first + " ("
                + first.meaning() + ")"), message);
        assertTrue(message.contains("1 more item failed (item " + badItems.get(1) + " " + second + ")"), message);
        assertTrue(message.startsWith("kernel " + result.kernel()), message);
        assertTrue(BatchedExecution.describe(spec.name(), badItems.get(0), first.code()).contains(first.meaning()));
    }

    /** The batch run by a {@link BatchedRunner} on native segments, as a service would. */
    private static BatchResult runnerResult(LinalgKernel spec, BatchedBackend backend, List<Tensor> args) {
        BatchedKernel kernel = LinalgBatchCases.loaded(spec, backend);
        List<String> inputs = LinalgBatchCases.compiled(spec).inputs();
        try (Arena arena = Arena.ofShared(); BatchedRunner runner = new BatchedRunner(kernel, 3)) {
            Map<String, MemorySegment> segments = new HashMap<>();
            for (BatchedBuffer b : kernel.buffers()) {
                int in = inputs.indexOf(b.name());
                segments.put(b.name(), in >= 0 ? BatchedArrays.matrices(arena, b.type(), matrices(args.get(in)))
                        : BatchedArrays.allocate(arena, b, FAULTY_BATCH));
            }
            return runner.run(segments, new long[kernel.argCount()], FAULTY_BATCH);
        }
    }

    private static Tensor input(LinalgKernel spec, int batch, Random r) {
        LinalgBatchCases.Input how = spec.op().name().equals("lu") ? LinalgBatchCases.Input.DOMINANT
                : spec.op().name().equals("cholesky") ? LinalgBatchCases.Input.SPD : LinalgBatchCases.Input.SYMMETRIC;
        return LinalgBatchCases.matrices(spec.dtype(), batch, new int[] {spec.m(), spec.n()}, how, r);
    }

    private static double[][][] matrices(Tensor t) {
        int batch = t.shape().dim(0);
        double[][][] m = new double[batch][][];
        for (int b = 0; b < batch; b++) {
            m[b] = LinalgIdentities.item(t, b);
        }
        return m;
    }

    /** The items {@code which} of a tensor with a leading batch axis. */
    private static Tensor items(Tensor t, List<Integer> which) {
        int per = Math.toIntExact(t.shape().size() / t.shape().dim(0));
        double[] d = new double[which.size() * per];
        for (int i = 0; i < which.size(); i++) {
            System.arraycopy(t.raw(), which.get(i) * per, d, i * per, per);
        }
        int[] dims = t.shape().dims().clone();
        dims[0] = which.size();
        return new Tensor(t.dtype(), new Shape(dims), d);
    }

    private static long[] bits(Tensor t) {
        return Arrays.stream(t.raw()).mapToLong(Double::doubleToRawLongBits).toArray();
    }
}
