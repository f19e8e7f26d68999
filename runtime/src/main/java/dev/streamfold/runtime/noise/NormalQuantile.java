package dev.streamfold.runtime.noise;

/**
 * Standard normal deviates from Philox words by the inverse normal CDF, using only IEEE-754 basic operations so that
 * every backend reproduces the result bit for bit. Sources: Wichura, "Algorithm AS 241: The percentage points of the
 * normal distribution" (Applied Statistics, 1988), PPND7 for binary32 and PPND16 for binary64; the logarithm's
 * reduction and polynomial follow fdlibm {@code e_log.c} (binary64) and FreeBSD msun {@code e_logf.c} (binary32).
 *
 * <h2>Operation-order contract</h2>
 * Backends (scalar Java, Vector API, LLVM host code, PTX) follow the steps below literally. Each arrow is exactly one
 * IEEE-754 operation in the stated format, rounded to nearest-even; no fused multiply-add or contraction
 * (LLVM: no {@code contract}/fast-math flags; PTX: {@code mul.rn}, {@code add.rn}, {@code sub.rn}, {@code div.rn},
 * {@code sqrt.rn}), no reassociation, no reciprocal or approximate division or square root. Multiplication and
 * addition are commutative in IEEE-754, so operand order inside one operation is free; grouping is not. Constants are
 * the exact binary values of the fields of this class (emit their bit patterns). Integer steps are two's-complement
 * with wrap-around; {@code >>>} is a logical shift. Conversions between integers and floats are applied only to values
 * they represent exactly, so any exact method is allowed (e.g. the {@code 2^52}-bias trick). On the selected path no
 * operand or result is subnormal, so flush-to-zero modes do not change results. A vector backend may evaluate both the
 * central and the tail branch in every lane and select per lane: the selected lane's operations are unchanged.
 *
 * <h3>binary32, from one 32-bit word {@code w}</h3>
 * <pre>
 * U1  s   = (2 * (w >>> 8) + 1) - 2^24            int32; s is odd, |s| &lt; 2^24
 * U2  neg = s &lt; 0                                 (equivalently: bit 31 of w is 0)
 * U3  a   = float(|s|) * 2^-25                     exact; a = |u - 1/2| for u = (2*(w >>> 8) + 1) * 2^-25
 * if a &lt;= PPND7_SPLIT1 (central):
 * C1  t ← a * a;  r ← PPND7_CONST1 - t
 * C2  n ← A3;  n ← n * r;  n ← n + A2;  n ← n * r;  n ← n + A1;  n ← n * r;  n ← n + A0
 * C3  d ← B3;  d ← d * r;  d ← d + B2;  d ← d * r;  d ← d + B1;  d ← d * r;  d ← d + 1
 * C4  y ← a * n;  m ← y / d
 * else (tail):
 * T1  p ← 0.5 - a                                  exact
 * T2  l = LOG32(p);  l ← -l
 * T3  t ← sqrt(l);  x ← t - PPND7_CONST2
 * T4  n ← C3;  n ← n * x;  n ← n + C2;  n ← n * x;  n ← n + C1;  n ← n * x;  n ← n + C0
 * T5  d ← D2;  d ← d * x;  d ← d + D1;  d ← d * x;  d ← d + 1
 * T6  m ← n / d
 * Z   z = neg ? -m : m                             sign flip, exact
 * </pre>
 * ({@code A*}, {@code B*}, ... are {@code PPND7_A*}, {@code PPND7_B*}, ...; the PPND7 branch for {@code t > 5} is
 * unreachable because {@code p >= 2^-25}.)
 *
 * <h3>binary64, from one 64-bit value {@code x} (see {@link GaussianNoise} for how two words form it)</h3>
 * <pre>
 * U1  s   = (2 * (x >>> 11) + 1) - 2^53            int64; s is odd, |s| &lt; 2^53
 * U2  neg = s &lt; 0                                 (equivalently: bit 63 of x is 0)
 * U3  a   = double(|s|) * 2^-54                    exact
 * if a &lt;= PPND16_SPLIT1 (central):
 * C1  t ← a * a;  r ← PPND16_CONST1 - t
 * C2  n = Horner(A7..A0, r);  d = Horner(B7..B1, 1, r)
 * C4  y ← a * n;  m ← y / d
 * else (tail):
 * T1  p ← 0.5 - a                                  exact
 * T2  l = LOG64(p);  l ← -l
 * T3  t ← sqrt(l)
 * if t &lt;= PPND16_SPLIT2:
 * T4    x ← t - PPND16_CONST2;  n = Horner(C7..C0, x);  d = Horner(D7..D1, 1, x)
 * else:
 * T5    x ← t - PPND16_SPLIT2;  n = Horner(E7..E0, x);  d = Horner(F7..F1, 1, x)
 * T6  m ← n / d
 * Z   z = neg ? -m : m
 * </pre>
 * {@code Horner(c_k..c_0, x)} is {@code h ← c_k}, then for {@code j = k-1 .. 0}: {@code h ← h * x; h ← h + c_j}.
 *
 * <h3>LOG32(v) / LOG64(v), for positive normal v</h3>
 * <pre>
 * L1  b = bits(v);  e = (b >>> 23) - 127;  mb = (b &amp; 0x007fffff) | 0x3f800000          binary32
 *     b = bits(v);  e = (b >>> 52) - 1023; mb = (b &amp; 0x000fffffffffffff) | 0x3ff0000000000000   binary64
 * L2  if mb > LOG32_SQRT2_BITS (LOG64_SQRT2_BITS): mb = mb - 2^23 (2^52); e = e + 1     unsigned compare
 * L3  g = the value with bits mb;  f ← g - 1      exact; g in [sqrt(2)/2, sqrt(2)]
 * L4  q ← 2 + f;  s ← f / q
 * L5  z ← s * s;  h = Horner(LG_last..LG1, z);  R ← z * h        (LG4..LG1 binary32, LG7..LG1 binary64)
 * L6  hf ← 0.5 * f;  hf ← hf * f
 * L7  u ← hf + R;  u ← s * u;  u ← hf - u;  u ← f - u
 * L8  k = float(e);  v1 ← k * LN2_HI;  v2 ← k * LN2_LO;  v2 ← v2 + u;  log ← v1 + v2
 * </pre>
 * Accuracy against the exact quantile of the same uniform (checked by the tests): relative error below 4e-7 on every one
 * of the 2^24 binary32 inputs, and below 2e-15 in binary64. Outputs range over about |z| &lt;= 5.42 (binary32) and
 * |z| &lt;= 8.29 (binary64), and z(~w) = -z(w) exactly.
 */
