package dev.streamfold.tests;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.streamfold.compiler.KernelEval;
import dev.streamfold.ir.DType;
import dev.streamfold.ir.Shape;
import dev.streamfold.ir.Tensor;
import dev.streamfold.ir.expr.MatrixBinder;
import dev.streamfold.ir.stream.Bindings;
import dev.streamfold.ir.stream.StreamingEval;
import dev.streamfold.ir.stream.StreamingEval.Query;
import dev.streamfold.ir.stream.StreamingMatrix;
import dev.streamfold.runtime.NoiseGenerator;
import dev.streamfold.runtime.StreamingRunner;
import dev.streamfold.runtime.noise.GaussianNoise;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Correlated noise: fused equals unfused bit for bit, matches the interpreter, resumes exactly. */
class NoiseTest {
    static final String MECHANISM = "inverse(blt(buf_decay=[0.95, 0.6, 0.3], output_scale=[0.3, 0.2, 0.1]))";

    @Test
    void inKernelNoiseEqualsNoiseDrawnIntoAnArrayFirst() {
        StreamingMatrix m = MatrixBinder.parse(MECHANISM);
        for (DType dtype : new DType[] {DType.F32, DType.F64}) {
            KernelEval.Bound b = KernelEval.bind(m, Bindings.NONE, dtype);
            int bytes = dtype == DType.F32 ? 4 : 8;
            long d = 2 * StreamingRunner.CHUNK + 999;
            try (Arena arena = Arena.ofShared();
                    NoiseGenerator fused = new NoiseGenerator(b.kernel(), b.params(), d, 3, 7, 1.5, 0);
                    StreamingRunner unfused = new StreamingRunner(b.kernel(), b.params(), d, 1)) {
                MemorySegment z = arena.allocate(d * bytes);
                MemorySegment y1 = arena.allocate(d * bytes);
                MemorySegment y2 = arena.allocate(d * bytes);
                for (int t = 0; t < 5; t++) {
                    fused.next(y1);
                    if (dtype == DType.F32) {
                        GaussianNoise.fillF32(7, t, 0, z, 0, d, 1.5f);
                    } else {
                        GaussianNoise.fillF64(7, t, 0, z, 0, d, 1.5);
                    }
                    unfused.next(z, y2);
                    assertEquals(-1, y1.mismatch(y2), dtype + " step " + t);
                }
            }
        }
    }

    @Test
    void correlatedNoiseIsTheMechanismAppliedToTheGeneratorsDraws() {
        assertNoiseIsTheMechanismOfTheDraws(MatrixBinder.parse(MECHANISM), KernelEval.VECTOR, 12, 37);
    }

    /** {@code n} steps of {@code m}'s noise over {@code d} elements, through {@code loader}'s kernel, equal the interpreter's. */
    static void assertNoiseIsTheMechanismOfTheDraws(StreamingMatrix m, KernelEval.KernelLoader loader, int n, int d) {
        double[] z = new double[n * d];
        for (int t = 0; t < n; t++) {
            for (int i = 0; i < d; i++) {
                z[t * d + i] = 2.0 * GaussianNoise.gaussianF64(99, t, i);
            }
        }
        Tensor want = StreamingEval.run(m, Bindings.NONE, Query.MULTIPLY, new Tensor(DType.F64, new Shape(n, d), z), 0, DType.F64);
        KernelEval.Bound b = KernelEval.bind(loader, m, Bindings.NONE, DType.F64);
        try (Arena arena = Arena.ofConfined(); NoiseGenerator g = new NoiseGenerator(b.kernel(), b.params(), d, 1, 99, 2.0, 0)) {
            MemorySegment y = arena.allocate(d * 8L);
            for (int t = 0; t < n; t++) {
                g.next(y);
                double[] row = y.toArray(ValueLayout.JAVA_DOUBLE);
                for (int i = 0; i < d; i++) {
                    assertEquals(want.raw()[t * d + i], row[i], 1e-12 * Math.max(1, Math.abs(row[i])), "t=" + t + " i=" + i);
                }
            }
        }
    }

    static final String EXPR = "prefix_sum @ " + MECHANISM;

    static CliTest.Result noise(Path out, int steps, String... extra) {
        List<String> args = new java.util.ArrayList<>(List.of("noise", "--expr", EXPR, "--dim", "5003", "--steps",
                Integer.toString(steps), "--seed", "12345", "--stddev", "0.5", "--out", out.toString()));
        args.addAll(List.of(extra));
        return CliTest.run(args.toArray(String[]::new));
    }

