package dev.streamfold.tests;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.streamfold.compiler.cli.Main;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/** The CLI run in a child JVM with the launcher's flags, for what needs a process: signals, a real stdout. */
final class ChildCli {
    private ChildCli() {}

    static final String INCUBATOR_NOTICE = "WARNING: Using incubator modules";

    static String java() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    /** {@code java <launcher flags> -cp <this class path> Main args...}. */
    static ProcessBuilder command(List<String> args) {
        List<String> cmd = new ArrayList<>(List.of(java(), "--add-modules=jdk.incubator.vector",
                "--enable-native-access=ALL-UNNAMED", "-XX:+UseSerialGC", "-cp", System.getProperty("java.class.path"),
                Main.class.getName()));
        cmd.addAll(args);
        return new ProcessBuilder(cmd);
    }

    /** Stderr without the JDK's incubator notice, as the launcher shows it. */
    static String stderr(Path file) throws IOException {
        return Files.readAllLines(file, StandardCharsets.UTF_8).stream().filter(l -> !l.startsWith(INCUBATOR_NOTICE))
                .map(l -> l + "\n").collect(Collectors.joining());
    }

    /** Waits for {@code p} to end, at most a minute. */
    static int await(Process p) throws InterruptedException {
        boolean ended = p.waitFor(60, TimeUnit.SECONDS);
        if (!ended) {
            p.destroyForcibly();
        }
        assertTrue(ended, "the child ended within a minute");
        return p.exitValue();
    }
}
