package dev.streamfold.compiler.aot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.streamfold.compiler.batched.LinalgKernel;
import dev.streamfold.ir.DType;
import dev.streamfold.ir.StreamfoldException;
import dev.streamfold.ir.linalg.LinalgOp;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The {@code linalg} lines of a spec: what they parse to, what they generate, and errors at file:line:column. */
class GenerateBatchedKernelsTest {
    @TempDir
    Path dir;

    private List<GenerateKernels.Spec> parse(String... lines) throws IOException {
        Path spec = dir.resolve("k.spec");
        Files.write(spec, List.of(lines));
        return GenerateKernels.parse(spec);
    }

    private String error(String... lines) throws IOException {
        Path spec = dir.resolve("k.spec");
        StreamfoldException e = assertThrows(StreamfoldException.class, () -> parse(lines));
        assertTrue(e.getMessage().startsWith(spec + ":"), e.getMessage());
        return e.getMessage().substring(spec.toString().length() + 1);
    }

    @Test
    void linesParseToKernelsWithJaxDefaults() throws IOException {
        List<GenerateKernels.Spec> s = parse(
                "lu_f32_8x8     | float32 | linalg lu 8x8",
                "lu_f32_8x8_jvp | float32 | linalg lu 8x8 jvp",
                "qr_full        | float64 | linalg qr 6x4 full_matrices",
                "svd_values     | float32 | linalg svd 4x4 compute_uv=false full_matrices=false",
                "eigh_upper     | float32 | linalg eigh 5x5 lower=false",
                "solve          | float32 | linalg   triangular_solve 8x8 rhs=3 left_side lower jvp",
                "stream         | float32 | prefix_sum");
        assertEquals(new LinalgKernel(LinalgOp.lu(), 8, 8, 8, DType.F32, false), s.get(0).batched());
        assertEquals(new LinalgKernel(LinalgOp.lu(), 8, 8, 8, DType.F32, true), s.get(1).batched());
        assertEquals(new LinalgKernel(LinalgOp.qr(true), 6, 4, 4, DType.F64, false), s.get(2).batched());
        assertEquals(new LinalgKernel(LinalgOp.svd(false, false), 4, 4, 4, DType.F32, false), s.get(3).batched());
        assertEquals(new LinalgKernel(LinalgOp.eigh(false, true), 5, 5, 5, DType.F32, false), s.get(4).batched());
        assertEquals(new LinalgKernel(LinalgOp.triangularSolve(true, true, false, false), 8, 8, 3, DType.F32, true),
                s.get(5).batched());
        assertNull(s.get(6).batched(), "an expression line is a streaming kernel");
        assertEquals("linalg lu 8x8 jvp", s.get(1).expr());
    }

    @Test
    void errorsNameLineAndColumn() throws IOException {
        assertEquals("1:15: expected 'linalg OP MxN [jvp] [rhs=K] [FLAG[=true|false]]...', found no op after 'linalg'",
                error("a | float32 | linalg"));
        assertEquals("2:22: unknown linalg op 'lq' (expected lu, qr, svd, eigh, cholesky, triangular_solve)",
                error("# comment", "a | float32 | linalg lq 8x8"));
        assertEquals("1:15: linalg lu: expected a shape MxN (e.g. 8x8) after the op", error("a | float32 | linalg lu"));
        assertEquals("1:25: linalg lu: expected a shape MxN (e.g. 8x8), found '8'", error("a | float32 | linalg lu 8"));
        assertEquals("1:25: linalg lu: matrix sides must be in [1, 32], got 33x33", error("a | float32 | linalg lu 33x33"));
        assertEquals("1:31: linalg cholesky needs a square shape, got 4x3", error("a | float32 | linalg cholesky 4x3"));
        assertEquals("1:29: linalg lu: rhs applies to triangular_solve only", error("a | float32 | linalg lu 8x8 rhs=2"));
        assertEquals("1:43: linalg triangular_solve: rhs must be an integer in [1, 32], found 'rhs=0'",
                error("a | float32 | linalg triangular_solve 8x8 rhs=0"));
        assertEquals("1:29: linalg lu: unknown word 'pivoting' (expected jvp; lu has no flags)",
                error("a | float32 | linalg lu 8x8 pivoting"));
        assertEquals("1:29: linalg qr: unknown word 'full' (expected jvp or a flag: full_matrices)",
                error("a | float32 | linalg qr 8x8 full"));
        assertEquals("1:43: linalg triangular_solve: unknown word 'upper' (expected jvp, rhs=K or a flag: left_side, lower,"
                + " transpose_a, unit_diagonal)", error("a | float32 | linalg triangular_solve 8x8 upper"));
        assertEquals("1:31: linalg eigh: flag lower must be true or false, found 'no'", error("a | float32 | linalg eigh 8x8 lower=no"));
        assertEquals("1:33: linalg lu: 'jvp' is given twice", error("a | float32 | linalg lu 8x8 jvp jvp"));
        assertEquals("1:29: linalg lu: 'jvp' takes no value, found 'jvp=true'", error("a | float32 | linalg lu 8x8 jvp=true"));
        assertEquals("1:31: a linalg kernel takes no parameters column: its flags follow the shape, e.g. 'linalg qr 8x8"
                + " full_matrices'", error("a | float32 | linalg lu 8x8 | d[2]"));
    }

