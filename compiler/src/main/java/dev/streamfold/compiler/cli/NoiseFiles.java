package dev.streamfold.compiler.cli;

import dev.streamfold.ir.StreamfoldException;
import dev.streamfold.runtime.Checkpoint;
import dev.streamfold.runtime.io.StagedFile;
import dev.streamfold.runtime.io.TempFiles;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Optional;
import java.util.zip.CRC32C;

/**
 * The output and state files of one {@code noise} run, kept a pair. Both are written to temporary
 * files; the state records the output's path, length and CRC-32C. When both are complete, the
 * output is renamed into place first and the state second, together, so that SIGTERM cannot fall
 * between them. A kill between them (SIGKILL) leaves the new output beside the old state, whose
 * record names other bytes, and the new state's complete temporary file: the next run that names
 * that state, as {@code --state} or {@code --resume}, finishes the rename once it has checked that
 * the output in place has the recorded length and checksum, and deletes the temporary files that
 * do not qualify. An output of {@code -} is standard output: its bytes are written as they come,
 * and the state is renamed into place only once all of them have been written and flushed without
 * an error; it then records no output file.
 */
final class NoiseFiles implements AutoCloseable {
    /** The {@code --out} value that names standard output. */
    static final String STDOUT = "-";

    private final Path outPath;
    private final Path statePath;
    private final StagedFile out;
    private final PrintStream stdout;
    private final StagedFile state;
    private final CRC32C crc = new CRC32C();
    private long written;

    private NoiseFiles(Path outPath, Path statePath, StagedFile out, PrintStream stdout, StagedFile state) {
        this.outPath = outPath;
        this.statePath = statePath;
        this.out = out;
        this.stdout = stdout;
        this.state = state;
    }

    /** Whether {@code out} names standard output. */
    static boolean isStdout(Path out) {
        return out.toString().equals(STDOUT);
    }

    /**
     * Refuses paths that name one file: {@code --out} may be neither {@code --state} nor
     * {@code --resume}; {@code --state} may be {@code --resume} (continuing in place).
     */
    static void checkDistinct(Path out, Path state, Path resume) {
        nonEmpty(out, "--out");
        nonEmpty(state, "--state");
        nonEmpty(resume, "--resume");
        if (!isStdout(out)) {
            same(out, "--out", state, "--state");
            same(out, "--out", resume, "--resume");
        }
    }

    private static void nonEmpty(Path p, String option) {
        if (p != null && p.toString().isEmpty()) {
            throw new StreamfoldException("noise: " + option + " must name a file, got ''");
        }
    }

    private static void same(Path a, String aName, Path b, String bName) {
        if (b == null) {
            return;
        }
        try {
            if (StagedFile.sameFile(a, b)) {
                throw new StreamfoldException("noise: " + aName + " and " + bName + " name the same file (" + b + ")");
            }
        } catch (IOException e) {
            throw new StreamfoldException("noise: cannot write " + aName + " " + a + ": " + StagedFile.reason(e));
        }
    }

    /**
     * Finishes a commit that a kill cut between its renames: installs the stale temporary state
     * file of {@code stateFile} that is complete and whose recorded output is in place, and deletes
     * the other stale temporary files of it. A path that cannot be a state file is left for the
     * write or the read to report.
     */
    static void recover(Path stateFile, String option) {
        Path target;
        try {
            target = StagedFile.resolve(stateFile);
        } catch (IOException e) {
            return;
        }
        try {
            if (target == null || target.getParent() == null || !Files.isDirectory(target.getParent())) {
                return;
            }
            Path dir = target.getParent().toRealPath();
            String name = target.getFileName().toString();
            for (Path tmp : TempFiles.stale(dir, name)) {
                if (Files.exists(tmp, LinkOption.NOFOLLOW_LINKS) && completes(tmp)) {
                    try {
                        StagedFile.replace(tmp, dir.resolve(name));
                    } catch (NoSuchFileException e) {
                        continue;
                    }
                }
            }
            TempFiles.deleteStale(dir, name);
        } catch (IOException e) {
            throw new StreamfoldException("noise: cannot recover " + option + " " + stateFile + ": " + StagedFile.reason(e));
        }
    }

