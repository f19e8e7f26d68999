package dev.streamfold.runtime.cuda;

import dev.streamfold.runtime.ElementType;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * One conformance case of a GPU bundle: a line of {@code kernels/cases.txt}. Fields are separated by spaces, in this
 * order, and the description takes the rest of the line after {@code |}:
 *
 * <pre>
 * name dtype step_entry scan_entry param_count param_lengths state_count state_rows n d data ptx_sm_90 ptx_sm_80
 *     | description
 * </pre>
 *
 * {@code dtype} is {@code float32} or {@code float64}; {@code param_lengths} and {@code state_rows} (the rows of each
 * state buffer) are comma-separated lists, {@code -} for none; {@code data} and the PTX files are names in
 * {@code kernels/}. Lines that are empty or start with {@code #} are comments.
 *
 * @param name unique, of letters, digits and {@code _}
 * @param paramLengths the length of each parameter array (every parameter is an array of float64)
 * @param stateRows the rows of each state buffer (at least 1): a buffer of {@code r} rows holds {@code r * d}
 *     elements of {@code dtype}, row {@code k} at element {@code k * d}, as the PTX entries address it
 * @param steps n, the number of rows of x and y
 * @param d the elements per row
 * @param data the {@link GpuCaseData} file
 */
public record GpuCase(String name, ElementType dtype, String stepEntry, String scanEntry, List<Integer> paramLengths,
        List<Integer> stateRows, int steps, long d, String data, String ptxSm90, String ptxSm80, String description) {
    /** The index file of a bundle's {@code kernels/} directory. */
    public static final String INDEX = "cases.txt";

    static final String HEADER = """
            # streamfold GPU bundle cases, format 2
            # name dtype step_entry scan_entry param_count param_lengths state_count state_rows n d data ptx_sm_90 ptx_sm_80 | description
            """;

    public GpuCase {
        Objects.requireNonNull(dtype, "dtype");
        paramLengths = List.copyOf(paramLengths);
        stateRows = List.copyOf(stateRows);
        for (String field : List.of(name, stepEntry, scanEntry, data, ptxSm90, ptxSm80)) {
            if (!field.matches("[A-Za-z0-9_.]+")) {
                throw new IllegalArgumentException("case field '" + field + "' must be of letters, digits, '_' and '.'");
            }
        }
        if (description.contains("\n")) {
            throw new IllegalArgumentException("case description must be one line");
        }
        if (stateRows.stream().anyMatch(r -> r < 1) || steps < 1 || d < 1) {
            throw new IllegalArgumentException("case " + name + ": needs state_rows >= 1, n >= 1, d >= 1");
        }
    }

    /** The number of state buffers. */
    public int stateCount() {
        return stateRows.size();
    }

    /** The dtype's name in the index file. */
    public static String dtypeName(ElementType t) {
        return switch (t) {
            case FLOAT32 -> "float32";
            case FLOAT64 -> "float64";
            case INT32 -> "int32";
            case INT64 -> "int64";
        };
    }

    static ElementType parseDtype(String s) {
        return switch (s) {
            case "float32" -> ElementType.FLOAT32;
            case "float64" -> ElementType.FLOAT64;
            default -> throw new IllegalArgumentException("unknown dtype '" + s + "' (expected float32 or float64)");
        };
    }

    /** The PTX file for a target: {@code sm_90} or {@code sm_80}. */
    public String ptx(String arch) {
        return switch (arch) {
            case "sm_90" -> ptxSm90;
            case "sm_80" -> ptxSm80;
            default -> throw new IllegalArgumentException("no PTX for " + arch + " (bundles hold sm_90 and sm_80)");
        };
    }

    /** This case as a line of the index, without the line end. */
    public String line() {
        return String.join(" ", name, dtypeName(dtype), stepEntry, scanEntry, String.valueOf(paramLengths.size()),
                list(paramLengths), String.valueOf(stateRows.size()), list(stateRows), String.valueOf(steps),
                String.valueOf(d), data, ptxSm90, ptxSm80, "|", description);
    }

    /** A list field: comma-separated, {@code -} for none. */
    private static String list(List<Integer> values) {
        return values.isEmpty() ? "-" : String.join(",", values.stream().map(String::valueOf).toList());
    }

    private static List<Integer> parseList(String field) {
        return field.equals("-") ? List.of() : Arrays.stream(field.split(",")).map(Integer::valueOf).toList();
    }

    /**
     * Parses a line written by {@link #line()}.
     *
     * @throws IllegalArgumentException saying what is wrong with it
     */
    public static GpuCase parse(String line) {
        int bar = line.indexOf(" | ");
        if (bar < 0) {
            throw new IllegalArgumentException("case line has no ' | ' before the description: " + line);
        }
        String[] f = line.substring(0, bar).trim().split(" +");
        if (f.length != 13) {
            throw new IllegalArgumentException("case line has " + f.length + " fields before ' | ', expected 13: " + line);
        }
        try {
            int paramCount = Integer.parseInt(f[4]);
            List<Integer> lengths = parseList(f[5]);
            if (lengths.size() != paramCount) {
                throw new IllegalArgumentException("case " + f[0] + ": param_count " + paramCount + " but "
                        + lengths.size() + " lengths");
            }
            int stateCount = Integer.parseInt(f[6]);
            List<Integer> rows = parseList(f[7]);
            if (rows.size() != stateCount) {
                throw new IllegalArgumentException("case " + f[0] + ": state_count " + stateCount + " but "
                        + rows.size() + " state_rows");
            }
            return new GpuCase(f[0], parseDtype(f[1]), f[2], f[3], lengths, rows, Integer.parseInt(f[8]),
                    Long.parseLong(f[9]), f[10], f[11], f[12], line.substring(bar + 3));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("case line has a malformed number (" + e.getMessage() + "): " + line, e);
        }
    }

    /** Reads an index file. */
    public static List<GpuCase> readIndex(Path file) throws IOException {
        return IndexFile.read(file, GpuCase::parse);
    }

    /** Writes an index file: a header of comments, then one line per case. */
    public static void writeIndex(Path file, List<GpuCase> cases) throws IOException {
        IndexFile.write(file, HEADER, cases, GpuCase::line);
    }

    @Override
    public String toString() {
        return String.format(Locale.ROOT, "%s (%s, n=%d, d=%d): %s", name, dtypeName(dtype), steps, d, description);
    }
}
