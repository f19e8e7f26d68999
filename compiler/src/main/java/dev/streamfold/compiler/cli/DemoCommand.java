package dev.streamfold.compiler.cli;

import dev.streamfold.compiler.KernelEval;
import dev.streamfold.compiler.lower.StepKir;
import dev.streamfold.compiler.vector.VectorKernels;
import dev.streamfold.ir.DType;
import dev.streamfold.ir.Shape;
import dev.streamfold.ir.Tensor;
import dev.streamfold.ir.stream.Bindings;
import dev.streamfold.ir.stream.ParamLayout;
import dev.streamfold.ir.stream.StreamingEval;
import dev.streamfold.ir.stream.StreamingEval.Query;
import dev.streamfold.ir.stream.StreamingMatrix;
import dev.streamfold.runtime.NoiseGenerator;
import dev.streamfold.runtime.StreamBuffers;
import dev.streamfold.runtime.StreamingRunner;
import java.io.PrintStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.Locale;

/**
 * {@code streamfold demo}: a momentum-with-cooldown optimizer matrix composed with a prefix sum,
 * compiled to one fused kernel and run over a 2^24-float slice, checked against the interpreter and
 * timed against this machine's copy bandwidth.
 */
final class DemoCommand {
    static final String EXPR = "prefix_sum @ momentum_sgd(momentum=0.9, learning_rates=[1.0, 1.0, 1.0, 1.0, 0.5, 0.25, 0.1])"
            + " @ diagonal([0.5])";

    /** Most steps the demo times (it keeps a few hundred sampled values of each). */
    static final int MAX_STEPS = 100_000;

    private DemoCommand() {}

    static String run(String[] argv, PrintStream out) {
        Args a = new Args("demo", argv, 1, Set.of("--dim", "--steps", "--threads"), Set.of(), Set.of());
        long d = a.longValue("--dim", 1L << 24, 1, StreamingRunner.MAX_LENGTH);
        int steps = a.intValue("--steps", 40, 1, MAX_STEPS);
        int threads = a.intValue("--threads", NoiseCommand.defaultThreads(), 1, StreamingRunner.MAX_THREADS);
        StreamingMatrix m = EvalCommand.matrix(EXPR);
        out.println("Streamfold demo: one fused pass for a composed streaming matrix");
        out.println("  expression: " + EXPR);
        out.println();
        double[][] dense = StreamingEval.materialize(m, Bindings.NONE, 8).rows();
        out.println("1. The operator as a matrix (reference interpreter, materialize(8), first 6 rows):");
        for (int i = 0; i < 6; i++) {
            StringBuilder b = new StringBuilder("   ");
            for (int j = 0; j < 8; j++) {
                b.append(String.format(Locale.ROOT, "%8.3f", dense[i][j]));
            }
            out.println(b);
        }
        DType dtype = DType.F32;
        List<Tensor> values = ParamLayout.of(m).bind(m, Bindings.NONE, dtype);
        StepKir k = VectorKernels.lowerKir(m, values, dtype);
        String source = VectorKernels.source(k, m.describe()).toString();
        long t0 = System.nanoTime();
        KernelEval.Bound bound = KernelEval.bind(m, Bindings.NONE, dtype);
        out.printf(Locale.ROOT, "%n2. Compiled to one Vector API class %s (%d lines, %d state buffers) in %.0f ms.%n",
                VectorKernels.className(k), source.lines().count(), k.stateCount(), (System.nanoTime() - t0) / 1e6);
        out.printf(Locale.ROOT, "   (see it with: ./streamfold compile --expr '%s' --backend vector --dtype float32 --out DIR)%n",
                EXPR);

        long bytesPerBuffer = d * 4;
        long bytesPerStep = (2 + 2L * k.stateCount()) * bytesPerBuffer;
        out.printf(Locale.ROOT, "%n3. Fused step over d = %d float32 (%.0f MiB per buffer), %d steps, %d threads:%n",
                d, bytesPerBuffer / 1048576.0, steps, threads);
        long[] sample = sampleCoordinates(d);
        double[][] sampled = new double[steps][sample.length];
        double[] stepSeconds = new double[steps];
        try (Arena arena = Arena.ofShared();
                StreamingRunner r = new StreamingRunner(bound.kernel(), bound.params(), d, threads)) {
            MemorySegment x = StreamBuffers.allocate(arena, bytesPerBuffer);
            MemorySegment y = StreamBuffers.allocate(arena, bytesPerBuffer);
            for (long i = 0; i < d; i++) {
                x.setAtIndex(ValueLayout.JAVA_FLOAT, i, input(i));
            }
            double copyGbps = copyBandwidth(x, y, d, threads);
            for (int t = 0; t < steps; t++) {
                long s = System.nanoTime();
                r.next(x, y);
                stepSeconds[t] = (System.nanoTime() - s) / 1e9;
                for (int j = 0; j < sample.length; j++) {
                    sampled[t][j] = y.getAtIndex(ValueLayout.JAVA_FLOAT, sample[j]);
                }
                progress(out, t + 1, steps, bytesPerStep / stepSeconds[t] / 1e9, "GB/s");
            }
            if (TERMINAL) {
                out.println();
            }
            double[] sorted = stepSeconds.clone();
            Arrays.sort(sorted);
            double median = sorted[steps / 2];
            double gbps = bytesPerStep / median / 1e9;
            out.printf(Locale.ROOT, "   median step %.2f ms: %.1f GB/s moved (x in, y out, %d state buffers in and out)%n",
                    median * 1e3, gbps, k.stateCount());
            out.printf(Locale.ROOT, "   copy bandwidth on this machine, same run: %.1f GB/s  ->  fused step at %.0f%% of copy%n",
                    copyGbps, 100 * gbps / copyGbps);
        }
        double[][] xs = new double[steps][sample.length];
        for (int t = 0; t < steps; t++) {
            for (int j = 0; j < sample.length; j++) {
                xs[t][j] = input(sample[j]);
            }
        }
        Tensor want = StreamingEval.run(m, Bindings.NONE, Query.MULTIPLY, Tensor.matrix(DType.F64, xs), 0, DType.F64);
        double maxRel = 0;
        for (int t = 0; t < steps; t++) {
            for (int j = 0; j < sample.length; j++) {
                double w = want.raw()[t * sample.length + j];
                maxRel = Math.max(maxRel, Math.abs(sampled[t][j] - w) / Math.max(1e-6, Math.abs(w)));
            }
        }
        out.printf(Locale.ROOT, "%n4. Check: %d coordinates x %d steps against the float64 interpreter: max relative error %.2e %s%n",
                sample.length, steps, maxRel, maxRel < 1e-4 ? "(float32 rounding: OK)" : "(TOO LARGE)");
        if (maxRel >= 1e-4) {
            throw new IllegalStateException("demo check failed: relative error " + maxRel);
        }
        noise(out, d, threads);
        return "";
    }

