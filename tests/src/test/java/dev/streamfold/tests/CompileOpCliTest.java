package dev.streamfold.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.streamfold.compiler.aot.GenerateKernels;
import dev.streamfold.compiler.cli.Json;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code compile --op ... --backend ptx} and a spec's {@code linalg} lines with a PTX architecture: batched PTX. */
class CompileOpCliTest {
    @Test
    void specLinalgLinesGetTheirPtx(@TempDir Path dir) throws IOException {
        Path spec = dir.resolve("k.spec");
        Files.write(spec, List.of("chol | float32 | linalg cholesky 4x4 jvp", "sum | float32 | prefix_sum"));
        GenerateKernels.generatePtx(GenerateKernels.parse(spec), dir.resolve("res"), "com.example", "sm_90");
        String text = Files.readString(dir.resolve("res/com/example/kernels/chol.ptx"));
        assertTrue(text.contains(".target sm_90") && text.contains(".entry chol("), text);
        assertTrue(Files.readString(dir.resolve("res/com/example/kernels/sum.ptx")).contains(".entry"));
        if (dev.streamfold.compiler.llvm.PtxAssembler.available()) {
            new dev.streamfold.compiler.llvm.PtxAssembler().check(text, "sm_90");
        }
    }

    @Test
    void luJvpPtxAndManifest(@TempDir Path dir) throws IOException {
        Path out = dir.resolve("ptx");
        CliTest.Result r = CliTest.run("compile", "--op", "lu", "--shape", "4x4", "--jvp", "--dtype", "float32", "--backend",
                "ptx", "--arch", "sm_80", "--out", out.toString());
        assertEquals(0, r.status(), r.err());
        Path ptx = out.resolve("lu_f32_4x4_jvp.ptx");
        assertEquals("wrote " + ptx + " and " + out.resolve("manifest.json") + "\n", r.out());
        String text = Files.readString(ptx);
        assertTrue(text.contains(".target sm_80"), text);
        @SuppressWarnings("unchecked")
        Map<String, Object> m = (Map<String, Object>) Json.parse(Files.readString(out.resolve("manifest.json")), "manifest");
        assertEquals("lu_f32_4x4_jvp", m.get("kernel"));
        assertEquals("ptx", m.get("backend"));
        assertEquals("sm_80", m.get("arch"));
        assertEquals("lu_f32_4x4_jvp.ptx", m.get("ptx"));
        assertTrue(text.contains(".entry " + m.get("entry") + "("), m.get("entry") + " is the entry of\n" + text);
        assertEquals(true, m.get("jvp"));
        @SuppressWarnings("unchecked")
        List<Map<String, Object>> buffers = (List<Map<String, Object>>) m.get("buffers");
        assertEquals(List.of("A", "dA", "lu", "pivots", "permutation", "dlu", "status"),
                buffers.stream().map(b -> b.get("name")).toList());
        if (dev.streamfold.compiler.llvm.PtxAssembler.available()) {
            new dev.streamfold.compiler.llvm.PtxAssembler().check(text, "sm_80");
        }
    }
}
