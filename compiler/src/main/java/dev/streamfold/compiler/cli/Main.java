package dev.streamfold.compiler.cli;

import dev.streamfold.ir.StreamfoldException;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Properties;

/**
 * The {@code streamfold} command line. Bad input exits with status 2 and one {@code error:} line on
 * stderr, and prints nothing on stdout; an internal failure exits with 3, also on one line.
 */
public final class Main {
    private Main() {}

    static final String USAGE = """
            usage: streamfold <command> [options]

              demo [--dim D] [--steps T] [--threads K]
                                             run the fused correlated-noise showcase on built-in defaults
              test                           run the whole test suite
              eval --expr EXPR [--backend interpreter|vector|llvm|cuda] [--dtype float64|float32]
                   [--input FILE] [--materialize N] [--row-norms N]
                   [--param NAME=VALUE]... [--tangent NAME=VALUE]... [--threads K]
              compile --expr EXPR --backend vector|ptx [--dtype float64|float32] [--arch sm_80|sm_90]
                      [--param NAME=VALUE]... --out DIR
              noise --expr EXPR [--backend vector|llvm] --dim D --steps T --seed S [--stddev SIGMA]
                    [--dtype float32|float64] [--threads K] [--param NAME=VALUE]... --out FILE
                    [--state FILE] [--resume FILE]
              bench [--quick] [--json FILE] [--case compose3|blt4|noise-blt4|scan] [--size D] [--threads K]
              gpu-bundle [--out DIR] [--jdk jlink|none]
                                             write a self-contained directory (default target/gpu-bundle) that
                                             checks the PTX kernels and measures bandwidth on an NVIDIA GPU

            `streamfold COMMAND --help` prints COMMAND's lines; `streamfold --version` the version.
            Expressions: see README.md (e.g. 'prefix_sum @ momentum_sgd(momentum=0.9, learning_rates=[1.0, 0.5])').
            """;

    public static void main(String[] argv) {
        PrintStream out = new PrintStream(new java.io.FileOutputStream(java.io.FileDescriptor.out), false, StandardCharsets.UTF_8);
        int status = run(argv, out, System.err);
        out.flush();
        System.exit(status);
    }

    /** Runs one command; returns the exit status. Output goes to {@code out} only on success. */
    public static int run(String[] argv, PrintStream out, PrintStream err) {
        try {
            String cmd = argv.length == 0 ? "help" : argv[0];
            if (argv.length > 1 && COMMANDS.contains(cmd) && Arrays.asList(argv).subList(1, argv.length)
                    .stream().anyMatch(x -> x.equals("--help") || x.equals("-h"))) {
                out.print(usage(cmd));
                out.flush();
                return 0;
            }
            String result = switch (cmd) {
                case "eval" -> EvalCommand.run(argv);
                case "compile" -> CompileCommand.run(argv);
                case "noise" -> NoiseCommand.run(argv);
                case "demo" -> DemoCommand.run(argv, out);
                case "gpu-bundle" -> GpuBundleCommand.run(argv, err);
                case "help", "-h", "--help" -> USAGE;
                case "version", "--version" -> "streamfold " + version() + "\n";
                default -> throw new StreamfoldException(
                        "unknown command '" + cmd + "' (commands: demo, test, eval, compile, noise, bench, gpu-bundle)");
            };
            out.print(result);
            out.flush();
            return 0;
        } catch (StreamfoldException e) {
            err.println("error: " + oneLine(e.getMessage()));
            return 2;
        } catch (OutOfMemoryError e) {
            err.println("error: out of memory: the request needs more memory than this machine or JVM allows"
                    + " (" + oneLine(e.getMessage()) + "; the JVM heap is raised with STREAMFOLD_JAVA_OPTS=-Xmx...)");
            return 2;
        } catch (RuntimeException e) {
            err.println("error: internal error: " + e.getClass().getSimpleName() + ": " + oneLine(String.valueOf(e.getMessage())));
            return 3;
        }
    }

    /** The commands USAGE describes, in its order. */
    static final List<String> COMMANDS = List.of("demo", "test", "eval", "compile", "noise", "bench",
            "gpu-bundle");

    /** USAGE's lines for {@code cmd}: its first line and the more indented lines after it. */
    static String usage(String cmd) {
        StringBuilder b = new StringBuilder("usage: streamfold ");
        boolean in = false;
        for (String line : USAGE.split("\n")) {
            if (line.startsWith("  " + cmd + " ") || line.equals("  " + cmd)) {
                in = true;
                b.append(line.substring(2).stripTrailing()).append('\n');
            } else if (in && line.startsWith("    ")) {
                b.append(line.substring(2).stripTrailing()).append('\n');
            } else if (in) {
                break;
            }
        }
        return b.toString();
    }

    /** The version this CLI was built as ({@code version.properties}, filled in by the build). */
    static String version() {
        Properties p = new Properties();
        try (InputStream in = Main.class.getResourceAsStream("version.properties")) {
            if (in == null) {
                throw new IllegalStateException("version.properties is missing from the class path");
            }
            p.load(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return p.getProperty("version");
    }

    static String oneLine(String s) {
        return s == null ? "" : s.replace('\n', ' ').replace('\r', ' ');
    }
}
