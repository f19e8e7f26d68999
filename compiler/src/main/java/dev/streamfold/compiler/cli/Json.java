package dev.streamfold.compiler.cli;

import dev.streamfold.ir.StreamfoldException;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A small JSON reader and writer for the CLI's inputs and outputs. Values read are {@link Double},
 * {@link String}, {@link Boolean}, {@code null}, {@link List} and {@link Map}; errors name the line
 * and column.
 */
public final class Json {
    private final String s;
    private final String source;
    private int i;
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
            throw j.error("unexpected '" + j.s.charAt(j.i) + "' after the JSON value");
        }
        return v;
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
            throw j.error("unexpected '" + j.s.charAt(j.i) + "' after the JSON value");
        }
        return new Located(v, j, start);
    }

    private Object value() {
        if (i >= s.length()) {
            throw error("unexpected end of JSON");
        }
        char c = s.charAt(i);
        return switch (c) {
            case '[' -> array();
            case '{' -> object();
            case '"' -> string();
            case 't' -> word("true", Boolean.TRUE);
            case 'f' -> word("false", Boolean.FALSE);
            case 'n' -> word("null", null);
            default -> number();
        };
    }

    private Object word(String w, Object v) {
        if (!s.startsWith(w, i)) {
            throw error("unexpected character '" + s.charAt(i) + "'");
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
            char c = s.charAt(i++);
            if (c == '\\') {
                if (i >= s.length()) {
                    break;
                }
                char e = s.charAt(i++);
                switch (e) {
                    case 'n' -> b.append('\n');
                    case 't' -> b.append('\t');
                    case 'r' -> b.append('\r');
                    case 'b' -> b.append('\b');
                    case 'f' -> b.append('\f');
                    case 'u' -> {
                        if (i + 4 > s.length()) {
                            throw error("bad \\u escape");
                        }
                        b.append((char) Integer.parseInt(s.substring(i, i + 4), 16));
                        i += 4;
                    }
                    default -> b.append(e);
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

    private Double number() {
        int start = i;
        while (i < s.length() && "+-0123456789.eE".indexOf(s.charAt(i)) >= 0) {
            i++;
        }
        if (start == i) {
            throw error("unexpected character '" + s.charAt(i) + "'");
        }
        String t = s.substring(start, i);
        try {
            double v = Double.parseDouble(t);
            if (!Double.isFinite(v)) {
                i = start;
                throw error("number " + t + " is not finite");
            }
            return v;
        } catch (NumberFormatException e) {
            i = start;
            throw error("bad number '" + t + "'");
        }
    }

    private boolean peek(char c) {
        return i < s.length() && s.charAt(i) == c;
    }

    private void ws() {
        while (i < s.length() && Character.isWhitespace(s.charAt(i))) {
            i++;
        }
    }

    private StreamfoldException error(String msg) {
        return new StreamfoldException(where(i) + ": " + msg);
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
