package dev.streamfold.compiler.aot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.streamfold.ir.StreamfoldException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Spec files: what they generate, and errors that name file, line and column. */
class GenerateKernelsTest {
    @TempDir
    Path dir;

    private String error(String... lines) throws IOException {
        Path spec = dir.resolve("k.spec");
        Files.write(spec, List.of(lines));
        StreamfoldException e = assertThrows(StreamfoldException.class,
                () -> GenerateKernels.generate(GenerateKernels.parse(spec), dir.resolve("out"), "com.example", "Kernels"));
        return e.getMessage().substring(spec.toString().length() + 1);
    }

    @Test
    void errorsNameLineAndColumn() throws IOException {
        assertEquals("2:1: expected 'name | dtype | expression' or 'name | dtype | expression | parameters', found 1 columns",
                error("# a comment", "prefix_sum"));
        assertEquals("1:1: kernel name 'Bad' must be lower-case letters, digits and '_', starting with a letter",
                error("Bad | float32 | prefix_sum"));
        assertTrue(error("a | float16 | prefix_sum").startsWith("1:5: "));
        assertEquals("1:31: expected ')' after argument list", error("a | float32 | momentum_sgd(0.9"));
        assertEquals("1:40: $d is not declared: add 'd' (a number) or 'd[N]' (an array of N entries) in a fourth column",
                error("a | float32 | diagonal([1]) @ diagonal($d)"));
        assertEquals("1:30: expected a parameter declaration 'name' (a number) or 'name[N]' (an array of N entries), found 'd[x]'",
                error("a | float32 | diagonal($d) | d[x]"));
        assertEquals("1:30: parameter d[99999999999]: a declared length must be at most 4096",
                error("a | float32 | diagonal($d) | d[99999999999]"));
        assertEquals("1:30: parameter d[4097]: a declared length must be at most 4096",
                error("a | float32 | diagonal($d) | d[4097]"));
        assertEquals("1:15: momentum_sgd: learning_rates[0] = -1.0 must be > 0",
                error("a | float32 | momentum_sgd(momentum=0.9, learning_rates=[-1])"));
        assertEquals("2:1: kernel name 'a' is already used on line 1", error("a | float32 | prefix_sum", "a | float64 | prefix_sum"));
        assertTrue(error("a | float32 | inverse_params(blt(buf_decay=$t, output_scale=[0.1])) | t[1]")
                .startsWith("1:44: inverse_params computes its kernel's values from buf_decay when it is compiled, so $t "
                        + "cannot be bound at run time"));
    }

    @Test
    void writesKernelsAndTheNamedIndex() throws IOException {
        Path spec = dir.resolve("k.spec");
        Files.write(spec, List.of("noise | float32 | inverse(blt(buf_decay=$theta, output_scale=$omega)) | theta[2], omega[2]"));
        Path out = dir.resolve("out");
        GenerateKernels.generate(GenerateKernels.parse(spec), out, "com.example", "Kernels");
        String index = Files.readString(out.resolve("com/example/Kernels.java"));
        assertTrue(index.contains("public static BoundKernel bind(String name, Map<String, double[]> values)"), index);
        assertTrue(index.contains("new KernelSignature.Parameter(\"theta\", 2)"), index);
        List<String> args = new ArrayList<>(List.of("-d", dir.resolve("classes").toString(), "-cp",
                System.getProperty("java.class.path"), "--add-modules=jdk.incubator.vector", "-proc:none", "-Xlint:none"));
        try (var sources = Files.walk(out)) {
            sources.filter(p -> p.toString().endsWith(".java")).forEach(p -> args.add(p.toString()));
        }
        assertEquals(2, args.size() - 7, "the index and one kernel class");
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int status = ToolProvider.getSystemJavaCompiler().run(null, null, err, args.toArray(String[]::new));
        assertEquals(0, status, "the generated index of kernels that all have named parameters compiles:\n" + err);
    }
}
