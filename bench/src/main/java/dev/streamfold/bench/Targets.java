package dev.streamfold.bench;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * The README's performance targets, checked against the rows of one run, for every size and thread
 * count the run measured that has the rows a target compares:
 * <ul>
 *   <li>compose3: the fused step moves at least 90% of the copy's GB/s;</li>
 *   <li>compose3 and blt4: fused over unfused speed-up at least 0.9 x their byte ratio;</li>
 *   <li>scan: the whole-scan {@code multiply} at least 3x as fast as the stepwise one;</li>
 *   <li>noise-blt4: the fused noise step no slower than the operator fed from memory plus the time to draw the noise alone.</li>
 * </ul>
 */
final class Targets {
    private Targets() {}

    /** One target at one size and thread count: what was measured, and whether it meets the target. */
    record Verdict(String target, String kase, long d, int threads, String measured, boolean met) {}

    static final String COPY = "fused step >= 90% of copy";
    static final String BYTE_RATIO = "fused vs unfused speed-up >= 0.9 x byte ratio";
    static final String WHOLE_SCAN = "whole-scan multiply >= 3x stepwise";
    static final String NOISE = "noise step <= from-memory + noise-only";

    /** The verdicts for {@code rows}, in the order of their first rows. */
    static List<Verdict> check(List<BenchMain.Row> rows) {
        Map<String, Map<String, BenchMain.Row>> groups = new LinkedHashMap<>();
        for (BenchMain.Row r : rows) {
            groups.computeIfAbsent(r.kase() + "|" + r.d() + "|" + r.threads(), k -> new LinkedHashMap<>()).put(r.variant(), r);
        }
        List<Verdict> out = new ArrayList<>();
        for (Map<String, BenchMain.Row> g : groups.values()) {
            BenchMain.Row any = g.values().iterator().next();
            switch (any.kase()) {
                case "compose3" -> {
                    both(g, "fused", "copy").ifPresent(p -> {
                        double share = p.a().gbps() / p.b().gbps();
                        out.add(new Verdict(COPY, any.kase(), any.d(), any.threads(),
                                String.format(Locale.ROOT, "%.0f%% of copy", 100 * share), share >= 0.9));
                    });
                    byteRatio(g, any, out);
                }
                case "blt4" -> byteRatio(g, any, out);
                case "scan" -> both(g, "fused", "stepwise").ifPresent(p -> {
                    double speedUp = p.b().nsPerStep() / p.a().nsPerStep();
                    out.add(new Verdict(WHOLE_SCAN, any.kase(), any.d(), any.threads(),
                            String.format(Locale.ROOT, "%.2fx", speedUp), speedUp >= 3));
                });
                case "noise-blt4" -> both(g, "fused", "from-memory").ifPresent(p -> {
                    BenchMain.Row alone = g.get("noise-only");
                    if (alone != null) {
                        double bound = p.b().nsPerStep() + alone.nsPerStep();
                        out.add(new Verdict(NOISE, any.kase(), any.d(), any.threads(),
                                String.format(Locale.ROOT, "%.3f ms against %.3f + %.3f ms", p.a().nsPerStep() / 1e6,
                                        p.b().nsPerStep() / 1e6, alone.nsPerStep() / 1e6), p.a().nsPerStep() <= bound));
                    }
                });
                default -> {
                    // A case without a target.
                }
            }
        }
        return out;
    }

    private record Pair(BenchMain.Row a, BenchMain.Row b) {}

    private static Optional<Pair> both(Map<String, BenchMain.Row> g, String a, String b) {
        return g.containsKey(a) && g.containsKey(b) ? Optional.of(new Pair(g.get(a), g.get(b))) : Optional.empty();
    }

    private static void byteRatio(Map<String, BenchMain.Row> g, BenchMain.Row any, List<Verdict> out) {
        both(g, "fused", "unfused").ifPresent(p -> {
            double ratio = p.b().bytesPerStep() / (double) p.a().bytesPerStep();
            double speedUp = p.b().nsPerStep() / p.a().nsPerStep();
            out.add(new Verdict(BYTE_RATIO, any.kase(), any.d(), any.threads(),
                    String.format(Locale.ROOT, "speed-up %.2f, byte ratio %.2f", speedUp, ratio), speedUp >= 0.9 * ratio));
        });
    }
}