    static final String MECHANISM = "inverse(blt(buf_decay=[0.99, 0.9, 0.7, 0.3], output_scale=[0.05, 0.1, 0.2, 0.3]))";

    /** Full-size noise steps the demo runs before the ones its median counts (first touch of the buffers, JIT tiers). */
    static final int NOISE_WARM_UP_STEPS = 2;

    /** Full-size noise steps the median counts. */
    static final int NOISE_TIMED_STEPS = 8;

    /** The median of {@code ms} without its first {@code warmUp} entries (the upper one of an even count). */
    static double medianAfterWarmUp(double[] ms, int warmUp) {
        double[] timed = Arrays.copyOfRange(ms, warmUp, ms.length);
        Arrays.sort(timed);
        return timed[timed.length / 2];
    }

    /** Correlated noise with in-kernel draws, and a checkpoint resumed bit for bit. */
    private static void noise(PrintStream out, long d, int threads) {
        int steps = NOISE_WARM_UP_STEPS + NOISE_TIMED_STEPS;
        int half = steps / 2;
        StreamingMatrix c = EvalCommand.matrix(MECHANISM);
        KernelEval.Bound b = KernelEval.bind(c, Bindings.NONE, DType.F32);
        out.printf(Locale.ROOT, "%n5. Correlated noise for DP training: %s%n   applied to N(0, 1) noise drawn inside the"
                + " kernel (no noise array in memory), d = %d, %d steps:%n", MECHANISM, d, steps);
        String identity = NoiseCommand.identity(c, DType.F32, d);
        try (Arena arena = Arena.ofShared();
                NoiseGenerator whole = new NoiseGenerator(b.kernel(), b.params(), d, threads, 2026, 1.0, 0);
                NoiseGenerator first = new NoiseGenerator(b.kernel(), b.params(), d, threads, 2026, 1.0, 0);
                NoiseGenerator resumed = new NoiseGenerator(b.kernel(), b.params(), d, threads, 2026, 1.0, 0)) {
            MemorySegment y = StreamBuffers.allocate(arena, d * 4);
            MemorySegment y2 = StreamBuffers.allocate(arena, d * 4);
            warmUp(b, arena, threads);
            double[] ms = new double[steps];
            long[] hashes = new long[steps];
            for (int t = 0; t < steps; t++) {
                long s = System.nanoTime();
                whole.next(y);
                ms[t] = (System.nanoTime() - s) / 1e6;
                hashes[t] = hash(y);
                progress(out, t + 1, steps, d / (ms[t] * 1e6), "G values/s");
            }
            if (TERMINAL) {
                out.println();
            }
            double median = medianAfterWarmUp(ms, NOISE_WARM_UP_STEPS);
            out.printf(Locale.ROOT, "   median %.1f ms per step over steps %d..%d (the first %d are warm-up, not counted):"
                    + " %.2f G noise values/s, generator and mechanism fused%n",
                    median, NOISE_WARM_UP_STEPS, steps - 1, NOISE_WARM_UP_STEPS, d / (median * 1e6));
            for (int t = 0; t < half; t++) {
                first.next(y2);
            }
            resumed.resume(first.checkpoint(identity, arena), identity);
            boolean same = true;
            for (int t = half; t < steps; t++) {
                resumed.next(y2);
                same &= hash(y2) == hashes[t];
            }
            out.printf(Locale.ROOT, "   checkpoint after step %d, resumed in a new generator: steps %d..%d %s%n", half - 1, half,
                    steps - 1, same ? "bit-identical to the uninterrupted run" : "DIFFER (bug)");
            if (!same) {
                throw new IllegalStateException("demo check failed: resumed noise differs");
            }
        }
    }

