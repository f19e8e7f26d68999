package dev.streamfold.compiler.llvm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.streamfold.compiler.kir.KBuffer;
import dev.streamfold.compiler.kir.KBuilder;
import dev.streamfold.compiler.kir.KInstr;
import dev.streamfold.compiler.kir.KType;
import dev.streamfold.compiler.lower.StepKir;
import dev.streamfold.ir.DType;
import dev.streamfold.ir.StreamfoldException;
import dev.streamfold.ir.Binary;
import dev.streamfold.ir.Unary;
import dev.streamfold.ir.expr.MatrixBinder;
import dev.streamfold.runtime.ParamSlot;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The GPU form of every operator and of compositions: PTX from LLVM, the manifest, and ptxas's verdict. */
class LlvmPtxKernelsTest {
    /** The conformance operator table's operators and compositions, as expressions. */
    static final List<String> EXPRESSIONS = List.of(
            "identity",
            "prefix_sum",
            "diagonal([2.0, -0.5, 3.0])",
            "momentum_sgd(momentum=0.9, learning_rates=[1.0, 0.5, 0.25])",
            "momentum_sgd(momentum=-1.3)",
            "prefix_sum @ diagonal([0.5])",
            "scale_rows_and_columns(prefix_sum, row=[1, 2, 3], col=[0.5, 4])",
            "scale_rows_and_columns(momentum_sgd(momentum=0.5), col=[2, 3])",
            "prefix_sum @ momentum_sgd(momentum=0.9, learning_rates=[1.0, 0.5]) @ diagonal([2.0, 0.5])",
            "diagonal([2.0, -0.5, 3.0]) @ scale_rows_and_columns(momentum_sgd(momentum=0.5), col=[2, 3])"
                    + " @ prefix_sum @ diagonal([0.5]) @ momentum_sgd(momentum=-1.3)",
            "momentum_sgd(momentum=0.9, learning_rates=[1.0, 0.5, 0.25]) @ scale_rows_and_columns(prefix_sum,"
                    + " row=[1, 2, 3], col=[0.5, 4]) @ scale_rows_and_columns(prefix_sum, row=[1, 2, 3], col=[0.5, 4])"
                    + " @ scale_rows_and_columns(momentum_sgd(momentum=0.5), col=[2, 3])");

    static List<PtxCompiler.Source> sources() {
        List<PtxCompiler.Source> s = new ArrayList<>();
        Set<String> seen = new LinkedHashSet<>();
        for (String e : EXPRESSIONS) {
            for (DType d : new DType[] {DType.F32, DType.F64}) {
                StepKir k = LlvmGoldenTest.kernel(e, d);
                if (seen.add(k.toString())) {
                    s.add(new PtxCompiler.Source(k, MatrixBinder.parse(e).describe()));
                }
            }
        }
        return s;
    }

    @ParameterizedTest
    @CsvSource({"sm_80, 7.0", "sm_90, 7.8"})
    void everyKernelCompilesToPtxThatAssembles(String arch, String version, @TempDir Path dir) throws IOException {
        long start = System.nanoTime();
        List<PtxCompiler.Source> sources = sources();
        PtxCompiler.Output out = PtxCompiler.compileAll(sources, arch, dir);
        System.out.printf("%d kernels to PTX for %s: %.0f ms%n", sources.size(), arch, (System.nanoTime() - start) / 1e6);
        assertEquals(sources.size(), out.kernels().size());
        String manifest = Files.readString(out.manifest(), StandardCharsets.UTF_8);
        assertTrue(manifest.contains("\"arch\": \"" + arch + "\""), manifest);
        for (PtxCompiler.Compiled c : out.kernels()) {
            String ptx = Files.readString(c.ptx(), StandardCharsets.UTF_8);
            assertTrue(ptx.contains(".version " + version + "\n") && ptx.contains(".target " + arch + "\n"), ptx);
            assertTrue(ptx.contains(".entry " + c.name() + "_step(") && ptx.contains(".entry " + c.name() + "_scan("),
                    ptx);
            assertFalse(ptx.contains(".extern") || ptx.contains("call.uni"), "no calls left: " + ptx);
            assertFalse(ptx.contains(".local"), "no local memory: " + ptx);
            assertTrue(Files.readString(c.ll(), StandardCharsets.UTF_8).startsWith("; ModuleID = '" + c.name()
                    + ".ll'\n" + LlvmEmitter.GENERATED));
            assertTrue(manifest.contains("\"symbol\": \"" + c.name() + "_step\"")
                    && manifest.contains("\"symbol\": \"" + c.name() + "_scan\""), manifest);
        }
        if (!PtxAssembler.available()) {
            System.out.println("ptxas check skipped: ptxas is not on PATH");
            return;
        }
        start = System.nanoTime();
        PtxAssembler ptxas = new PtxAssembler();
        for (PtxCompiler.Compiled c : out.kernels()) {
            ptxas.check(Files.readString(c.ptx(), StandardCharsets.UTF_8), arch);
        }
        System.out.printf("ptxas -arch=%s on %d kernels: %.0f ms%n", arch, out.kernels().size(),
                (System.nanoTime() - start) / 1e6);
    }

