package dev.streamfold.compiler;

import dev.streamfold.ir.expr.MatrixBinder;
import dev.streamfold.ir.stream.Blt;
import dev.streamfold.ir.stream.Diagonal;
import dev.streamfold.ir.stream.Inverse;
import dev.streamfold.ir.stream.InverseParams;
import dev.streamfold.ir.stream.Toeplitz;
import dev.streamfold.ir.stream.ToeplitzInverse;
import dev.streamfold.ir.stream.Identity;
import dev.streamfold.ir.stream.MomentumSgd;
import dev.streamfold.ir.stream.Param;
import dev.streamfold.ir.stream.PrefixSum;
import dev.streamfold.ir.stream.StreamingMatrix;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * The operator table every backend's conformance suite runs over, and that GPU bundles carry: every operator, the
 * three-factor composition, and 16 random products (fixed seed). The same list on every call.
 */
public final class ConformanceOperators {
    private ConformanceOperators() {}

    /** Every operator, with literal parameter values. */
    public static List<StreamingMatrix> operators() {
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
                MatrixBinder.parse(
                        "inverse(column_normalized_banded(params=[[1, 0.5, 0.25], [0.9, -0.4, 0.3], [1.2, 0.6, 0.1]]))"));
    }

    /** A three-buffer BLT, written unsorted. */
    public static Blt blt3() {
        return Blt.of(new double[] {0.5, 0.99, 0.9}, new double[] {0.2, 0.05, 0.1});
    }

    /** {@code prefix_sum @ momentum_sgd(0.9, [1.0, 0.5]) @ diagonal([2.0, 0.5])}. */
    public static StreamingMatrix compose3() {
        return new PrefixSum().matmul(new MomentumSgd(Param.scalar(0.9), Param.vector(1.0, 0.5)))
                .matmul(new Diagonal(Param.vector(2.0, 0.5)));
    }

    /** Every operator, then {@link #compose3()}, then 16 random products of 1 to 4 operators (seed 7). */
    public static List<StreamingMatrix> all() {
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
        return List.copyOf(out);
    }
}
