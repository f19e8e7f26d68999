package dev.streamfold.runtime.noise;

import java.math.BigDecimal;
import java.math.MathContext;
import java.math.RoundingMode;

/** Standard normal tail and quantile in 60-digit decimal arithmetic, as an accuracy reference. */
final class HighPrecisionNormal {
    private static final MathContext MC = new MathContext(60, RoundingMode.HALF_EVEN);
    private static final BigDecimal PI =
            new BigDecimal("3.14159265358979323846264338327950288419716939937510582097494459230781640628620899863");
    private static final BigDecimal SQRT2 = BigDecimal.TWO.sqrt(MC);
    private static final BigDecimal SQRT_PI = PI.sqrt(MC);
    private static final BigDecimal SQRT_2PI = PI.multiply(BigDecimal.TWO, MC).sqrt(MC);
    private static final BigDecimal HALF = new BigDecimal("0.5");
    private static final BigDecimal EPSILON = new BigDecimal("1e-70");

    private HighPrecisionNormal() {}

    /** {@code exp(y)} for {@code y >= 0} by its all-positive Taylor series. */
    static BigDecimal exp(BigDecimal y) {
        BigDecimal sum = BigDecimal.ONE;
        BigDecimal term = BigDecimal.ONE;
        for (int n = 1; term.compareTo(EPSILON.multiply(sum)) > 0; n++) {
            term = term.multiply(y, MC).divide(BigDecimal.valueOf(n), MC);
            sum = sum.add(term, MC);
        }
        return sum;
    }

    /**
     * {@code erf(x)} for {@code x >= 0} by {@code 2/sqrt(pi) exp(-x^2) sum (2x^2)^n x / (1*3*...*(2n+1))}, whose terms are
     * all positive.
     */
    static BigDecimal erf(BigDecimal x) {
        BigDecimal x2 = x.multiply(x, MC);
        BigDecimal twoX2 = x2.multiply(BigDecimal.TWO, MC);
        BigDecimal term = x;
        BigDecimal sum = x;
        for (int n = 1; term.compareTo(EPSILON.multiply(sum)) > 0 || n < x2.intValue() + 2; n++) {
            term = term.multiply(twoX2, MC).divide(BigDecimal.valueOf(2L * n + 1), MC);
            sum = sum.add(term, MC);
        }
        return sum.multiply(BigDecimal.TWO, MC).divide(SQRT_PI.multiply(exp(x2), MC), MC);
    }

    /** Upper tail {@code Q(z) = 1 - Phi(z)} for {@code z >= 0}. */
    static BigDecimal upperTail(BigDecimal z) {
        return BigDecimal.ONE.subtract(erf(z.divide(SQRT2, MC)), MC).multiply(HALF, MC);
    }

    static BigDecimal density(BigDecimal z) {
        return BigDecimal.ONE.divide(exp(z.multiply(z, MC).multiply(HALF, MC)).multiply(SQRT_2PI, MC), MC);
    }

    /** The {@code z > 0} with {@code Q(z) = tail}, by Newton's method from {@code start}. */
    static BigDecimal upperQuantile(BigDecimal tail, double start) {
        BigDecimal z = new BigDecimal(start);
        for (int i = 0; i < 4; i++) {
            z = z.add(upperTail(z).subtract(tail, MC).divide(density(z), MC), MC);
        }
        return z;
    }

    /** Relative error of {@code z = Phi^-1(1/2 + q)} as computed in binary64, for {@code q != 0}. */
    static double relativeError(double q, double z) {
        BigDecimal tail = HALF.subtract(new BigDecimal(Math.abs(q)));
        BigDecimal exact = upperQuantile(tail, Math.abs(z));
        BigDecimal got = new BigDecimal(Math.abs(z));
        double error = got.subtract(exact, MC).abs().divide(exact, MC).doubleValue();
        return Math.signum(z) == Math.signum(q) ? error : Double.POSITIVE_INFINITY;
    }
}
