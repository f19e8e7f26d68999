package dev.streamfold.compiler.cli;

import dev.streamfold.compiler.cuda.GpuBundle;
import dev.streamfold.ir.StreamfoldException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Set;

/**
 * {@code streamfold gpu-bundle [--out DIR] [--jdk jlink|none]}: writes a {@link GpuBundle} (default
 * {@code target/gpu-bundle}) and reports its cases and sizes.
 */
final class GpuBundleCommand {
    static final String DEFAULT_OUT = "target/gpu-bundle";

    private GpuBundleCommand() {}

    static String run(String[] argv, PrintStream progress) {
        Args a = new Args("gpu-bundle", argv, 1, Set.of("--out", "--jdk"), Set.of(), Set.of());
        Path out = Path.of(a.get("--out", DEFAULT_OUT));
        GpuBundle.JdkImage jdk = switch (a.get("--jdk", "jlink")) {
            case "jlink" -> GpuBundle.JdkImage.JLINK;
            case "none" -> GpuBundle.JdkImage.NONE;
            default -> throw new StreamfoldException("gpu-bundle: --jdk must be jlink or none, got '" + a.get("--jdk") + "'");
        };
        GpuBundle.Written w = GpuBundle.write(out, jdk, GpuBundle.specs(), progress);
        return String.format(Locale.ROOT, """
                wrote %s: %d cases
                  jdk/ %.1f MiB, lib/ %.1f MiB, kernels/ %.1f MiB; total %.1f MiB
                run it on a machine with an NVIDIA GPU: %s/run.sh
                """, w.root(), w.cases().size(), mib(w.jdkBytes()), mib(w.libBytes()), mib(w.kernelBytes()),
                mib(w.totalBytes()), w.root());
    }

    private static double mib(long bytes) {
        return bytes / (1024.0 * 1024.0);
    }
}
