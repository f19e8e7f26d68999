package dev.streamfold.ir.stream;

import static dev.streamfold.ir.stream.BandedSemanticsTest.message;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.math.BigDecimal;
import java.math.MathContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Sensitivity, error and loss against brute force over participation patterns. */
class MechanismsTest {
    @Test
    void singleParticipationIsTheLargestColumnNorm() {
        assertEquals(Math.sqrt(10), Mechanisms.sensitivity(new PrefixSum(), Bindings.NONE, 10), 1e-12);
        Blt c = BandedSemanticsTest.blt3();
        double[] theta = DenseOracle.values(c.bufDecay());
        double[] omega = DenseOracle.values(c.outputScale());
        for (int n : new int[] {1, 2, 11, 64}) {
            assertEquals(Mechanisms.bltSensitivitySquared(theta, omega, n),
                    Math.pow(Mechanisms.sensitivity(c, Bindings.NONE, n), 2), 1e-10, "n=" + n);
        }
    }

    @ParameterizedTest
    @CsvSource({"9, 1, ", "9, 2, ", "9, 3, ", "9, 2, 2", "10, 4, ", "7, 9, "})
    void toeplitzMinSepMatchesBruteForce(int n, int minSep, Integer limit) {
        double[] coef = {1.0, 0.5, 0.375, 0.3125, 0.2};
        double[][] c = DenseOracle.toeplitz(coef, n);
        assertEquals(ParticipationOracle.bruteForceSquared(c, minSep, limit), Mechanisms.toeplitzMinSepSensitivitySquared(coef, n, minSep, limit),
                1e-12);
    }

    @ParameterizedTest
    @CsvSource({"12, 3, ", "12, 4, ", "12, 5, 2", "7, 3, "})
    void columnNormalizedBandedMinSepIsSqrtOfParticipations(int n, int minSep, Integer limit) {
        double[][] strategy = DenseOracle.invertLower(new ToeplitzInverse(Param.vector(1.0, 0.5, 0.375), n).materialize(n));
        double sens = Mechanisms.bandedMinSepSensitivity(strategy, minSep, limit);
        assertEquals(Math.sqrt(Mechanisms.maxParticipations(n, minSep, limit)), sens, 1e-12);
        assertEquals(ParticipationOracle.bruteForceSquared(strategy, minSep, limit), sens * sens, 1e-10);
    }

    @Test
    void errorAndLossOfAFactorization() {
        Blt c = BandedSemanticsTest.blt3();
        int n = 20;
        double[] perQuery = Mechanisms.perQueryError(new PrefixSum(), new Inverse(c), Bindings.NONE, n);
        double[][] b = DenseOracle.matmul(new PrefixSum().materialize(n), DenseOracle.invertLower(c.materialize(n)));
        double sum = 0;
        for (int i = 0; i < n; i++) {
            double s = 0;
            for (double v : b[i]) {
                s += v * v;
            }
            assertEquals(s, perQuery[i], 1e-9);
            sum += s;
        }
        assertEquals(sum / n, Mechanisms.meanError(perQuery), 1e-9);
        assertEquals(perQuery[n - 1], Mechanisms.maxError(perQuery), 0);
        double sens = Mechanisms.sensitivity(c, Bindings.NONE, n);
        assertEquals(sens * sens * perQuery[n - 1], Mechanisms.loss(sens, Mechanisms.maxError(perQuery)), 1e-12);
        assertArrayEquals(perQuery, Mechanisms.perQueryError(new PrefixSum(), new InverseParams(c), Bindings.NONE, n), 1e-9);
    }

