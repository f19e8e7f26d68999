package dev.streamfold.compiler.llvm;

import static dev.streamfold.runtime.noise.NormalQuantile.*;

import dev.streamfold.compiler.llvm.LlvmEmitter.Fn;
import dev.streamfold.ir.DType;
import dev.streamfold.runtime.noise.Philox4x32;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The counter-based Gaussian generator of {@code dev.streamfold.runtime.noise.GaussianNoise} as LLVM IR function
 * definitions, equal to the Java reference bit for bit on the host and on NVPTX. Every function has internal linkage
 * and is {@code alwaysinline}:
 *
 * <pre>
 * float  @sf_gaussian_f32(i64 seed, i64 step, i64 coord)    GaussianNoise.gaussianF32
 * double @sf_gaussian_f64(i64 seed, i64 step, i64 coord)    GaussianNoise.gaussianF64
 * float  @sf_normal_f32(i32 word)                           NormalQuantile.fromWordF32
 * double @sf_normal_f64(i64 bits)                           NormalQuantile.fromBitsF64
 * float  @sf_log_f32(float), double @sf_log_f64(double)    NormalQuantile.logF32, logF64
 * {i32, i32, i32, i32} @sf_philox4x32_10(i32 c0, i32 c1, i32 c2, i32 c3, i32 k0, i32 k1)
 * </pre>
 *
 * <p>The quantile follows {@code NormalQuantile}'s operation-order contract: one {@code fadd/fsub/fmul/fdiv} or
 * {@code llvm.sqrt} per step, no fast-math flags (so neither LLVM nor the NVPTX backend contracts to FMA), constants
 * as exact hex literals. Both branches are evaluated and the numerator and denominator selected before the one
 * division, as the contract allows: each selected operation is the contract's. The binary64 tail selects
 * {@code x} and each coefficient between its two polynomials, which have the same shape.
 */
final class LlvmNoise {
    static final String GAUSSIAN_F32 = "@sf_gaussian_f32";
    static final String GAUSSIAN_F64 = "@sf_gaussian_f64";

    /** Function definitions and the intrinsic declarations they need. */
    record Definitions(List<String> functions, List<String> declarations) {
        Definitions {
            functions = List.copyOf(functions);
            declarations = List.copyOf(declarations);
        }
    }

    private LlvmNoise() {}

    /** The generator of {@code dtype}'s deviates: {@code @sf_gaussian_f32} or {@code _f64} and its parts. */
    static Definitions of(DType dtype) {
        return switch (dtype) {
            case F32 -> new Definitions(List.of(philox(), logF32(), normalF32(), gaussianF32()),
                    List.of("declare float @llvm.sqrt.f32(float)", "declare i32 @llvm.abs.i32(i32, i1)"));
            case F64 -> new Definitions(List.of(philox(), logF64(), normalF64(), gaussianF64()),
                    List.of("declare double @llvm.sqrt.f64(double)", "declare i64 @llvm.abs.i64(i64, i1)"));
            case I32, BOOL -> throw new IllegalArgumentException("no Gaussian deviates of " + dtype);
        };
    }

    /** The entry point of {@code dtype}'s generator. */
    static String gaussian(DType dtype) {
        return switch (dtype) {
            case F32 -> GAUSSIAN_F32;
            case F64 -> GAUSSIAN_F64;
            case I32, BOOL -> throw new IllegalArgumentException("no Gaussian deviates of " + dtype);
        };
    }

