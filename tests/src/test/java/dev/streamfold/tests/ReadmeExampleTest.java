package dev.streamfold.tests;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** The README's "Embed in a service" shows the example service's real code, which .ci/run compiles and runs. */
class ReadmeExampleTest {
    private static final Path ROOT = Path.of("..");

    /** {@code text[from, to)}, one level of indentation (four spaces) removed from each line. */
    private static String dedented(String text, String from, String to) {
        int start = text.indexOf(from);
        int end = text.indexOf(to, start);
        assertTrue(start >= 0 && end > start, "markers '" + from + "' .. '" + to + "' not found");
        return Arrays.stream(text.substring(start, end).stripTrailing().split("\n"))
                .map(l -> l.startsWith("    ") ? l.substring(4) : l).collect(Collectors.joining("\n"));
    }

    @Test
    void readmeShowsTheServicesCode() throws IOException {
        String readme = Files.readString(ROOT.resolve("README.md"));
        Path example = ROOT.resolve("examples/dp-noise-service");
        String service = Files.readString(example.resolve("src/main/java/com/example/noise/NoiseService.java"));
        String main = dedented(service, "    public static void main(", "    // End of the lines the README shows.");
        String generators = dedented(service, "    private static List<NoiseGenerator> generators", "    private static void run(");
        assertTrue(readme.contains(main + "\n\n" + generators + "\n```"), "README's copy of NoiseService.main is stale");
        String spec = Files.readString(example.resolve("src/main/streamfold/noise.spec")).lines()
                .filter(l -> !l.startsWith("#")).findFirst().orElseThrow();
        assertTrue(readme.contains("```\n" + spec + "\n```"), "README's copy of noise.spec is stale");
    }
}