    @Test
    void resumeContinuesBitIdenticallyAndThreadsDoNotMatter(@TempDir Path dir) throws IOException {
        Path whole = dir.resolve("whole.bin");
        Path a = dir.resolve("a.bin");
        Path b = dir.resolve("b.bin");
        Path state = dir.resolve("state.bin");
        assertEquals(0, noise(whole, 7, "--threads", "1").status());
        assertEquals(0, noise(a, 4, "--threads", "2", "--state", state.toString()).status());
        assertEquals(0, noise(b, 3, "--threads", "3", "--resume", state.toString()).status());
        byte[] joined = concat(Files.readAllBytes(a), Files.readAllBytes(b));
        assertEquals(7L * 5003 * 4, Files.size(whole));
        assertArrayEquals(Files.readAllBytes(whole), joined);
        float[] v = floats(Files.readAllBytes(whole));
        assertTrue(java.util.Arrays.stream(toDouble(v)).allMatch(Double::isFinite));
    }

    @Test
    void badStateIsRefusedAndNothingIsOverwritten(@TempDir Path dir) throws IOException {
        Path state = dir.resolve("state.bin");
        Path out = dir.resolve("out.bin");
        assertEquals(0, noise(out, 2, "--state", state.toString()).status());
        byte[] before = Files.readAllBytes(out);
        byte[] good = Files.readAllBytes(state);
        Files.write(state, java.util.Arrays.copyOf(good, good.length - 1));
        CliTest.Result r = noise(out, 2, "--resume", state.toString());
        assertEquals(2, r.status());
        assertTrue(r.err().startsWith("error: --resume: state file " + state + " is truncated or corrupted"), r.err());
        byte[] flipped = good.clone();
        flipped[flipped.length / 2] ^= 4;
        Files.write(state, flipped);
        r = noise(out, 2, "--resume", state.toString());
        assertEquals(2, r.status());
        assertTrue(r.err().endsWith("is corrupted: checksum mismatch\n"), r.err());
        Files.write(state, good);
        r = CliTest.run("noise", "--expr", "prefix_sum", "--dim", "5003", "--steps", "1", "--seed", "12345", "--stddev", "0.5",
                "--out", out.toString(), "--resume", state.toString());
        assertEquals(2, r.status());
        assertTrue(r.err().contains("was saved for"), r.err());
        r = CliTest.run("noise", "--expr", EXPR, "--dim", "5003", "--steps", "1", "--seed", "1", "--stddev", "0.5",
                "--out", out.toString(), "--resume", state.toString());
        assertEquals(2, r.status());
        assertTrue(r.err().contains("holds seed 12345"), r.err());
        assertArrayEquals(before, Files.readAllBytes(out), "a refused run leaves the output untouched");
        try (var files = Files.list(dir)) {
            assertEquals(2, files.count(), "no temporary files left behind");
        }
    }

    @Test
    void badArgumentsAreRejected(@TempDir Path dir) {
        Path out = dir.resolve("o.bin");
        String[][] cases = {
            {"--dim", "0"}, {"--steps", "-1"}, {"--seed", "abc"}, {"--stddev", "-1"}, {"--stddev", "NaN"}, {"--dtype", "int8"}};
        String[] messages = {
            "error: noise: --dim must be an integer in [1, 2^40], got '0'",
            "error: noise: --steps must be an integer in [0, 2147483647], got '-1'", "error: noise: --seed must be an integer",
            "error: noise: --stddev must be finite and >= 0", "error: noise: --stddev must be a finite number of the form",
            "error: unknown dtype 'int8'"};
        for (int i = 0; i < cases.length; i++) {
            List<String> args = new java.util.ArrayList<>(List.of("noise", "--expr", "prefix_sum", "--dim", "10", "--steps", "1",
                    "--seed", "1", "--out", out.toString()));
            int at = args.indexOf(cases[i][0]);
            if (at >= 0) {
                args.set(at + 1, cases[i][1]);
            } else {
                args.addAll(List.of(cases[i]));
            }
            CliTest.Result r = CliTest.run(args.toArray(String[]::new));
            assertEquals(2, r.status(), String.join(" ", cases[i]));
            assertTrue(r.err().startsWith(messages[i]), r.err());
            assertEquals("", r.out());
        }
        assertTrue(Files.notExists(out));
    }

    static byte[] concat(byte[] a, byte[] b) {
        byte[] c = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, c, a.length, b.length);
        return c;
    }

    static float[] floats(byte[] bytes) {
        ByteBuffer bb = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        float[] f = new float[bytes.length / 4];
        bb.asFloatBuffer().get(f);
        return f;
    }

    static double[] toDouble(float[] f) {
        double[] d = new double[f.length];
        for (int i = 0; i < f.length; i++) {
            d[i] = f[i];
        }
        return d;
    }
}