    private static String philox() {
        Fn f = new Fn();
        f.comment("Philox4x32-" + Philox4x32.ROUNDS + ": the output words of counter (c0, c1, c2, c3) under key "
                + "(k0, k1).");
        f.open("define internal { i32, i32, i32, i32 } @sf_philox4x32_10(i32 %c0.0, i32 %c1.0, i32 %c2.0, "
                + "i32 %c3.0, i32 %k0.0, i32 %k1.0) alwaysinline {");
        f.label("entry");
        for (int r = 0; r < Philox4x32.ROUNDS; r++) {
            int n = r + 1;
            if (r > 0) {
                f.line("%k0." + r + " = add i32 %k0." + (r - 1) + ", " + Philox4x32.W0);
                f.line("%k1." + r + " = add i32 %k1." + (r - 1) + ", " + Philox4x32.W1);
            }
            f.line("%c0." + r + ".wide = zext i32 %c0." + r + " to i64");
            f.line("%c2." + r + ".wide = zext i32 %c2." + r + " to i64");
            f.line("%p0." + r + " = mul nuw i64 %c0." + r + ".wide, " + Integer.toUnsignedString(Philox4x32.M0));
            f.line("%p1." + r + " = mul nuw i64 %c2." + r + ".wide, " + Integer.toUnsignedString(Philox4x32.M1));
            f.line("%p0." + r + ".hi.wide = lshr i64 %p0." + r + ", 32");
            f.line("%p1." + r + ".hi.wide = lshr i64 %p1." + r + ", 32");
            f.line("%p0." + r + ".hi = trunc i64 %p0." + r + ".hi.wide to i32");
            f.line("%p1." + r + ".hi = trunc i64 %p1." + r + ".hi.wide to i32");
            f.line("%c0." + n + ".part = xor i32 %p1." + r + ".hi, %c1." + r);
            f.line("%c0." + n + " = xor i32 %c0." + n + ".part, %k0." + r);
            f.line("%c1." + n + " = trunc i64 %p1." + r + " to i32");
            f.line("%c2." + n + ".part = xor i32 %p0." + r + ".hi, %c3." + r);
            f.line("%c2." + n + " = xor i32 %c2." + n + ".part, %k1." + r);
            f.line("%c3." + n + " = trunc i64 %p0." + r + " to i32");
        }
        String type = "{ i32, i32, i32, i32 }";
        String agg = "poison";
        for (int w = 0; w < 4; w++) {
            f.line("%out" + w + " = insertvalue " + type + " " + agg + ", i32 %c" + w + "." + Philox4x32.ROUNDS + ", "
                    + w);
            agg = "%out" + w;
        }
        f.line("ret " + type + " " + agg);
        return f.close();
    }

    /** Defines counter and key from seed, step and {@code %group}, and the block's words {@code %w0 .. %w3}. */
    private static void block(Fn f) {
        f.line("%group.hi = lshr i64 %group, 32");
        f.line("%step.hi = lshr i64 %step, 32");
        f.line("%seed.hi = lshr i64 %seed, 32");
        f.line("%c0 = trunc i64 %group to i32");
        f.line("%c1 = trunc i64 %group.hi to i32");
        f.line("%c2 = trunc i64 %step to i32");
        f.line("%c3 = trunc i64 %step.hi to i32");
        f.line("%k0 = trunc i64 %seed to i32");
        f.line("%k1 = trunc i64 %seed.hi to i32");
        f.line("%block = call { i32, i32, i32, i32 } @sf_philox4x32_10(i32 %c0, i32 %c1, i32 %c2, i32 %c3, "
                + "i32 %k0, i32 %k1)");
        for (int w = 0; w < 4; w++) {
            f.line("%w" + w + " = extractvalue { i32, i32, i32, i32 } %block, " + w);
        }
    }

    private static String gaussianF32() {
        Fn f = new Fn();
        f.comment("GaussianNoise.gaussianF32: word (coord & 3) of block (seed; coord >>> 2, step).");
        f.open("define internal float " + GAUSSIAN_F32 + "(i64 %seed, i64 %step, i64 %coord) alwaysinline {");
        f.label("entry");
        f.line("%group = lshr i64 %coord, 2");
        block(f);
        f.line("%index = trunc i64 %coord to i32");
        f.line("%index.odd = and i32 %index, 1");
        f.line("%index.high = and i32 %index, 2");
        f.line("%odd = icmp ne i32 %index.odd, 0");
        f.line("%high = icmp ne i32 %index.high, 0");
        f.line("%word.low = select i1 %odd, i32 %w1, i32 %w0");
        f.line("%word.high = select i1 %odd, i32 %w3, i32 %w2");
        f.line("%word = select i1 %high, i32 %word.high, i32 %word.low");
        f.line("%z = call float @sf_normal_f32(i32 %word)");
        f.line("ret float %z");
        return f.close();
    }

