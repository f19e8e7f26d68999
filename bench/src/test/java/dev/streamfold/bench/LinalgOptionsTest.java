package dev.streamfold.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.streamfold.ir.StreamfoldException;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** {@code bench --case linalg}'s options: read as documented, bad ones refused with one line before anything runs. */
class LinalgOptionsTest {
    static Stream<Arguments> badOptions() {
        return Stream.of(
                Arguments.of(List.of("--ops", "lu,bogus"),
                        "bench: unknown op 'bogus' in --ops (ops: lu, cholesky, qr, triangular_solve, eigh, svd)"),
                Arguments.of(List.of("--ops", "lu,,qr"), "bench: --ops has an empty entry in 'lu,,qr'"),
                Arguments.of(List.of("--ops", "qr,qr"), "bench: --ops names 'qr' twice"),
                Arguments.of(List.of("--ops", ""), "bench: --ops has an empty entry in ''"),
                Arguments.of(List.of("--n", "4,x"), "bench: --n must be integers in [1, 256] separated by commas, got '4,x'"),
                Arguments.of(List.of("--n", "0"), "bench: --n must be integers in [1, 256] separated by commas, got '0'"),
                Arguments.of(List.of("--n", "257"), "bench: --n must be integers in [1, 256] separated by commas, got '257'"),
                Arguments.of(List.of("--n", "8,8"), "bench: --n names 8 twice"),
                Arguments.of(List.of("--n", "99999999999999999999"),
                        "bench: --n must be integers in [1, 256] separated by commas, got '99999999999999999999'"),
                Arguments.of(List.of("--dtype", "float16"), "bench: unknown dtype 'float16' in --dtype (dtypes: float32, float64)"),
                Arguments.of(List.of("--threads", "1,0"), "bench: --threads must be integers in [1, 4096] separated by commas, got '1,0'"),
                Arguments.of(List.of("--threads", "-2"), "bench: --threads must be integers in [1, 4096] separated by commas, got '-2'"),
                Arguments.of(List.of("--batch", "0"), "bench: --batch must be an integer in [1, 2^24], got '0'"),
                Arguments.of(List.of("--batch", "16777217"), "bench: --batch must be an integer in [1, 2^24], got '16777217'"),
                Arguments.of(List.of("--batch", "1e3"), "bench: --batch must be an integer in [1, 2^24], got '1e3'"),
                Arguments.of(List.of("--batch"), "bench: option --batch needs a value"),
                Arguments.of(List.of("--size", "4096"), "bench: --size applies to the streaming cases, not --case linalg (use --n and --batch)"),
                Arguments.of(List.of("--csv"), "bench: --csv applies to the streaming cases, not --case linalg"),
                Arguments.of(List.of("--json", ""), "bench: --json needs a file name"),
                Arguments.of(List.of("--bogus"), "bench: unknown option '--bogus'"));
    }

    @ParameterizedTest(name = "{1}")
    @MethodSource("badOptions")
    void badOptionIsRefusedBeforeAnythingIsPrinted(List<String> args, String message) {
        List<String> argv = new java.util.ArrayList<>(List.of("--case", "linalg"));
        argv.addAll(args);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        StreamfoldException e = assertThrows(StreamfoldException.class, () -> BenchMain.run(argv.toArray(String[]::new),
                new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(out, true, StandardCharsets.UTF_8)));
        assertEquals(message, e.getMessage());
        assertFalse(e.getMessage().contains("\n"));
        assertEquals("", out.toString(StandardCharsets.UTF_8), "nothing printed");
    }

    @Test
    void linalgOptionsAreRefusedForAnotherCase() {
        for (String o : LinalgBench.OWN_OPTIONS) {
            StreamfoldException e = assertThrows(StreamfoldException.class,
                    () -> BenchMain.run(new String[] {"--case", "scan", o, "4"}, new PrintStream(new ByteArrayOutputStream())));
            assertEquals("bench: " + o + " applies to --case linalg", e.getMessage());
        }
        StreamfoldException e = assertThrows(StreamfoldException.class, () -> LinalgBench.selected(new String[] {"--n", "8"}));
        assertEquals("bench: --n applies to --case linalg", e.getMessage());
    }

    @Test
    void selectionFollowsTheCaseOption() {
        assertTrue(LinalgBench.selected(new String[] {"--quick", "--case", "linalg"}));
        assertTrue(LinalgBench.selected(new String[] {"--case=linalg", "--n", "4"}));
        assertFalse(LinalgBench.selected(new String[] {"--case", "scan", "--size", "4096"}));
        assertFalse(LinalgBench.selected(new String[0]));
    }

    @Test
    void goodOptionsAreRead() {
        LinalgBench.Options o = LinalgBench.Options.parse(new String[] {"--case", "linalg", "--quick", "--ops", "svd,lu", "--n=4,16",
                "--dtype", "float64", "--threads", "2,1", "--batch", "1024", "--json", "l.json"});
        assertEquals(new LinalgBench.Options(true, Path.of("l.json"), List.of("svd", "lu"), List.of(4, 16), List.of("float64"),
                List.of(2, 1), 1024), o);
        assertEquals(new LinalgBench.Options(false, null, List.of("lu", "cholesky", "qr", "triangular_solve", "eigh", "svd"),
                List.of(4, 8, 16, 32), List.of("float32", "float64"), List.of(1, 2), 65536),
                LinalgBench.Options.parse(new String[] {"--case", "linalg"}));
    }
}
