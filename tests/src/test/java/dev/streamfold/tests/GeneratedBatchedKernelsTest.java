package dev.streamfold.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.streamfold.generated.GeneratedKernels;
import dev.streamfold.ir.DType;
import dev.streamfold.ir.Shape;
import dev.streamfold.ir.Tensor;
import dev.streamfold.ir.linalg.Linalg;
import dev.streamfold.runtime.ElementType;
import dev.streamfold.runtime.batched.BatchResult;
import dev.streamfold.runtime.batched.BatchedArrays;
import dev.streamfold.runtime.batched.BatchedKernel;
import dev.streamfold.runtime.batched.BatchedRunner;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Batched kernels compiled ahead of time from kernels.spec, run through the runtime alone. */
class GeneratedBatchedKernelsTest {
    private static final int N = 8;

    @Test
    void specLinesAreTheBatchedKernels() {
        assertEquals(List.of("lu_f32_8x8", "lu_f32_8x8_jvp", "cholesky_f32_8x8", "qr_f32_8x8", "eigh_f32_8x8", "svd_f32_8x8",
                "triangular_solve_f32_8x8"), List.copyOf(GeneratedKernels.batchedNames()));
        for (String name : GeneratedKernels.batchedNames()) {
            assertEquals(name, GeneratedKernels.batched(name).name());
        }
        assertEquals(List.of("A", "dA", "lu", "pivots", "permutation", "dlu", "status"),
                GeneratedKernels.batched("lu_f32_8x8_jvp").buffers().stream().map(b -> b.name()).toList());
    }

    /**
     * lu_f32_8x8 on 257 random matrices and two singular ones: every factorization satisfies A[perm] = L U to float32
     * accuracy, its pivots and permutation are those of {@link Linalg#lu} on the same (float32) values except where
     * the two pick different rows of (nearly) equal magnitude, and the singular items, only they, report a zero pivot.
     */
    @Test
    void luRunsThroughTheBatchedRunnerAndAgreesWithTheReference() {
        BatchedKernel k = GeneratedKernels.batched("lu_f32_8x8");
        Random random = new Random(42);
        int batch = 259;
        double[][][] a = new double[batch][N][N];
        for (int b = 0; b < batch; b++) {
            for (int i = 0; i < N; i++) {
                for (int j = 0; j < N; j++) {
                    a[b][i][j] = (float) (2 * random.nextDouble() - 1);
                }
            }
        }
        for (int j = 0; j < N; j++) {
            a[100][3][j] = a[100][5][j];
            a[200][j][2] = 0;
        }
        try (Arena arena = Arena.ofShared(); BatchedRunner runner = new BatchedRunner(k, 2)) {
            MemorySegment in = BatchedArrays.matrices(arena, ElementType.FLOAT32, a);
            MemorySegment lu = BatchedArrays.allocate(arena, k.buffers().get(1), batch);
            MemorySegment pivots = BatchedArrays.allocate(arena, k.buffers().get(2), batch);
            MemorySegment perm = BatchedArrays.allocate(arena, k.buffers().get(3), batch);
            MemorySegment status = BatchedArrays.allocate(arena, k.buffers().get(4), batch);
            BatchResult r = runner.run(Map.of("A", in, "lu", lu, "pivots", pivots, "permutation", perm, "status", status),
                    new long[0], batch);
            assertEquals(2, r.failedCount(), r.toString());
            assertEquals(List.of(100L, 200L), r.firstFailures().stream().map(BatchResult.Failure::item).toList());
            double[][][] got = BatchedArrays.readMatrices(lu, ElementType.FLOAT32, batch, N, N);
            int[][] piv = BatchedArrays.readIntVectors(pivots, batch, N);
            int[][] p = BatchedArrays.readIntVectors(perm, batch, N);
            int disagree = 0;
            for (int b = 0; b < batch; b++) {
                if (b == 100 || b == 200) {
                    continue;
                }
                assertFactorsA(a[b], got[b], p[b], b);
                double[] flat = new double[N * N];
                for (int i = 0; i < N * N; i++) {
                    flat[i] = a[b][i / N][i % N];
                }
                Linalg.Outputs want = Linalg.lu(new Tensor(DType.F64, new Shape(N, N), flat));
                int[] wantPiv = Arrays.stream(want.get("pivots").raw()).mapToInt(v -> (int) v).toArray();
                int[] wantPerm = Arrays.stream(want.get("permutation").raw()).mapToInt(v -> (int) v).toArray();
                if (Arrays.equals(wantPiv, piv[b])) {
                    assertEquals(Arrays.toString(wantPerm), Arrays.toString(p[b]), "the permutation follows the pivots, item " + b);
                    for (int i = 0; i < N * N; i++) {
                        double w = want.get("lu").raw()[i];
                        assertEquals(w, got[b][i / N][i % N], 1e-3 * Math.max(1, Math.abs(w)), "lu of item " + b + " entry " + i);
                    }
                } else {
                    disagree++;
                }
            }
            assertTrue(disagree <= batch / 50, disagree + " of " + batch + " items pivot differently from the reference");
        }
    }

    /** A[perm] = L U for unit-lower L and upper U packed in {@code lu}, relative to A's size. */
    private static void assertFactorsA(double[][] a, double[][] lu, int[] perm, int item) {
        double scale = 0;
        for (double[] row : a) {
            for (double v : row) {
                scale = Math.max(scale, Math.abs(v));
            }
        }
        for (int i = 0; i < N; i++) {
            for (int j = 0; j < N; j++) {
                double s = 0;
                for (int q = 0; q <= Math.min(i, j); q++) {
                    s += (q == i ? 1 : lu[i][q]) * lu[q][j];
                }
                assertEquals(a[perm[i]][j], s, 1e-5 * N * scale, "(A[perm] - L U)[" + i + ", " + j + "] of item " + item);
            }
        }
    }
}
