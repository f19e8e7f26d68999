package dev.streamfold.compiler.llvm;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeUnit;

/**
 * Runs {@link LlvmToolchain#emitPtx} in a child JVM, so that an LLVM abort on bad input ends the child, not the
 * caller's build. The child runs this class's {@link #main} with the caller's {@code java} binary, class path and
 * JVM options (less debugger and instrumentation options); the module goes in on stdin, the PTX comes back on stdout.
 */
public final class ForkedLlvm {
    /** The child's exit status when LLVM rejected the module without aborting; its message is on stderr. */
    static final int EXIT_REJECTED = 2;

    private static final int EXIT_USAGE = 64;
    private static final String EMIT_PTX = "emit-ptx";
    private static final List<String> NOT_INHERITED = List.of("-agentlib", "-agentpath", "-javaagent", "-Xdebug",
            "-Xrunjdwp");

    private final Duration timeout;

    /** A client whose children get five minutes each. */
    public ForkedLlvm() {
        this(Duration.ofMinutes(5));
    }

    /** A client whose children are killed after {@code timeout}. */
    public ForkedLlvm(Duration timeout) {
        this.timeout = Objects.requireNonNull(timeout, "timeout");
    }

    /**
     * {@link LlvmToolchain#emitPtx} in a child JVM.
     *
     * @throws IllegalArgumentException if {@code arch} is not one of {@link LlvmToolchain#PTX_ARCHES}
     * @throws LlvmException with the child's stderr if it exits with a non-zero status (LLVM rejected the module or
     *     aborted), does not finish in time, or cannot be started
     */
    public String emitPtx(String llText, String arch) {
        Objects.requireNonNull(llText, "llText");
        LlvmToolchain.requirePtxArch(arch);
        String module = LlvmToolchain.moduleName(llText);
        Path dir = null;
        Process child = null;
        try {
            dir = Files.createTempDirectory("streamfold-llvm");
            Path stdout = dir.resolve("stdout");
            Path stderr = dir.resolve("stderr");
            child = new ProcessBuilder(childCommand(EMIT_PTX, arch))
                    .redirectOutput(stdout.toFile())
                    .redirectError(stderr.toFile())
                    .start();
            try (OutputStream in = child.getOutputStream()) {
                in.write(llText.getBytes(StandardCharsets.UTF_8));
            } catch (IOException brokenPipe) {
                // The child exited before reading everything; its status and stderr say why.
            }
            if (!child.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                throw new LlvmException("LLVM child process for module '" + module + "' did not finish in "
                        + timeout);
            }
            if (child.exitValue() != 0) {
                throw new LlvmException("LLVM child process for module '" + module + "' failed (exit "
                        + child.exitValue() + "): " + Files.readString(stderr, StandardCharsets.UTF_8).strip());
            }
            return Files.readString(stdout, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new LlvmException("cannot run an LLVM child process for module '" + module + "': "
                    + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new LlvmException("interrupted while LLVM compiled module '" + module + "'", e);
        } finally {
            if (child != null && child.isAlive()) {
                child.destroyForcibly();
            }
            TempDirs.deleteQuietly(dir);
        }
    }

    /**
     * The child's entry point: {@code emit-ptx ARCH}, module on stdin, PTX on stdout. Exits with
     * {@value #EXIT_REJECTED} and the message on stderr when LLVM rejects the module.
     */
    public static void main(String[] args) throws IOException {
        PrintStream stdout = System.out;
        System.setOut(System.err);
        if (args.length != 2 || !EMIT_PTX.equals(args[0])) {
            System.err.println("usage: " + ForkedLlvm.class.getName() + " " + EMIT_PTX
                    + " ARCH < module.ll > kernel.ptx");
            System.exit(EXIT_USAGE);
        }
        String ptx;
        try {
            String llText = new String(System.in.readAllBytes(), StandardCharsets.UTF_8);
            ptx = new LlvmToolchain().emitPtx(llText, args[1]);
        } catch (LlvmException | IllegalArgumentException e) {
            System.err.println(e.getMessage());
            System.exit(EXIT_REJECTED);
            return;
        }
        stdout.write(ptx.getBytes(StandardCharsets.UTF_8));
        stdout.flush();
    }

    private static List<String> childCommand(String... args) {
        String java = ProcessHandle.current().info().command()
                .orElseGet(() -> Path.of(System.getProperty("java.home"), "bin", "java").toString());
        List<String> command = new ArrayList<>();
        command.add(java);
        for (String option : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            if (NOT_INHERITED.stream().noneMatch(option::startsWith)) {
                command.add(option);
            }
        }
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add(ForkedLlvm.class.getName());
        command.addAll(List.of(args));
        return command;
    }
}
