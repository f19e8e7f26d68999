package dev.streamfold.bench;

import dev.streamfold.ir.DType;
import dev.streamfold.ir.Interpreter;
import dev.streamfold.ir.Shape;
import dev.streamfold.ir.Tensor;
import dev.streamfold.ir.stream.Bindings;
import dev.streamfold.ir.stream.ParamLayout;
import dev.streamfold.ir.stream.StepProgram;
import dev.streamfold.ir.stream.StreamingMatrix;
import dev.streamfold.runtime.StepKernel;
import dev.streamfold.runtime.StreamBuffers;
import dev.streamfold.runtime.StreamingRunner;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/** The benchmark's variants; each counts the minimum bytes its step must move. */
final class Variants {
    private Variants() {}

    /** The ceiling: a plain copy of x into y (read d, write d), split across the same threads. */
    static final class Copy implements BenchMain.Variant {
        private final MemorySegment x;
        private final MemorySegment y;
        private final long d;
        private final Ranges ranges;

        Copy(MemorySegment x, MemorySegment y, long d, int threads) {
            this.x = x;
            this.y = y;
            this.d = d;
            this.ranges = new Ranges(threads, d);
        }

        @Override
        public String name() {
            return "copy";
        }

        @Override
        public long bytesPerStep() {
            return 2 * d * 4;
        }

        @Override
        public int stepsPerSample() {
            return 3;
        }

        @Override
        public void runSample() {
            for (int k = 0; k < 3; k++) {
                ranges.run((from, to) -> MemorySegment.copy(x, from * 4, y, from * 4, (to - from) * 4));
            }
        }

        @Override
        public void close() {
            ranges.close();
        }
    }

    /** A generated fused kernel run through the streaming runner. */
    static final class Kernel implements BenchMain.Variant {
        private final String name;
        private final StreamingRunner runner;
        private final MemorySegment x;
        private final MemorySegment y;
        private final long d;

        Kernel(String name, StreamingMatrix m, MemorySegment x, MemorySegment y, long d, int threads,
                dev.streamfold.compiler.KernelEval.KernelLoader loader) {
            this.name = name;
            this.runner = BenchMain.runner(m, d, threads, loader);
            this.x = x;
            this.y = y;
            this.d = d;
        }

        @Override
        public String name() {
            return name;
        }

        @Override
        public long bytesPerStep() {
            return (2 + StepKernel.stateRowsMoved(runner.kernel())) * d * 4;
        }

        @Override
        public int stepsPerSample() {
            return 3;
        }

        @Override
        public void runSample() {
            for (int k = 0; k < 3; k++) {
                runner.next(x, y);
            }
        }

        @Override
        public void close() {
            runner.close();
        }
    }

    /** Each factor as its own pass (its own generated kernel), intermediates written and read back. */
    static final class Unfused implements BenchMain.Variant {
        private final List<StreamingRunner> passes = new ArrayList<>();
        private final List<MemorySegment> buffers = new ArrayList<>();
        private final long d;

        /** @param factors applied first to last */
        Unfused(List<StreamingMatrix> factors, Arena arena, MemorySegment x, MemorySegment y, long d, int threads) {
            this.d = d;
            buffers.add(x);
            for (int i = 0; i < factors.size(); i++) {
                passes.add(BenchMain.runner(factors.get(i), d, threads));
                buffers.add(i + 1 < factors.size() ? StreamBuffers.allocate(arena, d * 4) : y);
            }
        }

        @Override
        public String name() {
            return "unfused";
        }

        @Override
        public long bytesPerStep() {
            long b = 0;
            for (StreamingRunner r : passes) {
                b += (2 + StepKernel.stateRowsMoved(r.kernel())) * d * 4;
            }
            return b;
        }

        @Override
        public int stepsPerSample() {
            return 3;
        }

        @Override
        public void runSample() {
            for (int k = 0; k < 3; k++) {
                for (int i = 0; i < passes.size(); i++) {
                    passes.get(i).next(buffers.get(i), buffers.get(i + 1));
                }
            }
        }

        @Override
        public void close() {
            passes.forEach(StreamingRunner::close);
        }
    }

    /**
     * compose3's fused math as the plain Java loop a developer would write over float arrays (C2
     * auto-vectorizes what it can).
     */
    static final class ScalarLoop implements BenchMain.Variant {
        private final float[] x;
        private final float[] y;
        private final float[] m;
        private final float[] acc;
        private final float[] s;
        private final long d;
        private final Ranges ranges;
        private long t;

