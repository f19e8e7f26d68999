package dev.streamfold.compiler.llvm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.streamfold.compiler.KernelEval;
import dev.streamfold.compiler.lower.StepKir;
import dev.streamfold.ir.DType;
import dev.streamfold.ir.expr.MatrixBinder;
import dev.streamfold.ir.stream.Bindings;
import dev.streamfold.ir.stream.StreamingMatrix;
import dev.streamfold.runtime.NoiseGenerator;
import dev.streamfold.runtime.NoiseKernel;
import dev.streamfold.runtime.StreamingRunner;
import dev.streamfold.runtime.noise.GaussianNoise;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * {@code NAME_noise_step} on the LLVM host: through the identity it is {@code GaussianNoise}'s fill, bit for bit;
 * through a mechanism it equals the Vector API {@link NoiseGenerator} (noise drawn in blocks), for any thread count.
 */
class LlvmNoiseStepTest {
    static final String MECHANISM = "inverse(blt(buf_decay=[0.95, 0.6, 0.3], output_scale=[0.3, 0.2, 0.1]))";
    private static final LlvmToolchain LLVM = new LlvmToolchain();

    private static final Map<DType, LlvmHostKernel> IDENTITY = new ConcurrentHashMap<>();

    private static LlvmHostKernel identity(DType dtype) {
        return IDENTITY.computeIfAbsent(dtype, d -> {
            StepKir k = LlvmGoldenTest.kernel("identity", d);
            return LlvmHostKernel.compile(LLVM, k, LlvmKernels.kernelName(k), "identity");
        });
    }

    @ParameterizedTest(name = "{0} seed {1} step {2} coordBase {3} [{4}, {5}) stddev {6}")
    @CsvSource({
        "f32, 7, 0, 0, 0, 1000003, 1.0",
        "f32, 18446744073709551615, 9223372036854775807, 17179369184, 0, 1000000, 1.0",
        "f32, 9223372036854775809, 4294967296, 17179869181, 3, 1001, 0.1",
        "f32, 12345, 4294967295, 18446744073709550615, 1, 998, 2.5",
        "f64, 7, 0, 0, 0, 300001, 1.0",
        "f64, 18446744073709551615, 9223372036854775807, 17179769184, 0, 200000, 1.0",
        "f64, 9223372036854775809, 4294967296, 17179869181, 3, 1001, 0.1",
        "f64, 12345, 4294967295, 18446744073709550615, 1, 998, 2.5"})
    void throughTheIdentityItIsTheReferenceFill(String dtype, String seedText, long step, String coordBaseText,
            long from, long to, double stddev) {
        DType d = DType.parseFloating(dtype);
        long seed = Long.parseUnsignedLong(seedText);
        long coordBase = Long.parseUnsignedLong(coordBaseText);
        int bytes = d == DType.F32 ? 4 : 8;
        LlvmHostKernel k = identity(d);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment got = arena.allocate(to * bytes, 64);
            MemorySegment want = arena.allocate(to * bytes, 64);
            k.noiseStep(step, new double[0][], seed, stddev, coordBase, got, new MemorySegment[0], to, from, to);
            if (d == DType.F32) {
                GaussianNoise.fillF32(seed, step, coordBase + from, want, from * bytes, to - from, (float) stddev);
            } else {
                GaussianNoise.fillF64(seed, step, coordBase + from, want, from * bytes, to - from, stddev);
            }
            assertEquals(-1, got.mismatch(want), "first differing byte");
        }
    }

    @ParameterizedTest(name = "{0} threads {1}")
    @CsvSource({"f32, 1", "f32, 3", "f64, 1", "f64, 3"})
    void throughAMechanismItEqualsTheVectorGenerator(String dtype, int threads) {
        DType d = DType.parseFloating(dtype);
        StreamingMatrix m = MatrixBinder.parse(MECHANISM);
        KernelEval.Bound vector = KernelEval.bind(m, Bindings.NONE, d);
        KernelEval.Bound llvm = KernelEval.bind(LlvmKernels.LLVM, m, Bindings.NONE, d);
        assertInstanceOf(NoiseKernel.class, llvm.kernel());
        int bytes = d == DType.F32 ? 4 : 8;
        long dim = 2 * StreamingRunner.CHUNK + 999;
        long seed = 0x8000_0000_0000_0001L;
        long coordBase = (1L << 34) - 12345;
        try (Arena arena = Arena.ofShared();
                NoiseGenerator want = new NoiseGenerator(vector.kernel(), vector.params(), dim, threads, seed, 0.7,
                        coordBase);
                NoiseGenerator got = new NoiseGenerator(llvm.kernel(), llvm.params(), dim, threads, seed, 0.7,
                        coordBase)) {
            MemorySegment y1 = arena.allocate(dim * bytes, 64);
            MemorySegment y2 = arena.allocate(dim * bytes, 64);
            for (int t = 0; t < 5; t++) {
                want.next(y1);
                got.next(y2);
                assertEquals(-1, y1.mismatch(y2), dtype + " step " + t + ": first differing byte");
            }
            for (int b = 0; b < want.runner().state().size(); b++) {
                assertEquals(-1, want.runner().state().get(b).mismatch(got.runner().state().get(b)), "state " + b);
            }
        }
    }

    @Test
    void callsAreCheckedBeforeNativeCodeRuns() {
        LlvmHostKernel k = identity(DType.F64);
        MemorySegment heap = MemorySegment.ofArray(new double[8]);
        MemorySegment[] none = new MemorySegment[0];
        assertThrows(IllegalArgumentException.class,
                () -> k.noiseStep(0, new double[0][], 1, 1.0, 0, heap, none, 8, 0, 8));
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment y = arena.allocate(64, 8);
            assertThrows(IllegalArgumentException.class,
                    () -> k.noiseStep(0, new double[0][], 1, 1.0, 0, y, none, 8, 0, 9));
            assertThrows(IllegalArgumentException.class,
                    () -> k.noiseStep(-1, new double[0][], 1, 1.0, 0, y, none, 8, 0, 8));
            assertThrows(IllegalArgumentException.class,
                    () -> k.noiseStep(0, new double[0][], 1, 1.0, 0, y, new MemorySegment[] {y}, 8, 0, 8));
        }
    }
}
