package dev.streamfold.ir;

import java.util.List;
import java.util.stream.Collectors;

/** Renders a program as readable, stable text (one equation per line; nested bodies indented). */
public final class Printer {
    private Printer() {}

    public static String print(Program p) {
        StringBuilder sb = new StringBuilder();
        print(p, "", sb);
        return sb.toString();
    }

    private static void print(Program p, String indent, StringBuilder sb) {
        sb.append("program(").append(decls(p.params())).append(") {\n");
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
                print(s.body(), in, sb);
            } else {
                sb.append('\n');
            }
        }
        sb.append(in).append("return ").append(p.results().stream().map(Var::toString).collect(Collectors.joining(", ")));
        sb.append('\n').append(indent).append("}\n");
    }

    private static String decls(List<Var> vs) {
        return vs.stream().map(v -> v + ": " + v.type()).collect(Collectors.joining(", "));
    }
}
