package dev.streamfold.compiler.cli;

import dev.streamfold.compiler.batched.BatchedBackend;
import dev.streamfold.compiler.batched.BatchedJvp;
import dev.streamfold.ir.CastFloatingTypes;
import dev.streamfold.ir.DType;
import dev.streamfold.ir.IrParser;
import dev.streamfold.ir.Jvp;
import dev.streamfold.ir.NamedProgram;
import dev.streamfold.ir.Program;
import dev.streamfold.ir.StreamfoldException;
import dev.streamfold.ir.Tensor;
import dev.streamfold.ir.Type;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@code streamfold jvp}: the outputs of a program and their forward-mode derivatives, through the
 * JVP transform run in the interpreter. Prints {@code {"outputs": {...}, "tangents": {...}}}, with
 * {@code null} for a tangent that is structurally zero.
 */
final class JvpCommand {
    private JvpCommand() {}

    static String run(String[] argv) {
        Args a = new Args("jvp", argv, 1, Set.of("--program", "--op", "--input", "--backend", "--dtype"), Set.of(), Set.of());
        String backendName = a.get("--backend", "interpreter");
        BatchedBackend backend = BatchedBackend.parse(backendName);
        if (backend == null && !backendName.equals("interpreter")) {
            throw new StreamfoldException("jvp: unknown backend '" + backendName + "' (expected interpreter, vector or llvm)");
        }
        String program = a.get("--program");
        String op = a.get("--op");
        if ((program == null) == (op == null)) {
            throw new StreamfoldException("jvp: give exactly one of --program FILE and --op NAME");
        }
        Path input = Path.of(a.require("--input"));
        DType dtype = a.get("--dtype") == null ? null : DType.parseFloating(a.get("--dtype"));
        if (program != null) {
            return programJvp(Path.of(program), input, dtype, backend);
        }
        return LinalgJvp.run(op, dtype == null ? DType.F64 : dtype, input, backend);
    }

    /**
     * {@code --program FILE --input FILE}: inputs and tangents by parameter name; with a dtype, every
     * floating-point type of the program is cast to it first. With a kernel backend (not null), the JVP
     * program is compiled as a batched kernel whose batch axis is axis 0 of every parameter and result.
     */
    private static String programJvp(Path file, Path input, DType dtype, BatchedBackend backend) {
        NamedProgram np = IrParser.parseNamed(Json.readText(file, "--program", "IR"), file.toString());
        if (dtype != null) {
            np = new NamedProgram(CastFloatingTypes.apply(np.program(), dtype), np.paramNames(), np.resultNames());
        }
        Program p = np.program();
        Json.Located doc = Json.parseLocated(Json.readFile(input, "--input"), input.toString());
        if (!(doc.root() instanceof Map<?, ?> top)) {
            throw new StreamfoldException(doc.whereRoot() + ": expected an object {\"inputs\": {...}, \"tangents\": {...}}");
        }
        for (Object k : top.keySet()) {
            if (!k.equals("inputs") && !k.equals("tangents")) {
                throw new StreamfoldException(doc.whereKey(top, (String) k) + ": unknown key \"" + k
                        + "\" (expected \"inputs\" and \"tangents\")");
            }
        }
        if (!top.containsKey("inputs")) {
            throw new StreamfoldException(doc.whereRoot() + ": missing \"inputs\"");
        }
        Map<String, Integer> byName = new LinkedHashMap<>();
        for (int i = 0; i < p.params().size(); i++) {
            byName.put(paramKey(np, i), i);
        }
        Tensor[] inputs = new Tensor[p.params().size()];
        Map<?, ?> given = members(doc, top, "inputs");
        for (Object k : given.keySet()) {
            int i = param(doc, given, (String) k, byName, "inputs");
            inputs[i] = Tensors.read(doc, given.get(k), doc.where(given, (String) k), p.params().get(i).type(),
                    "inputs \"" + k + "\"");
        }
        for (int i = 0; i < inputs.length; i++) {
            if (inputs[i] == null) {
                throw new StreamfoldException(doc.where(top, "inputs") + ": missing input \"" + paramKey(np, i) + "\" ("
                        + p.params().get(i).type() + ")");
            }
        }
        Tensor[] tangents = new Tensor[inputs.length];
        if (top.containsKey("tangents")) {
            Map<?, ?> t = members(doc, top, "tangents");
            for (Object k : t.keySet()) {
                int i = param(doc, t, (String) k, byName, "tangents");
                Type type = p.params().get(i).type();
                if (!type.dtype().isFloating()) {
                    throw new StreamfoldException(doc.whereKey(t, (String) k) + ": tangents \"" + k + "\": a " + type
                            + " parameter has no tangent");
                }
                tangents[i] = Tensors.read(doc, t.get(k), doc.where(t, (String) k), type, "tangents \"" + k + "\"");
            }
        }
        List<String> names = resultNames(np);
        if (backend == null) {
            return render(names, Jvp.evaluate(p, List.of(inputs), java.util.Arrays.asList(tangents)));
        }
        try {
            return render(names, BatchedJvp.evaluate("program", p, List.of(inputs), java.util.Arrays.asList(tangents), backend, 1));
        } catch (StreamfoldException e) {
            throw new StreamfoldException("jvp: --backend " + backend.option() + " compiles the program as a batched kernel over"
                    + " axis 0 of every parameter and result: " + e.getMessage(), e);
        }
    }

