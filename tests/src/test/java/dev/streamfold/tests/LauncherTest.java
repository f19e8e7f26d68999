package dev.streamfold.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The {@code ./streamfold} launcher script itself, run over a project root made to look built, so
 * that it starts the CLI on this test's class path without building anything.
 */
class LauncherTest {
    /** The repository's launcher: {@code streamfold} beside the root {@code pom.xml}, above the working directory. */
    static Path launcher() {
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            if (Files.isRegularFile(p.resolve("streamfold")) && Files.isRegularFile(p.resolve("pom.xml"))) {
                return p.resolve("streamfold");
            }
        }
        throw new IllegalStateException("the streamfold launcher is not above " + Path.of("").toAbsolutePath());
    }

    /** A root holding a copy of the launcher, built stamps and class paths, and a stand-in {@code mvn} on PATH. */
    static Path fakeRoot(Path dir) throws IOException {
        Path root = Files.createDirectory(dir.resolve("root"));
        Files.copy(launcher(), root.resolve("streamfold"));
        for (String module : List.of("compiler-llvm", "bench")) {
            Path target = Files.createDirectories(root.resolve(module).resolve("target").resolve("classes")).getParent();
            Files.writeString(target.resolve("classpath.txt"), System.getProperty("java.class.path"));
        }
        Files.createDirectories(root.resolve("target"));
        Files.writeString(root.resolve("target").resolve(".streamfold-built"), "");
        Path bin = Files.createDirectory(dir.resolve("bin"));
        Path mvn = Files.writeString(bin.resolve("mvn"), "#!/bin/sh\necho 'mvn must not run in this test' >&2\nexit 1\n");
        Files.setPosixFilePermissions(mvn, PosixFilePermissions.fromString("rwxr-xr-x"));
        return root;
    }

    @Test
    void anInputFileWithANulByteGetsItsPositionedErrorThroughTheLauncher(@TempDir Path dir) throws Exception {
        Path root = fakeRoot(dir);
        Path input = dir.resolve("nul.json");
        Files.write(input, "[[1, \0 2]]".getBytes(StandardCharsets.UTF_8));
        Path err = dir.resolve("err.txt");
        ProcessBuilder pb = new ProcessBuilder("bash", root.resolve("streamfold").toString(), "eval", "--expr", "prefix_sum",
                "--input", input.toString()).redirectError(err.toFile()).redirectOutput(dir.resolve("out.txt").toFile());
        pb.environment().put("JAVA_HOME", System.getProperty("java.home"));
        pb.environment().put("PATH", dir.resolve("bin") + ":" + System.getenv("PATH"));
        assertEquals(2, ChildCli.await(pb.start()));
        assertEquals("", Files.readString(dir.resolve("out.txt")));
        assertEquals("error: " + input + ":1:6: NUL byte (JSON text holds no NUL)\n", Files.readString(err, StandardCharsets.UTF_8));
    }

    /**
     * The stderr filter drops only the JDK's incubator notice and passes binary bytes through: run
     * over a stand-in JDK whose {@code java} writes the notice and a message holding a NUL byte.
     */
    @Test
    void theStderrFilterPassesBinaryBytesAndDropsOnlyTheIncubatorNotice(@TempDir Path dir) throws Exception {
        Path root = fakeRoot(dir);
        Path jdkBin = Files.createDirectories(dir.resolve("jdk").resolve("bin"));
        Path javac = Files.writeString(jdkBin.resolve("javac"), "#!/bin/sh\nexit 0\n");
        Path java = Files.writeString(jdkBin.resolve("java"), """
                #!/bin/sh
                case "$*" in
                  *-XshowSettings*) echo '    java.specification.version = 25' >&2; exit 0 ;;
                esac
                echo 'WARNING: Using incubator modules: jdk.incubator.vector' >&2
                printf 'error: a\\000b\\n' >&2
                exit 2
                """);
        for (Path p : List.of(javac, java)) {
            Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwxr-xr-x"));
        }
        // stderr through a pipe: reading it to the end waits for the filter, which holds the pipe open.
        ProcessBuilder pb = new ProcessBuilder("bash", root.resolve("streamfold").toString(), "eval")
                .redirectOutput(dir.resolve("out.txt").toFile());
        pb.environment().put("JAVA_HOME", dir.resolve("jdk").toString());
        pb.environment().put("PATH", dir.resolve("bin") + ":" + System.getenv("PATH"));
        Process p = pb.start();
        p.getOutputStream().close();
        String stderr = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(2, ChildCli.await(p));
        assertEquals("error: a\0b\n", stderr);
    }
}
