package dev.streamfold.compiler.kir.passes;

import dev.streamfold.compiler.kir.Kernel;
import dev.streamfold.compiler.kir.KirPrinter;
import dev.streamfold.compiler.kir.KirVerifier;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The optimization pipeline of kernel IR v2: unroll, fold, cse, forward, fold, dead, each result verified.
 * When the system property {@code streamfold.dump} names a directory, the printed kernel is written there
 * before the passes as {@code 00-input.kir} and after the n-th pass as {@code NN-name.kir} (two digits).
 */
public final class KirPipeline {
    /** The unroll budget, in instructions of a fully unrolled loop, that callers use unless they measured better. */
    public static final int DEFAULT_UNROLL_BUDGET = 4096;

    private KirPipeline() {}

    /** The passes of {@link #optimize}, in order. */
    public static List<KirPass> passes(int unrollBudget) {
        return List.of(new UnrollLoops(unrollBudget), new FoldConstants(), new CommonSubexpressions(), new ForwardStores(),
                new FoldConstants(), new EliminateDeadValues());
    }

    /** Verifies {@code k}, then runs {@link #passes} over it, verifying each result; returns the last. */
    public static Kernel optimize(Kernel k, int unrollBudget) {
        KirVerifier.verify(k);
        String dump = System.getProperty("streamfold.dump");
        Path dir = dump == null || dump.isEmpty() ? null : Path.of(dump);
        write(dir, 0, "input", k);
        int n = 0;
        for (KirPass p : passes(unrollBudget)) {
            k = p.run(k);
            n++;
            try {
                KirVerifier.verify(k);
            } catch (IllegalStateException e) {
                throw new IllegalStateException("pass " + p.name() + " made an invalid kernel: " + e.getMessage(), e);
            }
            write(dir, n, p.name(), k);
        }
        return k;
    }

    private static void write(Path dir, int n, String name, Kernel k) {
        if (dir == null) {
            return;
        }
        try {
            Files.createDirectories(dir);
            Files.writeString(dir.resolve(String.format("%02d-%s.kir", n, name)), KirPrinter.print(k), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the kernel dump to " + dir, e);
        }
    }
}
