package dev.streamfold.ir;

import java.util.List;
import java.util.stream.Collectors;

/**
 * Renders a program as readable, stable text (one equation per line; nested bodies indented) that
 * {@link IrParser} reads back exactly.
 */
public final class Printer {
    private Printer() {}

    public static String print(Program p) {
        return print(NamedProgram.unnamed(p));
    }

    /** The program with its parameter and result names, e.g. {@code program(x=%0: f64[3])}. */
    public static String print(NamedProgram np) {
        StringBuilder sb = new StringBuilder();
        print(np.program(), np.paramNames(), np.resultNames(), "", sb);
        return sb.toString();
    }

    private static void print(Program p, List<String> paramNames, List<String> resultNames, String indent, StringBuilder sb) {
        sb.append("program(");
        for (int i = 0; i < p.params().size(); i++) {
            Var v = p.params().get(i);
            sb.append(i == 0 ? "" : ", ").append(named(paramNames, i)).append(v).append(": ").append(v.type());
        }
        sb.append(") {\n");
        String in = indent + "  ";
        for (Eqn e : p.eqns()) {
            sb.append(in).append(decls(e.outs())).append(" = ").append(e.op().name());
            String attrs = e.op().attributes();
            if (!attrs.isEmpty()) {
                sb.append('{').append(attrs).append('}');
            }
            if (!e.ins().isEmpty()) {
                sb.append(' ').append(e.ins().stream().map(Var::toString).collect(Collectors.joining(", ")));
            }
            if (e.op() instanceof Scan s) {
                sb.append(" body ");
                NamedProgram body = NamedProgram.unnamed(s.body());
                print(body.program(), body.paramNames(), body.resultNames(), in, sb);
            } else {
                sb.append('\n');
            }
        }
        sb.append(in).append("return");
        for (int i = 0; i < p.results().size(); i++) {
            sb.append(i == 0 ? " " : ", ").append(named(resultNames, i)).append(p.results().get(i));
        }
        sb.append('\n').append(indent).append("}\n");
    }

    private static String named(List<String> names, int i) {
        return names.get(i).isEmpty() ? "" : names.get(i) + "=";
    }

    private static String decls(List<Var> vs) {
        return vs.stream().map(v -> v + ": " + v.type()).collect(Collectors.joining(", "));
    }
}
