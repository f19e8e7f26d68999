package dev.streamfold.runtime.noise;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Locale;

/**
 * Times the scalar and Vector API bulk fills (arrays and a native segment) over {@code 2^24} values
 * and prints billions of values per second; {@code --vector-only} skips the scalar fills.
 */
public final class NoiseThroughput {
    private static final int VALUES = 1 << 24;
    private static final int WARMUP = 5;
    private static final int REPETITIONS = 7;

    private NoiseThroughput() {}

    public static void main(String[] args) {
        float[] f32 = new float[VALUES];
        double[] f64 = new double[VALUES];
        System.out.printf(Locale.ROOT, "%d values per fill; vector species %s and %s%n",
                VALUES, GaussianNoiseVector.F32_SPECIES, GaussianNoiseVector.F64_SPECIES);
        boolean scalar = !(args.length > 0 && args[0].equals("--vector-only"));
        if (scalar) {
            report("fillF32 scalar", time(step -> GaussianNoise.fillF32(42L, step, 0L, f32, 0, VALUES, 1f)));
        }
        report("fillF32 vector", time(step -> GaussianNoiseVector.fillF32(42L, step, 0L, f32, 0, VALUES, 1f)));
        if (scalar) {
            report("fillF64 scalar", time(step -> GaussianNoise.fillF64(42L, step, 0L, f64, 0, VALUES, 1.0)));
        }
        report("fillF64 vector", time(step -> GaussianNoiseVector.fillF64(42L, step, 0L, f64, 0, VALUES, 1.0)));
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment segment = arena.allocate((long) VALUES * Double.BYTES, 64);
            report("fillF32 segment", time(step -> GaussianNoiseVector.fillF32(42L, step, 0L, segment, 0, VALUES, 1f)));
            report("fillF64 segment", time(step -> GaussianNoiseVector.fillF64(42L, step, 0L, segment, 0, VALUES, 1.0)));
        }
    }

    private interface Fill {
        void run(long step);
    }

    /** Best and median seconds per fill after warm-up. */
    private static double[] time(Fill fill) {
        for (int i = 0; i < WARMUP; i++) {
            fill.run(i);
        }
        double[] seconds = new double[REPETITIONS];
        for (int i = 0; i < REPETITIONS; i++) {
            long start = System.nanoTime();
            fill.run(WARMUP + i);
            seconds[i] = (System.nanoTime() - start) * 1e-9;
        }
        java.util.Arrays.sort(seconds);
        return new double[] {seconds[0], seconds[REPETITIONS / 2]};
    }

    private static void report(String name, double[] seconds) {
        System.out.printf(Locale.ROOT, "%-16s best %.3f G values/s, median %.3f G values/s%n",
                name, VALUES / seconds[0] * 1e-9, VALUES / seconds[1] * 1e-9);
    }
}
