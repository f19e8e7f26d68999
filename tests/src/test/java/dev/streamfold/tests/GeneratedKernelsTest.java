package dev.streamfold.tests;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.streamfold.compiler.KernelEval;
import dev.streamfold.ir.DType;
import dev.streamfold.ir.Shape;
import dev.streamfold.ir.Tensor;
import dev.streamfold.ir.expr.MatrixBinder;
import dev.streamfold.ir.stream.Bindings;
import dev.streamfold.ir.stream.StreamingMatrix;
import dev.streamfold.generated.GeneratedKernels;
import dev.streamfold.runtime.ElementType;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Kernels compiled ahead of time equal the in-process ones, bit for bit. */
class GeneratedKernelsTest {
    @Test
    void aheadOfTimeKernelsMatchInProcessKernels() {
        assertEquals(6, GeneratedKernels.names().size());
        assertEquals(23, GeneratedKernels.kernel("bandmf_inverse_24").stateRows(0), "a ring of the 23 past values");
        for (String name : GeneratedKernels.names()) {
            if (!GeneratedKernels.signature(name).parameters().isEmpty()) {
                continue;
            }
            StreamingMatrix m = MatrixBinder.parse(GeneratedKernels.expression(name));
            KernelEval.Bound aot = new KernelEval.Bound(GeneratedKernels.kernel(name), GeneratedKernels.params(name));
            DType dtype = aot.kernel().elementType() == ElementType.FLOAT32 ? DType.F32 : DType.F64;
            KernelEval.Bound jit = KernelEval.bind(m, Bindings.NONE, dtype);
            assertEquals(jit.kernel().getClass().getSimpleName(), aot.kernel().getClass().getSimpleName(), name);
            Tensor x = OperatorTable.random(new Random(5), new Shape(40, 1001));
            assertArrayEquals(KernelEval.multiply(jit, x, dtype, 1).raw(), KernelEval.multiply(aot, x, dtype, 2).raw(), name);
        }
    }

    @Test
    void unknownNameIsAClearError() {
        assertEquals("no ahead-of-time kernel named 'nope' (see kernels.spec)",
                assertThrows(IllegalArgumentException.class, () -> GeneratedKernels.kernel("nope")).getMessage());
    }
}
