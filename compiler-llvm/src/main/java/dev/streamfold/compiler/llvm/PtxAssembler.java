package dev.streamfold.compiler.llvm;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

/**
 * Checks PTX with NVIDIA's {@code ptxas}, run as a subprocess: the PTX is assembled to a temporary cubin that is
 * then deleted. Needs no GPU.
 */
public final class PtxAssembler {
    private static final Pattern ARCH = Pattern.compile("sm_[0-9]{2,3}[af]?");
    private static final long TIMEOUT_SECONDS = 120;

    private final Path executable;

    /** Uses the {@code ptxas} found on {@code PATH} when {@link #check} runs. */
    public PtxAssembler() {
        this(null);
    }

    /** Uses the given {@code ptxas} executable. */
    public PtxAssembler(Path executable) {
        this.executable = executable;
    }

    /** Whether an executable {@code ptxas} is on {@code PATH}. */
    public static boolean available() {
        return findOnPath().isPresent();
    }

    /**
     * Assembles {@code ptx} for {@code arch}.
     *
     * @param arch a GPU architecture such as {@code sm_80}
     * @throws IllegalArgumentException if {@code arch} is not of the form {@code sm_NN}
     * @throws LlvmException with ptxas's output if it rejects the PTX, or if ptxas cannot be run
     */
    public void check(String ptx, String arch) {
        if (arch == null || !ARCH.matcher(arch).matches()) {
            throw new IllegalArgumentException("not a GPU architecture: '" + arch + "'");
        }
        Path ptxas = executable != null ? executable
                : findOnPath().orElseThrow(() -> new LlvmException("ptxas is not on PATH"));
        Path dir = null;
        Process process = null;
        try {
            dir = Files.createTempDirectory("streamfold-ptxas");
            Path source = Files.writeString(dir.resolve("kernel.ptx"), ptx, StandardCharsets.UTF_8);
            Path cubin = dir.resolve("kernel.cubin");
            Path log = dir.resolve("ptxas.log");
            process = new ProcessBuilder(List.of(ptxas.toString(), "-arch=" + arch, "-o", cubin.toString(),
                    source.toString()))
                    .redirectErrorStream(true)
                    .redirectOutput(log.toFile())
                    .start();
            process.getOutputStream().close();
            if (!process.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                throw new LlvmException("ptxas -arch=" + arch + " did not finish in " + TIMEOUT_SECONDS + " s");
            }
            if (process.exitValue() != 0) {
                String output = Files.readString(log, StandardCharsets.UTF_8);
                throw new LlvmException("ptxas -arch=" + arch + " rejected the PTX (exit " + process.exitValue()
                        + "): " + output.strip());
            }
        } catch (IOException e) {
            throw new LlvmException("cannot run " + ptxas + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new LlvmException("interrupted while ptxas ran", e);
        } finally {
            if (process != null && process.isAlive()) {
                process.destroyForcibly();
            }
            TempDirs.deleteQuietly(dir);
        }
    }

    private static Optional<Path> findOnPath() {
        String path = System.getenv("PATH");
        if (path == null) {
            return Optional.empty();
        }
        for (String entry : path.split(Pattern.quote(File.pathSeparator))) {
            if (!entry.isEmpty()) {
                Path candidate = Path.of(entry, "ptxas");
                if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
                    return Optional.of(candidate);
                }
            }
        }
        return Optional.empty();
    }
}