public final class NormalQuantile {
    private NormalQuantile() {}

    public static final float PPND7_SPLIT1 = 0.425f;
    public static final float PPND7_CONST1 = 0.180625f;
    public static final float PPND7_CONST2 = 1.6f;
    public static final float PPND7_A0 = 3.3871327179E+00f;
    public static final float PPND7_A1 = 5.0434271938E+01f;
    public static final float PPND7_A2 = 1.5929113202E+02f;
    public static final float PPND7_A3 = 5.9109374720E+01f;
    public static final float PPND7_B1 = 1.7895169469E+01f;
    public static final float PPND7_B2 = 7.8757757664E+01f;
    public static final float PPND7_B3 = 6.7187563600E+01f;
    public static final float PPND7_C0 = 1.4234372777E+00f;
    public static final float PPND7_C1 = 2.7568153900E+00f;
    public static final float PPND7_C2 = 1.3067284816E+00f;
    public static final float PPND7_C3 = 1.7023821103E-01f;
    public static final float PPND7_D1 = 7.3700164250E-01f;
    public static final float PPND7_D2 = 1.2021132975E-01f;

    public static final double PPND16_SPLIT1 = 0.425;
    public static final double PPND16_SPLIT2 = 5.0;
    public static final double PPND16_CONST1 = 0.180625;
    public static final double PPND16_CONST2 = 1.6;
    public static final double PPND16_A0 = 3.3871328727963666080e0;
    public static final double PPND16_A1 = 1.3314166789178437745e+2;
    public static final double PPND16_A2 = 1.9715909503065514427e+3;
    public static final double PPND16_A3 = 1.3731693765509461125e+4;
    public static final double PPND16_A4 = 4.5921953931549871457e+4;
    public static final double PPND16_A5 = 6.7265770927008700853e+4;
    public static final double PPND16_A6 = 3.3430575583588128105e+4;
    public static final double PPND16_A7 = 2.5090809287301226727e+3;
    public static final double PPND16_B1 = 4.2313330701600911252e+1;
    public static final double PPND16_B2 = 6.8718700749205790830e+2;
    public static final double PPND16_B3 = 5.3941960214247511077e+3;
    public static final double PPND16_B4 = 2.1213794301586595867e+4;
    public static final double PPND16_B5 = 3.9307895800092710610e+4;
    public static final double PPND16_B6 = 2.8729085735721942674e+4;
    public static final double PPND16_B7 = 5.2264952788528545610e+3;
    public static final double PPND16_C0 = 1.42343711074968357734e0;
    public static final double PPND16_C1 = 4.63033784615654529590e0;
    public static final double PPND16_C2 = 5.76949722146069140550e0;
    public static final double PPND16_C3 = 3.64784832476320460504e0;
    public static final double PPND16_C4 = 1.27045825245236838258e0;
    public static final double PPND16_C5 = 2.41780725177450611770e-1;
    public static final double PPND16_C6 = 2.27238449892691845833e-2;
    public static final double PPND16_C7 = 7.74545014278341407640e-4;
    public static final double PPND16_D1 = 2.05319162663775882187e0;
    public static final double PPND16_D2 = 1.67638483018380384940e0;
    public static final double PPND16_D3 = 6.89767334985100004550e-1;
    public static final double PPND16_D4 = 1.48103976427480074590e-1;
    public static final double PPND16_D5 = 1.51986665636164571966e-2;
    public static final double PPND16_D6 = 5.47593808499534494600e-4;
    public static final double PPND16_D7 = 1.05075007164441684324e-9;
    public static final double PPND16_E0 = 6.65790464350110377720e0;
    public static final double PPND16_E1 = 5.46378491116411436990e0;
    public static final double PPND16_E2 = 1.78482653991729133580e0;
    public static final double PPND16_E3 = 2.96560571828504891230e-1;
    public static final double PPND16_E4 = 2.65321895265761230930e-2;
    public static final double PPND16_E5 = 1.24266094738807843860e-3;
    public static final double PPND16_E6 = 2.71155556874348757815e-5;
    public static final double PPND16_E7 = 2.01033439929228813265e-7;
    public static final double PPND16_F1 = 5.99832206555887937690e-1;
    public static final double PPND16_F2 = 1.36929880922735805310e-1;
    public static final double PPND16_F3 = 1.48753612908506148525e-2;
    public static final double PPND16_F4 = 7.86869131145613259100e-4;
    public static final double PPND16_F5 = 1.84631831751005468180e-5;
    public static final double PPND16_F6 = 1.42151175831644588870e-7;
    public static final double PPND16_F7 = 2.04426310338993978564e-15;