    @Test
    void manifestListsArgumentsInLaunchOrder(@TempDir Path dir) throws IOException {
        StepKir k = LlvmGoldenTest.kernel("prefix_sum @ diagonal([0.5])", DType.F32);
        PtxCompiler.Output out = PtxCompiler.compile(k, "prefix_sum @ \"half\"", "sm_90", dir);
        String name = LlvmKernels.kernelName(k);
        String manifest = Files.readString(dir.resolve(PtxCompiler.MANIFEST), StandardCharsets.UTF_8);
        assertEquals(dir.resolve(PtxCompiler.MANIFEST), out.manifest());
        assertTrue(Files.exists(dir.resolve(name + ".ptx")) && Files.exists(dir.resolve(name + ".ll")));
        assertTrue(manifest.contains("\"description\": \"prefix_sum @ \\\"half\\\"\""), manifest);
        assertTrue(manifest.contains("\"dtype\": \"float32\""), manifest);
        assertTrue(manifest.contains("\"block\": 256"), manifest);
        String scan = manifest.substring(manifest.indexOf("\"symbol\": \"" + name + "_scan\""));
        List<String> order = List.of("\"t0\"", "\"steps\"", "\"param0\"", "\"param0.len\"", "\"x\"", "\"y\"",
                "\"rowStride\"", "\"state0\"", "\"n\"");
        int at = 0;
        for (String arg : order) {
            int next = scan.indexOf("{\"name\": " + arg, at);
            assertTrue(next > at, arg + " after position " + at + " in " + scan);
            at = next;
        }
        assertEquals(count(manifest, '{'), count(manifest, '}'));
        assertEquals(count(manifest, '['), count(manifest, ']'));
    }

    @ParameterizedTest
    @CsvSource({"F32, sm_80", "F64, sm_80", "F32, sm_90", "F64, sm_90"})
    void everyOpWithoutLibmAssembles(DType dtype, String arch) {
        Unary.Kind[] unary = Arrays.stream(Unary.Kind.values())
                .filter(u -> u != Unary.Kind.EXP && u != Unary.Kind.LOG).toArray(Unary.Kind[]::new);
        Binary.Kind[] binary = Arrays.stream(Binary.Kind.values())
                .filter(b -> b != Binary.Kind.POW).toArray(Binary.Kind[]::new);
        StepKir k = LlvmHostKernelTest.allOps(dtype, unary, binary);
        String ptx = new LlvmToolchain().emitPtx(LlvmEmitter.ptx(k, "ops", "every op"), arch);
        assertFalse(ptx.contains(".extern") || ptx.contains("call.uni"), "no calls left: " + ptx);
        assertTrue(ptx.contains(dtype == DType.F32 ? "sqrt.rn.f32" : "sqrt.rn.f64"), ptx);
        assertTrue(ptx.contains(dtype == DType.F32 ? "div.rn.f32" : "div.rn.f64"), ptx);
        if (!PtxAssembler.available()) {
            System.out.println("ptxas check skipped: ptxas is not on PATH");
            return;
        }
        new PtxAssembler().check(ptx, arch);
    }

    @Test
    void gpuFormRejectsLibmFunctions() {
        KBuilder b = new KBuilder("exp");
        b.buffer("x", KBuffer.Role.IN, KType.F32, 1);
        b.buffer("y", KBuffer.Role.OUT, KType.F32, 1);
        int param = b.buffer("param0", KBuffer.Role.PARAM, KType.F64, -1);
        b.declareArg(KType.I64);
        b.store(StepKir.Y, 0, b.convert(KType.F32, b.unary(KInstr.UnaryKind.EXP, b.load(param, 0))));
        StepKir k = new StepKir(b.build(), DType.F32, 1, 0,
                List.of(new ParamSlot("param 0", 1, ParamSlot.Rule.FINITE)));
        StreamfoldException e = assertThrows(StreamfoldException.class, () -> LlvmEmitter.ptx(k, "k", "exp"));
        assertTrue(e.getMessage().contains("exp"), e.getMessage());
        assertTrue(LlvmEmitter.host(k, "k", "exp").contains("@llvm.exp.f64"));
    }

    private static long count(String s, char c) {
        return s.chars().filter(x -> x == c).count();
    }
}
