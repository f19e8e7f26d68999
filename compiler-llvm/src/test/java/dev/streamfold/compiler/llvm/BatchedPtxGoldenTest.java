package dev.streamfold.compiler.llvm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.streamfold.compiler.batched.BatchedCompiler;
import dev.streamfold.compiler.batched.LinalgKernel;
import dev.streamfold.compiler.batched.LinalgOps;
import dev.streamfold.compiler.kir.Kernel;
import dev.streamfold.ir.DType;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The PTX of one small batched kernel, cholesky 2x2 float32 for sm_90 as {@code compile --op cholesky --shape 2x2
 * --dtype float32 --backend ptx} emits it, compared whole with its golden under {@code src/test/resources/kir/golden}
 * (rewrite with {@code -Dstreamfold.updateGolden=true} after an intended change, then review the diff). The text
 * depends on the kernel only: two compilations give the same text, and it names no path of this machine.
 */
class BatchedPtxGoldenTest {
    private static final Path GOLDEN = Path.of("src/test/resources/kir/golden");
    private static final boolean UPDATE = Boolean.getBoolean("streamfold.updateGolden");
    private static final String FILE = "cholesky_symmetrize_input_f32_2x2.sm_90.ptx";

    static Kernel cholesky2x2() {
        LinalgKernel spec = new LinalgKernel(LinalgOps.of("cholesky", Map.of()), 2, 2, 2, DType.F32, false);
        return BatchedCompiler.compile(spec).kernel();
    }

    @Test
    void emittedPtxMatchesGolden() throws IOException {
        String ptx = PtxKirCompiler.ptx(cholesky2x2(), "sm_90");
        assertEquals(ptx, PtxKirCompiler.ptx(cholesky2x2(), "sm_90"), "a second compilation gives the same text");
        assertTrue(ptx.contains(".target sm_90\n"), ptx);
        assertTrue(ptx.contains(".visible .entry cholesky_symmetrize_input_f32_2x2(\n"), ptx);
        for (String property : List.of("user.dir", "user.home", "java.io.tmpdir")) {
            String path = Path.of(System.getProperty(property)).toAbsolutePath().toString();
            assertFalse(ptx.contains(path), "the PTX names " + property + " " + path);
        }
        Path file = GOLDEN.resolve(FILE);
        if (UPDATE) {
            Files.createDirectories(GOLDEN);
            Files.writeString(file, ptx, StandardCharsets.UTF_8);
            System.out.println("rewrote " + file.toAbsolutePath());
        }
        if (!Files.exists(file)) {
            fail("no golden " + file + "; run with -Dstreamfold.updateGolden=true");
        }
        assertEquals(Files.readString(file, StandardCharsets.UTF_8), ptx,
                FILE + " differs (rerun with -Dstreamfold.updateGolden=true if the change is intended)");
    }
}