    private static String gaussianF64() {
        Fn f = new Fn();
        f.comment("GaussianNoise.gaussianF64: words 2h+1 (high) and 2h (low), h = coord & 1, of block "
                + "(seed; coord >>> 1, step).");
        f.open("define internal double " + GAUSSIAN_F64 + "(i64 %seed, i64 %step, i64 %coord) alwaysinline {");
        f.label("entry");
        f.line("%group = lshr i64 %coord, 1");
        block(f);
        f.line("%index = trunc i64 %coord to i32");
        f.line("%index.odd = and i32 %index, 1");
        f.line("%odd = icmp ne i32 %index.odd, 0");
        f.line("%low = select i1 %odd, i32 %w2, i32 %w0");
        f.line("%high = select i1 %odd, i32 %w3, i32 %w1");
        f.line("%low.wide = zext i32 %low to i64");
        f.line("%high.wide = zext i32 %high to i64");
        f.line("%high.shifted = shl i64 %high.wide, 32");
        f.line("%bits = or i64 %high.shifted, %low.wide");
        f.line("%z = call double @sf_normal_f64(i64 %bits)");
        f.line("ret double %z");
        return f.close();
    }

    private static String normalF32() {
        Fn f = new Fn();
        f.comment("NormalQuantile.fromWordF32, steps U1..Z.");
        f.open("define internal float @sf_normal_f32(i32 %word) alwaysinline {");
        f.label("entry");
        f.line("%top = lshr i32 %word, 8");
        f.line("%twice = shl i32 %top, 1");
        f.line("%odd = or i32 %twice, 1");
        f.line("%s = sub i32 %odd, " + (1 << 24));
        f.line("%neg = icmp slt i32 %s, 0");
        f.line("%s.abs = call i32 @llvm.abs.i32(i32 %s, i1 false)");
        f.line("%s.float = sitofp i32 %s.abs to float");
        f.line("%a = fmul float %s.float, " + f32(0x1p-25f));
        f.comment("C1..C4, central");
        f.line("%a.square = fmul float %a, %a");
        f.line("%r = fsub float " + f32(PPND7_CONST1) + ", %a.square");
        String cn = horner(f, "float", "%cn", f32s(PPND7_A3, PPND7_A2, PPND7_A1, PPND7_A0), "%r");
        f.line("%cn.a = fmul float %a, " + cn);
        String cd = horner(f, "float", "%cd", f32s(PPND7_B3, PPND7_B2, PPND7_B1, 1f), "%r");
        f.comment("T1..T5, tail");
        f.line("%p = fsub float " + f32(0.5f) + ", %a");
        f.line("%log = call float @sf_log_f32(float %p)");
        f.line("%l = fneg float %log");
        f.line("%t = call float @llvm.sqrt.f32(float %l)");
        f.line("%x = fsub float %t, " + f32(PPND7_CONST2));
        String tn = horner(f, "float", "%tn", f32s(PPND7_C3, PPND7_C2, PPND7_C1, PPND7_C0), "%x");
        String td = horner(f, "float", "%td", f32s(PPND7_D2, PPND7_D1, 1f), "%x");
        f.comment("C4 / T6, Z");
        f.line("%tail = fcmp ogt float %a, " + f32(PPND7_SPLIT1));
        f.line("%n = select i1 %tail, float " + tn + ", float %cn.a");
        f.line("%d = select i1 %tail, float " + td + ", float " + cd);
        f.line("%m = fdiv float %n, %d");
        f.line("%m.neg = fneg float %m");
        f.line("%z = select i1 %neg, float %m.neg, float %m");
        f.line("ret float %z");
        return f.close();
    }