    /** Whether {@code tmp} is a whole state file whose recorded output is the file now in place. */
    private static boolean completes(Path tmp) throws IOException {
        Optional<Checkpoint.Output> recorded;
        try {
            recorded = Checkpoint.verifiedOutput(tmp);
        } catch (Checkpoint.CheckpointException e) {
            return false;
        }
        if (recorded.isEmpty()) {
            return false;
        }
        Checkpoint.Output o = recorded.get();
        Path p = Path.of(o.path());
        if (!Files.exists(p)) {
            return false;
        }
        if (!Files.isRegularFile(p)) {
            return true;
        }
        if (Files.size(p) != o.bytes()) {
            return false;
        }
        CRC32C c = new CRC32C();
        ByteBuffer b = ByteBuffer.allocateDirect(1 << 20);
        try (FileChannel ch = FileChannel.open(p, StandardOpenOption.READ)) {
            while (ch.read(b.clear()) >= 0) {
                c.update(b.flip());
            }
        }
        return (int) c.getValue() == o.crc32c();
    }

    /**
     * Opens temporary files for the output (unless it is {@link #STDOUT}, written to {@code stdout})
     * and, when {@code statePath} is given, the state.
     */
    static NoiseFiles open(Path outPath, Path statePath, PrintStream stdout) {
        StagedFile out = null;
        if (!isStdout(outPath)) {
            try {
                out = StagedFile.create(outPath);
            } catch (IOException e) {
                throw cannotWrite("--out", outPath, e);
            }
        }
        PrintStream direct = out == null ? stdout : null;
        if (statePath == null) {
            return new NoiseFiles(outPath, null, out, direct, null);
        }
        try {
            return new NoiseFiles(outPath, statePath, out, direct, StagedFile.create(statePath));
        } catch (IOException e) {
            if (out != null) {
                try {
                    out.close();
                } catch (IOException closing) {
                    e.addSuppressed(closing);
                }
            }
            throw cannotWrite("--state", statePath, e);
        }
    }

    /** Appends {@code b} to the output. */
    void write(ByteBuffer b) {
        crc.update(b.duplicate());
        written += b.remaining();
        if (stdout != null) {
            byte[] chunk = new byte[Math.min(b.remaining(), 1 << 20)];
            while (b.hasRemaining()) {
                int n = Math.min(chunk.length, b.remaining());
                b.get(chunk, 0, n);
                stdout.write(chunk, 0, n);
            }
            checkStdout();
            return;
        }
        try {
            out.write(b);
        } catch (IOException e) {
            throw cannotWrite("--out", outPath, e);
        }
    }

    /** Refuses to go on once a write to standard output has failed (a full device, a closed pipe). */
    private void checkStdout() {
        if (stdout.checkError()) {
            throw new StreamfoldException("noise: cannot write --out - (standard output)"
                    + (statePath == null ? "" : "; --state " + statePath + " was not saved"));
        }
    }

    /**
     * Writes {@code end} (recorded as belonging to the output) to the state's temporary file, flushes
     * both, and renames both into place, output first.
     */
    void commit(Checkpoint end) {
        if (stdout != null) {
            stdout.flush();
            checkStdout();
        } else {
            try {
                out.force();
            } catch (IOException e) {
                throw cannotWrite("--out", outPath, e);
            }
        }
        if (state != null) {
            try {
                Checkpoint saved = stdout != null ? end
                        : end.withOutput(new Checkpoint.Output(out.target().toString(), written, (int) crc.getValue()));
                saved.write(state.channel());
                state.force();
            } catch (IOException e) {
                throw cannotWrite("--state", statePath, e);
            }
        }
        try {
            TempFiles.atomically(() -> {
                if (out != null) {
                    try {
                        out.commit();
                    } catch (IOException e) {
                        throw cannotWrite("--out", outPath, e);
                    }
                }
                if (state != null) {
                    try {
                        state.commit();
                    } catch (IOException e) {
                        if (out == null) {
                            throw cannotWrite("--state", statePath, e);
                        }
                        keepStateForRecovery();
                        throw new StreamfoldException("noise: cannot write --state " + statePath + ": "
                                + StagedFile.reason(e) + "; the new state is kept for recovery by the next run");
                    }
                }
            });
        } catch (IOException e) {
            throw cannotWrite("--out", outPath, e);
        }
    }

    /** With the output already committed, the state's temporary file is what the next run recovers from. */
    private void keepStateForRecovery() {
        try {
            state.keep();
        } catch (IOException e) {
            throw cannotWrite("--state", statePath, e);
        }
    }

    private static StreamfoldException cannotWrite(String option, Path p, IOException e) {
        return new StreamfoldException("noise: cannot write " + option + " " + p + ": " + StagedFile.reason(e));
    }

    /** Deletes the temporary files that were not committed. */
    @Override
    public void close() {
        try {
            if (out != null) {
                out.close();
            }
        } catch (IOException e) {
            throw cannotWrite("--out", outPath, e);
        } finally {
            if (state != null) {
                try {
                    state.close();
                } catch (IOException e) {
                    throw cannotWrite("--state", statePath, e);
                }
            }
        }
    }
}
