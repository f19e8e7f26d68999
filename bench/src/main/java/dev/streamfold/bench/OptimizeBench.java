package dev.streamfold.bench;

import dev.streamfold.ir.strategy.BltOptimizer;
import dev.streamfold.ir.strategy.ErrorKind;
import dev.streamfold.ir.strategy.Lbfgs;
import dev.streamfold.ir.strategy.Participation;
import dev.streamfold.ir.strategy.ToeplitzOptimizer;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * {@code bench --case optimize}: wall time and loss of the BLT optimizer (max loss) for n in {1000,
 * 4096}, K in {3, 4, 5} buffers, single participation and min-separation (min_sep = n / 8, at most 8
 * participations). Each problem runs once cold (the first run of the JVM's optimizer code is the
 * very first problem only) and then {@code rounds} more times; the median of those is reported.
 */
final class OptimizeBench {
    private OptimizeBench() {}

    record Row(int n, int buffers, String participation, double loss, double toeplitzLoss, int iterations,
            int evaluations, double firstMs, double medianMs) {}

    static int run(PrintStream out, Path json, boolean quick) {
        int rounds = quick ? 1 : 5;
        List<Row> rows = new ArrayList<>();
        out.printf(Locale.ROOT, "%-6s %-3s %-18s %-22s %-22s %6s %6s %10s %10s%n", "n", "K", "participation", "max loss",
                "closed-form Toeplitz", "iters", "evals", "first ms", "median ms");
        for (int n : new int[] {1000, 4096}) {
            for (boolean minSep : new boolean[] {false, true}) {
                Participation p = minSep ? Participation.minSep(n, n / 8, 8) : Participation.single(n);
                double toeplitz = new ToeplitzOptimizer(n, p, ErrorKind.MAX).loss(ToeplitzOptimizer.optimalMaxErrorStrategy(n));
                for (int k : new int[] {3, 4, 5}) {
                    double[] times = new double[rounds];
                    BltOptimizer.Result r = null;
                    long t0 = System.nanoTime();
                    BltOptimizer o = new BltOptimizer(k, p, ErrorKind.MAX);
                    r = o.optimize(Lbfgs.Settings.DEFAULT, null);
                    double first = (System.nanoTime() - t0) / 1e6;
                    for (int i = 0; i < rounds; i++) {
                        long s = System.nanoTime();
                        new BltOptimizer(k, p, ErrorKind.MAX).optimize(Lbfgs.Settings.DEFAULT, null);
                        times[i] = (System.nanoTime() - s) / 1e6;
                    }
                    Arrays.sort(times);
                    double loss = o.loss(r.theta(), r.omega(), r.thetaHat(), r.omegaHat());
                    String pattern = minSep ? "min_sep " + (n / 8) + ", k 8" : "single";
                    Row row = new Row(n, k, pattern, loss, toeplitz, r.iterations(), r.evaluations(), first, times[rounds / 2]);
                    rows.add(row);
                    out.printf(Locale.ROOT, "%-6d %-3d %-18s %-22.15g %-22.15g %6d %6d %10.1f %10.1f%n", n, k, pattern, loss,
                            toeplitz, r.iterations(), r.evaluations(), first, row.medianMs());
                }
            }
        }
        if (json != null) {
            StringBuilder b = new StringBuilder("[\n");
            for (int i = 0; i < rows.size(); i++) {
                Row r = rows.get(i);
                b.append(String.format(Locale.ROOT, "  {\"case\": \"optimize\", \"n\": %d, \"buffers\": %d, \"participation\": \"%s\", "
                        + "\"loss\": %.17g, \"closed_form_toeplitz_loss\": %.17g, \"iterations\": %d, \"evaluations\": %d, "
                        + "\"first_ms\": %.3f, \"median_ms\": %.3f}%s%n", r.n(), r.buffers(), r.participation(), r.loss(),
                        r.toeplitzLoss(), r.iterations(), r.evaluations(), r.firstMs(), r.medianMs(), i + 1 < rows.size() ? "," : ""));
            }
            try {
                Files.writeString(json, b.append("]\n").toString());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            out.println("wrote " + json);
        }
        return 0;
    }
}
