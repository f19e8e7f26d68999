package dev.streamfold.compiler.cli;

import dev.streamfold.ir.StreamfoldException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

/**
 * The {@code streamfold} command line. Bad input exits with status 2 and one {@code error:} line on
 * stderr, and prints nothing on stdout; an internal failure exits with 3, also on one line.
 */
public final class Main {
    private Main() {}

    static final String USAGE = """
            usage: streamfold <command> [options]

              demo                           run the fused correlated-noise showcase on built-in defaults
              test                           run the whole test suite
              eval --expr EXPR [--backend interpreter|vector|llvm|cuda] [--dtype float64|float32]
                   [--input FILE] [--materialize N] [--row-norms N]
                   [--param NAME=VALUE]... [--tangent NAME=VALUE]... [--threads K]
              compile --expr EXPR --backend vector|ptx [--dtype float64|float32] [--arch sm_80|sm_90]
                      [--param NAME=VALUE]... --out DIR
              noise --expr EXPR [--backend vector|llvm] --dim D --steps T --seed S [--stddev SIGMA]
                    [--dtype float32|float64] [--threads K] [--param NAME=VALUE]... --out FILE
                    [--state FILE] [--resume FILE]
              mechanism --expr EXPR --steps N [--min-sep B] [--max-participations K]
                                             sensitivity, per-query error and loss of the strategy EXPR (JSON)
              optimize --strategy blt|banded|toeplitz --steps N (--buffers K | --bands B) [--closed-form]
                       [--min-sep B] [--max-participations K] [--error max|mean] [--max-iterations I] [--quiet]
                                             optimize a strategy; progress on stderr, the result as JSON
              bench [--quick] [--json FILE]
              gpu-bundle [--out DIR] [--jdk jlink|none]
                                             write a self-contained directory (default target/gpu-bundle) that
                                             checks the PTX kernels and measures bandwidth on an NVIDIA GPU

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
            String result = switch (cmd) {
                case "eval" -> EvalCommand.run(argv);
                case "compile" -> CompileCommand.run(argv);
                case "noise" -> NoiseCommand.run(argv);
                case "mechanism" -> MechanismCommand.run(argv);
                case "optimize" -> OptimizeCommand.run(argv, err);
                case "demo" -> DemoCommand.run(argv, out);
                case "gpu-bundle" -> GpuBundleCommand.run(argv, err);
                case "help", "-h", "--help" -> USAGE;
                case "" -> throw new StreamfoldException(
                        "empty command word (commands: demo, test, eval, compile, noise, mechanism, optimize, bench, gpu-bundle)");
                default -> throw new StreamfoldException(
                        "unknown command '" + Args.printable(cmd) + "' (commands: demo, test, eval, compile, noise, mechanism, optimize, bench, gpu-bundle)");
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

    static String oneLine(String s) {
        return s == null ? "" : s.replace('\n', ' ').replace('\r', ' ');
    }
}