    @Test
    void nameClashesWithStreamingKernelsAreRefused() throws IOException {
        List<GenerateKernels.Spec> specs = parse("a | float32 | prefix_sum", "a | float32 | linalg lu 2x2");
        Path spec = dir.resolve("k.spec");
        StreamfoldException e = assertThrows(StreamfoldException.class,
                () -> GenerateKernels.generate(specs, dir.resolve("out"), "com.example", "Kernels"));
        assertEquals(spec + ":2:1: kernel name 'a' is already used on line 1", e.getMessage());
    }

    @Test
    void indexHandsOutBatchedKernelsByName() throws Exception {
        Path out = dir.resolve("out");
        GenerateKernels.generate(parse("stream | float64 | prefix_sum", "chol_f32_3x3 | float32 | linalg cholesky 3x3",
                "lu_f64_2x3_jvp | float64 | linalg lu 2x3 jvp"), out, "com.example", "Kernels");
        String index = Files.readString(out.resolve("com/example/Kernels.java"));
        assertTrue(index.startsWith("// Generated by Streamfold — do not edit."), index);
        assertTrue(index.contains("public static BatchedKernel batched(String name)"), index);
        assertTrue(index.contains("public static Set<String> batchedNames()"), index);
        assertTrue(Files.exists(out.resolve("com/example/kernels/Batched_chol_f32_3x3.java")));
        Path classes = dir.resolve("classes");
        List<String> args = new ArrayList<>(List.of("-d", classes.toString(), "-cp", System.getProperty("java.class.path"),
                "--add-modules=jdk.incubator.vector", "-proc:none", "-Xlint:none"));
        try (var sources = Files.walk(out)) {
            sources.filter(p -> p.toString().endsWith(".java")).forEach(p -> args.add(p.toString()));
        }
        assertEquals(4, args.size() - 7, "the index, one streaming and two batched kernel classes");
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        assertEquals(0, ToolProvider.getSystemJavaCompiler().run(null, null, err, args.toArray(String[]::new)), err.toString());
        try (URLClassLoader loader = new URLClassLoader(new java.net.URL[] {classes.toUri().toURL()},
                getClass().getClassLoader())) {
            Class<?> k = loader.loadClass("com.example.Kernels");
            assertEquals(Set.of("chol_f32_3x3", "lu_f64_2x3_jvp"), k.getMethod("batchedNames").invoke(null));
            assertEquals(List.of("chol_f32_3x3", "lu_f64_2x3_jvp"), List.copyOf((Set<?>) k.getMethod("batchedNames").invoke(null)));
            assertEquals(List.of("stream"), k.getMethod("names").invoke(null));
            Object chol = k.getMethod("batched", String.class).invoke(null, "chol_f32_3x3");
            assertEquals("chol_f32_3x3", ((dev.streamfold.runtime.batched.BatchedKernel) chol).name());
            var wrong = assertThrows(java.lang.reflect.InvocationTargetException.class,
                    () -> k.getMethod("batched", String.class).invoke(null, "stream"));
            assertEquals("kernel stream is a streaming kernel: use kernel(name)", wrong.getCause().getMessage());
            wrong = assertThrows(java.lang.reflect.InvocationTargetException.class,
                    () -> k.getMethod("kernel", String.class).invoke(null, "chol_f32_3x3"));
            assertEquals("kernel chol_f32_3x3 is a batched kernel: use batched(name)", wrong.getCause().getMessage());
            wrong = assertThrows(java.lang.reflect.InvocationTargetException.class,
                    () -> k.getMethod("batched", String.class).invoke(null, "nope"));
            assertEquals("no ahead-of-time batched kernel named 'nope' (see k.spec)", wrong.getCause().getMessage());
        }
    }
}
