package dev.streamfold.ir.strategy;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.streamfold.ir.DType;
import dev.streamfold.ir.StreamfoldException;
import dev.streamfold.ir.Tensor;
import dev.streamfold.ir.stream.Bindings;
import dev.streamfold.ir.stream.Blt;
import dev.streamfold.ir.stream.ColumnNormalizedBanded;
import dev.streamfold.ir.stream.Diagonal;
import dev.streamfold.ir.stream.Inverse;
import dev.streamfold.ir.stream.Invertible;
import dev.streamfold.ir.stream.Mechanisms;
import dev.streamfold.ir.stream.MomentumSgd;
import dev.streamfold.ir.stream.Param;
import dev.streamfold.ir.stream.ParticipationOracle;
import dev.streamfold.ir.stream.PrefixSum;
import dev.streamfold.ir.stream.StreamingMatrix;
import dev.streamfold.ir.stream.Toeplitz;
import org.junit.jupiter.api.Test;

/** The accounting against hand-computed cases, the {@code Mechanisms} class and brute force over patterns. */
class MechanismReportTest {
    @Test
    void oneBufferBltByHand() {
        // C = [[1, 0, 0], [0.5, 1, 0], [0.25, 0.5, 1]], C^-1 = [[1, 0, 0], [-0.5, 1, 0], [0, -0.5, 1]]
        MechanismReport r = MechanismReport.of(Blt.of(new double[] {0.5}, new double[] {0.5}), 3, 2, 2);
        assertEquals("blt", r.kind());
        assertEquals(Math.sqrt(1.3125), r.singleSensitivity(), 1e-15);
        assertEquals(Math.sqrt(2.8125), r.minSep().value(), 1e-15); // C (e_0 + e_2) = [1, 0.5, 1.25]
        assertEquals(false, r.minSep().upperBound());
        assertArrayEquals(new double[] {1, 1.25, 1.5}, r.perQueryError(), 1e-15); // B rows: [1], [0.5, 1], [0.5, 0.5, 1]
        assertEquals(1.25, r.meanError(), 1e-15);
        assertEquals(2.8125 * 1.5, r.maxLoss(), 1e-14);
        assertEquals(2.8125 * 1.25, r.meanLoss(), 1e-14);
    }

    @Test
    void agreesWithMechanismsForEveryStrategyKind() {
        int n = 12;
        double[][] p = {{1, 0.5, 0.2}, {0.9, 0.4, 0.3}, {1.1, 0.6, 0.1}};
        StreamingMatrix[] strategies = {
            Blt.of(new double[] {0.9, 0.6, 0.2}, new double[] {0.2, 0.15, 0.1}),
            new Toeplitz(Param.vector(1, 0.6, 0.45, 0.3)),
            new ColumnNormalizedBanded(new Param.Literal(Tensor.matrix(DType.F64, p))),
            new MomentumSgd(Param.scalar(0.5), Param.vector(1.0)).matmul(new Diagonal(Param.vector(2, 1))),
        };
        String[] kinds = {"blt", "toeplitz", "banded", "general"};
        for (int s = 0; s < strategies.length; s++) {
            StreamingMatrix c = strategies[s];
            double[][] dense = c.materialize(n);
            MechanismReport r = MechanismReport.of(c, n, 3, 3);
            assertEquals(kinds[s], r.kind());
            assertEquals(Mechanisms.sensitivity(dense), r.singleSensitivity(), 1e-12, kinds[s]);
            double[] err = denseError(dense);
            assertArrayEquals(err, r.perQueryError(), 1e-9 * Mechanisms.maxError(err), kinds[s]);
            if (c instanceof Invertible inv) {
                assertArrayEquals(Mechanisms.perQueryError(new PrefixSum(), new Inverse(inv), Bindings.NONE, n),
                        r.perQueryError(), 1e-9 * Mechanisms.maxError(err), kinds[s]);
            }
            assertEquals(Mechanisms.meanError(err), r.meanError(), 1e-9 * r.meanError(), kinds[s]);
            assertEquals(Mechanisms.maxError(err) * r.sensitivity() * r.sensitivity(), r.maxLoss(), 1e-9 * r.maxLoss());
            double exact = Math.sqrt(ParticipationOracle.bruteForceSquared(dense, 3, 3));
            if (r.minSep().upperBound()) {
                assertTrue(r.minSep().value() >= exact * (1 - 1e-12), kinds[s] + " bound below the exact value");
            } else {
                assertEquals(exact, r.minSep().value(), 1e-12 * exact, kinds[s]);
            }
        }
    }

