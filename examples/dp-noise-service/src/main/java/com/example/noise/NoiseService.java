package com.example.noise;

import com.example.noise.generated.NoiseKernels;
import dev.streamfold.runtime.BoundKernel;
import dev.streamfold.runtime.Checkpoint;
import dev.streamfold.runtime.NoiseGenerator;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * Correlated DP noise for a model of several leaves (parameter tensors), drawn with a kernel compiled ahead of time
 * by streamfold-maven-plugin and run on streamfold-runtime alone. It runs {@code FIRST} steps, checkpoints every leaf,
 * then resumes from the checkpoints in fresh generators and runs {@code SECOND} more. Row t of the output holds step
 * t of every leaf, leaf after leaf: the leaves take disjoint noise coordinates, so the file equals {@code streamfold
 * noise --dim TOTAL} byte for byte.
 *
 * <p>Usage: {@code NoiseService OUT_FILE STATE_DIR}.
 */
public final class NoiseService {
    static final long[] LEAVES = {70_000, 150_001, 12_345};
    static final double[] THETA = {0.99, 0.9, 0.5, 0.2};
    static final double[] OMEGA = {0.3, 0.1, 0.05, 0.01};
    static final long SEED = 2026;
    static final double STDDEV = 1.0;
    static final int FIRST = 5;
    static final int SECOND = 7;
    static final int THREADS = 2;
    static final String MECHANISM = "dp_noise blt4";

    /** When the first step finished, for the cold-start report. */
    private static Instant firstStepDone;

    private NoiseService() {}

    // The README's "Embed in a service" shows the lines from here to the end of main.
    public static void main(String[] args) throws IOException {
        Path out = Path.of(args[0]);
        Path stateDir = Files.createDirectories(Path.of(args[1]));
        BoundKernel kernel = NoiseKernels.bind("dp_noise", Map.of("theta", THETA, "omega", OMEGA));
        List<Long> stepNanos = new ArrayList<>();
        try (FileChannel file = FileChannel.open(out, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING);
                Arena arena = Arena.ofShared()) {
            List<MemorySegment> ys = new ArrayList<>();
            for (long n : LEAVES) {
                ys.add(arena.allocate(n * Float.BYTES, 64));
            }
            List<NoiseGenerator> first = generators(kernel);
            try {
                run(first, ys, FIRST, file, stepNanos);
                for (int i = 0; i < first.size(); i++) {
                    first.get(i).checkpoint(MECHANISM, arena).save(stateDir.resolve("leaf-" + i + ".state"));
                }
            } finally {
                first.forEach(NoiseGenerator::close);
            }
            List<NoiseGenerator> resumed = generators(kernel);
            try {
                for (int i = 0; i < resumed.size(); i++) {
                    resumed.get(i).resume(Checkpoint.load(stateDir.resolve("leaf-" + i + ".state"), arena), MECHANISM);
                }
                run(resumed, ys, SECOND, file, stepNanos);
            } finally {
                resumed.forEach(NoiseGenerator::close);
            }
        }
        report(stepNanos);
    }
    // End of the lines the README shows.

    /** One generator per leaf, leaf i's coordinates starting after those of the leaves before it. */
    private static List<NoiseGenerator> generators(BoundKernel kernel) {
        List<NoiseGenerator> gs = new ArrayList<>();
        long coordBase = 0;
        for (long n : LEAVES) {
            gs.add(kernel.noise(n, THREADS, SEED, STDDEV, coordBase));
            coordBase += n;
        }
        return gs;
    }

    private static void run(List<NoiseGenerator> gs, List<MemorySegment> ys, int steps, FileChannel file,
            List<Long> stepNanos) throws IOException {
        for (int t = 0; t < steps; t++) {
            long start = System.nanoTime();
            for (int i = 0; i < gs.size(); i++) {
                gs.get(i).next(ys.get(i));
            }
            stepNanos.add(System.nanoTime() - start);
            if (firstStepDone == null) {
                firstStepDone = Instant.now();
            }
            for (MemorySegment y : ys) {
                var b = y.asByteBuffer();
                while (b.hasRemaining()) {
                    file.write(b);
                }
            }
        }
    }

    /** Time to the first step, and the steps until a step takes at most 1.5 times the median of the last half. */
    private static void report(List<Long> stepNanos) {
        Instant jvmStart = ProcessHandle.current().info().startInstant().orElse(firstStepDone);
        long toFirstStep = Duration.between(jvmStart, firstStepDone).toMillis();
        long[] last = stepNanos.subList(stepNanos.size() / 2, stepNanos.size()).stream().mapToLong(Long::longValue)
                .sorted().toArray();
        long full = last[last.length / 2];
        int warm = 0;
        while (warm < stepNanos.size() && stepNanos.get(warm) > 1.5 * full) {
            warm++;
        }
        System.out.printf("leaves %s, %d + %d steps (resumed from checkpoints)%n", Arrays.toString(LEAVES), FIRST, SECOND);
        System.out.printf("first step done %d ms after JVM start; first step %.1f ms; full speed %.2f ms/step after %d "
                + "slower steps%n", toFirstStep, stepNanos.getFirst() / 1e6, full / 1e6, warm);
    }
}