    /** {@code {"outputs": {...}, "tangents": {...}}} on one line. */
    static String render(List<String> names, Jvp.Evaluated e) {
        StringBuilder b = new StringBuilder("{\"outputs\": {");
        for (int i = 0; i < names.size(); i++) {
            b.append(i == 0 ? "" : ", ").append(Json.quote(names.get(i))).append(": ");
            Tensors.write(b, e.outputs().get(i), "outputs \"" + names.get(i) + "\"");
        }
        b.append("}, \"tangents\": {");
        for (int i = 0; i < names.size(); i++) {
            b.append(i == 0 ? "" : ", ").append(Json.quote(names.get(i))).append(": ");
            Tensor t = e.tangents().get(i);
            if (t == null) {
                b.append("null");
            } else {
                Tensors.write(b, t, "tangents \"" + names.get(i) + "\"");
            }
        }
        return b.append("}}\n").toString();
    }

    /** A parameter's key in the input file: its name, or {@code %ID} when unnamed. */
    private static String paramKey(NamedProgram np, int i) {
        String n = np.paramNames().get(i);
        return n.isEmpty() ? np.program().params().get(i).toString() : n;
    }

    /** Result names: the program's, or {@code r0, r1, ...} for unnamed results. */
    private static List<String> resultNames(NamedProgram np) {
        List<String> out = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < np.resultNames().size(); i++) {
            String n = np.resultNames().get(i).isEmpty() ? "r" + i : np.resultNames().get(i);
            if (!seen.add(n)) {
                throw new StreamfoldException("jvp: two results would be called \"" + n + "\"; name result " + i
                        + " in the program (return NAME=%ID)");
            }
            out.add(n);
        }
        return out;
    }

    private static Map<?, ?> members(Json.Located doc, Map<?, ?> top, String key) {
        if (!(top.get(key) instanceof Map<?, ?> m)) {
            throw new StreamfoldException(doc.where(top, key) + ": \"" + key + "\" must be an object keyed by parameter name");
        }
        return m;
    }

    private static int param(Json.Located doc, Map<?, ?> m, String key, Map<String, Integer> byName, String section) {
        Integer i = byName.get(key);
        if (i == null) {
            throw new StreamfoldException(doc.whereKey(m, key) + ": " + section + " \"" + key
                    + "\" is not a parameter of the program (its parameters: " + String.join(", ", byName.keySet()) + ")");
        }
        return i;
    }
}
