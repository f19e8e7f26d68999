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
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Locale;
import java.util.Set;

/**
 * {@code streamfold noise}: writes T x D little-endian values, row t = step t of EXPR applied to
 * in-kernel N(0, SIGMA^2) noise. Output and state go to temporary files renamed into place at the
 * end, so a failed run overwrites nothing. {@code --backend vector} (the default) draws the noise in
 * blocks for the Vector API kernel; {@code --backend llvm} runs the LLVM host kernel, which draws it
 * element by element. Both write the same bytes, and a state file of one resumes on the other.
 */
final class NoiseCommand {
    private NoiseCommand() {}

    static String run(String[] argv) {
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
        long dim = a.longValue("--dim", -1, 1);
        if (dim < 0) {
            throw new StreamfoldException("noise: option --dim is required");
        }
        int steps = a.intValue("--steps", -1, 0);
        if (steps < 0) {
            throw new StreamfoldException("noise: option --steps is required");
        }
        long seed = seed(a.require("--seed"));
        double stddev = stddev(a.get("--stddev", "1.0"));
        DType dtype = DType.parseFloating(a.get("--dtype", "float32"));
        int threads = a.intValue("--threads", Runtime.getRuntime().availableProcessors(), 1);
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
        try (Arena arena = Arena.ofShared();
                NoiseGenerator g = new NoiseGenerator(b.kernel(), b.params(), dim, threads, seed, stddev, 0)) {
            if (resume != null) {
                try {
                    g.resume(Checkpoint.load(resume, arena), identity);
                } catch (Checkpoint.CheckpointException e) {
                    throw new StreamfoldException("--resume: " + e.getMessage());
                }
            }
            MemorySegment y = StreamBuffers.allocate(arena, dim * bytes);
            Path dir = out.toAbsolutePath().getParent();
            Files.createDirectories(dir);
            Path tmp = Files.createTempFile(dir, "." + out.getFileName() + ".", ".tmp");
            long first = g.step();
            try {
                try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
                    for (int t = 0; t < steps; t++) {
                        g.next(y);
                        for (long off = 0; off < y.byteSize(); off += 1 << 26) {
                            var buf = y.asSlice(off, Math.min(1 << 26, y.byteSize() - off)).asByteBuffer();
                            while (buf.hasRemaining()) {
                                ch.write(buf);
                            }
                        }
                    }
                    ch.force(true);
                }
                Files.move(tmp, out, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } finally {
                Files.deleteIfExists(tmp);
            }
            if (statePath != null) {
                g.checkpoint(identity, arena).save(statePath);
            }
            String state = statePath == null ? "" : "; state at step " + g.step() + " saved to " + statePath;
            if (steps == 0) {
                return String.format(Locale.ROOT, "wrote no steps (--steps 0): %s is empty%s%n", out, state);
            }
            return String.format(Locale.ROOT, "wrote steps %d..%d (%d x %d %s) to %s%s%n", first, g.step() - 1, steps, dim,
                    dtype.longName(), out, state);
        } catch (IOException e) {
            throw new StreamfoldException("noise: cannot write " + out + ": " + e.getMessage());
        }
    }

    /** What a state file must have been saved for: the mechanism, dtype and dimension. */
    static String identity(StreamingMatrix m, DType dtype, long dim) {
        return m.describe() + " | " + dtype.longName() + " | dim " + dim;
    }

    static long seed(String s) {
        try {
            return Long.parseUnsignedLong(s.trim());
        } catch (NumberFormatException e) {
            try {
                return Long.parseLong(s.trim());
            } catch (NumberFormatException e2) {
                throw new StreamfoldException("noise: --seed must be an integer in [-2^63, 2^64), got '" + s + "'");
            }
        }
    }

    static double stddev(String s) {
        double v;
        try {
            v = Double.parseDouble(s.trim());
        } catch (NumberFormatException e) {
            throw new StreamfoldException("noise: --stddev must be a number, got '" + s + "'");
        }
        if (!Double.isFinite(v) || v < 0) {
            throw new StreamfoldException("noise: --stddev must be finite and >= 0, got " + s);
        }
        return v;
    }
}
