package dev.streamfold.compiler.cuda;

import dev.streamfold.compiler.batched.BatchedCompiler;
import dev.streamfold.compiler.batched.LinalgKernel;
import dev.streamfold.compiler.batched.LinalgOps;
import dev.streamfold.compiler.kir.KBuffer;
import dev.streamfold.compiler.kir.Kernel;
import dev.streamfold.compiler.kir.KirEvaluator;
import dev.streamfold.ir.DType;
import dev.streamfold.ir.TriangularSolve;
import dev.streamfold.ir.Type;
import dev.streamfold.runtime.cuda.GpuBatchedCase;
import dev.streamfold.runtime.cuda.GpuBatchedData;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.SplittableRandom;

/**
 * The batched linear-algebra cases of a GPU bundle: each op of {@link LinalgOps} with its default flags, compiled as
 * {@code compile --op NAME --shape NxN} compiles it ({@link BatchedCompiler}), over a batch of deterministic random
 * problems. The expected outputs are the {@link KirEvaluator}'s, run on the same optimized kernel IR the PTX is
 * emitted from.
 *
 * <p>Inputs per item, row-major, rounded to the dtype: lu and qr uniform in [-1, 1); cholesky {@code M M^T / n + I}
 * (symmetric positive definite); eigh {@code Q diag(l) Q^T} with Q a random orthogonal matrix and eigenvalues
 * {@code l_i = i + 1 + 0.3 u} (gaps of at least 0.4, so the eigenvectors are well conditioned); svd
 * {@code U diag(s) V^T} with singular values {@code s_i = n - i + 0.3 u}; triangular_solve a triangle (the side its
 * {@code lower} flag names) with diagonal entries of magnitude in [1.5, 2) and off-diagonal ones in [-1, 1) / n,
 * zero elsewhere, and B uniform. Tangents ({@code dA}, {@code dB}) are uniform in [-1, 1), symmetric for cholesky and
 * eigh.
 */
public final class GpuBatchedCases {
    /** The batch of every case: odd, so that the last block of 256 threads is partial. */
    public static final int BATCH = 1001;

    /**
     * A case to write: {@code kernel} over {@code batch} items whose inputs come from {@code seed}.
     */
    public record Spec(LinalgKernel kernel, int batch, long seed) {
        public Spec {
            Objects.requireNonNull(kernel, "kernel");
            if (batch < 1) {
                throw new IllegalArgumentException("batch must be at least 1, got " + batch);
            }
        }

        /** The case's name: the kernel's ({@link LinalgKernel#name()}). */
        public String name() {
            return kernel.name();
        }
    }

    /** A compiled case: its optimized kernel, its index line's fields and its data. */
    public record Compiled(Spec spec, Kernel kernel, List<GpuBatchedCase.Buffer> buffers, GpuBatchedData data) {}

    private GpuBatchedCases() {}

    /**
     * The bundle's batched cases: lu, cholesky, qr, triangular_solve, eigh and svd at 4x4 in float64 and float32,
     * the JVP kernels of lu and cholesky at 4x4 in both dtypes, and lu at 8x8 in float32; each over {@link #BATCH}
     * items.
     */
    public static List<Spec> specs() {
        List<LinalgKernel> kernels = new ArrayList<>();
        for (DType dtype : List.of(DType.F64, DType.F32)) {
            for (String op : List.of("lu", "cholesky", "qr", "triangular_solve", "eigh", "svd")) {
                kernels.add(new LinalgKernel(LinalgOps.of(op, Map.of()), 4, 4, 4, dtype, false));
            }
            for (String op : List.of("lu", "cholesky")) {
                kernels.add(new LinalgKernel(LinalgOps.of(op, Map.of()), 4, 4, 4, dtype, true));
            }
        }
        kernels.add(new LinalgKernel(LinalgOps.of("lu", Map.of()), 8, 8, 8, DType.F32, false));
        List<Spec> specs = new ArrayList<>();
        for (int i = 0; i < kernels.size(); i++) {
            specs.add(new Spec(kernels.get(i), BATCH, 5000 + i));
        }
        return List.copyOf(specs);
    }

