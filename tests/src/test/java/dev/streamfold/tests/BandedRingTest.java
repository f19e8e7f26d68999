package dev.streamfold.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.streamfold.compiler.KernelEval;
import dev.streamfold.compiler.llvm.LlvmKernels;
import dev.streamfold.ir.DType;
import dev.streamfold.ir.Shape;
import dev.streamfold.ir.Tensor;
import dev.streamfold.ir.stream.Bindings;
import dev.streamfold.ir.stream.ColumnNormalizedBanded;
import dev.streamfold.ir.stream.Inverse;
import dev.streamfold.ir.stream.Param;
import dev.streamfold.ir.stream.StreamingEval;
import dev.streamfold.ir.stream.StreamingEval.Query;
import dev.streamfold.ir.stream.StreamingMatrix;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * jax_privacy's {@code ColumnNormalizedBanded} with 300 bands (past the 249 that one parameter slot per band allowed):
 * its past values live in one ring whose weights are read from P in the row of the step that wrote each value. Forward
 * and inverse, on the vector and LLVM backends against the interpreter, over more steps than the ring holds.
 */
class BandedRingTest {
    @Test
    void threeHundredBandsRunOnEveryCpuBackend() {
        Random r = new Random(300);
        double[][] p = new double[40][300];
        for (double[] row : p) {
            for (int j = 0; j < row.length; j++) {
                row[j] = j == 0 ? 1 + r.nextDouble() : (r.nextDouble() - 0.5) / 30;
            }
        }
        ColumnNormalizedBanded banded = new ColumnNormalizedBanded(new Param.Literal(Tensor.matrix(DType.F64, p)));
        Tensor x = OperatorTable.random(new Random(5), new Shape(320, 3));
        for (StreamingMatrix m : List.<StreamingMatrix>of(banded, new Inverse(banded))) {
            Tensor want = StreamingEval.run(m, Bindings.NONE, Query.MULTIPLY, x, 0, DType.F64);
            for (KernelEval.KernelLoader loader : List.of(KernelEval.VECTOR, LlvmKernels.LLVM)) {
                assertEquals(299, KernelEval.bind(loader, m, Bindings.NONE, DType.F64).kernel().stateRows(0));
                Tensor got = KernelEval.run(loader, m, Bindings.NONE, Query.MULTIPLY, x, 0, DType.F64, 2);
                for (int i = 0; i < want.raw().length; i++) {
                    double w = want.raw()[i];
                    assertEquals(w, got.raw()[i], 1e-12 * Math.max(1, Math.abs(w)), loader + " " + m.opName() + " entry " + i);
                }
            }
        }
    }
}
