package dev.streamfold.tests;

import dev.streamfold.ir.DType;
import dev.streamfold.ir.Shape;
import dev.streamfold.ir.Tensor;
import dev.streamfold.ir.stream.Blt;
import dev.streamfold.ir.stream.Diagonal;
import dev.streamfold.ir.stream.Identity;
import dev.streamfold.ir.stream.Inverse;
import dev.streamfold.ir.stream.InverseParams;
import dev.streamfold.ir.stream.MomentumSgd;
import dev.streamfold.ir.stream.Param;
import dev.streamfold.ir.stream.PrefixSum;
import dev.streamfold.ir.stream.StreamingMatrix;
import dev.streamfold.ir.stream.Toeplitz;
import dev.streamfold.ir.stream.ToeplitzInverse;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/** The operator table every backend's conformance suite runs over. */
final class OperatorTable {
    private OperatorTable() {}

    static List<StreamingMatrix> operators() {
        return List.of(
                new Identity(),
                new PrefixSum(),
                new Diagonal(Param.vector(2.0, -0.5, 3.0)),
                new MomentumSgd(Param.scalar(0.9), Param.vector(1.0, 0.5, 0.25)),
                new MomentumSgd(Param.scalar(-1.3)),
                new PrefixSum().times(0.5),
                new PrefixSum().scaleRowsAndColumns(new double[] {1, 2, 3}, new double[] {0.5, 4}),
                new MomentumSgd(Param.scalar(0.5)).scaleRowsAndColumns(null, new double[] {2, 3}),
                blt3(),
                Blt.of(new double[] {}, new double[] {}),
                new Inverse(blt3()),
                new InverseParams(blt3()),
                new Toeplitz(Param.vector(1.0, 0.5, 0.375, 0.3125)),
                new ToeplitzInverse(Param.vector(1.0, -0.5, 0.25)),
                new ToeplitzInverse(Param.vector(1.0, 0.5, 0.375), 7),
                parse("inverse(column_normalized_banded(params=[[1, 0.5, 0.25], [0.9, -0.4, 0.3], [1.2, 0.6, 0.1]]))"));
    }

    /** A three-buffer BLT, written unsorted. */
    static Blt blt3() {
        return Blt.of(new double[] {0.5, 0.99, 0.9}, new double[] {0.2, 0.05, 0.1});
    }

    static StreamingMatrix compose3() {
        return new PrefixSum().matmul(new MomentumSgd(Param.scalar(0.9), Param.vector(1.0, 0.5)))
                .matmul(new Diagonal(Param.vector(2.0, 0.5)));
    }

    /** Every operator, then 16 random products of 1 to 4 of them (fixed seed). */
    static List<StreamingMatrix> all() {
        List<StreamingMatrix> ops = operators();
        List<StreamingMatrix> out = new ArrayList<>(ops);
        out.add(compose3());
        Random r = new Random(7);
        for (int i = 0; i < 16; i++) {
            int k = 1 + r.nextInt(4);
            StreamingMatrix m = ops.get(r.nextInt(ops.size()));
            for (int j = 1; j < k; j++) {
                m = r.nextBoolean() ? m.matmul(ops.get(r.nextInt(ops.size()))) : ops.get(r.nextInt(ops.size())).matmul(m);
            }
            out.add(m);
        }
        return out;
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
