package dev.streamfold.compiler.lower;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.streamfold.compiler.kir.KInstr;
import dev.streamfold.compiler.kir.KirEvaluator;
import dev.streamfold.compiler.vector.VectorKernels;
import dev.streamfold.ir.DType;
import dev.streamfold.ir.Shape;
import dev.streamfold.ir.Tensor;
import dev.streamfold.ir.expr.MatrixBinder;
import dev.streamfold.ir.stream.Bindings;
import dev.streamfold.ir.stream.ParamLayout;
import dev.streamfold.ir.stream.StreamingEval;
import dev.streamfold.ir.stream.StreamingMatrix;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Banded Toeplitz steps with more bands than the shift form keeps lower to one ring state buffer and one loop over its
 * rows, whatever the band count; under the kernel IR evaluator, stepped with its state kept from step to step, they
 * give what the reference interpreter gives for the whole sequence, past the point where the ring wraps.
 */
class RingStepKirTest {
    private static final int N = 5;

    static String coefficients(int bands) {
        SplittableRandom r = new SplittableRandom(bands);
        return IntStream.range(0, bands).mapToObj(i -> Double.toString(i == 0 ? 1.5 : r.nextDouble(-0.5, 0.5)))
                .collect(Collectors.joining(", ", "[", "]"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"toeplitz", "inverse(toeplitz", "toeplitz_inverse"})
    void ringStepsMatchTheInterpreter(String op) {
        for (int bands : new int[] {18, 40}) {
            String expr = op + "(coef=" + coefficients(bands) + ")" + (op.startsWith("inverse") ? ")" : "");
            StreamingMatrix m = MatrixBinder.parse(expr);
            List<Tensor> values = ParamLayout.of(m).bind(m, Bindings.NONE, DType.F64);
            StepKir s = VectorKernels.lowerKir(m, values, DType.F64);
            assertEquals(1, s.stateCount(), s.toString());
            assertEquals(bands - 1, s.kernel().buffers().get(s.state(0)).elements(), s.toString());
            assertEquals(1, s.kernel().body().stream().filter(i -> i instanceof KInstr.Loop).count(), s.toString());
            int steps = 2 * bands + 3;
            SplittableRandom r = new SplittableRandom(bands);
            double[] x = new double[steps * N];
            for (int i = 0; i < x.length; i++) {
                x[i] = r.nextDouble(-2, 2);
            }
            double[] want = StreamingEval.multiply(m, Bindings.NONE, Tensor.of(DType.F64, new Shape(steps, N), x)).raw();
            double[][] buffers = new double[s.kernel().buffers().size()][];
            buffers[s.state(0)] = new double[(bands - 1) * N];
            for (int p = 0; p < s.paramCount(); p++) {
                buffers[s.param(p)] = values.get(p).data();
            }
            for (int t = 0; t < steps; t++) {
                buffers[StepKir.X] = java.util.Arrays.copyOfRange(x, t * N, (t + 1) * N);
                buffers[StepKir.Y] = new double[N];
                KirEvaluator.run(s.kernel(), buffers, new double[] {t}, N);
                for (int i = 0; i < N; i++) {
                    double w = want[t * N + i];
                    assertEquals(w, buffers[StepKir.Y][i], 1e-12 * Math.max(1, Math.abs(w)), expr + " step " + t + " element " + i);
                }
            }
            assertTrue(s.toString().contains("rem"), s.toString());
        }
    }
}
