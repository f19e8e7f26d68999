package dev.streamfold.compiler.cli;

import dev.streamfold.compiler.KernelEval;
import dev.streamfold.compiler.NativeBackend;
import dev.streamfold.ir.DType;
import dev.streamfold.ir.StreamfoldException;
import dev.streamfold.ir.stream.Bindings;
import dev.streamfold.ir.stream.StreamingMatrix;
import dev.streamfold.runtime.Checkpoint;
import dev.streamfold.runtime.NoiseGenerator;
import dev.streamfold.runtime.StreamBuffers;
import dev.streamfold.runtime.StreamingRunner;
import java.io.PrintStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Set;

/**
 * {@code streamfold noise}: writes T x D little-endian values, row t = step t of EXPR applied to
 * in-kernel N(0, SIGMA^2) noise. Output and state go to temporary files renamed into place at the
 * end, as a pair ({@link NoiseFiles}), so a failed run overwrites nothing; a run whose values are
 * not all finite writes nothing. {@code --backend vector} (the default) draws the noise in
 * blocks for the Vector API kernel; {@code --backend llvm} runs the LLVM host kernel, which draws it
 * element by element. Both write the same bytes, and a state file of one resumes on the other.
 * {@code --out -} writes the values to standard output and the summary line to standard error.
 */
final class NoiseCommand {
    private NoiseCommand() {}

    static String run(String[] argv, PrintStream stdout, PrintStream stderr) {
        Args a = new Args("noise", argv, 1,
                Set.of("--expr", "--backend", "--dim", "--steps", "--seed", "--stddev", "--dtype", "--threads", "--out",
                        "--state", "--resume"),
                Set.of("--param"), Set.of());
        StreamingMatrix m = EvalCommand.matrix(a.require("--expr"));
        String backend = a.get("--backend", "vector");
        KernelEval.KernelLoader loader = switch (backend) {
            case "vector" -> KernelEval.VECTOR;
            case "llvm" -> NativeBackend.require("--backend llvm").hostKernels();
            default -> throw new StreamfoldException("noise: unknown backend '" + backend
                    + "' (expected vector or llvm)");
        };
        long dim = a.longValue("--dim", -1, 1, StreamingRunner.MAX_LENGTH);
        if (dim < 0) {
            throw new StreamfoldException("noise: option --dim is required");
        }
        int steps = a.intValue("--steps", -1, 0, Integer.MAX_VALUE);
        if (steps < 0) {
            throw new StreamfoldException("noise: option --steps is required");
        }
        long seed = seed(a.require("--seed"));
        double stddev = stddev(a.get("--stddev", "1.0"));
        DType dtype = DType.parseFloating(a.get("--dtype", "float32"));
        int threads = a.intValue("--threads", defaultThreads(), 1, StreamingRunner.MAX_THREADS);
        Path out = Path.of(a.require("--out"));
        Path statePath = a.get("--state") == null ? null : Path.of(a.get("--state"));
        Path resume = a.get("--resume") == null ? null : Path.of(a.get("--resume"));
        if (ByteOrder.nativeOrder() != ByteOrder.LITTLE_ENDIAN) {
            throw new StreamfoldException("noise: this host is big-endian; the output format is little-endian");
        }
        Bindings bindings = EvalCommand.values("--param", a.all("--param"));
        KernelEval.Bound b = KernelEval.bind(loader, m, bindings, dtype);
        String identity = identity(m, dtype, dim);
        int bytes = dtype == DType.F32 ? 4 : 8;
        NoiseFiles.checkDistinct(out, statePath, resume);
        if (statePath != null) {
            NoiseFiles.recover(statePath, "--state");
        }
        if (resume != null) {
            NoiseFiles.recover(resume, "--resume");
        }
        try (Arena arena = Arena.ofShared();
                NoiseGenerator g = new NoiseGenerator(b.kernel(), b.params(), dim, threads, seed, stddev, 0)) {
            if (resume != null) {
                try {
                    g.resume(Checkpoint.load(resume, arena), identity);
                } catch (Checkpoint.CheckpointException e) {
                    throw new StreamfoldException("--resume: " + e.getMessage());
                }
            }
            long first = g.step();
            if (first > Checkpoint.LAST_STEP - steps) {
                throw new StreamfoldException("noise: --resume " + resume + " holds step " + first + ": " + steps
                        + " more steps would pass the end of the step counter (2^63 - 1)");
            }
            MemorySegment y = StreamBuffers.allocate(arena, dim * bytes);
            try (NoiseFiles files = NoiseFiles.open(out, statePath, stdout)) {
                for (int t = 0; t < steps; t++) {
                    long bad = g.nextCheckingFinite(y);
                    if (bad >= 0) {
                        double v = dtype == DType.F32 ? y.getAtIndex(ValueLayout.JAVA_FLOAT, bad)
                                : y.getAtIndex(ValueLayout.JAVA_DOUBLE, bad);
                        throw new StreamfoldException(String.format(Locale.ROOT,
                                "noise: step %d, coordinate %d is %s (the values overflow %s); nothing was written",
                                g.step() - 1, bad, v, dtype.longName()));
                    }
                    for (long off = 0; off < y.byteSize(); off += 1 << 26) {
                        files.write(y.asSlice(off, Math.min(1 << 26, y.byteSize() - off)).asByteBuffer());
                    }
                }
                files.commit(g.checkpoint(identity, arena));
            }
            String state = statePath == null ? "" : "; state at step " + g.step() + " saved to " + statePath;
            boolean toStdout = NoiseFiles.isStdout(out);
            String where = toStdout ? "standard output" : out.toString();
            String summary = steps == 0
                    ? String.format(Locale.ROOT, "wrote no steps (--steps 0): %s %s empty%s%n", where, toStdout ? "stays" : "is", state)
                    : String.format(Locale.ROOT, "wrote steps %d..%d (%d x %d %s) to %s%s%n", first, g.step() - 1, steps, dim,
                            dtype.longName(), where, state);
            if (toStdout) {
                stderr.print(summary);
                return "";
            }
            return summary;
        }
    }

    /** What a state file must have been saved for: the mechanism, dtype and dimension. */
    static String identity(StreamingMatrix m, DType dtype, long dim) {
        return m.describe() + " | " + dtype.longName() + " | dim " + dim;
    }

    /** The default of {@code --threads}: one per hardware thread, within the runner's bound. */
    static int defaultThreads() {
        return Math.min(Runtime.getRuntime().availableProcessors(), StreamingRunner.MAX_THREADS);
    }

    static long seed(String s) {
        try {
            if (s.matches("-?[0-9]+")) {
                return s.startsWith("-") ? Long.parseLong(s) : Long.parseUnsignedLong(s);
            }
        } catch (NumberFormatException e) {
            // out of range, reported below
        }
        throw new StreamfoldException("noise: --seed must be an integer in [-2^63, 2^64), got '" + Args.printable(s) + "'");
    }

    static double stddev(String s) {
        double v = Args.number("noise: --stddev", s);
        if (v < 0) {
            throw new StreamfoldException("noise: --stddev must be finite and >= 0, got " + s);
        }
        return v;
    }
}