    @Test
    void validation() {
        assertEquals("min_sep must be positive, got 0",
                message(() -> Mechanisms.toeplitzMinSepSensitivitySquared(new double[] {1}, 4, 0, null)));
        assertEquals("min_sep must be positive, got -1",
                message(() -> Mechanisms.bandedMinSepSensitivity(new double[][] {{1}}, -1, null)));
        assertEquals("coef must be non-negative, found coef[1] = -0.5",
                message(() -> Mechanisms.toeplitzMinSepSensitivitySquared(new double[] {1, -0.5}, 4, 1, null)));
        assertEquals("coef must be non-increasing, found coef[1] = 2.0 > coef[0] = 1.0",
                message(() -> Mechanisms.toeplitzMinSepSensitivitySquared(new double[] {1, 2}, 4, 1, null)));
        assertEquals("columns 0 and 2 of C are 2 >= min_sep = 2 apart but not orthogonal; the banded sensitivity does not apply",
                message(() -> Mechanisms.bandedMinSepSensitivity(new PrefixSum().materialize(4), 2, null)));
    }

    /** Sensitivities of a BLT whose largest buf_decay is 1 - delta, against exact decimal arithmetic. */
    @ParameterizedTest
    @CsvSource({"1e-9", "1e-11", "1e-12", "1e-14", "0"})
    void bltSensitivityStaysExactAsBufDecayTendsToOne(double delta) {
        double[] theta = {1 - delta, 0.5};
        double[] omega = {0.3, 0.2};
        MathContext mc = new MathContext(40);
        int n = 4096;
        BigDecimal single = BigDecimal.ONE;
        for (int j = 0; j < 2; j++) {
            for (int k = 0; k < 2; k++) {
                BigDecimal r = new BigDecimal(theta[j]).multiply(new BigDecimal(theta[k]), mc);
                BigDecimal power = BigDecimal.ONE;
                BigDecimal sum = BigDecimal.ZERO;
                for (int m = 0; m < n - 1; m++) {
                    sum = sum.add(power, mc);
                    power = power.multiply(r, mc);
                }
                single = single.add(new BigDecimal(omega[j]).multiply(new BigDecimal(omega[k]), mc).multiply(sum, mc), mc);
            }
        }
        double want = single.doubleValue();
        assertEquals(want, Mechanisms.bltSensitivitySquared(theta, omega, n), 4e-15 * want, "single participation");

        int steps = 512;
        int minSep = 64;
        BigDecimal[] coef = new BigDecimal[steps];
        coef[0] = BigDecimal.ONE;
        BigDecimal[] powers = {BigDecimal.ONE, BigDecimal.ONE};
        for (int d = 1; d < steps; d++) {
            coef[d] = BigDecimal.ZERO;
            for (int j = 0; j < 2; j++) {
                coef[d] = coef[d].add(new BigDecimal(omega[j]).multiply(powers[j], mc), mc);
                powers[j] = powers[j].multiply(new BigDecimal(theta[j]), mc);
            }
        }
        BigDecimal minSepSquared = BigDecimal.ZERO;
        for (int i = 0; i < steps; i++) {
            BigDecimal v = BigDecimal.ZERO;
            for (int m = 0; m * minSep <= i; m++) {
                v = v.add(coef[i - m * minSep], mc);
            }
            minSepSquared = minSepSquared.add(v.multiply(v, mc), mc);
        }
        double wantMinSep = minSepSquared.doubleValue();
        assertEquals(wantMinSep, Mechanisms.bltMinSepSensitivitySquared(theta, omega, steps, minSep, null),
                1e-14 * wantMinSep, "min separation");
    }

    @Test
    void geometricSumIsExactAtTheEdges() {
        assertEquals(7, Mechanisms.geometricSum(1, 1, 7), 0);
        assertEquals(1, Mechanisms.geometricSum(0, 0.5, 7), 0);
        assertEquals(0, Mechanisms.geometricSum(0.5, 0.5, 0), 0);
        assertEquals((1 - Math.pow(0.25, 5)) / 0.75, Mechanisms.geometricSum(0.5, 0.5, 5), 1e-15);
        assertEquals((1 - Math.pow(-0.25, 5)) / 1.25, Mechanisms.geometricSum(-0.5, 0.5, 5), 1e-15);
    }

}
