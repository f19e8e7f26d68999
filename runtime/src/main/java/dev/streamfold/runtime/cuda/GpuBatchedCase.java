package dev.streamfold.runtime.cuda;

import dev.streamfold.runtime.ElementType;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * One batched linear-algebra case of a GPU bundle: a line of {@code kernels/batched.txt}. Fields are separated by
 * spaces, in this order, and the description takes the rest of the line after {@code |}:
 *
 * <pre>
 * name dtype entry batch buffers data ptx_sm_90 ptx_sm_80 | description
 * </pre>
 *
 * {@code buffers} lists the kernel's non-scratch buffers in the order of its PTX entry's pointer parameters,
 * comma-separated, each as {@code name:role:type:elements} with role {@code in} or {@code out} and type
 * {@code float32}, {@code float64}, {@code int32} or {@code int64}; {@code elements} is per batch item. The entry
 * takes those pointers, then {@code i64 batch, from, to}; thread {@code t} computes item {@code from + t} where it
 * is below {@code to}. {@code data} and the PTX files are names in {@code kernels/}. Lines that are empty or start
 * with {@code #} are comments.
 *
 * @param name unique, of letters, digits and {@code _}
 * @param dtype the floating type of the kernel's matrices
 * @param batch the number of items, each a matrix problem of its own
 * @param data the {@link GpuBatchedData} file
 */
public record GpuBatchedCase(String name, ElementType dtype, String entry, int batch, List<Buffer> buffers,
        String data, String ptxSm90, String ptxSm80, String description) {
    /** The batched index file of a bundle's {@code kernels/} directory; a bundle without it has no batched cases. */
    public static final String INDEX = "batched.txt";

    static final String HEADER = """
            # streamfold GPU bundle batched cases, format 1
            # name dtype entry batch buffers(name:role:type:elements,...) data ptx_sm_90 ptx_sm_80 | description
            """;

    /** Whether a buffer is read by the kernel ({@code in}) or written by it ({@code out}). */
    public enum Role {
        IN("in"),
        OUT("out");

        private final String text;

        Role(String text) {
            this.text = text;
        }

        /** The role's name in the index and the data file. */
        public String text() {
            return text;
        }

        static Role parse(String s) {
            for (Role r : values()) {
                if (r.text.equals(s)) {
                    return r;
                }
            }
            throw new IllegalArgumentException("unknown buffer role '" + s + "' (expected in or out)");
        }
    }

    /**
     * A buffer of the kernel: {@code elements} values of {@code type} per item, element {@code e} of item {@code b}
     * at {@code e * batch + b}.
     */
    public record Buffer(String name, Role role, ElementType type, int elements) {
        public Buffer {
            Objects.requireNonNull(role, "role");
            Objects.requireNonNull(type, "type");
            if (!name.matches("[A-Za-z0-9_]+")) {
                throw new IllegalArgumentException("buffer name '" + name + "' must be of letters, digits and '_'");
            }
            if (elements < 1) {
                throw new IllegalArgumentException("buffer " + name + ": needs elements >= 1, got " + elements);
            }
        }

        /** The buffer's field of an index line. */
        String text() {
            return name + ":" + role.text() + ":" + GpuCase.dtypeName(type) + ":" + elements;
        }

        static Buffer parse(String s) {
            String[] f = s.split(":", -1);
            if (f.length != 4) {
                throw new IllegalArgumentException("buffer '" + s + "' is not name:role:type:elements");
            }
            return new Buffer(f[0], Role.parse(f[1]), parseType(f[2]), Integer.parseInt(f[3]));
        }
    }

    public GpuBatchedCase {
        Objects.requireNonNull(dtype, "dtype");
        if (!dtype.isFloating()) {
            throw new IllegalArgumentException("case " + name + ": dtype must be float32 or float64");
        }
        buffers = List.copyOf(buffers);
        for (String field : List.of(name, entry, data, ptxSm90, ptxSm80)) {
            if (!field.matches("[A-Za-z0-9_.]+")) {
                throw new IllegalArgumentException("case field '" + field + "' must be of letters, digits, '_' and '.'");
            }
        }
        if (description.contains("\n")) {
            throw new IllegalArgumentException("case description must be one line");
        }
        if (batch < 1 || buffers.isEmpty()) {
            throw new IllegalArgumentException("case " + name + ": needs batch >= 1 and at least one buffer");
        }
    }

    static ElementType parseType(String s) {
        return switch (s) {
            case "float32" -> ElementType.FLOAT32;
            case "float64" -> ElementType.FLOAT64;
            case "int32" -> ElementType.INT32;
            case "int64" -> ElementType.INT64;
            default -> throw new IllegalArgumentException("unknown type '" + s
                    + "' (expected float32, float64, int32 or int64)");
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
        return String.join(" ", name, GpuCase.dtypeName(dtype), entry, String.valueOf(batch),
                String.join(",", buffers.stream().map(Buffer::text).toList()), data, ptxSm90, ptxSm80, "|",
                description);
    }

    /**
     * Parses a line written by {@link #line()}.
     *
     * @throws IllegalArgumentException saying what is wrong with it
     */
    public static GpuBatchedCase parse(String line) {
        int bar = line.indexOf(" | ");
        if (bar < 0) {
            throw new IllegalArgumentException("batched case line has no ' | ' before the description: " + line);
        }
        String[] f = line.substring(0, bar).trim().split(" +");
        if (f.length != 8) {
            throw new IllegalArgumentException("batched case line has " + f.length + " fields before ' | ', expected 8: "
                    + line);
        }
        try {
            List<Buffer> buffers = Arrays.stream(f[4].split(",")).map(Buffer::parse).toList();
            return new GpuBatchedCase(f[0], GpuCase.parseDtype(f[1]), f[2], Integer.parseInt(f[3]), buffers, f[5], f[6],
                    f[7], line.substring(bar + 3));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("batched case line has a malformed number (" + e.getMessage() + "): "
                    + line, e);
        }
    }

    /** Reads an index file. */
    public static List<GpuBatchedCase> readIndex(Path file) throws IOException {
        return IndexFile.read(file, GpuBatchedCase::parse);
    }

    /** Writes an index file: a header of comments, then one line per case. */
    public static void writeIndex(Path file, List<GpuBatchedCase> cases) throws IOException {
        IndexFile.write(file, HEADER, cases, GpuBatchedCase::line);
    }

    @Override
    public String toString() {
        return String.format(Locale.ROOT, "%s (%s, batch=%d): %s", name, GpuCase.dtypeName(dtype), batch, description);
    }
}