    /** Bits of the binary32 value nearest sqrt(2) (just below it). */
    public static final int LOG32_SQRT2_BITS = 0x3fb504f3;
    public static final float LOG32_LN2_HI = 0x1.62e3p-1f;
    public static final float LOG32_LN2_LO = 0x1.2fefa2p-17f;
    public static final float LOG32_LG1 = 0xaaaaaa.0p-24f;
    public static final float LOG32_LG2 = 0xccce13.0p-25f;
    public static final float LOG32_LG3 = 0x91e9ee.0p-25f;
    public static final float LOG32_LG4 = 0xf89e26.0p-26f;

    /** Bits of the binary64 value nearest sqrt(2) (just above it). */
    public static final long LOG64_SQRT2_BITS = 0x3ff6a09e667f3bcdL;
    public static final double LOG64_LN2_HI = 6.93147180369123816490e-01;
    public static final double LOG64_LN2_LO = 1.90821492927058770002e-10;
    public static final double LOG64_LG1 = 6.666666666666735130e-01;
    public static final double LOG64_LG2 = 3.999999999940941908e-01;
    public static final double LOG64_LG3 = 2.857142874366239149e-01;
    public static final double LOG64_LG4 = 2.222219843214978396e-01;
    public static final double LOG64_LG5 = 1.818357216161805012e-01;
    public static final double LOG64_LG6 = 1.531383769920937332e-01;
    public static final double LOG64_LG7 = 1.479819860511658591e-01;

    /** Standard normal deviate for one Philox word (binary32 contract, steps U1..Z). */
    public static float fromWordF32(int word) {
        int s = (((word >>> 8) << 1) | 1) - (1 << 24);
        float a = (float) Math.abs(s) * 0x1p-25f;
        float m = magnitudeF32(a);
        return s < 0 ? -m : m;
    }

    /** Standard normal deviate for one 64-bit value built from two Philox words (binary64 contract, U1..Z). */
    public static double fromBitsF64(long bits) {
        long s = (((bits >>> 11) << 1) | 1) - (1L << 53);
        double a = (double) Math.abs(s) * 0x1p-54;
        double m = magnitudeF64(a);
        return s < 0 ? -m : m;
    }

    /** {@code Phi^-1(1/2 + q)} in binary32 for {@code 0 < |q| < 1/2}, by the contract's steps C1..Z. */
    public static float centeredQuantileF32(float q) {
        float m = magnitudeF32(Math.abs(q));
        return q < 0 ? -m : m;
    }

    /** {@code Phi^-1(1/2 + q)} in binary64 for {@code 0 < |q| < 1/2}, by the contract's steps C1..Z. */
    public static double centeredQuantileF64(double q) {
        double m = magnitudeF64(Math.abs(q));
        return q < 0 ? -m : m;
    }

