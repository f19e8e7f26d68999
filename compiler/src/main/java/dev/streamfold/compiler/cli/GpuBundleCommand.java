package dev.streamfold.compiler.cli;

import dev.streamfold.compiler.NativeBackend;
import dev.streamfold.ir.StreamfoldException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Set;

/**
 * {@code streamfold gpu-bundle [--out DIR] [--jdk jlink|none]}: writes the GPU bundle (default
 * {@code target/gpu-bundle}) and reports its cases and sizes.
 */
final class GpuBundleCommand {
    static final String DEFAULT_OUT = "target/gpu-bundle";

    private GpuBundleCommand() {}

    static String run(String[] argv, PrintStream progress) {
        Args a = new Args("gpu-bundle", argv, 1, Set.of("--out", "--jdk"), Set.of(), Set.of());
        Path out = Path.of(a.get("--out", DEFAULT_OUT));
        boolean jdk = switch (a.get("--jdk", "jlink")) {
            case "jlink" -> true;
            case "none" -> false;
            default -> throw new StreamfoldException("gpu-bundle: --jdk must be jlink or none, got '" + a.get("--jdk") + "'");
        };
        return NativeBackend.require("gpu-bundle").writeGpuBundle(out, jdk, progress);
    }
}