    /**
     * Compiles {@code s}, generates its inputs and computes its expected outputs with the evaluator.
     *
     * @throws IllegalStateException where the kernel takes scalar arguments or param buffers, which no linear-algebra
     *     kernel does
     */
    public static Compiled compile(Spec s) {
        BatchedCompiler.Compiled c = BatchedCompiler.compile(s.kernel());
        Kernel k = c.kernel();
        if (!k.args().isEmpty()) {
            throw new IllegalStateException(k.name() + " takes scalar arguments; batched cases pass buffers only");
        }
        int batch = s.batch();
        List<GpuBatchedCase.Buffer> buffers = new ArrayList<>();
        List<double[]> values = new ArrayList<>();
        double[][] storage = new double[k.buffers().size()][];
        int primalInputs = s.kernel().inputItemTypes().size();
        for (int i = 0; i < k.buffers().size(); i++) {
            KBuffer b = k.buffers().get(i);
            GpuBatchedCase.Role role = switch (b.role()) {
                case IN -> GpuBatchedCase.Role.IN;
                case OUT -> GpuBatchedCase.Role.OUT;
                case SCRATCH -> null;
                case STATE, PARAM -> throw new IllegalStateException(k.name() + ": buffer " + b.name() + " is "
                        + b.role() + "; batched cases have in and out buffers only");
            };
            if (role == null) {
                continue;
            }
            storage[i] = new double[b.elements() * batch];
            if (role == GpuBatchedCase.Role.IN) {
                int input = c.inputs().indexOf(b.name());
                if (input < 0) {
                    throw new IllegalStateException(k.name() + ": input buffer " + b.name() + " is not a named input");
                }
                int primal = input % primalInputs;
                Type item = c.inputTypes().get(input);
                SplittableRandom random = new SplittableRandom(s.seed() * 31 + input);
                for (int item0 = 0; item0 < batch; item0++) {
                    double[] m = input < primalInputs
                            ? primalInput(s.kernel(), primal, item, random)
                            : tangent(s.kernel(), item, random);
                    if (m.length != b.elements()) {
                        throw new IllegalStateException(k.name() + ": input " + b.name() + " has " + b.elements()
                                + " elements per item, generated " + m.length);
                    }
                    for (int e = 0; e < m.length; e++) {
                        storage[i][e * batch + item0] = round(m[e], s.kernel().dtype());
                    }
                }
            }
            buffers.add(new GpuBatchedCase.Buffer(b.name(), role, b.type().elementType(), b.elements()));
        }
        KirEvaluator.run(k, storage, new double[0], batch);
        for (int i = 0; i < k.buffers().size(); i++) {
            if (storage[i] != null) {
                values.add(storage[i]);
            }
        }
        GpuBatchedData data = new GpuBatchedData(batch, s.seed(), buffers, values.toArray(double[][]::new));
        return new Compiled(s, k, buffers, data);
    }


    private static double round(double v, DType dtype) {
        return dtype == DType.F32 ? (double) (float) v : v;
    }