    /** {@code Phi^-1(1/2 + a)} for {@code 0 < a < 1/2}: steps C1..T6 in binary32. */
    static float magnitudeF32(float a) {
        if (a <= PPND7_SPLIT1) {
            float r = PPND7_CONST1 - a * a;
            float n = ((PPND7_A3 * r + PPND7_A2) * r + PPND7_A1) * r + PPND7_A0;
            float d = ((PPND7_B3 * r + PPND7_B2) * r + PPND7_B1) * r + 1f;
            return a * n / d;
        }
        float p = 0.5f - a;
        float t = (float) Math.sqrt(-logF32(p));
        float x = t - PPND7_CONST2;
        float n = ((PPND7_C3 * x + PPND7_C2) * x + PPND7_C1) * x + PPND7_C0;
        float d = (PPND7_D2 * x + PPND7_D1) * x + 1f;
        return n / d;
    }

    /** {@code Phi^-1(1/2 + a)} for {@code 0 < a < 1/2}: steps C1..T6 in binary64. */
    static double magnitudeF64(double a) {
        if (a <= PPND16_SPLIT1) {
            double r = PPND16_CONST1 - a * a;
            double n = ((((((PPND16_A7 * r + PPND16_A6) * r + PPND16_A5) * r + PPND16_A4) * r + PPND16_A3) * r
                    + PPND16_A2) * r + PPND16_A1) * r + PPND16_A0;
            double d = ((((((PPND16_B7 * r + PPND16_B6) * r + PPND16_B5) * r + PPND16_B4) * r + PPND16_B3) * r
                    + PPND16_B2) * r + PPND16_B1) * r + 1.0;
            return a * n / d;
        }
        double p = 0.5 - a;
        double t = Math.sqrt(-logF64(p));
        if (t <= PPND16_SPLIT2) {
            double x = t - PPND16_CONST2;
            double n = ((((((PPND16_C7 * x + PPND16_C6) * x + PPND16_C5) * x + PPND16_C4) * x + PPND16_C3) * x
                    + PPND16_C2) * x + PPND16_C1) * x + PPND16_C0;
            double d = ((((((PPND16_D7 * x + PPND16_D6) * x + PPND16_D5) * x + PPND16_D4) * x + PPND16_D3) * x
                    + PPND16_D2) * x + PPND16_D1) * x + 1.0;
            return n / d;
        }
        double x = t - PPND16_SPLIT2;
        double n = ((((((PPND16_E7 * x + PPND16_E6) * x + PPND16_E5) * x + PPND16_E4) * x + PPND16_E3) * x
                + PPND16_E2) * x + PPND16_E1) * x + PPND16_E0;
        double d = ((((((PPND16_F7 * x + PPND16_F6) * x + PPND16_F5) * x + PPND16_F4) * x + PPND16_F3) * x
                + PPND16_F2) * x + PPND16_F1) * x + 1.0;
        return n / d;
    }

    /** Natural logarithm of a positive normal binary32 value by steps L1..L8. */
    public static float logF32(float v) {
        int b = Float.floatToRawIntBits(v);
        int e = (b >>> 23) - 127;
        int mb = (b & 0x007fffff) | 0x3f800000;
        if (mb > LOG32_SQRT2_BITS) {
            mb -= 1 << 23;
            e += 1;
        }
        float f = Float.intBitsToFloat(mb) - 1f;
        float s = f / (2f + f);
        float z = s * s;
        float r = z * (LOG32_LG1 + z * (LOG32_LG2 + z * (LOG32_LG3 + z * LOG32_LG4)));
        float hf = 0.5f * f * f;
        float u = f - (hf - s * (hf + r));
        float k = (float) e;
        return k * LOG32_LN2_HI + (k * LOG32_LN2_LO + u);
    }

    /** Natural logarithm of a positive normal binary64 value by steps L1..L8. */
    public static double logF64(double v) {
        long b = Double.doubleToRawLongBits(v);
        int e = (int) (b >>> 52) - 1023;
        long mb = (b & 0x000fffffffffffffL) | 0x3ff0000000000000L;
        if (mb > LOG64_SQRT2_BITS) {
            mb -= 1L << 52;
            e += 1;
        }
        double f = Double.longBitsToDouble(mb) - 1.0;
        double s = f / (2.0 + f);
        double z = s * s;
        double r = z * (LOG64_LG1 + z * (LOG64_LG2 + z * (LOG64_LG3 + z * (LOG64_LG4 + z * (LOG64_LG5
                + z * (LOG64_LG6 + z * LOG64_LG7))))));
        double hf = 0.5 * f * f;
        double u = f - (hf - s * (hf + r));
        double k = e;
        return k * LOG64_LN2_HI + (k * LOG64_LN2_LO + u);
    }
}
