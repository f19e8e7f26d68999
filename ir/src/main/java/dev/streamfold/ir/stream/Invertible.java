package dev.streamfold.ir.stream;

import dev.streamfold.ir.Tensor;
import dev.streamfold.ir.Var;
import java.util.List;

/**
 * An operator whose inverse also streams with the same parameters and the same number of state
 * buffers: {@code inverse(m)} prepares m's parameters with {@link #prepareInverse} and emits
 * {@link #emitInverseStep}. Invertible operators have no operands.
 */
public sealed interface Invertible extends StreamingMatrix
        permits Blt, InverseParams, Toeplitz, ToeplitzInverse, ColumnNormalizedBanded, Inverse {

    /** {@link #prepare} plus the checks that the matrix is invertible. */
    default List<Tensor> prepareInverse(List<Tensor> values) {
        return prepare(values);
    }

    /** One step of the inverse: input {@code y}, own prepared parameters and own state buffers. */
    StepEmitter.Out emitInverseStep(StepEmitter e, Var y, List<Var> params, List<Var> state);

    /** The operators {@code inverse(...)} accepts, for error messages. */
    String SUPPORTED = "blt, inverse_params, toeplitz, toeplitz_inverse, column_normalized_banded and inverse(...) of these";
}
