package dev.streamfold.tests;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** {@code noise --backend llvm} writes the bytes of {@code --backend vector}, and their state files interchange. */
class LlvmNoiseCliTest {
    @ParameterizedTest
    @ValueSource(strings = {"float32", "float64"})
    void bothBackendsWriteTheSameBytes(String dtype, @TempDir Path dir) throws IOException {
        Path vector = dir.resolve("vector.bin");
        Path llvm = dir.resolve("llvm.bin");
        assertEquals(0, NoiseTest.noise(vector, 4, "--dtype", dtype, "--threads", "1").status());
        assertEquals(0, NoiseTest.noise(llvm, 4, "--dtype", dtype, "--threads", "3", "--backend", "llvm").status());
        assertEquals(4L * 5003 * (dtype.equals("float32") ? 4 : 8), Files.size(llvm));
        assertArrayEquals(Files.readAllBytes(vector), Files.readAllBytes(llvm));
    }

    @Test
    void aVectorRunResumesOnLlvm(@TempDir Path dir) throws IOException {
        Path whole = dir.resolve("whole.bin");
        Path a = dir.resolve("a.bin");
        Path b = dir.resolve("b.bin");
        Path state = dir.resolve("state.bin");
        assertEquals(0, NoiseTest.noise(whole, 5).status());
        assertEquals(0, NoiseTest.noise(a, 2, "--state", state.toString()).status());
        assertEquals(0, NoiseTest.noise(b, 3, "--backend", "llvm", "--resume", state.toString()).status());
        assertArrayEquals(Files.readAllBytes(whole), NoiseTest.concat(Files.readAllBytes(a), Files.readAllBytes(b)));
    }

    @Test
    void anUnknownBackendIsRefused(@TempDir Path dir) {
        Path out = dir.resolve("o.bin");
        CliTest.Result r = NoiseTest.noise(out, 1, "--backend", "cuda");
        assertEquals(2, r.status());
        assertTrue(r.err().startsWith("error: noise: unknown backend 'cuda' (expected vector or llvm)"), r.err());
        assertTrue(Files.notExists(out));
    }
}
