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
 * stderr, and prints nothing on stdout; an internal failure exits with 3, also on one line. A
 * failed write to standard output (a full device, a closed pipe) exits with 2 and says so.
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
              compile --op lu|qr|svd|eigh|cholesky|triangular_solve --shape MxN [--rhs K] [--jvp]
                      [--param FLAG=true|false]... [--dtype float64|float32] --backend vector|ptx
                      [--arch sm_80|sm_90] --out DIR
                                             a batched decomposition or solve (one item per SIMD lane or
                                             GPU thread), its source or PTX and a manifest of its buffers
              noise --expr EXPR [--backend vector|llvm] --dim D --steps T --seed S [--stddev SIGMA]
                    [--dtype float32|float64] [--threads K] [--param NAME=VALUE]... --out FILE|-
                    [--state FILE] [--resume FILE]
              jvp --program FILE --input FILE [--backend interpreter|vector|llvm] [--dtype float64|float32]
                  the outputs of an IR program (text format: README.md) and their derivatives along the
                  tangents in FILE ({"inputs": {"x": ...}, "tangents": {"x": ...}})
              jvp --op lu|qr|svd|eigh|cholesky|triangular_solve --input FILE [--backend interpreter|vector|llvm]
                  [--dtype float64|float32]
                  a decomposition and its derivative ({"params": {...}, "A": ..., "dA": ...})
              mechanism --expr EXPR --steps N [--min-sep B] [--max-participations K]
                                             sensitivity, per-query error and loss of the strategy EXPR (JSON)
              optimize --strategy blt|banded|toeplitz --steps N (--buffers K | --bands B) [--closed-form]
                       [--min-sep B] [--max-participations K] [--error max|mean] [--max-iterations I] [--quiet]
                                             optimize a strategy; progress on stderr, the result as JSON
              bench [--quick] [--json FILE] [--csv] [--case compose3|blt4|noise-blt4|scan|toeplitz|optimize]
                    [--size D] [--threads K]
                                             time the kernels against copy bandwidth; the table in ms, the
                                             verdicts against the README's targets; --json FILE also writes
                                             FILE.meta.json (JDK, CPU, commit, load average, vector lanes)
              bench --case linalg [--quick] [--json FILE] [--ops lu,cholesky,qr,triangular_solve,eigh,svd]
                    [--n 4,8,16,32] [--dtype float32,float64] [--threads 1,2] [--batch N]
                                             batched decompositions in matrices/s against EJML, the
                                             interpreter and the measured FMA peak
              gpu-bundle [--out DIR] [--jdk jlink|none]
                                             write a self-contained directory (default target/gpu-bundle) that
                                             checks the PTX kernels and measures bandwidth on an NVIDIA GPU

            `streamfold COMMAND --help` prints COMMAND's lines; `streamfold --version` the version.
            Expressions: see README.md (e.g. 'prefix_sum @ momentum_sgd(momentum=0.9, learning_rates=[1.0, 0.5])').
            """;

    public static void main(String[] argv) {
        StandardOutput out = new StandardOutput();
        int status = run(argv, out, System.err);
        System.exit(status);
    }

    /** Standard output that keeps the reason of its first failed write (a PrintStream keeps only a flag). */
    private static final class StandardOutput extends PrintStream {
        private final FailureRecorder recorder;

        StandardOutput() {
            this(new FailureRecorder(new java.io.FileOutputStream(java.io.FileDescriptor.out)));
        }

        private StandardOutput(FailureRecorder recorder) {
            super(recorder, false, StandardCharsets.UTF_8);
            this.recorder = recorder;
        }
    }

    private static final class FailureRecorder extends java.io.FilterOutputStream {
        private String failure;

        FailureRecorder(java.io.OutputStream out) {
            super(out);
        }

        @Override
        public void write(byte[] b, int off, int len) throws java.io.IOException {
            try {
                out.write(b, off, len);
            } catch (java.io.IOException e) {
                failure = failure == null ? e.getMessage() : failure;
                throw e;
            }
        }

        @Override
        public void flush() throws java.io.IOException {
            try {
                out.flush();
            } catch (java.io.IOException e) {
                failure = failure == null ? e.getMessage() : failure;
                throw e;
            }
        }
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
                case "noise" -> NoiseCommand.run(argv, out, err);
                case "jvp" -> JvpCommand.run(argv);
                case "mechanism" -> MechanismCommand.run(argv);
                case "optimize" -> OptimizeCommand.run(argv, err);
                case "demo" -> DemoCommand.run(argv, out);
                case "gpu-bundle" -> GpuBundleCommand.run(argv, err);
                case "help", "-h", "--help" -> USAGE;
                case "" -> throw new StreamfoldException(
                        "empty command word (commands: " + String.join(", ", COMMANDS) + ")");
                case "version", "--version" -> "streamfold " + version() + "\n";
                case "test", "bench" -> throw new StreamfoldException(
                        "'" + cmd + "' runs through the streamfold launcher script (./streamfold " + cmd + "), not this class");
                default -> throw new StreamfoldException(
                        "unknown command '" + Args.printable(cmd) + "' (commands: " + String.join(", ", COMMANDS) + ")");
            };
            out.print(result);
            out.flush();
            if (out.checkError()) {
                String why = out instanceof StandardOutput so && so.recorder.failure != null ? ": " + so.recorder.failure : "";
                err.println("error: cannot write standard output" + why);
                return 2;
            }
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
    static final List<String> COMMANDS = List.of("demo", "test", "eval", "compile", "noise", "jvp", "mechanism", "optimize",
            "bench", "gpu-bundle");

    /** USAGE's lines for {@code cmd}: its first line and the more indented lines after it. */
    public static String usage(String cmd) {
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
