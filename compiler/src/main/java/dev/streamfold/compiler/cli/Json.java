package dev.streamfold.compiler.cli;

import dev.streamfold.ir.StreamfoldException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * A small JSON reader (RFC 8259) and writer for the CLI's inputs and outputs. Values read are {@link
 * Double}, {@link String}, {@link Boolean}, {@code null}, {@link List} and {@link Map}; errors name
 * the line and column. Arrays and objects nest at most {@link #MAX_DEPTH} levels, and a file read
 * holds at most {@link #MAX_FILE_BYTES} bytes of UTF-8.
 */
public final class Json {
    /** How deeply arrays and objects may nest (an {@code n x d} input nests 2 levels). */
    public static final int MAX_DEPTH = 64;

    /** The largest JSON file {@link #readFile} reads: 256 MiB. */
    public static final long MAX_FILE_BYTES = 256L << 20;

    private final String s;
    private final String source;
    private int i;
    private int depth;
    /** When locating: each array's element offsets ({@code int[]}), each object's key and value offsets. */
    private IdentityHashMap<Object, Object> places;

    private Json(String s, String source) {
        this.s = s;
        this.source = source;
    }

    /** Parses one JSON document; {@code source} names it in errors (e.g. the file name). */
    public static Object parse(String text, String source) {
        Json j = new Json(text, source);
        j.ws();
        Object v = j.value();
        j.ws();
        if (j.i < j.s.length()) {
            throw j.error("unexpected " + describe(j.s.charAt(j.i)) + " after the JSON value");
        }
        return v;
    }

    /**
     * The text of a JSON file: at most {@link #MAX_FILE_BYTES} bytes of UTF-8 without NUL bytes,
     * from a regular file or any other readable file (a pipe, a device). Errors start with {@code
     * option + " " + file} for the file as a whole, and with {@code file:line:column} for a bad byte.
     */
    public static String readFile(Path file, String option) {
        return readText(file, option, "JSON");
    }

    /** As {@link #readFile}, for a text file of another {@code kind} (named in the NUL-byte error). */
    public static String readText(Path file, String option, String kind) {
        String what = option + " " + file;
        String limit = "the limit of " + (MAX_FILE_BYTES >> 20) + " MiB";
        try (InputStream in = Files.newInputStream(file)) {
            if (Files.isRegularFile(file) && Files.size(file) > MAX_FILE_BYTES) {
                throw new StreamfoldException(what + ": " + Files.size(file) + " bytes, more than " + limit);
            }
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            byte[] chunk = new byte[1 << 16];
            int n;
            while ((n = in.read(chunk)) >= 0) {
                for (int k = 0; k < n; k++) {
                    if (chunk[k] == 0) {
                        bytes.write(chunk, 0, k);
                        String before = decode(bytes.toByteArray(), file.toString());
                        throw new Json(before, file.toString()).errorAt(before.length(), "NUL byte (" + kind + " text holds no NUL)");
                    }
                }
                if (bytes.size() + (long) n > MAX_FILE_BYTES) {
                    throw new StreamfoldException(what + ": larger than " + limit);
                }
                bytes.write(chunk, 0, n);
            }
            return decode(bytes.toByteArray(), file.toString());
        } catch (NoSuchFileException e) {
            throw new StreamfoldException(what + ": no such file");
        } catch (AccessDeniedException e) {
            throw new StreamfoldException(what + ": permission denied");
        } catch (IOException e) {
            throw new StreamfoldException(what + ": cannot read: " + e.getMessage());
        }
    }

    /** {@code bytes} as strict UTF-8; a malformed sequence is an error at its line and column. */
    private static String decode(byte[] bytes, String source) {
        CharsetDecoder d = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer in = ByteBuffer.wrap(bytes);
        CharBuffer out = CharBuffer.allocate(bytes.length);
        CoderResult r = d.decode(in, out, true);
        if (r.isError()) {
            int bad = in.position();
            String before = new String(bytes, 0, bad, StandardCharsets.UTF_8);
            throw new Json(before, source).errorAt(before.length(),
                    String.format(Locale.ROOT, "invalid UTF-8 byte 0x%02x", bytes[bad] & 0xff));
        }
        d.flush(out);
        return out.flip().toString();
    }

    /**
     * A parsed document that can say where each of its values is, for errors about the content
     * rather than the syntax (a wrong shape, an unknown key).
     */
    public static final class Located {
        private final Object root;
        private final Json json;
        private final int rootOffset;

        private Located(Object root, Json json, int rootOffset) {
            this.root = root;
            this.json = json;
            this.rootOffset = rootOffset;
        }

        /** The value, as {@link #parse} returns it. */
        public Object root() {
            return root;
        }

        /** {@code source:line:column} of the whole document's value. */
        public String whereRoot() {
            return json.where(rootOffset);
        }

        /** {@code source:line:column} of element {@code index} of an array of this document. */
        public String where(List<?> array, int index) {
            return json.where(((int[]) json.places.get(array))[index]);
        }

        /** {@code source:line:column} of the value of {@code key} in an object of this document. */
        public String where(Map<?, ?> object, String key) {
            return json.where(member(object, key)[1]);
        }

        /** {@code source:line:column} of the key itself. */
        public String whereKey(Map<?, ?> object, String key) {
            return json.where(member(object, key)[0]);
        }

        @SuppressWarnings("unchecked")
        private int[] member(Map<?, ?> object, String key) {
            return ((Map<String, int[]>) json.places.get(object)).get(key);
        }
    }

    /** Parses one JSON document and remembers where each value is. */
    public static Located parseLocated(String text, String source) {
        Json j = new Json(text, source);
        j.places = new IdentityHashMap<>();
        j.ws();
        int start = j.i;
        Object v = j.value();
        j.ws();
        if (j.i < j.s.length()) {
            throw j.error("unexpected " + describe(j.s.charAt(j.i)) + " after the JSON value");
        }
        return new Located(v, j, start);
    }

    private Object value() {
        if (i >= s.length()) {
            throw error("unexpected end of JSON");
        }
        char c = s.charAt(i);
        return switch (c) {
            case '[' -> {
                enter();
                List<Object> a = array();
                depth--;
                yield a;
            }
            case '{' -> {
                enter();
                Map<String, Object> o = object();
                depth--;
                yield o;
            }
            case '"' -> string();
            case 't' -> word("true", Boolean.TRUE);
            case 'f' -> word("false", Boolean.FALSE);
            case 'n' -> word("null", null);
            default -> number();
        };
    }

    private void enter() {
        if (++depth > MAX_DEPTH) {
            throw error("JSON nested more than " + MAX_DEPTH + " levels deep");
        }
    }

    private Object word(String w, Object v) {
        if (!s.startsWith(w, i)) {
            throw error("unexpected character " + describe(s.charAt(i)));
        }
        i += w.length();
        return v;
    }

    private List<Object> array() {
        i++;
        List<Object> out = new ArrayList<>();
        ws();
        if (peek(']')) {
            i++;
            return out;
        }
        List<Integer> offsets = places == null ? null : new ArrayList<>();
        while (true) {
            ws();
            if (offsets != null) {
                offsets.add(i);
            }
            out.add(value());
            ws();
            if (peek(',')) {
                i++;
            } else if (peek(']')) {
                i++;
                if (offsets != null) {
                    places.put(out, offsets.stream().mapToInt(Integer::intValue).toArray());
                }
                return out;
            } else {
                throw error("expected ',' or ']' in array");
            }
        }
    }

    private Map<String, Object> object() {
        i++;
        Map<String, Object> out = new LinkedHashMap<>();
        Map<String, int[]> offsets = new LinkedHashMap<>();
        if (places != null) {
            places.put(out, offsets);
        }
        ws();
        if (peek('}')) {
            i++;
            return out;
        }
        while (true) {
            ws();
            if (!peek('"')) {
                throw error("expected a string key in object");
            }
            int keyAt = i;
            String k = string();
            if (out.containsKey(k)) {
                throw errorAt(keyAt, "key \"" + k + "\" appears twice");
            }
            ws();
            if (!peek(':')) {
                throw error("expected ':' after key \"" + k + "\"");
            }
            i++;
            ws();
            offsets.put(k, new int[] {keyAt, i});
            out.put(k, value());
            ws();
            if (peek(',')) {
                i++;
            } else if (peek('}')) {
                i++;
                return out;
            } else {
                throw error("expected ',' or '}' in object");
            }
        }
    }

    private String string() {
        i++;
        StringBuilder b = new StringBuilder();
        while (i < s.length() && s.charAt(i) != '"') {
            char c = s.charAt(i);
            if (c < 0x20) {
                throw error("control character " + describe(c) + " in a string (write it as an escape)");
            }
            i++;
            if (c == '\\') {
                if (i >= s.length()) {
                    break;
                }
                char e = s.charAt(i++);
                switch (e) {
                    case '"', '\\', '/' -> b.append(e);
                    case 'n' -> b.append('\n');
                    case 't' -> b.append('\t');
                    case 'r' -> b.append('\r');
                    case 'b' -> b.append('\b');
                    case 'f' -> b.append('\f');
                    case 'u' -> b.append(hex4());
                    default -> {
                        i -= 2;
                        throw error("bad escape '\\" + (e < 0x20 || e == 0x7f ? describe(e) : String.valueOf(e))
                                + "' (escapes: \\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX)");
                    }
                }
            } else {
                b.append(c);
            }
        }
        if (i >= s.length()) {
            throw error("unterminated string");
        }
        i++;
        return b.toString();
    }

    /** The four hex digits of a {@code u} escape, read from the current position, as a char. */
    private char hex4() {
        int start = i - 2;
        int v = 0;
        for (int k = 0; k < 4; k++) {
            int digit = i < s.length() ? HEX.indexOf(Character.toLowerCase(s.charAt(i))) : -1;
            if (digit < 0) {
                i = start;
                throw error("bad \\u escape: expected 4 hex digits after \\u");
            }
            v = v * 16 + digit;
            i++;
        }
        return (char) v;
    }

    /** A number of RFC 8259's grammar: {@code -? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?}, finite. */
    private Double number() {
        int start = i;
        int end = start;
        while (end < s.length() && "+-0123456789.eE".indexOf(s.charAt(end)) >= 0) {
            end++;
        }
        if (start == end) {
            throw error("unexpected character " + describe(s.charAt(i)));
        }
        String t = s.substring(start, end);
        if (!NUMBER.matcher(t).matches()) {
            throw error("bad number '" + t + "' (JSON numbers are -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?)");
        }
        double v = Double.parseDouble(t);
        if (!Double.isFinite(v)) {
            throw error("number " + t + " is not finite");
        }
        i = end;
        return v;
    }

    private static final String HEX = "0123456789abcdef";

    private static final Pattern NUMBER = Pattern.compile("-?(0|[1-9][0-9]*)(\\.[0-9]+)?([eE][+-]?[0-9]+)?");

    /** A character as an error message shows it: quoted when printable ASCII, else as {@code U+XXXX}. */
    private static String describe(char c) {
        return c > 0x20 && c < 0x7f ? "'" + c + "'" : String.format(Locale.ROOT, "U+%04X", (int) c);
    }

    private boolean peek(char c) {
        return i < s.length() && s.charAt(i) == c;
    }

    /** Skips JSON whitespace: space, tab, line feed and carriage return. */
    private void ws() {
        while (i < s.length() && (s.charAt(i) == ' ' || s.charAt(i) == '\t' || s.charAt(i) == '\n' || s.charAt(i) == '\r')) {
            i++;
        }
    }

    private StreamfoldException error(String msg) {
        return errorAt(i, msg);
    }

    private StreamfoldException errorAt(int at, String msg) {
        return new StreamfoldException(where(at) + ": " + msg);
    }

    /** {@code source:line:column} of an offset into the text. */
    private String where(int offset) {
        int line = 1;
        int col = 1;
        for (int k = 0; k < Math.min(offset, s.length()); k++) {
            if (s.charAt(k) == '\n') {
                line++;
                col = 1;
            } else {
                col++;
            }
        }
        return source + ":" + line + ":" + col;
    }

    // ---- writing ------------------------------------------------------------------------------

    /** Appends {@code v} as a JSON number; float32 values print their shortest float form. */
    public static void number(StringBuilder b, double v, boolean f32) {
        if (!Double.isFinite(v)) {
            throw new IllegalArgumentException("not finite: " + v);
        }
        if (v == Math.rint(v) && Math.abs(v) < 1e15) {
            b.append((long) v).append(".0");
        } else {
            b.append(f32 ? Float.toString((float) v) : Double.toString(v));
        }
    }

    /** A JSON string literal. */
    public static String quote(String s) {
        StringBuilder b = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                default -> {
                    if (c < 0x20) {
                        b.append(String.format("\\u%04x", (int) c));
                    } else {
                        b.append(c);
                    }
                }
            }
        }
        return b.append('"').toString();
    }
}
