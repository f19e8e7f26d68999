package dev.streamfold.ir.stream;

import dev.streamfold.ir.DType;
import dev.streamfold.ir.Shape;
import dev.streamfold.ir.Tensor;

/**
 * A parameter slot of a streaming operator: a literal value fixed when the expression is written,
 * or a name bound at run time. Either way a compiled kernel takes its value as an argument.
 */
public sealed interface Param {
    /** A value known when the operator is built (validated then). */
    record Literal(Tensor value) implements Param {
        public Literal {
            if (value.dtype() != DType.F64) {
                value = value.astype(DType.F64);
            }
        }

        @Override
        public String toString() {
            double[] d = value.raw();
            if (value.shape().rank() == 0) {
                return Double.toString(d[0]);
            }
            return java.util.Arrays.toString(d).replace(" ", "");
        }
    }

    /** A parameter bound at run time by name ({@code $name} in the expression language). */
    record Named(String name) implements Param {
        @Override
        public String toString() {
            return "$" + name;
        }
    }

    static Param vector(double... values) {
        return new Literal(Tensor.vector(DType.F64, values));
    }

    static Param scalar(double value) {
        return new Literal(new Tensor(DType.F64, Shape.SCALAR, new double[] {value}));
    }

    static Param named(String name) {
        return new Named(name);
    }
}