        ScalarLoop(long d, int threads) {
            int n = Math.toIntExact(d);
            this.d = d;
            x = new float[n];
            y = new float[n];
            m = new float[n];
            acc = new float[n];
            s = new float[n];
            for (int i = 0; i < n; i++) {
                x[i] = (float) Math.sin(i);
            }
            ranges = new Ranges(threads, d);
        }

        @Override
        public String name() {
            return "scalar";
        }

        @Override
        public long bytesPerStep() {
            return 8 * d * 4;
        }

        @Override
        public int stepsPerSample() {
            return 3;
        }

        @Override
        public void runSample() {
            for (int k = 0; k < 3; k++) {
                float diag = t == 0 ? 2.0f : 0.5f;
                float lr = t == 0 ? 1.0f : 0.5f;
                ranges.run((from, to) -> step((int) from, (int) to, diag, lr));
                t++;
            }
        }

        private void step(int from, int to, float diag, float lr) {
            for (int i = from; i < to; i++) {
                float z = diag * x[i];
                float mi = 0.9f * m[i] + z;
                float ai = acc[i] + lr * mi;
                float si = s[i] + ai;
                m[i] = mi;
                acc[i] = ai;
                s[i] = si;
                y[i] = si;
            }
        }

        @Override
        public void close() {
            ranges.close();
        }
    }

    /** The reference interpreter running the step program (float64 arithmetic, rounded to float32). */
    static final class InterpreterStep implements BenchMain.Variant {
        private final StepProgram step;
        private final List<Tensor> args;
        private final long d;

        InterpreterStep(StreamingMatrix m, long d) {
            this.d = d;
            List<Tensor> values = ParamLayout.of(m).bind(m, Bindings.NONE, DType.F32);
            this.step = BenchMain.stepProgram(m, d, values);
            this.args = new ArrayList<>(values);
            Shape slice = new Shape(Math.toIntExact(d));
            for (int i = 0; i < step.numState(); i++) {
                args.add(new Tensor(DType.F32, slice, new double[(int) d]));
            }
            args.add(Tensor.scalar(DType.I32, 0));
            args.add(new Tensor(DType.F32, slice, new double[(int) d]));
        }

        @Override
        public String name() {
            return "interpreter";
        }

        @Override
        public long bytesPerStep() {
            return (2 + 2L * step.numState()) * d * 4;
        }

        @Override
        public int stepsPerSample() {
            return 1;
        }

        @Override
        public void runSample() {
            List<Tensor> out = Interpreter.run(step.program(), args);
            for (int i = 0; i < step.numState(); i++) {
                args.set(step.numParams() + i, out.get(i));
            }
        }
    }

    /**
     * A multiply of {@code steps} rows: whole-scan ({@code fused}: all steps inside the kernel, state
     * kept in cache, so a step moves only x in and y out) or {@code stepwise} (one {@code next} call
     * per step, state going to memory each step).
     */
    static final class Multiply implements BenchMain.Variant {
        private final StreamingRunner runner;
        private final MemorySegment x;
        private final MemorySegment y;
        private final long d;
        private final int steps;
        private final boolean wholeScan;

        Multiply(StreamingMatrix m, MemorySegment x, MemorySegment y, long d, int steps, int threads, boolean wholeScan) {
            this.runner = BenchMain.runner(m, d, threads);
            this.x = x;
            this.y = y;
            this.d = d;
            this.steps = steps;
            this.wholeScan = wholeScan;
        }

        @Override
        public String name() {
            return wholeScan ? "fused" : "stepwise";
        }

        @Override
        public long bytesPerStep() {
            return (2 + (wholeScan ? 0 : StepKernel.stateRowsMoved(runner.kernel()))) * d * 4;
        }

        @Override
        public int stepsPerSample() {
            return steps;
        }

        @Override
        public void runSample() {
            if (wholeScan) {
                runner.scan(steps, x, y);
                return;
            }
            for (int k = 0; k < steps; k++) {
                runner.next(x.asSlice(k * d * 4, d * 4), y.asSlice(k * d * 4, d * 4));
            }
        }

        @Override
        public void close() {
            runner.close();
        }
    }