    private static String normalF64() {
        Fn f = new Fn();
        f.comment("NormalQuantile.fromBitsF64, steps U1..Z.");
        f.open("define internal double @sf_normal_f64(i64 %bits) alwaysinline {");
        f.label("entry");
        f.line("%top = lshr i64 %bits, 11");
        f.line("%twice = shl i64 %top, 1");
        f.line("%odd = or i64 %twice, 1");
        f.line("%s = sub i64 %odd, " + (1L << 53));
        f.line("%neg = icmp slt i64 %s, 0");
        f.line("%s.abs = call i64 @llvm.abs.i64(i64 %s, i1 false)");
        f.line("%s.double = sitofp i64 %s.abs to double");
        f.line("%a = fmul double %s.double, " + f64(0x1p-54));
        f.comment("C1..C4, central");
        f.line("%a.square = fmul double %a, %a");
        f.line("%r = fsub double " + f64(PPND16_CONST1) + ", %a.square");
        String cn = horner(f, "double", "%cn", f64s(PPND16_A7, PPND16_A6, PPND16_A5, PPND16_A4, PPND16_A3,
                PPND16_A2, PPND16_A1, PPND16_A0), "%r");
        f.line("%cn.a = fmul double %a, " + cn);
        String cd = horner(f, "double", "%cd", f64s(PPND16_B7, PPND16_B6, PPND16_B5, PPND16_B4, PPND16_B3,
                PPND16_B2, PPND16_B1, 1.0), "%r");
        f.comment("T1..T5, tail: near (t <= SPLIT2) and far share their shape, so x and each coefficient are selected");
        f.line("%p = fsub double " + f64(0.5) + ", %a");
        f.line("%log = call double @sf_log_f64(double %p)");
        f.line("%l = fneg double %log");
        f.line("%t = call double @llvm.sqrt.f64(double %l)");
        f.line("%far = fcmp ogt double %t, " + f64(PPND16_SPLIT2));
        f.line("%x.near = fsub double %t, " + f64(PPND16_CONST2));
        f.line("%x.far = fsub double %t, " + f64(PPND16_SPLIT2));
        f.line("%x = select i1 %far, double %x.far, double %x.near");
        String tn = horner(f, "double", "%tn", selected(f, "%tn.c", "%far",
                f64s(PPND16_E7, PPND16_E6, PPND16_E5, PPND16_E4, PPND16_E3, PPND16_E2, PPND16_E1, PPND16_E0),
                f64s(PPND16_C7, PPND16_C6, PPND16_C5, PPND16_C4, PPND16_C3, PPND16_C2, PPND16_C1, PPND16_C0)),
                "%x");
        String td = horner(f, "double", "%td", selected(f, "%td.c", "%far",
                f64s(PPND16_F7, PPND16_F6, PPND16_F5, PPND16_F4, PPND16_F3, PPND16_F2, PPND16_F1, 1.0),
                f64s(PPND16_D7, PPND16_D6, PPND16_D5, PPND16_D4, PPND16_D3, PPND16_D2, PPND16_D1, 1.0)),
                "%x");
        f.comment("C4 / T6, Z");
        f.line("%tail = fcmp ogt double %a, " + f64(PPND16_SPLIT1));
        f.line("%n = select i1 %tail, double " + tn + ", double %cn.a");
        f.line("%d = select i1 %tail, double " + td + ", double " + cd);
        f.line("%m = fdiv double %n, %d");
        f.line("%m.neg = fneg double %m");
        f.line("%z = select i1 %neg, double %m.neg, double %m");
        f.line("ret double %z");
        return f.close();
    }

    private static String logF32() {
        Fn f = new Fn();
        f.comment("NormalQuantile.logF32, steps L1..L8, for positive normal v.");
        f.open("define internal float @sf_log_f32(float %v) alwaysinline {");
        f.label("entry");
        f.line("%b = bitcast float %v to i32");
        f.line("%b.exponent = lshr i32 %b, 23");
        f.line("%e.raw = sub i32 %b.exponent, 127");
        f.line("%b.mantissa = and i32 %b, 8388607");
        f.line("%mb.raw = or i32 %b.mantissa, 1065353216");
        f.line("%above = icmp ugt i32 %mb.raw, " + LOG32_SQRT2_BITS);
        f.line("%mb.halved = sub i32 %mb.raw, " + (1 << 23));
        f.line("%mb = select i1 %above, i32 %mb.halved, i32 %mb.raw");
        f.line("%e.raised = add i32 %e.raw, 1");
        f.line("%e = select i1 %above, i32 %e.raised, i32 %e.raw");
        f.line("%g = bitcast i32 %mb to float");
        logTail(f, "float", f32(1f), f32(2f), f32(0.5f),
                f32s(LOG32_LG4, LOG32_LG3, LOG32_LG2, LOG32_LG1), "sitofp i32 %e to float", f32(LOG32_LN2_HI),
                f32(LOG32_LN2_LO));
        return f.close();
    }