    /** Squared row norms of {@code A C^-1} with A the prefix sum, by dense forward substitution. */
    static double[] denseError(double[][] c) {
        int n = c.length;
        double[][] z = new double[n][n];
        for (int col = 0; col < n; col++) {
            for (int i = 0; i < n; i++) {
                double v = i == col ? 1 : 0;
                for (int l = 0; l < i; l++) {
                    v -= c[i][l] * z[l][col];
                }
                z[i][col] = v / c[i][i];
            }
        }
        double[] err = new double[n];
        for (int i = 0; i < n; i++) {
            for (int l = 0; l < n; l++) {
                double b = 0;
                for (int q = 0; q <= i; q++) {
                    b += z[q][l];
                }
                err[i] += b * b;
            }
        }
        return err;
    }

    @Test
    void shortToeplitzOverAMillionStepsFollowsItsClosedForm() {
        // C = toeplitz(1, 0.5): C^-1 has coefficients (-0.5)^d, so row d of B = A C^-1 sums to (1 - (-0.5)^(d+1)) / 1.5.
        int n = 1_000_000;
        Toeplitz c = new Toeplitz(Param.vector(1, 0.5));
        MechanismReport r = MechanismReport.of(c, n, null, null);
        assertEquals("toeplitz", r.kind());
        assertEquals(Math.sqrt(1.25), r.singleSensitivity(), 1e-15);
        assertEquals(n, r.perQueryError().length);
        double[] small = MechanismReport.of(c, 12, null, null).perQueryError();
        for (int d = 0; d < small.length; d++) {
            assertEquals(small[d], r.perQueryError()[d], 1e-12 * small[d]);
        }
        double acc = 0;
        for (int d = 0; d < n; d++) {
            double b = (1 - Math.pow(-0.5, d + 1)) / 1.5;
            acc += b * b;
            assertEquals(acc, r.perQueryError()[d], 1e-9 * acc);
        }
    }

    @Test
    void toeplitzWithNegativeOrIncreasingCoefficientsGivesAFlaggedUpperBound() {
        for (double[] coef : new double[][] {{1, -0.5, 0.3}, {1, 0.5, 0.8, 0.2}}) {
            MechanismReport r = MechanismReport.of(new Toeplitz(Param.vector(coef)), 10, 2, null);
            assertTrue(r.minSep().upperBound());
            double exact = Math.sqrt(ParticipationOracle.bruteForceSquared(new Toeplitz(Param.vector(coef)).materialize(10), 2, null));
            assertTrue(r.minSep().value() >= exact * (1 - 1e-12), "bound " + r.minSep().value() + " below " + exact);
        }
        MechanismReport monotone = MechanismReport.of(new Toeplitz(Param.vector(1, 0.5, 0.25)), 10, 2, null);
        assertEquals(false, monotone.minSep().upperBound());
    }

    @Test
    void refusesNamedParametersAndSingularStrategies() {
        StreamfoldException named = assertThrows(StreamfoldException.class,
                () -> MechanismReport.of(new Blt(Param.named("t"), Param.named("w")), 4, null, null));
        assertEquals("the strategy has named parameters ($t, $w); write their values in the expression", named.getMessage());
        StreamfoldException singular = assertThrows(StreamfoldException.class,
                () -> MechanismReport.of(new Diagonal(Param.vector(1, 0)), 4, null, null));
        assertEquals("the strategy is singular: C[1][1] = 0.0", singular.getMessage());
    }

}
