package dev.streamfold.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.streamfold.compiler.cli.Json;
import dev.streamfold.ir.StreamfoldException;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@code eval --input} files that are not RFC 8259 JSON, nest too deeply, are too large or are not
 * text: each is refused with exit status 2 and one line naming the file and, where a byte is at
 * fault, its line and column.
 */
class InputFileCliTest {
    @TempDir
    Path dir;

    static CliTest.Result evalInput(Path file) {
        return CliTest.run("eval", "--expr", "prefix_sum", "--input", file.toString());
    }

    static void assertRefused(CliTest.Result r, String message) {
        assertEquals(2, r.status(), r.err());
        assertEquals("", r.out(), "nothing on stdout");
        assertEquals(message + "\n", r.err());
    }

    static Stream<Arguments> badFiles() {
        String numbers = " (JSON numbers are -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?)";
        return Stream.of(
                Arguments.of("[".repeat(100_000).getBytes(StandardCharsets.UTF_8), "1:65: JSON nested more than 64 levels deep"),
                Arguments.of("[[1], ".concat("[".repeat(64)).getBytes(StandardCharsets.UTF_8), "1:70: JSON nested more than 64 levels deep"),
                Arguments.of(bytes("[[\"\\u12G4\"]]"), "1:4: bad \\u escape: expected 4 hex digits after \\u"),
                Arguments.of(bytes("[[\"\\u+123\"]]"), "1:4: bad \\u escape: expected 4 hex digits after \\u"),
                Arguments.of(bytes("[[\"\\u12"), "1:4: bad \\u escape: expected 4 hex digits after \\u"),
                Arguments.of(bytes("[[\"\\x\"]]"), "1:4: bad escape '\\x' (escapes: \\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX)"),
                Arguments.of(bytes("[[\"a\tb\"]]"), "1:5: control character U+0009 in a string (write it as an escape)"),
                Arguments.of(bytes("[[01]]"), "1:3: bad number '01'" + numbers),
                Arguments.of(bytes("[[1.]]"), "1:3: bad number '1.'" + numbers),
                Arguments.of(bytes("[[.5]]"), "1:3: bad number '.5'" + numbers),
                Arguments.of(bytes("[[+1]]"), "1:3: bad number '+1'" + numbers),
                Arguments.of(bytes("[[1],\n [-]]"), "2:3: bad number '-'" + numbers),
                Arguments.of(bytes("[[1e]]"), "1:3: bad number '1e'" + numbers),
                Arguments.of(bytes("[[1],\n [2e999]]"), "2:3: number 2e999 is not finite"),
                Arguments.of(bytes("[[1],\n [\u0000]]"), "2:3: NUL byte (JSON text holds no NUL)"),
                Arguments.of(new byte[] {'[', '[', '1', ']', ',', '\n', '[', (byte) 0xff, ']', ']'}, "2:2: invalid UTF-8 byte 0xff"),
                Arguments.of(new byte[] {'[', '[', '"', (byte) 0xc3, '"', ']', ']'}, "1:4: invalid UTF-8 byte 0xc3"),
                Arguments.of(bytes("[[1]]\u000b"), "1:6: unexpected U+000B after the JSON value"),
                Arguments.of(bytes("[[1]]\u00a0"), "1:6: unexpected U+00A0 after the JSON value"),
                Arguments.of(bytes("[[\u0007]]"), "1:3: unexpected character U+0007"),
                Arguments.of(bytes("{\"dA\": [[1]],\n \"dA\": [[2]]}"), "2:2: key \"dA\" appears twice"));
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @ParameterizedTest(name = "{1}")
    @MethodSource("badFiles")
    void badFileIsRefusedAtItsPosition(byte[] content, String message) throws IOException {
        Path in = dir.resolve("in.json");
        Files.write(in, content);
        assertRefused(evalInput(in), "error: " + in + ":" + message);
    }

    @Test
    void nestingUpToTheLimitIsRead() {
        String text = "[".repeat(Json.MAX_DEPTH) + "1" + "]".repeat(Json.MAX_DEPTH);
        Object v = Json.parse(text, "t");
        for (int level = 1; level < Json.MAX_DEPTH; level++) {
            v = assertInstanceOf(List.class, v).get(0);
        }
        assertEquals(List.of(1.0), v);
        StreamfoldException e = assertThrows(StreamfoldException.class, () -> Json.parse("[" + text + "]", "t"));
        assertEquals("t:1:65: JSON nested more than 64 levels deep", e.getMessage());
    }

    @Test
    void numbersOfTheJsonGrammarAreRead() {
        assertEquals(List.of(0.0, -0.0, 10.0, 0.5, -1.5e-3, 2e10, 3.0E+2),
                Json.parse("[0, -0, 10, 0.5, -1.5e-3, 2e10, 3.0E+2]", "t"));
        assertEquals(List.of("\u00e9\"\\/\b\f\n\r\t"), Json.parse("[\"\\u00E9\\\"\\\\\\/\\b\\f\\n\\r\\t\"]", "t"));
    }

    @Test
    void fileOverTheSizeLimitIsRefusedUnread() throws IOException {
        Path in = dir.resolve("big.json");
        try (RandomAccessFile f = new RandomAccessFile(in.toFile(), "rw")) {
            f.setLength(Json.MAX_FILE_BYTES + 1);
        }
        assertRefused(evalInput(in), "error: --input " + in + ": 268435457 bytes, more than the limit of 256 MiB");
    }

    @Test
    void endlessDeviceIsRefusedAtItsFirstNul() {
        Path zero = Path.of("/dev/zero");
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.isReadable(zero), "no /dev/zero here");
        assertRefused(evalInput(zero), "error: /dev/zero:1:1: NUL byte (JSON text holds no NUL)");
    }

    @Test
    void directoryIsRefused() {
        CliTest.Result r = evalInput(dir);
        assertEquals(2, r.status(), r.err());
        assertEquals("", r.out());
        assertEquals(1, r.err().lines().count(), r.err());
        assertEquals(true, r.err().startsWith("error: --input " + dir + ": cannot read: "), r.err());
    }
}
