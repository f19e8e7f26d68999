package dev.streamfold.tests;

import dev.streamfold.compiler.ConformanceOperators;
import dev.streamfold.ir.DType;
import dev.streamfold.ir.Shape;
import dev.streamfold.ir.Tensor;
import dev.streamfold.ir.stream.StreamingMatrix;
import java.util.List;
import java.util.Random;

/** The operator table every backend's conformance suite runs over. */
final class OperatorTable {
    private OperatorTable() {}

    static List<StreamingMatrix> operators() {
        return ConformanceOperators.operators();
    }

    static StreamingMatrix compose3() {
        return ConformanceOperators.compose3();
    }

    /** Every operator, then compose3, then 16 random products of 1 to 4 of them (fixed seed). */
    static List<StreamingMatrix> all() {
        return ConformanceOperators.all();
    }

    static StreamingMatrix parse(String expr) {
        return dev.streamfold.ir.expr.MatrixBinder.parse(expr);
    }

    static Tensor random(Random r, Shape shape) {
        double[] d = new double[Math.toIntExact(shape.size())];
        for (int i = 0; i < d.length; i++) {
            d[i] = r.nextGaussian();
        }
        return new Tensor(DType.F64, shape, d);
    }

    /** float64: relative 1e-12; float32: relative 1e-5 of the largest magnitude in the result. */
    static void assertClose(Tensor want, Tensor got, DType dtype, String what) {
        if (!want.shape().equals(got.shape())) {
            throw new AssertionError(what + ": shape " + got.shape() + ", expected " + want.shape());
        }
        double scale = 1;
        for (double v : want.raw()) {
            scale = Math.max(scale, Math.abs(v));
        }
        double tol = (dtype == DType.F32 ? 1e-5 : 1e-12) * scale;
        for (int i = 0; i < want.size(); i++) {
            double a = want.raw()[i];
            double b = got.raw()[i];
            if (!(Math.abs(a - b) <= tol)) {
                throw new AssertionError(what + ": element " + i + " is " + b + ", expected " + a + " (tolerance " + tol + ")");
            }
        }
    }
}