    /** Runs the generator on a small slice for 1.5 s, so its vector code is compiled before it is timed. */
    private static void warmUp(KernelEval.Bound b, Arena arena, int threads) {
        long n = 1 << 16;
        MemorySegment y = StreamBuffers.allocate(arena, n * 4);
        try (NoiseGenerator g = new NoiseGenerator(b.kernel(), b.params(), n, threads, 1, 1.0, 0)) {
            long end = System.nanoTime() + 1_500_000_000L;
            while (System.nanoTime() < end) {
                g.next(y);
            }
        }
    }

    private static long hash(MemorySegment s) {
        java.util.zip.CRC32C c = new java.util.zip.CRC32C();
        for (long off = 0; off < s.byteSize(); off += 1 << 24) {
            c.update(s.asSlice(off, Math.min(1 << 24, s.byteSize() - off)).asByteBuffer());
        }
        return c.getValue();
    }


    static float input(long i) {
        long h = i * 0x9E3779B97F4A7C15L;
        h ^= h >>> 29;
        return ((h & 0xFFFFFF) / (float) 0x1000000) * 2f - 1f;
    }

    private static long[] sampleCoordinates(long d) {
        int n = (int) Math.min(d, 257);
        long[] s = new long[n];
        for (int i = 0; i < n; i++) {
            s[i] = Math.min(d - 1, i == n - 1 ? d - 1 : (d * i) / n + (i % 17));
        }
        return s;
    }

    /**
     * Median GB/s of a plain copy (read d, write d) with the same threads and runner: the identity
     * kernel, measured now, as the ceiling a fused step is compared with.
     */
    static double copyBandwidth(MemorySegment x, MemorySegment y, long d, int threads) {
        KernelEval.Bound copy = KernelEval.bind(EvalCommand.matrix("identity"), Bindings.NONE, DType.F32);
        double[] gbps = new double[15];
        try (StreamingRunner r = new StreamingRunner(copy.kernel(), copy.params(), d, threads)) {
            for (int i = 0; i < gbps.length; i++) {
                long s = System.nanoTime();
                r.next(x, y);
                gbps[i] = 2.0 * d * 4 / ((System.nanoTime() - s) / 1e9) / 1e9;
            }
        }
        Arrays.sort(gbps);
        return gbps[gbps.length / 2];
    }

    /** True when stdout is a terminal: progress is then a bar redrawn in place, otherwise a line per 10%. */
    private static final boolean TERMINAL = System.console() != null && System.console().isTerminal();

    private static void progress(PrintStream out, int done, int total, double rate, String unit) {
        if (!TERMINAL) {
            if (done == total || done * 10 / total != (done - 1) * 10 / total) {
                out.printf(Locale.ROOT, "   %d/%d steps  %.2f %s%n", done, total, rate, unit);
            }
            return;
        }
        int width = 30;
        int filled = done * width / total;
        out.printf(Locale.ROOT, "\r   [%s%s] %d/%d steps  %.2f %s   ", "#".repeat(filled), ".".repeat(width - filled), done, total,
                rate, unit);
        out.flush();
    }
}
