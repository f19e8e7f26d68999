package dev.streamfold.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A JVM started without the Vector API module is told which flag is missing, not a bare NoClassDefFoundError. */
class VectorModuleMissingTest {
    @Test
    void entryPointsNameTheMissingFlag(@TempDir Path dir) throws IOException, InterruptedException {
        Path out = dir.resolve("out.txt");
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        Process p = new ProcessBuilder(java.toString(), "-cp", System.getProperty("java.class.path"),
                WithoutVectorModule.class.getName())
                .redirectErrorStream(true).redirectOutput(out.toFile()).start();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("the child JVM did not finish within 60 s");
        }
        assertEquals(0, p.exitValue(), Files.readString(out));
        List<String> lines = Files.readAllLines(out, StandardCharsets.UTF_8);
        assertEquals(List.of(
                "java.lang.IllegalStateException: ahead-of-time kernel prefix_sum_f64 runs on the Java Vector API, but the "
                        + "module jdk.incubator.vector is not loaded: start the JVM with --add-modules=jdk.incubator.vector",
                "java.lang.IllegalStateException: the noise generator runs on the Java Vector API, but the module "
                        + "jdk.incubator.vector is not loaded: start the JVM with --add-modules=jdk.incubator.vector"),
                lines.stream().filter(l -> !l.startsWith("WARNING")).toList());
        assertTrue(lines.stream().noneMatch(l -> l.contains("NoClassDefFoundError")), String.join("\n", lines));
    }
}