    /**
     * Correlated noise: the operator applied to N(0, 1) noise drawn inside the step ({@code fused}),
     * or drawn into an array first and then read back by the operator ({@code unfused}).
     */
    static final class Noise implements BenchMain.Variant {
        private final String name;
        private final dev.streamfold.runtime.NoiseGenerator generator;
        private final StreamingRunner runner;
        private final MemorySegment z;
        private final MemorySegment y;
        private final Ranges ranges;
        private final long d;
        private final boolean unfused;
        private long t;

        Noise(String name, StreamingMatrix m, Arena arena, MemorySegment y, long d, int threads, boolean unfused) {
            var b = dev.streamfold.compiler.KernelEval.bind(m, Bindings.NONE, DType.F32);
            this.name = name;
            this.unfused = unfused;
            this.generator = unfused ? null : new dev.streamfold.runtime.NoiseGenerator(b.kernel(), b.params(), d, threads, 1, 1.0, 0);
            this.runner = unfused ? new StreamingRunner(b.kernel(), b.params(), d, threads) : null;
            this.z = unfused ? StreamBuffers.allocate(arena, d * 4) : null;
            this.ranges = new Ranges(threads, d);
            this.y = y;
            this.d = d;
        }

        @Override
        public String name() {
            return name;
        }

        @Override
        public long bytesPerStep() {
            long states = StepKernel.stateRowsMoved(unfused ? runner.kernel() : generator.runner().kernel());
            return ((unfused ? 3 : 1) + states) * d * 4;
        }

        @Override
        public int stepsPerSample() {
            return 3;
        }

        @Override
        public void runSample() {
            for (int k = 0; k < 3; k++) {
                if (unfused) {
                    long step = t++;
                    ranges.run((from, to) -> dev.streamfold.runtime.noise.GaussianNoiseVector.fillF32(1, step, from, z, from * 4,
                            to - from, 1.0f));
                    runner.next(z, y);
                } else {
                    generator.next(y);
                }
            }
        }

        @Override
        public void close() {
            ranges.close();
            if (generator != null) {
                generator.close();
            }
            if (runner != null) {
                runner.close();
            }
        }
    }

    /** The arithmetic of drawing d Gaussians into an L1-sized block, nothing written to memory: no bytes. */
    static final class NoiseOnly implements BenchMain.Variant {
        private final Ranges ranges;
        private final long d;
        private final ThreadLocal<MemorySegment> block = ThreadLocal.withInitial(
                () -> Arena.ofAuto().allocate(StreamingRunner.SOURCE_BLOCK * 4L, 64));
        private long t;

        NoiseOnly(long d, int threads) {
            this.d = d;
            this.ranges = new Ranges(threads, d);
        }

        @Override
        public String name() {
            return "noise-only";
        }

        @Override
        public long bytesPerStep() {
            return 0;
        }

        @Override
        public int stepsPerSample() {
            return 3;
        }

        @Override
        public void runSample() {
            for (int k = 0; k < 3; k++) {
                long step = t++;
                ranges.run((from, to) -> {
                    MemorySegment b = block.get();
                    for (long c = from; c < to; c += StreamingRunner.SOURCE_BLOCK) {
                        int n = (int) Math.min(StreamingRunner.SOURCE_BLOCK, to - c);
                        dev.streamfold.runtime.noise.GaussianNoiseVector.fillF32(1, step, c, b, 0, n, 1.0f);
                    }
                });
            }
        }

        @Override
        public void close() {
            ranges.close();
        }
    }

    /** Splits [0, d) into one contiguous range per thread, as the streaming runner does. */
    static final class Ranges implements AutoCloseable {
        interface Body {
            void run(long from, long to);
        }

        private final int threads;
        private final long d;
        private final ExecutorService pool;

        Ranges(int threads, long d) {
            this.threads = threads;
            this.d = d;
            this.pool = threads == 1 ? null : Executors.newFixedThreadPool(threads, r -> {
                Thread t = new Thread(r, "bench-worker");
                t.setDaemon(true);
                return t;
            });
        }

        void run(Body b) {
            if (pool == null) {
                b.run(0, d);
                return;
            }
            List<Future<?>> fs = new ArrayList<>();
            for (int i = 0; i < threads; i++) {
                long from = (d * i / threads) & ~63L;
                long to = i + 1 == threads ? d : (d * (i + 1) / threads) & ~63L;
                fs.add(pool.submit(() -> b.run(from, to)));
            }
            for (Future<?> f : fs) {
                try {
                    f.get();
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            }
        }

        @Override
        public void close() {
            if (pool != null) {
                pool.shutdownNow();
            }
        }
    }
}