    /** Primal input {@code index} of one item, row-major, as the class comment describes. */
    private static double[] primalInput(LinalgKernel k, int index, Type item, SplittableRandom random) {
        int rows = item.shape().dim(0);
        int cols = item.shape().dim(1);
        int n = k.n();
        if (k.op().op() instanceof TriangularSolve ts) {
            if (index == 1) {
                return uniform(rows * cols, random);
            }
            double[] a = new double[n * n];
            for (int r = 0; r < n; r++) {
                for (int c = 0; c < n; c++) {
                    if (r == c) {
                        a[r * n + c] = (random.nextBoolean() ? 1 : -1) * (1.5 + 0.5 * random.nextDouble());
                    } else if ((r > c) == ts.lower()) {
                        a[r * n + c] = (2 * random.nextDouble() - 1) / n;
                    }
                }
            }
            return a;
        }
        return switch (k.op().name()) {
            case "lu", "qr" -> uniform(rows * cols, random);
            case "cholesky" -> {
                double[] m = uniform(n * n, random);
                double[] a = new double[n * n];
                for (int r = 0; r < n; r++) {
                    for (int c = 0; c < n; c++) {
                        double dot = 0;
                        for (int j = 0; j < n; j++) {
                            dot += m[r * n + j] * m[c * n + j];
                        }
                        a[r * n + c] = dot / n + (r == c ? 1 : 0);
                    }
                }
                yield a;
            }
            case "eigh" -> {
                double[] l = new double[n];
                for (int i = 0; i < n; i++) {
                    l[i] = i + 1 + 0.3 * random.nextDouble();
                }
                double[] q = orthogonal(n, random);
                double[] a = product(q, l, q, n);
                for (int r = 0; r < n; r++) {
                    for (int c = 0; c < r; c++) {
                        a[c * n + r] = a[r * n + c];
                    }
                }
                yield a;
            }
            case "svd" -> {
                int p = Math.min(rows, cols);
                double[] s = new double[Math.max(rows, cols)];
                for (int i = 0; i < p; i++) {
                    s[i] = p - i + 0.3 * random.nextDouble();
                }
                double[] u = orthogonal(rows, random);
                double[] v = orthogonal(cols, random);
                double[] a = new double[rows * cols];
                for (int r = 0; r < rows; r++) {
                    for (int c = 0; c < cols; c++) {
                        double sum = 0;
                        for (int j = 0; j < p; j++) {
                            sum += u[r * rows + j] * s[j] * v[c * cols + j];
                        }
                        a[r * cols + c] = sum;
                    }
                }
                yield a;
            }
            default -> throw new IllegalArgumentException("no input generator for " + k.op().name());
        };
    }

    /** A tangent of one item: uniform, symmetric for the ops that read a symmetric matrix. */
    private static double[] tangent(LinalgKernel k, Type item, SplittableRandom random) {
        int rows = item.shape().dim(0);
        int cols = item.shape().dim(1);
        double[] t = uniform(rows * cols, random);
        if ((k.op().name().equals("cholesky") || k.op().name().equals("eigh")) && rows == cols) {
            for (int r = 0; r < rows; r++) {
                for (int c = 0; c < r; c++) {
                    t[c * cols + r] = t[r * cols + c];
                }
            }
        }
        return t;
    }

    private static double[] uniform(int count, SplittableRandom random) {
        double[] v = new double[count];
        for (int i = 0; i < count; i++) {
            v[i] = 2 * random.nextDouble() - 1;
        }
        return v;
    }

    /** A random orthogonal n x n matrix, row-major: Gram-Schmidt (twice) of the columns of a uniform matrix. */
    private static double[] orthogonal(int n, SplittableRandom random) {
        double[] q = uniform(n * n, random);
        for (int c = 0; c < n; c++) {
            for (int pass = 0; pass < 2; pass++) {
                for (int j = 0; j < c; j++) {
                    double dot = 0;
                    for (int r = 0; r < n; r++) {
                        dot += q[r * n + c] * q[r * n + j];
                    }
                    for (int r = 0; r < n; r++) {
                        q[r * n + c] -= dot * q[r * n + j];
                    }
                }
            }
            double norm = 0;
            for (int r = 0; r < n; r++) {
                norm += q[r * n + c] * q[r * n + c];
            }
            norm = Math.sqrt(norm);
            for (int r = 0; r < n; r++) {
                q[r * n + c] /= norm;
            }
        }
        return q;
    }

    /** {@code a diag(d) b^T} for square a and b of side n. */
    private static double[] product(double[] a, double[] d, double[] b, int n) {
        double[] out = new double[n * n];
        for (int r = 0; r < n; r++) {
            for (int c = 0; c < n; c++) {
                double sum = 0;
                for (int j = 0; j < n; j++) {
                    sum += a[r * n + j] * d[j] * b[c * n + j];
                }
                out[r * n + c] = sum;
            }
        }
        return out;
    }
}
