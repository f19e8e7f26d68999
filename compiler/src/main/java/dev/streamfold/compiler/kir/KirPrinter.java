package dev.streamfold.compiler.kir;

import java.util.List;
import java.util.stream.Collectors;

/**
 * The text form of a kernel, one instruction per line: {@code %7: lane f32 = fma %4, %5, %6}. Values are
 * marked {@code lane} (one per batch item) or {@code uni} (uniform). Equal texts mean equal kernels.
 */
public final class KirPrinter {
    private KirPrinter() {}

    public static String print(Kernel k) {
        StringBuilder sb = new StringBuilder("kernel ").append(k.name()).append('\n');
        for (int i = 0; i < k.buffers().size(); i++) {
            KBuffer b = k.buffers().get(i);
            sb.append("  buffer ").append(i).append(' ').append(b.name()).append(' ')
                    .append(b.role().name().toLowerCase()).append(' ').append(b.type().text())
                    .append('[').append(b.elements() < 0 ? "?" : Integer.toString(b.elements())).append("]\n");
        }
        for (int i = 0; i < k.args().size(); i++) {
            sb.append("  arg ").append(i).append(' ').append(k.args().get(i).text()).append('\n');
        }
        body(k, k.body(), 1, sb);
        return sb.toString();
    }

    private static void body(Kernel k, List<KInstr> body, int depth, StringBuilder sb) {
        String pad = "  ".repeat(depth);
        for (KInstr i : body) {
            sb.append(pad);
            switch (i) {
                case KInstr.ConstF c -> def(sb, c.dst()).append("const ").append(c.value());
                case KInstr.ConstI c -> def(sb, c.dst()).append("const ").append(c.value());
                case KInstr.Arg a -> def(sb, a.dst()).append("arg ").append(a.index());
                case KInstr.Length l -> def(sb, l.dst()).append("length ").append(name(k, l.buffer()));
                case KInstr.Load l -> def(sb, l.dst()).append("load ").append(name(k, l.buffer())).append('[').append(l.index()).append(']');
                case KInstr.Store s -> sb.append("store ").append(name(k, s.buffer())).append('[').append(s.index()).append("] = ")
                        .append(s.value());
                case KInstr.Unary u -> def(sb, u.dst()).append(lower(u.kind())).append(' ').append(u.a());
                case KInstr.Binary b -> def(sb, b.dst()).append(lower(b.kind())).append(' ').append(b.a()).append(", ").append(b.b());
                case KInstr.Fma f -> def(sb, f.dst()).append("fma ").append(f.a()).append(", ").append(f.b()).append(", ").append(f.c());
                case KInstr.Compare c -> def(sb, c.dst()).append(lower(c.kind())).append(' ').append(c.a()).append(", ").append(c.b());
                case KInstr.Select s -> def(sb, s.dst()).append("select ").append(s.cond()).append(", ").append(s.a()).append(", ")
                        .append(s.b());
                case KInstr.Convert c -> def(sb, c.dst()).append("convert ").append(c.a());
                case KInstr.Loop l -> {
                    sb.append("for ").append(l.index()).append(" = ").append(l.start()).append(" to ").append(l.end());
                    if (!l.params().isEmpty()) {
                        sb.append(" carry (");
                        for (int j = 0; j < l.params().size(); j++) {
                            sb.append(j == 0 ? "" : ", ");
                            typed(sb, l.params().get(j)).append(" = ").append(l.inits().get(j));
                        }
                        sb.append(')');
                    }
                    sb.append(" {\n");
                    body(k, l.body(), depth + 1, sb);
                    if (!l.yields().isEmpty()) {
                        sb.append(pad).append("  yield ").append(join(l.yields())).append('\n');
                    }
                    sb.append(pad).append('}');
                    if (!l.results().isEmpty()) {
                        sb.append(" -> ");
                        for (int j = 0; j < l.results().size(); j++) {
                            sb.append(j == 0 ? "" : ", ");
                            typed(sb, l.results().get(j));
                        }
                    }
                }
            }
            sb.append('\n');
        }
    }

    private static StringBuilder def(StringBuilder sb, KValue v) {
        return typed(sb, v).append(" = ");
    }

    private static StringBuilder typed(StringBuilder sb, KValue v) {
        return sb.append(v).append(": ").append(v.lane() ? "lane " : "uni ").append(v.type().text());
    }

    private static String name(Kernel k, int buffer) {
        return buffer >= 0 && buffer < k.buffers().size() ? k.buffers().get(buffer).name() : "#" + buffer;
    }

    private static String lower(Enum<?> e) {
        return e.name().toLowerCase();
    }

    private static String join(List<KValue> vs) {
        return vs.stream().map(KValue::toString).collect(Collectors.joining(", "));
    }
}
