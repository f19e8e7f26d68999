package dev.streamfold.compiler.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.streamfold.compiler.KernelEval;
import dev.streamfold.compiler.llvm.LlvmKernels;
import dev.streamfold.compiler.llvm.PtxAssembler;
import dev.streamfold.ir.DType;
import dev.streamfold.ir.Shape;
import dev.streamfold.ir.Tensor;
import dev.streamfold.ir.stream.Bindings;
import dev.streamfold.runtime.ElementType;
import dev.streamfold.runtime.cuda.GpuCase;
import dev.streamfold.runtime.cuda.GpuCaseData;
import dev.streamfold.runtime.cuda.GpuCheck;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The GPU bundle's ring cases: their index lines carry the rows of the ring state buffer, their PTX assembles, and
 * their expected values are what the LLVM host kernel computes over the whole slice.
 */
class GpuBundleRingTest {
    @Test
    void ringCasesCarryTheirStateRowsAndAgreeWithTheHostBackend(@TempDir Path tmp) throws IOException {
        List<GpuBundle.Spec> rings = GpuBundle.specs().stream().filter(s -> s.name().startsWith("ring")).toList();
        assertEquals(2 * GpuBundle.RINGS.size(), rings.size());
        PrintStream log = new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);
        GpuBundle.Written w = GpuBundle.write(tmp.resolve("bundle"), GpuBundle.JdkImage.NONE, rings, List.of(), log);
        Path kernels = w.root().resolve(GpuCheck.KERNELS);
        List<GpuCase> cases = GpuCase.readIndex(kernels.resolve(GpuCase.INDEX));
        assertEquals(w.cases(), cases);
        if (PtxAssembler.available()) {
            assertEquals(2 * cases.size(), w.ptxChecked());
        }
        for (int i = 0; i < cases.size(); i++) {
            GpuCase c = cases.get(i);
            GpuBundle.Spec s = rings.get(i);
            assertEquals(List.of(GpuBundle.RING_BANDS - 1), c.stateRows(), c.toString());
            assertTrue(c.steps() > GpuBundle.RING_BANDS - 1, c + ": the ring wraps");
            assertEquals(c, GpuCase.parse(c.line()));
            GpuCaseData data = GpuCaseData.read(kernels.resolve(c.data()));
            int d = Math.toIntExact(s.d());
            double[] x = GpuCaseData.inputs(s.seed(), s.steps(), d, c.dtype());
            KernelEval.Bound b = KernelEval.bind(LlvmKernels.LLVM, s.matrix(), Bindings.NONE, s.dtype());
            assertEquals(GpuBundle.RING_BANDS - 1, b.kernel().stateRows(0));
            double[] y = KernelEval.multiply(b, new Tensor(s.dtype(), new Shape(s.steps(), d), x), s.dtype(), 2).raw();
            MemorySegment ys;
            if (s.dtype() == DType.F32) {
                float[] f = new float[y.length];
                for (int k = 0; k < f.length; k++) {
                    f[k] = (float) y[k];
                }
                ys = MemorySegment.ofArray(f);
            } else {
                ys = MemorySegment.ofArray(y);
            }
            assertNull(GpuCheck.compare(data, ys).firstBad(), c.toString());
        }
    }

    @Test
    void caseLinesCarryTheRowsOfEachStateBuffer() {
        GpuCase c = new GpuCase("r", ElementType.FLOAT32, "k_step", "k_scan", List.of(3), List.of(1, 17), 9, 5,
                "r.bin", "r.sm_90.ptx", "r.sm_80.ptx", "a ring");
        assertEquals(2, c.stateCount());
        assertTrue(c.line().contains(" 1 3 2 1,17 9 5 "), c.line());
        assertEquals(c, GpuCase.parse(c.line()));
        GpuCase none = new GpuCase("n", ElementType.FLOAT64, "k_step", "k_scan", List.of(), List.of(), 9, 5, "n.bin",
                "n.sm_90.ptx", "n.sm_80.ptx", "stateless");
        assertTrue(none.line().contains(" 0 - 0 - 9 5 "), none.line());
        assertEquals(none, GpuCase.parse(none.line()));
        String line = c.line();
        assertTrue(assertThrows(IllegalArgumentException.class, () -> GpuCase.parse(line.replace(" 2 1,17 ", " 3 1,17 ")))
                .getMessage().contains("state_count 3 but 2 state_rows"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> GpuCase.parse(line.replace(" 2 1,17 ", " 2 ")))
                .getMessage().contains("expected 13"));
        assertThrows(IllegalArgumentException.class, () -> GpuCase.parse(line.replace(" 2 1,17 ", " 2 0,17 ")));
    }
}
