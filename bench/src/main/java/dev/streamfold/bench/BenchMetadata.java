package dev.streamfold.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;

/**
 * Where a bench ran: the JDK, the CPU model ({@code /proc/cpuinfo}), the git commit of the working
 * work tree the bench's classes were loaded from, or else of the working directory
 * ({@code .git/HEAD}), the load average ({@code /proc/loadavg}) and the Vector API's
 * preferred lane counts. What cannot be read is {@code null}; reading never fails the bench.
 */
record BenchMetadata(String jdk, String cpu, int hardwareThreads, String commit, double[] loadAverage, int floatLanes,
        int doubleLanes) {

    /**
     * The metadata of this process, read now from {@code /proc} and the git directory above the
     * bench's classes or, failing that, above {@code dir}.
     */
    static BenchMetadata collect(Path dir) {
        return new BenchMetadata(Runtime.version() + " (" + System.getProperty("java.vendor") + ")",
                cpuModel(Path.of("/proc/cpuinfo")).orElse(null), Runtime.getRuntime().availableProcessors(),
                codeLocation().flatMap(BenchMetadata::commit).or(() -> commit(dir)).orElse(null), loadAverage(Path.of("/proc/loadavg")).orElse(null),
                FloatVector.SPECIES_PREFERRED.length(), DoubleVector.SPECIES_PREFERRED.length());
    }

    private static Optional<Path> codeLocation() {
        try {
            return Optional.of(Path.of(BenchMetadata.class.getProtectionDomain().getCodeSource().getLocation().toURI()));
        } catch (java.net.URISyntaxException | RuntimeException e) {
            return Optional.empty();
        }
    }

    /** The first {@code model name} line of a {@code /proc/cpuinfo} file. */
    static Optional<String> cpuModel(Path cpuinfo) {
        for (String line : lines(cpuinfo)) {
            int colon = line.indexOf(':');
            if (colon > 0 && line.substring(0, colon).strip().equals("model name")) {
                return Optional.of(line.substring(colon + 1).strip());
            }
        }
        return Optional.empty();
    }

    /** The 1, 5 and 15 minute load averages of a {@code /proc/loadavg} file. */
    static Optional<double[]> loadAverage(Path loadavg) {
        List<String> lines = lines(loadavg);
        if (lines.isEmpty()) {
            return Optional.empty();
        }
        String[] f = lines.get(0).strip().split("\\s+");
        if (f.length < 3) {
            return Optional.empty();
        }
        try {
            return Optional.of(new double[] {Double.parseDouble(f[0]), Double.parseDouble(f[1]), Double.parseDouble(f[2])});
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
    }

    /**
     * The commit checked out in the git work tree that holds {@code dir}: {@code HEAD} itself when
     * detached, else the branch it names, looked up as a loose ref or in {@code packed-refs}, in the
     * git directory and then in its common directory (a linked work tree's {@code .git} is a file
     * naming its git directory).
     */
    static Optional<String> commit(Path dir) {
        for (Path d = dir.toAbsolutePath(); d != null; d = d.getParent()) {
            Path dotGit = d.resolve(".git");
            if (Files.isDirectory(dotGit)) {
                return commitIn(dotGit);
            }
            if (Files.isRegularFile(dotGit)) {
                List<String> l = lines(dotGit);
                if (l.isEmpty() || !l.get(0).startsWith("gitdir:")) {
                    return Optional.empty();
                }
                return commitIn(d.resolve(l.get(0).substring("gitdir:".length()).strip()));
            }
        }
        return Optional.empty();
    }

    private static Optional<String> commitIn(Path gitDir) {
        List<String> head = lines(gitDir.resolve("HEAD"));
        if (head.isEmpty()) {
            return Optional.empty();
        }
        String h = head.get(0).strip();
        if (!h.startsWith("ref:")) {
            return isHash(h) ? Optional.of(h) : Optional.empty();
        }
        String ref = h.substring("ref:".length()).strip();
        List<String> common = lines(gitDir.resolve("commondir"));
        List<Path> dirs = common.isEmpty() ? List.of(gitDir) : List.of(gitDir, gitDir.resolve(common.get(0).strip()));
        for (Path g : dirs) {
            List<String> loose = lines(g.resolve(ref));
            if (!loose.isEmpty() && isHash(loose.get(0).strip())) {
                return Optional.of(loose.get(0).strip());
            }
            for (String line : lines(g.resolve("packed-refs"))) {
                String[] f = line.strip().split(" ");
                if (f.length == 2 && f[1].equals(ref) && isHash(f[0])) {
                    return Optional.of(f[0]);
                }
            }
        }
        return Optional.empty();
    }

    private static boolean isHash(String s) {
        return s.matches("[0-9a-f]{40}|[0-9a-f]{64}");
    }

    private static List<String> lines(Path p) {
        try {
            return Files.readAllLines(p, StandardCharsets.UTF_8);
        } catch (IOException | RuntimeException e) {
            return List.of();
        }
    }

    /** This metadata and the target verdicts as one JSON object. */
    String toJson(List<Targets.Verdict> verdicts) {
        StringBuilder b = new StringBuilder("{\n");
        b.append("  \"jdk\": ").append(quote(jdk)).append(",\n");
        b.append("  \"cpu\": ").append(quote(cpu)).append(",\n");
        b.append("  \"hardware_threads\": ").append(hardwareThreads).append(",\n");
        b.append("  \"commit\": ").append(quote(commit)).append(",\n");
        b.append("  \"load_average\": ").append(loadAverage == null ? "null"
                : String.format(Locale.ROOT, "[%.2f, %.2f, %.2f]", loadAverage[0], loadAverage[1], loadAverage[2])).append(",\n");
        b.append("  \"vector_lanes\": {\"float32\": ").append(floatLanes).append(", \"float64\": ").append(doubleLanes)
                .append("},\n");
        b.append("  \"targets\": [");
        for (int i = 0; i < verdicts.size(); i++) {
            Targets.Verdict v = verdicts.get(i);
            b.append(i == 0 ? "\n" : ",\n").append(String.format(Locale.ROOT,
                    "    {\"target\": %s, \"case\": %s, \"d\": %d, \"threads\": %d, \"measured\": %s, \"met\": %b}",
                    quote(v.target()), quote(v.kase()), v.d(), v.threads(), quote(v.measured()), v.met()));
        }
        b.append(verdicts.isEmpty() ? "]\n" : "\n  ]\n").append("}\n");
        return b.toString();
    }

    /** A JSON string literal, or {@code null}. */
    static String quote(String s) {
        if (s == null) {
            return "null";
        }
        StringBuilder b = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\t' -> b.append("\\t");
                default -> {
                    if (c < 0x20) {
                        b.append(String.format(Locale.ROOT, "\\u%04x", (int) c));
                    } else {
                        b.append(c);
                    }
                }
            }
        }
        return b.append('"').toString();
    }
}
