package dev.streamfold.compiler.llvm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class LlvmHostJitTest {
    private static final LlvmToolchain LLVM = new LlvmToolchain();
    private static HostModule axpyModule;
    private static MethodHandle axpyF32;
    private static MethodHandle axpyF64;

    @BeforeAll
    @SuppressWarnings("restricted")
    static void compile() {
        long start = System.nanoTime();
        axpyModule = LLVM.jitHost(LlvmTestModules.AXPY_HOST);
        Linker linker = Linker.nativeLinker();
        axpyF32 = linker.downcallHandle(axpyModule.lookup("axpy"), FunctionDescriptor.ofVoid(ValueLayout.JAVA_LONG,
                ValueLayout.JAVA_FLOAT, ValueLayout.ADDRESS, ValueLayout.ADDRESS));
        axpyF64 = linker.downcallHandle(axpyModule.lookup("axpy_f64"), FunctionDescriptor.ofVoid(
                ValueLayout.JAVA_LONG, ValueLayout.JAVA_DOUBLE, ValueLayout.ADDRESS, ValueLayout.ADDRESS));
        System.out.printf("jitHost + two lookups on %s: %.1f ms%n", LLVM.hostCpu(), (System.nanoTime() - start) / 1e6);
    }

    @AfterAll
    static void free() {
        axpyModule.close();
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 17, 1000})
    void floatAxpyMatchesJava(int n) throws Throwable {
        SplittableRandom random = new SplittableRandom(n);
        float a = (float) random.nextDouble(-2, 2);
        float[] x = new float[n];
        float[] y = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) random.nextDouble(-1, 1);
            y[i] = (float) random.nextDouble(-1, 1);
        }
        float[] expected = y.clone();
        for (int i = 0; i < n; i++) {
            expected[i] = a * x[i] + expected[i];
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment xs = arena.allocateFrom(ValueLayout.JAVA_FLOAT, x);
            MemorySegment ys = arena.allocateFrom(ValueLayout.JAVA_FLOAT, y);
            axpyF32.invokeExact((long) n, a, xs, ys);
            assertArrayEquals(expected, ys.toArray(ValueLayout.JAVA_FLOAT));
            assertArrayEquals(x, xs.toArray(ValueLayout.JAVA_FLOAT));
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 17, 1000})
    void doubleAxpyMatchesJava(int n) throws Throwable {
        SplittableRandom random = new SplittableRandom(-n);
        double a = random.nextDouble(-2, 2);
        double[] x = random.doubles(n, -1, 1).toArray();
        double[] y = random.doubles(n, -1, 1).toArray();
        double[] expected = y.clone();
        for (int i = 0; i < n; i++) {
            expected[i] = a * x[i] + expected[i];
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment xs = arena.allocateFrom(ValueLayout.JAVA_DOUBLE, x);
            MemorySegment ys = arena.allocateFrom(ValueLayout.JAVA_DOUBLE, y);
            axpyF64.invokeExact((long) n, a, xs, ys);
            assertArrayEquals(expected, ys.toArray(ValueLayout.JAVA_DOUBLE));
        }
    }

    @Test
    void optimizeForTheHostVectorizesTheLoop() {
        String optimized = LLVM.optimize(LlvmTestModules.AXPY_HOST, LLVM.hostTriple(), LlvmToolchain.NATIVE_CPU);
        assertTrue(optimized.contains("x float>"), optimized);
        assertTrue(optimized.contains("target triple = \"" + LLVM.hostTriple() + "\""), optimized);
    }

    @Test
    void lookupOfAMissingSymbolNamesIt() {
        LlvmException e = assertThrows(LlvmException.class, () -> axpyModule.lookup("gemm"));
        assertTrue(e.getMessage().contains("gemm") && e.getMessage().contains("axpy_host.ll"), e.getMessage());
    }

    @Test
    void closedModuleRefusesLookups() {
        HostModule module = LLVM.jitHost(LlvmTestModules.AXPY_HOST);
        assertEquals("axpy_host.ll", module.name());
        module.close();
        module.close();
        assertThrows(IllegalStateException.class, () -> module.lookup("axpy"));
    }
}
