package dev.streamfold.ir;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reads the text {@link Printer} prints back into a {@link Program}: {@code parse(print(p))} equals
 * {@code p}. Every equation is checked against its op's shape rule as it is read. Errors are {@link
 * StreamfoldException}s starting {@code line:column:} (after {@code source:} when a source is named)
 * and saying what was expected.
 *
 * <p>The format, one equation per line ({@code #} starts a comment; blank lines are ignored):
 *
 * <pre>
 * program(x=%0: f64[3], %1: i32[]) {
 *   %2: f64[3] = mul %0, %0
 *   %3: f64[] = reduce_sum{axes=[0]} %2
 *   return y=%3
 * }
 * </pre>
 *
 * Names ({@code x=}, {@code y=}) are optional and allowed only on the outer program. A {@code scan}
 * equation ends with {@code body program(...) {...}}, its closed body, on the following lines.
 */
public final class IrParser {
    /** Reads one op's attributes (the text between its braces) with the parser's cursor. */
    @FunctionalInterface
    private interface AttributeReader {
        Op read(IrParser p, Program body);
    }

    /** How one op name reads: the op class it makes and whether it takes a nested body. */
    private record Syntax(String name, Class<? extends Op> opClass, boolean takesBody, AttributeReader reader) {}

    private static final Map<String, Syntax> SYNTAX = syntaxTable();

    /** How deep scan bodies may nest. */
    static final int MAX_NESTING = 64;

    /** The most elements one value may have: the interpreter holds a value in one Java array. */
    static final long MAX_ELEMENTS = Integer.MAX_VALUE - 8;

    private final String text;
    private final String source;
    private int pos;
    /** Where the current token run ends: the text's end, or the closing brace of attributes. */
    private int limit;
    /** Whether the cursor is inside an op's attributes (so {@link #limit} is their end). */
    private boolean inAttributes;
    /** How many scan bodies enclose the cursor. */
    private int nesting;

    private IrParser(String text, String source) {
        this.text = text;
        this.source = source;
        this.limit = text.length();
    }

    /** Parses one program; names on its parameters and results are dropped. */
    public static Program parse(String text) {
        return parseNamed(text, null).program();
    }

    /**
     * Parses one program with its parameter and result names.
     *
     * @param source names the text in errors (e.g. a file name), or null
     */
    public static NamedProgram parseNamed(String text, String source) {
        IrParser p = new IrParser(text, source);
        p.skipBlankLines();
        NamedProgram np = p.program(true);
        p.skipBlankLines();
        if (p.pos < p.text.length()) {
            throw p.error("expected end of input after the program's closing '}', found " + p.found());
        }
        Verifier.verify(np.program());
        return np;
    }

    /** The op classes this parser reads; a test checks that they are all of {@link Op}'s permitted subclasses. */
    static Set<Class<? extends Op>> parsedOpClasses() {
        Set<Class<? extends Op>> out = new HashSet<>();
        for (Syntax s : SYNTAX.values()) {
            out.add(s.opClass());
        }
        return out;
    }

    /** The op names this parser reads. */
    static Set<String> opNames() {
        return SYNTAX.keySet();
    }

    private static Map<String, Syntax> syntaxTable() {
        List<Syntax> all = new ArrayList<>();
        all.add(new Syntax("constant", Constant.class, false, (p, b) -> new Constant(p.tensor())));
        for (Unary.Kind k : Unary.Kind.values()) {
            all.add(new Syntax(new Unary(k).name(), Unary.class, false, (p, b) -> new Unary(k)));
        }
        for (Binary.Kind k : Binary.Kind.values()) {
            all.add(new Syntax(new Binary(k).name(), Binary.class, false, (p, b) -> new Binary(k)));
        }
        for (Compare.Kind k : Compare.Kind.values()) {
            all.add(new Syntax(new Compare(k).name(), Compare.class, false, (p, b) -> new Compare(k)));
        }
        all.add(new Syntax("select", Select.class, false, (p, b) -> new Select()));
        all.add(new Syntax("convert", Convert.class, false, (p, b) -> new Convert(p.dtype())));
        all.add(new Syntax("broadcast", Broadcast.class, false, (p, b) -> {
            Shape shape = p.keyed("shape").shape();
            return new Broadcast(shape, p.keyed("dims").intList());
        }));
        all.add(new Syntax("reshape", Reshape.class, false, (p, b) -> new Reshape(p.shape())));
        for (Reduce.Kind k : Reduce.Kind.values()) {
            String name = new Reduce(k, new int[0]).name();
            all.add(new Syntax(name, Reduce.class, false, (p, b) -> new Reduce(k, p.keyed("axes").intList())));
        }
        all.add(new Syntax("take_clipped", TakeClipped.class, false, (p, b) -> new TakeClipped()));
        all.add(new Syntax("ring_dot", RingDot.class, false, (p, b) -> new RingDot(p.keyed("first").integer())));
        all.add(new Syntax("ring_push", RingPush.class, false, (p, b) -> new RingPush()));
        all.add(new Syntax("iota", Iota.class, false, (p, b) -> {
            Type type = p.type();
            return new Iota(type, p.keyed("dim").integer());
        }));
        all.add(new Syntax("transpose", Transpose.class, false, (p, b) -> new Transpose(p.intList())));
        all.add(new Syntax("matmul", MatMul.class, false, (p, b) -> new MatMul()));
        all.add(new Syntax("slice", Slice.class, false, (p, b) -> {
            int[] start = p.keyed("start").intList();
            return new Slice(start, p.keyed("limit").intList());
        }));
        all.add(new Syntax("concatenate", Concatenate.class, false, (p, b) -> new Concatenate(p.keyed("axis").integer())));
        all.add(new Syntax("scan", Scan.class, true, (p, b) -> {
            int consts = p.keyed("consts").integer();
            int carries = p.keyed("carries").integer();
            int length = p.keyed("length").integer();
            boolean reverse = p.flag("reverse");
            return new Scan(b, consts, carries, length, reverse);
        }));
        all.add(new Syntax("gather_rows", GatherRows.class, false, (p, b) -> new GatherRows()));
        all.add(new Syntax("triangle", Triangle.class, false, (p, b) -> {
            boolean lower = p.keyed("lower").bool();
            return new Triangle(lower, p.keyed("offset").integer());
        }));
        all.add(new Syntax("diag_part", DiagPart.class, false, (p, b) -> new DiagPart()));
        all.add(new Syntax("diag_embed", DiagEmbed.class, false, (p, b) -> new DiagEmbed()));
        all.add(new Syntax("triangular_solve", TriangularSolve.class, false, (p, b) -> {
            boolean leftSide = p.keyed("left_side").bool();
            boolean lower = p.keyed("lower").bool();
            boolean transposeA = p.keyed("transpose_a").bool();
            return new TriangularSolve(leftSide, lower, transposeA, p.keyed("unit_diagonal").bool());
        }));
        all.add(new Syntax("cholesky", Cholesky.class, false, (p, b) -> new Cholesky(p.keyed("symmetrize_input").bool())));
        all.add(new Syntax("lu", Lu.class, false, (p, b) -> new Lu()));
        all.add(new Syntax("qr", Qr.class, false, (p, b) -> new Qr(p.keyed("full_matrices").bool())));
        all.add(new Syntax("svd", Svd.class, false, (p, b) -> {
            boolean full = p.keyed("full_matrices").bool();
            return new Svd(full, p.keyed("compute_uv").bool());
        }));
        all.add(new Syntax("eigh", Eigh.class, false, (p, b) -> {
            boolean lower = p.keyed("lower").bool();
            return new Eigh(lower, p.keyed("symmetrize_input").bool());
        }));
        all.add(new Syntax("derivative_guard", DerivativeGuard.class, false,
                (p, b) -> new DerivativeGuard(p.keyed("condition").condition())));
        Map<String, Syntax> table = new LinkedHashMap<>();
        for (Syntax s : all) {
            if (table.put(s.name(), s) != null) {
                throw new IllegalStateException("op name " + s.name() + " is registered twice");
            }
        }
        return Map.copyOf(table);
    }

    // ---- programs and equations ---------------------------------------------------------------

    private NamedProgram program(boolean outer) {
        word("program", "'program'");
        hws();
        expect('(', "'(' after 'program'");
        Map<Integer, Var> scope = new HashMap<>();
        List<Var> params = new ArrayList<>();
        List<String> paramNames = new ArrayList<>();
        hws();
        if (!peek(')')) {
            while (true) {
                hws();
                int at = pos;
                String name = optionalName(outer, paramNames, "parameter");
                Var v = declaration();
                define(scope, v, at);
                params.add(v);
                paramNames.add(name);
                hws();
                if (peek(',')) {
                    pos++;
                } else if (peek(')')) {
                    break;
                } else {
                    throw error("expected ',' or ')' in the parameter list, found " + found());
                }
            }
        }
        pos++;
        hws();
        expect('{', "'{' after the parameter list");
        endOfLine();
        List<Eqn> eqns = new ArrayList<>();
        while (true) {
            skipBlankLines();
            hws();
            if (atWord("return")) {
                break;
            }
            if (pos >= limit || peek('}')) {
                throw error("expected an equation or 'return', found " + found());
            }
            eqns.add(equation(scope));
        }
        pos += "return".length();
        List<Var> results = new ArrayList<>();
        List<String> resultNames = new ArrayList<>();
        hws();
        if (!atEndOfLine()) {
            while (true) {
                hws();
                String name = optionalName(outer, resultNames, "result");
                results.add(use(scope));
                resultNames.add(name);
                hws();
                if (!peek(',')) {
                    break;
                }
                pos++;
            }
        }
        endOfLine();
        skipBlankLines();
        hws();
        expect('}', "'}' closing the program");
        return new NamedProgram(new Program(params, eqns, results), paramNames, resultNames);
    }

    /** {@code NAME=} before a parameter or result, or "" when there is none. */
    private String optionalName(boolean outer, List<String> earlier, String what) {
        if (pos >= limit || !isNameStart(text.charAt(pos))) {
            return "";
        }
        int at = pos;
        String name = identifier();
        if (!outer) {
            throw errorAt(at, what + " names are allowed only on the outer program, found '" + name + "'");
        }
        if (earlier.contains(name)) {
            throw errorAt(at, what + " name '" + name + "' is used twice");
        }
        hws();
        expect('=', "'=' after the " + what + " name '" + name + "'");
        hws();
        return name;
    }

    private Eqn equation(Map<Integer, Var> scope) {
        int start = pos;
        List<Var> outs = new ArrayList<>();
        List<Integer> outAt = new ArrayList<>();
        if (!peek('=')) {
            while (true) {
                hws();
                outAt.add(pos);
                outs.add(declaration());
                hws();
                if (!peek(',')) {
                    break;
                }
                pos++;
            }
        }
        hws();
        expect('=', "'=' after the equation's outputs");
        hws();
        int nameAt = pos;
        if (pos >= limit || !isNameStart(text.charAt(pos))) {
            throw error("expected an op name, found " + found());
        }
        String name = identifier();
        int nameEnd = pos;
        Syntax syntax = SYNTAX.get(name);
        if (syntax == null) {
            throw errorAt(nameAt, "unknown op '" + name + "'");
        }
        int attrStart = -1;
        int attrEnd = -1;
        if (peek('{')) {
            attrStart = pos + 1;
            attrEnd = text.indexOf('}', attrStart);
            int eol = text.indexOf('\n', attrStart);
            if (attrEnd < 0 || (eol >= 0 && eol < attrEnd)) {
                throw error("expected '}' closing the attributes of " + name + " on the same line");
            }
            pos = attrEnd + 1;
        }
        List<Var> ins = new ArrayList<>();
        hws();
        if (peek('%')) {
            while (true) {
                hws();
                ins.add(use(scope));
                hws();
                if (!peek(',')) {
                    break;
                }
                pos++;
            }
        }
        Program body = null;
        if (atWord("body")) {
            if (!syntax.takesBody()) {
                throw error(name + " takes no body");
            }
            pos += "body".length();
            hws();
            if (++nesting > MAX_NESTING) {
                throw error("scan bodies nest deeper than " + MAX_NESTING + " levels");
            }
            body = program(false).program();
            nesting--;
        } else if (syntax.takesBody()) {
            throw error("expected 'body program(...) {' after the inputs of " + name + ", found " + found());
        }
        endOfLine();
        Op op = attributes(syntax, attrStart, attrEnd, body, nameAt, nameEnd);
        List<Type> expect;
        try {
            expect = op.outTypes(ins.stream().map(Var::type).toList());
        } catch (IllegalArgumentException e) {
            throw errorAt(nameAt, e.getMessage());
        }
        List<Type> declared = outs.stream().map(Var::type).toList();
        if (!expect.equals(declared)) {
            throw errorAt(start, name + " gives " + types(expect) + ", but its outputs are declared as " + types(declared));
        }
        for (int i = 0; i < outs.size(); i++) {
            define(scope, outs.get(i), outAt.get(i));
        }
        return new Eqn(outs, op, ins);
    }

    /** Runs the op's attribute reader over {@code [start, end)}; no braces means empty attributes. */
    private Op attributes(Syntax syntax, int start, int end, Program body, int nameAt, int nameEnd) {
        int saved = pos;
        int savedLimit = limit;
        pos = start < 0 ? nameEnd : start;
        limit = start < 0 ? nameEnd : end;
        inAttributes = true;
        Op op;
        try {
            try {
                op = syntax.reader().read(this, body);
            } catch (StreamfoldException e) {
                if (start < 0) {
                    throw errorAt(nameEnd, "expected '{' and the attributes of " + syntax.name() + " after its name");
                }
                throw e;
            }
            hws();
            if (pos < limit) {
                throw error("unexpected " + found() + " in the attributes of " + syntax.name());
            }
        } catch (IllegalArgumentException e) {
            throw errorAt(start < 0 ? nameAt : start, syntax.name() + ": " + e.getMessage());
        } finally {
            limit = savedLimit;
            inAttributes = false;
        }
        pos = saved;
        return op;
    }

    private static String types(List<Type> ts) {
        return ts.isEmpty() ? "no values" : ts.stream().map(Type::toString).collect(java.util.stream.Collectors.joining(", "));
    }

    /** {@code %ID: TYPE}. */
    private Var declaration() {
        int id = varId();
        hws();
        expect(':', "':' and a type after %" + id);
        hws();
        return new Var(id, type());
    }

    /** A use of a defined var, {@code %ID}. */
    private Var use(Map<Integer, Var> scope) {
        int at = pos;
        int id = varId();
        Var v = scope.get(id);
        if (v == null) {
            throw errorAt(at, "%" + id + " is not defined");
        }
        return v;
    }

    private void define(Map<Integer, Var> scope, Var v, int at) {
        if (scope.put(v.id(), v) != null) {
            throw errorAt(at, v + " is defined twice");
        }
    }

    private int varId() {
        if (!peek('%')) {
            throw error("expected a value like %0, found " + found());
        }
        pos++;
        if (pos >= limit || !isDigit(text.charAt(pos))) {
            throw error("expected digits after '%', found " + found());
        }
        return nonNegativeInt("a value id");
    }

    // ---- attribute values ---------------------------------------------------------------------

    /** Consumes {@code KEY=}; returns this parser for the value that follows. */
    private IrParser keyed(String key) {
        hws();
        int at = pos;
        if (!atWord(key)) {
            throw errorAt(at, "expected '" + key + "=', found " + found());
        }
        pos += key.length();
        expect('=', "'=' after '" + key + "'");
        return this;
    }

    /** An optional bare word such as {@code reverse}. */
    private boolean flag(String word) {
        hws();
        if (atWord(word)) {
            pos += word.length();
            return true;
        }
        return false;
    }

    private int integer() {
        hws();
        int at = pos;
        boolean negative = peek('-');
        if (negative) {
            pos++;
        }
        if (pos >= limit || !isDigit(text.charAt(pos))) {
            throw errorAt(at, "expected an integer, found " + found());
        }
        pos = at;
        return signedInt();
    }

    private boolean bool() {
        int at = pos;
        if (atWord("true") || atWord("false")) {
            boolean v = atWord("true");
            pos += v ? 4 : 5;
            return v;
        }
        throw errorAt(at, "expected true or false, found " + found());
    }

    private DerivativeGuard.Condition condition() {
        int at = pos;
        String w = pos < limit && isNameStart(text.charAt(pos)) ? identifier() : "";
        List<String> names = new ArrayList<>();
        for (DerivativeGuard.Condition c : DerivativeGuard.Condition.values()) {
            String name = c.name().toLowerCase(java.util.Locale.ROOT);
            if (name.equals(w)) {
                return c;
            }
            names.add(name);
        }
        throw errorAt(at, "expected a condition (" + String.join(", ", names) + "), found "
                + (w.isEmpty() ? found() : "'" + w + "'"));
    }

    private int[] intList() {
        hws();
        expect('[', "'[' starting a list of integers");
        List<Integer> out = new ArrayList<>();
        hws();
        if (!peek(']')) {
            while (true) {
                out.add(integer());
                hws();
                if (peek(',')) {
                    pos++;
                } else if (peek(']')) {
                    break;
                } else {
                    throw error("expected ',' or ']' in a list of integers, found " + found());
                }
            }
        }
        pos++;
        return out.stream().mapToInt(Integer::intValue).toArray();
    }

    private Shape shape() {
        int at = pos;
        int[] dims = intList();
        for (int d : dims) {
            if (d < 0) {
                throw errorAt(at, "negative dimension in shape " + java.util.Arrays.toString(dims));
            }
        }
        return new Shape(dims);
    }

    private DType dtype() {
        hws();
        int at = pos;
        if (pos >= limit || !isNameStart(text.charAt(pos))) {
            throw error("expected a dtype (f32, f64, i32 or bool), found " + found());
        }
        String w = identifier();
        for (DType d : DType.values()) {
            if (d.shortName().equals(w)) {
                return d;
            }
        }
        throw errorAt(at, "unknown dtype '" + w + "' (expected f32, f64, i32 or bool)");
    }

    /** {@code DTYPE[DIMS]}, e.g. {@code f64[2,3]}, of at most {@link #MAX_ELEMENTS} elements. */
    private Type type() {
        DType d = dtype();
        if (!peek('[')) {
            throw error("expected '[' and the dimensions after " + d.shortName() + ", found " + found());
        }
        int at = pos;
        Shape shape = shape();
        long size = 1;
        for (int dim : shape.dims()) {
            size = dim == 0 || size <= MAX_ELEMENTS / Math.max(1, dim) ? size * dim : MAX_ELEMENTS + 1;
        }
        if (size > MAX_ELEMENTS) {
            throw errorAt(at, "the shape " + shape + " has more than " + MAX_ELEMENTS + " elements");
        }
        return new Type(d, shape);
    }

    /** A constant's {@code TYPE [v, v, ...]}: the type, then every value in row-major order. */
    private Tensor tensor() {
        Type t = type();
        hws();
        int at = pos;
        expect('[', "'[' starting the values of the constant");
        List<Double> values = new ArrayList<>();
        hws();
        if (!peek(']')) {
            while (true) {
                hws();
                values.add(literal(t.dtype()));
                hws();
                if (peek(',')) {
                    pos++;
                } else if (peek(']')) {
                    break;
                } else {
                    throw error("expected ',' or ']' in the values of the constant, found " + found());
                }
            }
        }
        pos++;
        if (values.size() != t.shape().size()) {
            throw errorAt(at, "a constant of type " + t + " needs " + t.shape().size() + " values, found " + values.size());
        }
        double[] data = new double[values.size()];
        for (int i = 0; i < data.length; i++) {
            data[i] = values.get(i);
        }
        return new Tensor(t.dtype(), t.shape(), data);
    }

    /** One constant value of {@code dtype}: a number, NaN, Infinity, -Infinity, or true/false. */
    private double literal(DType dtype) {
        int at = pos;
        double v;
        if (atWord("true") || atWord("false")) {
            boolean b = atWord("true");
            pos += b ? 4 : 5;
            if (dtype != DType.BOOL) {
                throw errorAt(at, "expected a number for a " + dtype.shortName() + " constant, found '" + b + "'");
            }
            return b ? 1 : 0;
        }
        int start = pos;
        if (peek('-')) {
            pos++;
        }
        if (atWord("Infinity") || atWord("NaN")) {
            pos += atWord("NaN") ? 3 : 8;
        } else {
            int digits = pos;
            skipDigits();
            if (pos == digits) {
                throw errorAt(at, "expected a number, found " + found());
            }
            if (peek('.')) {
                pos++;
                skipDigits();
            }
            if (peek('e') || peek('E')) {
                pos++;
                if (peek('+') || peek('-')) {
                    pos++;
                }
                int exp = pos;
                skipDigits();
                if (pos == exp) {
                    throw error("expected the exponent's digits, found " + found());
                }
            }
        }
        v = Double.parseDouble(text.substring(start, pos));
        switch (dtype) {
            case F32 -> v = dtype.round(v);
            case F64 -> {}
            case I32 -> {
                if (v != Math.rint(v) || v < Integer.MIN_VALUE || v > Integer.MAX_VALUE) {
                    throw errorAt(at, "expected an int32 value, found " + text.substring(start, pos));
                }
            }
            case BOOL -> {
                if (v != 0 && v != 1) {
                    throw errorAt(at, "expected true or false for a bool constant, found " + text.substring(start, pos));
                }
            }
        }
        return v;
    }

    // ---- lexical helpers ----------------------------------------------------------------------

    private int signedInt() {
        boolean negative = peek('-');
        if (negative) {
            pos++;
        }
        int at = pos;
        long v = 0;
        while (pos < limit && isDigit(text.charAt(pos))) {
            v = v * 10 + (text.charAt(pos) - '0');
            if (v > Integer.MAX_VALUE + 1L) {
                throw errorAt(at, "integer " + text.substring(at, pos + 1) + "... is out of range");
            }
            pos++;
        }
        v = negative ? -v : v;
        if (v > Integer.MAX_VALUE) {
            throw errorAt(at, "integer " + v + " is out of range");
        }
        return (int) v;
    }

    private int nonNegativeInt(String what) {
        int at = pos;
        int v = signedInt();
        if (v < 0) {
            throw errorAt(at, what + " must not be negative");
        }
        return v;
    }

    private void skipDigits() {
        while (pos < limit && isDigit(text.charAt(pos))) {
            pos++;
        }
    }

    private String identifier() {
        int start = pos;
        while (pos < limit && (Character.isLetterOrDigit(text.charAt(pos)) || text.charAt(pos) == '_')) {
            pos++;
        }
        return text.substring(start, pos);
    }

    private static boolean isNameStart(char c) {
        return Character.isLetter(c) || c == '_';
    }

    private static boolean isDigit(char c) {
        return c >= '0' && c <= '9';
    }

    /** Whether the next characters are {@code w} as a whole word. */
    private boolean atWord(String w) {
        if (!text.startsWith(w, pos) || pos + w.length() > limit) {
            return false;
        }
        int after = pos + w.length();
        return after >= limit || !(Character.isLetterOrDigit(text.charAt(after)) || text.charAt(after) == '_');
    }

    private void word(String w, String what) {
        hws();
        if (!atWord(w)) {
            throw error("expected " + what + ", found " + found());
        }
        pos += w.length();
    }

    private boolean peek(char c) {
        return pos < limit && text.charAt(pos) == c;
    }

    private void expect(char c, String what) {
        if (!peek(c)) {
            throw error("expected " + what + ", found " + found());
        }
        pos++;
    }

    /** Skips spaces, tabs and carriage returns, and a comment up to the end of the line. */
    private void hws() {
        while (pos < limit) {
            char c = text.charAt(pos);
            if (c == ' ' || c == '\t' || c == '\r') {
                pos++;
            } else if (c == '#') {
                while (pos < limit && text.charAt(pos) != '\n') {
                    pos++;
                }
            } else {
                return;
            }
        }
    }

    private boolean atEndOfLine() {
        hws();
        return pos >= limit || text.charAt(pos) == '\n';
    }

    /** Consumes the end of the line (or of the input). */
    private void endOfLine() {
        if (!atEndOfLine()) {
            throw error("expected the end of the line, found " + found());
        }
        if (pos < limit) {
            pos++;
        }
    }

    private void skipBlankLines() {
        while (true) {
            int save = pos;
            hws();
            if (pos < limit && text.charAt(pos) == '\n') {
                pos++;
            } else {
                pos = save;
                return;
            }
        }
    }

    /** How an error names what is at the cursor: a quoted token, "end of line" or "end of input". */
    private String found() {
        if (pos >= limit) {
            return inAttributes ? "the end of the attributes" : "end of input";
        }
        char c = text.charAt(pos);
        if (c == '\n') {
            return "end of line";
        }
        int end = pos + 1;
        if (Character.isLetterOrDigit(c) || c == '_') {
            while (end < limit && (Character.isLetterOrDigit(text.charAt(end)) || text.charAt(end) == '_')) {
                end++;
            }
        } else if (Character.isHighSurrogate(c) && end < limit) {
            end++;
        }
        return "'" + text.substring(pos, end) + "'";
    }

    private StreamfoldException error(String message) {
        return errorAt(pos, message);
    }

    private StreamfoldException errorAt(int offset, String message) {
        int line = 1;
        int column = 1;
        for (int k = 0; k < Math.min(offset, text.length()); k++) {
            char c = text.charAt(k);
            if (c == '\n') {
                line++;
                column = 1;
            } else if (!Character.isLowSurrogate(c)) {
                column++;
            }
        }
        return new StreamfoldException((source == null ? "" : source + ":") + line + ":" + column + ": " + message);
    }
}
