package dev.streamfold.runtime.batched;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.streamfold.runtime.ElementType;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/** Arrays go to the structure-of-arrays layout and back unchanged, and batches of mixed shapes are refused. */
class BatchedArraysTest {
    private static String refusal(Executable call) {
        return assertThrows(IllegalArgumentException.class, call).getMessage();
    }

    @Test
    void matricesAreLaidOutElementMajorWithTheBatchAsStride() {
        double[][][] items = {{{1, 2, 3}, {4, 5, 6}}, {{10, 20, 30}, {40, 50, 60}}};
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment s = BatchedArrays.matrices(arena, ElementType.FLOAT64, items);
            assertArrayEquals(new double[] {1, 10, 2, 20, 3, 30, 4, 40, 5, 50, 6, 60}, s.toArray(ValueLayout.JAVA_DOUBLE));
            assertTrue(s.isNative());
            assertEquals(0, s.address() % 64);
            MemorySegment f = BatchedArrays.matrices(arena, ElementType.FLOAT32, items);
            assertArrayEquals(new float[] {1, 10, 2, 20, 3, 30, 4, 40, 5, 50, 6, 60}, f.toArray(ValueLayout.JAVA_FLOAT));
        }
    }

    @Test
    void matricesRoundTripExactlyInFloat64AndRoundedInFloat32() {
        SplittableRandom random = new SplittableRandom(7);
        for (int batch : new int[] {1, 63, 64, 65, 1000}) {
            double[][][] items = new double[batch][3][5];
            for (double[][] m : items) {
                for (double[] row : m) {
                    for (int j = 0; j < row.length; j++) {
                        row[j] = random.nextDouble(-1e3, 1e3);
                    }
                }
            }
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment d = BatchedArrays.matrices(arena, ElementType.FLOAT64, items);
                assertEquals((long) batch * 15 * 8, d.byteSize());
                assertArrayEquals(items, BatchedArrays.readMatrices(d, ElementType.FLOAT64, batch, 3, 5));
                double[][][] back = BatchedArrays.readMatrices(BatchedArrays.matrices(arena, ElementType.FLOAT32, items),
                        ElementType.FLOAT32, batch, 3, 5);
                for (int b = 0; b < batch; b++) {
                    for (int i = 0; i < 3; i++) {
                        for (int j = 0; j < 5; j++) {
                            assertEquals((double) (float) items[b][i][j], back[b][i][j], "item " + b);
                        }
                    }
                }
                int e = 2 * 5 + 4;
                int last = batch - 1;
                assertEquals(items[last][2][4], d.getAtIndex(ValueLayout.JAVA_DOUBLE, (long) e * batch + last));
            }
        }
    }

    @Test
    void vectorsRoundTripAndIntVectorsHoldTheStatusLayout() {
        double[][] v = {{1.5, -2}, {3, 4}, {5, 6.25}};
        int[][] codes = {{0}, {1}, {0}, {6}};
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment s = BatchedArrays.vectors(arena, ElementType.FLOAT64, v);
            assertArrayEquals(new double[] {1.5, 3, 5, -2, 4, 6.25}, s.toArray(ValueLayout.JAVA_DOUBLE));
            assertArrayEquals(v, BatchedArrays.readVectors(s, ElementType.FLOAT64, 3, 2));
            assertArrayEquals(v, BatchedArrays.readVectors(BatchedArrays.vectors(arena, ElementType.FLOAT32, v),
                    ElementType.FLOAT32, 3, 2));
            MemorySegment c = BatchedArrays.intVectors(arena, codes);
            assertArrayEquals(new int[] {0, 1, 0, 6}, c.toArray(ValueLayout.JAVA_INT));
            assertArrayEquals(codes, BatchedArrays.readIntVectors(c, 4, 1));
            int[][] pivots = {{2, 1, 0}, {0, 1, 2}};
            MemorySegment p = BatchedArrays.intVectors(arena, pivots);
            assertArrayEquals(new int[] {2, 0, 1, 1, 0, 2}, p.toArray(ValueLayout.JAVA_INT));
            BatchedArrays.writeIntVectors(p, new int[][] {{7, 8, 9}, {1, 2, 3}});
            assertArrayEquals(new int[][] {{7, 8, 9}, {1, 2, 3}}, BatchedArrays.readIntVectors(p, 2, 3));
        }
    }

    @Test
    void allocatesABuffersBytesForABatch() {
        try (Arena arena = Arena.ofConfined()) {
            BatchedBuffer inv = new BatchedBuffer("inv", BatchedBuffer.Role.OUT, ElementType.FLOAT32, 9);
            MemorySegment s = BatchedArrays.allocate(arena, inv, 65);
            assertEquals(9L * 65 * 4, s.byteSize());
            assertEquals(-1, s.mismatch(arena.allocate(s.byteSize())));
            BatchedBuffer table = new BatchedBuffer("table", BatchedBuffer.Role.PARAM, ElementType.FLOAT64, 3);
            assertEquals(24, BatchedArrays.allocate(arena, table, 1000).byteSize());
            assertEquals("batch 0 must be at least 1", refusal(() -> BatchedArrays.allocate(arena, inv, 0)));
        }
    }

    @Test
    void refusesBatchesWhoseItemsDifferInShapeNamingTheItem() {
        try (Arena arena = Arena.ofConfined()) {
            assertEquals("item 2 is 2 x 3, but item 0 is 2 x 2: every item of a batch has the same shape",
                    refusal(() -> BatchedArrays.matrices(arena, ElementType.FLOAT64,
                            new double[][][] {{{1, 2}, {3, 4}}, {{1, 2}, {3, 4}}, {{1, 2, 3}, {4, 5, 6}}})));
            assertEquals("item 1 is 3 x 2, but item 0 is 2 x 2: every item of a batch has the same shape",
                    refusal(() -> BatchedArrays.shape(new double[][][] {{{1, 2}, {3, 4}}, {{1, 2}, {3, 4}, {5, 6}}})));
            assertEquals("item 1 is ragged: its row 1 has 1 entries, its row 0 has 2",
                    refusal(() -> BatchedArrays.shape(new double[][][] {{{1, 2}, {3, 4}}, {{1, 2}, {3}}})));
            assertEquals("item 1 is null", refusal(() -> BatchedArrays.shape(new double[][][] {{{1}}, null})));
            assertEquals("item 0: row 1 is null", refusal(() -> BatchedArrays.shape(new double[][][] {{{1}, null}})));
            assertEquals("a batch needs at least one item", refusal(() -> BatchedArrays.shape(new double[0][][])));
            assertEquals("item 3 has 1 entries, but item 0 has 2: every item of a batch has the same shape",
                    refusal(() -> BatchedArrays.vectors(arena, ElementType.FLOAT64, new double[][] {{1, 2}, {3, 4}, {5, 6}, {7}})));
            assertEquals("item 1 has 0 entries, but item 0 has 1: every item of a batch has the same shape",
                    refusal(() -> BatchedArrays.intVectors(arena, new int[][] {{1}, {}})));
            assertEquals("item 0 is null", refusal(() -> BatchedArrays.intVectors(arena, new int[][] {null})));
            assertArrayEquals(new int[] {2, 0}, BatchedArrays.shape(new double[][][] {{{}, {}}, {{}, {}}}));
        }
    }

    @Test
    void refusesIntegerTypesForDoublesAndSegmentsOfTheWrongSize() {
        try (Arena arena = Arena.ofConfined()) {
            assertEquals("double arrays are stored as FLOAT32 or FLOAT64, not INT32",
                    refusal(() -> BatchedArrays.matrices(arena, ElementType.INT32, new double[][][] {{{1}}})));
            assertEquals("double arrays are stored as FLOAT32 or FLOAT64, not INT64",
                    refusal(() -> BatchedArrays.readVectors(arena.allocate(8), ElementType.INT64, 1, 1)));
            MemorySegment s = BatchedArrays.matrices(arena, ElementType.FLOAT64, new double[][][] {{{1, 2}}, {{3, 4}}});
            assertEquals("the segment has 32 bytes, a batch of 3 items of 2 FLOAT64 needs exactly 48",
                    refusal(() -> BatchedArrays.readMatrices(s, ElementType.FLOAT64, 3, 1, 2)));
            assertEquals("the segment has 32 bytes, a batch of 2 items of 2 FLOAT32 needs exactly 16",
                    refusal(() -> BatchedArrays.readMatrices(s, ElementType.FLOAT32, 2, 2, 1)));
            assertEquals("the segment has 32 bytes, a batch of 1 items of 2 INT32 needs exactly 8",
                    refusal(() -> BatchedArrays.writeIntVectors(s, new int[][] {{1, 2}})));
            assertEquals("no batch of 0 matrices of 1 x 2", refusal(() -> BatchedArrays.readMatrices(s, ElementType.FLOAT64,
                    0, 1, 2)));
            assertEquals("no batch of 2 vectors of -1 entries", refusal(() -> BatchedArrays.readIntVectors(s, 2, -1)));
        }
    }
}
