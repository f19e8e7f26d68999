package dev.streamfold.tests;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.streamfold.compiler.KernelEval;
import dev.streamfold.generated.GeneratedKernels;
import dev.streamfold.ir.DType;
import dev.streamfold.ir.expr.MatrixBinder;
import dev.streamfold.ir.stream.Bindings;
import dev.streamfold.runtime.BoundKernel;
import dev.streamfold.runtime.NoiseGenerator;
import dev.streamfold.runtime.ParamSlot;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/**
 * The typed binding of ahead-of-time kernels computes what the expression language computes for the same values,
 * and the runtime refuses values that would run another mechanism than the one compiled.
 */
class KernelBindingTest {
    private static final double[] THETA = {0.5, 0.99, 0.2, 0.9};
    private static final double[] OMEGA = {0.05, 0.3, 0.01, 0.1};

    private static float[] noise(NoiseGenerator g, int steps, int dim) {
        float[] out = new float[steps * dim];
        try (Arena a = Arena.ofShared()) {
            MemorySegment y = a.allocate(ValueLayout.JAVA_FLOAT, dim);
            for (int t = 0; t < steps; t++) {
                g.next(y);
                MemorySegment.copy(y, ValueLayout.JAVA_FLOAT, 0, out, t * dim, dim);
            }
        }
        return out;
    }

    private static String refusal(Executable e) {
        return assertThrows(IllegalArgumentException.class, e).getMessage();
    }

    @Test
    void boundKernelKnowsItsParameters() {
        BoundKernel b = GeneratedKernels.bind("dp_noise_blt4", Map.of("theta", THETA, "omega", OMEGA));
        assertEquals(List.of("theta", "omega"), b.parameterNames());
        assertEquals(4, b.parameterLength("theta"));
        assertEquals(List.of("mu", "lr"), GeneratedKernels.signature("momentum_tuned").parameterNames());
        assertEquals(ParamSlot.PER_STEP, GeneratedKernels.signature("momentum_tuned").length("lr"));
        assertArrayEquals(new double[] {(float) 0.99, (float) 0.9, (float) 0.5, (float) 0.2}, b.params()[0]);
        assertArrayEquals(new double[] {(float) 0.3, (float) 0.1, (float) 0.05, (float) 0.01}, b.params()[1]);
    }

    @Test
    void unsortedDecayGivesTheBytesOfTheExpressionLanguage() {
        String expr = "inverse(blt(buf_decay=[0.5, 0.99, 0.2, 0.9], output_scale=[0.05, 0.3, 0.01, 0.1]))";
        KernelEval.Bound cli = KernelEval.bind(MatrixBinder.parse(expr), Bindings.NONE, DType.F32);
        BoundKernel aot = GeneratedKernels.bind("dp_noise_blt4", Map.of("theta", THETA, "omega", OMEGA));
        int dim = 3000;
        try (NoiseGenerator want = new NoiseGenerator(cli.kernel(), cli.params(), dim, 2, 42, 1.5, 0);
                NoiseGenerator got = aot.noise(dim, 3, 42, 1.5, 0)) {
            assertArrayEquals(noise(want, 6, dim), noise(got, 6, dim));
        }
    }

    @Test
    void rawParametersThatDoNotFitTheKernelAreRefused() {
        var kernel = GeneratedKernels.kernel("dp_noise_blt4");
        assertTrue(refusal(() -> new NoiseGenerator(kernel, new double[][] {{0.9, 0.5}, {0.2, 0.1}}, 100, 1, 1, 1, 0))
                .startsWith("inverse buf_decay has 2 entries, but the kernel was compiled for 4"));
        assertTrue(refusal(() -> new NoiseGenerator(kernel, new double[][] {THETA, OMEGA}, 100, 1, 1, 1, 0))
                .startsWith("inverse buf_decay must be sorted by decreasing value"));
    }

    @Test
    void badNamedValuesAreRefusedNamingKernelAndParameter() {
        assertEquals("kernel dp_noise_blt4: $theta has 2 entries, but the kernel was compiled for 4 entries (the length "
                + "is structure: generate a kernel for 2)",
                refusal(() -> GeneratedKernels.bind("dp_noise_blt4", Map.of("theta", new double[] {0.9, 0.5}, "omega", OMEGA))));
        assertEquals("kernel dp_noise_blt4: parameter $omega is not bound (its parameters are $theta (4 entries), $omega "
                + "(4 entries))", refusal(() -> GeneratedKernels.bind("dp_noise_blt4", Map.of("theta", THETA))));
        assertTrue(refusal(() -> GeneratedKernels.bind("dp_noise_blt4", Map.of("theta", THETA, "omega", OMEGA,
                "sigma", new double[] {1}))).startsWith("kernel dp_noise_blt4 has no parameter $sigma"));
        assertEquals("kernel dp_noise_blt4: $omega[2] = Infinity is not finite", refusal(() -> GeneratedKernels.bind(
                "dp_noise_blt4", Map.of("theta", THETA, "omega", new double[] {1, 2, Double.POSITIVE_INFINITY, 3}))));
        assertEquals("kernel momentum_tuned: momentum_sgd learning_rates[1] = -0.5 must be > 0", refusal(() ->
                GeneratedKernels.bind("momentum_tuned", Map.of("mu", new double[] {0.9}, "lr", new double[] {1, -0.5}))));
        assertTrue(refusal(() -> GeneratedKernels.params("dp_noise_blt4")).contains("use bind(name, values)"));
    }

    @Test
    void perStepArraysTakeAnyLength() {
        BoundKernel b = GeneratedKernels.bind("momentum_tuned", Map.of("mu", new double[] {0.9}, "lr", new double[] {1, 0.5, 0.25}));
        KernelEval.Bound cli = KernelEval.bind(MatrixBinder.parse(
                "prefix_sum @ momentum_sgd(momentum=0.9, learning_rates=[1, 0.5, 0.25]) @ diagonal([0.5])"), Bindings.NONE, DType.F64);
        assertEquals(cli.kernel().getClass().getSimpleName(), b.kernel().getClass().getSimpleName());
        assertEquals(java.util.Arrays.deepToString(cli.params()), java.util.Arrays.deepToString(b.params()));
    }
}