    private static String logF64() {
        Fn f = new Fn();
        f.comment("NormalQuantile.logF64, steps L1..L8, for positive normal v.");
        f.open("define internal double @sf_log_f64(double %v) alwaysinline {");
        f.label("entry");
        f.line("%b = bitcast double %v to i64");
        f.line("%b.exponent = lshr i64 %b, 52");
        f.line("%e.raw = sub i64 %b.exponent, 1023");
        f.line("%b.mantissa = and i64 %b, " + 0x000fffffffffffffL);
        f.line("%mb.raw = or i64 %b.mantissa, " + 0x3ff0000000000000L);
        f.line("%above = icmp ugt i64 %mb.raw, " + LOG64_SQRT2_BITS);
        f.line("%mb.halved = sub i64 %mb.raw, " + (1L << 52));
        f.line("%mb = select i1 %above, i64 %mb.halved, i64 %mb.raw");
        f.line("%e.raised = add i64 %e.raw, 1");
        f.line("%e = select i1 %above, i64 %e.raised, i64 %e.raw");
        f.line("%g = bitcast i64 %mb to double");
        logTail(f, "double", f64(1.0), f64(2.0), f64(0.5),
                f64s(LOG64_LG7, LOG64_LG6, LOG64_LG5, LOG64_LG4, LOG64_LG3, LOG64_LG2, LOG64_LG1),
                "sitofp i64 %e to double", f64(LOG64_LN2_HI), f64(LOG64_LN2_LO));
        return f.close();
    }

    /** Steps L3..L8 from {@code %g} and {@code %e}, ending with the return of the logarithm. */
    private static void logTail(Fn f, String t, String one, String two, String half, List<String> lg,
            String toFloat, String ln2Hi, String ln2Lo) {
        f.line("%f = fsub " + t + " %g, " + one);
        f.line("%q = fadd " + t + " " + two + ", %f");
        f.line("%s = fdiv " + t + " %f, %q");
        f.line("%z = fmul " + t + " %s, %s");
        String h = horner(f, t, "%h", lg, "%z");
        f.line("%r = fmul " + t + " %z, " + h);
        f.line("%hf.half = fmul " + t + " " + half + ", %f");
        f.line("%hf = fmul " + t + " %hf.half, %f");
        f.line("%u.sum = fadd " + t + " %hf, %r");
        f.line("%u.product = fmul " + t + " %s, %u.sum");
        f.line("%u.difference = fsub " + t + " %hf, %u.product");
        f.line("%u = fsub " + t + " %f, %u.difference");
        f.line("%k = " + toFloat);
        f.line("%v1 = fmul " + t + " %k, " + ln2Hi);
        f.line("%v2.product = fmul " + t + " %k, " + ln2Lo);
        f.line("%v2 = fadd " + t + " %v2.product, %u");
        f.line("%log = fadd " + t + " %v1, %v2");
        f.line("ret " + t + " %log");
    }

    /**
     * {@code Horner(c_k..c_0, x)}: {@code h = c_k}, then {@code h = h * x; h = h + c_j} for {@code j = k-1 .. 0}.
     *
     * @param coefficients operands, highest degree first
     * @return the result's name
     */
    private static String horner(Fn f, String t, String prefix, List<String> coefficients, String x) {
        String h = coefficients.getFirst();
        for (int j = 1; j < coefficients.size(); j++) {
            int degree = coefficients.size() - 1 - j;
            String product = prefix + ".m" + degree;
            String sum = prefix + ".a" + degree;
            f.line(product + " = fmul " + t + " " + h + ", " + x);
            f.line(sum + " = fadd " + t + " " + product + ", " + coefficients.get(j));
            h = sum;
        }
        return h;
    }

    /** Per coefficient, {@code select i1 condition, ifTrue_j, ifFalse_j}; returns the selected operands. */
    private static List<String> selected(Fn f, String prefix, String condition, List<String> ifTrue,
            List<String> ifFalse) {
        List<String> out = new ArrayList<>();
        for (int j = 0; j < ifTrue.size(); j++) {
            String c = prefix + j;
            f.line(c + " = select i1 " + condition + ", double " + ifTrue.get(j) + ", double " + ifFalse.get(j));
            out.add(c);
        }
        return out;
    }

    /** An exact LLVM literal of a binary32 value (LLVM writes float constants as the binary64 of equal value). */
    static String f32(float v) {
        return f64(v);
    }

    /** An exact LLVM literal of a binary64 value. */
    static String f64(double v) {
        return String.format(Locale.ROOT, "0x%016X", Double.doubleToRawLongBits(v));
    }

    private static List<String> f32s(float... v) {
        List<String> out = new ArrayList<>();
        for (float x : v) {
            out.add(f32(x));
        }
        return out;
    }

    private static List<String> f64s(double... v) {
        List<String> out = new ArrayList<>();
        for (double x : v) {
            out.add(f64(x));
        }
        return out;
    }
}
