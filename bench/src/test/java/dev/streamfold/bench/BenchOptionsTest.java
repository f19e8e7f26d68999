package dev.streamfold.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

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

/** Bad bench options are refused with one message before the bench prints or measures anything. */
class BenchOptionsTest {
    static Stream<Arguments> badOptions() {
        return Stream.of(
                Arguments.of(List.of("--size", "abc"), "bench: --size must be an integer in [1, 2^40], got 'abc'"),
                Arguments.of(List.of("--size", "0"), "bench: --size must be an integer in [1, 2^40], got '0'"),
                Arguments.of(List.of("--size", "-5"), "bench: --size must be an integer in [1, 2^40], got '-5'"),
                Arguments.of(List.of("--size", "+5"), "bench: --size must be an integer in [1, 2^40], got '+5'"),
                Arguments.of(List.of("--size", "1099511627777"), "bench: --size must be an integer in [1, 2^40], got '1099511627777'"),
                Arguments.of(List.of("--threads", "abc"), "bench: --threads must be an integer in [1, 4096], got 'abc'"),
                Arguments.of(List.of("--threads", "0"), "bench: --threads must be an integer in [1, 4096], got '0'"),
                Arguments.of(List.of("--threads", "-3"), "bench: --threads must be an integer in [1, 4096], got '-3'"),
                Arguments.of(List.of("--threads", "4097"), "bench: --threads must be an integer in [1, 4096], got '4097'"),
                Arguments.of(List.of("--threads", "99999999999999999999"),
                        "bench: --threads must be an integer in [1, 4096], got '99999999999999999999'"),
                Arguments.of(List.of("--case", "bogus"), "bench: unknown case 'bogus' (cases: compose3, blt4, noise-blt4, scan, toeplitz, optimize, linalg)"),
                Arguments.of(List.of("--case"), "bench: option --case needs a value"),
                Arguments.of(List.of("--json", ""), "bench: --json needs a file name"),
                Arguments.of(List.of("--quick", "--bogus"), "bench: unknown option '--bogus'"),
                Arguments.of(List.of("--size", "1", "--size", "2"), "bench: option --size is given twice"),
                Arguments.of(List.of("--json", "-"), "bench: --json - (standard output) is not supported: the rows go to a file"
                        + " and their metadata beside it (FILE.meta.json); use --csv for the rows on standard output"),
                Arguments.of(List.of("--csv", "--case", "optimize"), "bench: --csv applies to the streaming cases, not --case optimize"));
    }

    @ParameterizedTest(name = "{1}")
    @MethodSource("badOptions")
    void badOptionIsRefusedBeforeAnythingIsPrinted(List<String> args, String message) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        StreamfoldException e = assertThrows(StreamfoldException.class,
                () -> BenchMain.run(args.toArray(String[]::new), new PrintStream(out, true, StandardCharsets.UTF_8)));
        assertEquals(message, e.getMessage());
        assertEquals("", out.toString(StandardCharsets.UTF_8), "nothing on stdout");
    }

    @Test
    void goodOptionsAreRead() {
        BenchMain.Options o = BenchMain.Options.parse(
                new String[] {"--quick", "--case", "scan", "--size", "4096", "--threads=3", "--json", "b.json", "--csv"});
        assertEquals(new BenchMain.Options(true, Path.of("b.json"), 4096, 3, "scan", true), o);
        assertEquals(new BenchMain.Options(false, null, 0, 0, null, false), BenchMain.Options.parse(new String[0]));
    }

    @Test
    void helpPrintsTheBenchUsageAndRunsNothing() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);
        assertEquals(0, BenchMain.run(new String[] {"--case", "linalg", "--help"}, out));
        String text = bytes.toString(StandardCharsets.UTF_8);
        assertEquals(true, text.startsWith("usage: streamfold bench"), text);
        assertEquals(true, text.contains("--case"), text);
    }
}
