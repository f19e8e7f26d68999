package dev.streamfold.compiler.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.streamfold.compiler.vector.VectorKernels;
import dev.streamfold.ir.DType;
import dev.streamfold.ir.StreamfoldException;
import dev.streamfold.ir.expr.MatrixBinder;
import dev.streamfold.ir.stream.Bindings;
import dev.streamfold.ir.stream.ParamLayout;
import dev.streamfold.ir.stream.StreamingMatrix;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** What {@link KernelSize} counts in a step kernel of kernel IR v2, and how it refuses one over the limit. */
class KernelSizeCountTest {
    private static int size(String expr, DType dtype) {
        StreamingMatrix m = MatrixBinder.parse(expr);
        return KernelSize.of(VectorKernels.lowerKir(m, ParamLayout.of(m).bind(m, Bindings.NONE, dtype), dtype));
    }

    /**
     * {@code prefix_sum @ diagonal([0.5])}: per step the read of the diagonal (its index clipping and its conversion to
     * float32 not counted); per element its broadcast, load x, load state, the fma the product and the add became and
     * the two stores; one state buffer. Eight in either type.
     */
    @ParameterizedTest
    @EnumSource(names = {"F32", "F64"})
    void aParameterReadIsOneStatementAndItsBroadcastAnother(DType dtype) {
        assertEquals(8, size("prefix_sum @ diagonal([0.5])", dtype));
        assertEquals(2, size("identity", dtype), "load x, store y and nothing else");
    }

    @ParameterizedTest
    @EnumSource(names = {"F32", "F64"})
    void aKernelOverTheLimitIsRefusedWithItsCounts(DType dtype) {
        String decays = java.util.stream.IntStream.range(0, 300).mapToObj(i -> Double.toString(0.9 - 0.001 * i))
                .collect(java.util.stream.Collectors.joining(", ", "[", "]"));
        StreamingMatrix m = MatrixBinder.parse("inverse(blt(buf_decay=" + decays + ", output_scale=" + decays + "))");
        StreamfoldException e = assertThrows(StreamfoldException.class,
                () -> VectorKernels.lowerKir(m, ParamLayout.of(m).bind(m, Bindings.NONE, dtype), dtype));
        assertTrue(e.getMessage().matches("the expression's step kernel has \\d+ per-step statements, \\d+ per-element "
                + "statements and 300 state buffers \\(\\d+ in all\\), .*"), e.getMessage());
        assertTrue(e.getMessage().endsWith("more than the 1500 a compiled backend takes (eval --backend interpreter has no such limit)"),
                e.getMessage());
    }
}
