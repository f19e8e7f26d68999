package dev.streamfold.tests;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.streamfold.compiler.KernelEval;
import dev.streamfold.compiler.llvm.LlvmKernels;
import dev.streamfold.ir.DType;
import dev.streamfold.ir.expr.MatrixBinder;
import dev.streamfold.ir.stream.Bindings;
import dev.streamfold.ir.stream.StreamingMatrix;
import dev.streamfold.runtime.StepKernel;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Correlated noise through a banded inverse whose past values live in a ring state buffer (BandMF's noising matrix
 * with 40 bands): the noise is the mechanism applied to the generator's draws past the ring's wrap, on both CPU
 * backends, and a run resumed from a checkpoint (which holds every row of the ring) equals an uninterrupted one.
 */
class RingNoiseTest {
    static final String MECHANISM = "inverse(toeplitz(coef="
            + IntStream.range(0, 40).mapToObj(i -> i == 0 ? "1.0" : Double.toString(0.5 / (i + 1)))
                    .collect(Collectors.joining(", ", "[", "]")) + "))";

    @Test
    void noiseIsTheMechanismAppliedToTheDrawsOnEveryCpuBackend() {
        StreamingMatrix m = MatrixBinder.parse(MECHANISM);
        for (KernelEval.KernelLoader loader : List.of(KernelEval.VECTOR, LlvmKernels.LLVM)) {
            KernelEval.Bound b = KernelEval.bind(loader, m, Bindings.NONE, DType.F64);
            assertEquals(1, b.kernel().stateCount());
            assertEquals(39, b.kernel().stateRows(0));
            assertEquals(39, StepKernel.totalStateRows(b.kernel()));
            NoiseTest.assertNoiseIsTheMechanismOfTheDraws(m, loader, 90, 37);
        }
    }

    static CliTest.Result noise(Path out, int steps, String backend, String... extra) {
        List<String> args = new java.util.ArrayList<>(List.of("noise", "--expr", MECHANISM, "--dim", "5003", "--steps",
                Integer.toString(steps), "--seed", "12345", "--stddev", "0.5", "--backend", backend, "--out", out.toString()));
        args.addAll(List.of(extra));
        return CliTest.run(args.toArray(String[]::new));
    }

    @Test
    void resumeFromARingCheckpointContinuesBitIdentically(@TempDir Path dir) throws IOException {
        for (String backend : List.of("vector", "llvm")) {
            Path whole = dir.resolve(backend + "-whole.bin");
            Path a = dir.resolve(backend + "-a.bin");
            Path b = dir.resolve(backend + "-b.bin");
            Path state = dir.resolve(backend + "-state.bin");
            assertEquals(0, noise(whole, 60, backend, "--threads", "1").status());
            CliTest.Result first = noise(a, 45, backend, "--threads", "2", "--state", state.toString());
            assertEquals(0, first.status(), first.err());
            CliTest.Result rest = noise(b, 15, backend, "--threads", "3", "--resume", state.toString());
            assertEquals(0, rest.status(), rest.err());
            byte[] joined = new byte[(int) (Files.size(a) + Files.size(b))];
            System.arraycopy(Files.readAllBytes(a), 0, joined, 0, (int) Files.size(a));
            System.arraycopy(Files.readAllBytes(b), 0, joined, (int) Files.size(a), (int) Files.size(b));
            assertEquals(60L * 5003 * 4, Files.size(whole));
            assertArrayEquals(Files.readAllBytes(whole), joined, backend);
        }
    }
}
