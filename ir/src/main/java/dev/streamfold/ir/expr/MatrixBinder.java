package dev.streamfold.ir.expr;

import dev.streamfold.ir.DType;
import dev.streamfold.ir.StreamfoldException;
import dev.streamfold.ir.Tensor;
import dev.streamfold.ir.stream.Blt;
import dev.streamfold.ir.stream.ColumnNormalizedBanded;
import dev.streamfold.ir.stream.Compose;
import dev.streamfold.ir.stream.Diagonal;
import dev.streamfold.ir.stream.Identity;
import dev.streamfold.ir.stream.Inverse;
import dev.streamfold.ir.stream.InverseParams;
import dev.streamfold.ir.stream.Invertible;
import dev.streamfold.ir.stream.MomentumSgd;
import dev.streamfold.ir.stream.Param;
import dev.streamfold.ir.stream.PrefixSum;
import dev.streamfold.ir.stream.ScaleRowsAndColumns;
import dev.streamfold.ir.stream.StreamingMatrix;
import dev.streamfold.ir.stream.Toeplitz;
import dev.streamfold.ir.stream.ToeplitzInverse;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * Turns expression text into a {@link StreamingMatrix}. Every error is an {@link ExprException}
 * at the position of the offending operator or argument.
 */
public final class MatrixBinder {
    private MatrixBinder() {}

    /** How an argument is read. */
    private enum Kind {
        MATRIX, VALUE
    }

    /** One keyword of an operator; aliases are other accepted spellings. */
    private record ParamSpec(String name, Kind kind, boolean required, List<String> aliases) {
        boolean accepts(String keyword) {
            return name.equals(keyword) || aliases.contains(keyword);
        }
    }

    /** An operator of the language: its keywords in positional order and its constructor. */
    private record OpSpec(String name, List<ParamSpec> params, Function<Map<String, Object>, StreamingMatrix> make) {}

    private static final Map<String, OpSpec> OPS = new LinkedHashMap<>();

    static {
        add(new OpSpec("identity", List.of(), a -> new Identity()));
        add(new OpSpec("prefix_sum", List.of(), a -> new PrefixSum()));
        add(new OpSpec("diagonal", List.of(value("d", true)), a -> new Diagonal((Param) a.get("d"))));
        add(new OpSpec("momentum_sgd", List.of(value("momentum", true), value("learning_rates", false)), a ->
                a.containsKey("learning_rates")
                        ? new MomentumSgd((Param) a.get("momentum"), (Param) a.get("learning_rates"))
                        : new MomentumSgd((Param) a.get("momentum"))));
        add(new OpSpec("scale_rows_and_columns",
                List.of(new ParamSpec("matrix", Kind.MATRIX, true, List.of()),
                        new ParamSpec("row", Kind.VALUE, false, List.of("row_scale")),
                        new ParamSpec("col", Kind.VALUE, false, List.of("col_scale"))),
                a -> new ScaleRowsAndColumns((StreamingMatrix) a.get("matrix"), (Param) a.get("row"), (Param) a.get("col"))));
        add(new OpSpec("blt", List.of(value("buf_decay", true), value("output_scale", true)),
                a -> new Blt((Param) a.get("buf_decay"), (Param) a.get("output_scale"))));
        add(new OpSpec("inverse", List.of(matrix("matrix")), a -> Inverse.of((StreamingMatrix) a.get("matrix"))));
        add(new OpSpec("inverse_params", List.of(matrix("matrix")), a -> {
            if (a.get("matrix") instanceof Invertible i) {
                return new InverseParams(i);
            }
            throw new StreamfoldException("inverse_params is defined for blt and inverse_params(...), got "
                    + ((StreamingMatrix) a.get("matrix")).opName());
        }));
        add(new OpSpec("column_normalized_banded", List.of(value("params", true)),
                a -> new ColumnNormalizedBanded((Param) a.get("params"))));
        add(new OpSpec("toeplitz", List.of(value("coef", true)), a -> new Toeplitz((Param) a.get("coef"))));
        add(new OpSpec("toeplitz_inverse", List.of(value("coef", true), value("column_normalize_for_n", false)),
                a -> new ToeplitzInverse((Param) a.get("coef"), positiveInt("toeplitz_inverse", "column_normalize_for_n",
                        (Param) a.get("column_normalize_for_n")))));
    }

    private static ParamSpec matrix(String name) {
        return new ParamSpec(name, Kind.MATRIX, true, List.of());
    }

    /** A structural integer argument: a literal whole number, or null when absent. */
    private static Integer positiveInt(String op, String name, Param p) {
        return switch (p) {
            case null -> null;
            case Param.Named n -> throw new StreamfoldException(
                    op + ": " + name + " sets the kernel's structure and must be a literal integer, not $" + n.name());
            case Param.Literal l -> {
                double v = l.value().size() == 1 && l.value().shape().rank() == 0 ? l.value().item() : Double.NaN;
                if (!(v >= 1 && v == Math.rint(v) && v <= Integer.MAX_VALUE)) {
                    throw new StreamfoldException(op + ": " + name + " must be a positive integer, got " + l);
                }
                yield (int) v;
            }
        };
    }

    private static ParamSpec value(String name, boolean required) {
        return new ParamSpec(name, Kind.VALUE, required, List.of());
    }

    private static void add(OpSpec s) {
        OPS.put(s.name(), s);
    }

    /** The operator names the language knows. */
    public static List<String> operatorNames() {
        return List.copyOf(OPS.keySet());
    }

    /** Parses and builds {@code text}. */
    public static StreamingMatrix parse(String text) {
        return bind(ExprParser.parse(text));
    }

    public static StreamingMatrix bind(Expr e) {
        return switch (e) {
            case Expr.MatMul m -> {
                StreamingMatrix acc = bind(m.factors().get(0));
                for (Expr f : m.factors().subList(1, m.factors().size())) {
                    acc = new Compose(acc, bind(f));
                }
                yield acc;
            }
            case Expr.Scaled s -> {
                StreamingMatrix base = bind(s.base());
                try {
                    yield base.times(s.factor());
                } catch (StreamfoldException ex) {
                    throw new ExprException(s.pos(), ex.getMessage());
                }
            }
            case Expr.Call c -> call(c);
        };
    }

    private static StreamingMatrix call(Expr.Call c) {
        OpSpec spec = OPS.get(c.name());
        if (spec == null) {
            throw new ExprException(c.pos(), "unknown operator '" + c.name() + "' (known: " + String.join(", ", OPS.keySet()) + ")");
        }
        Map<String, Object> bound = new HashMap<>();
        int positional = 0;
        for (Arg a : c.args()) {
            ParamSpec p;
            if (a.isKeyword()) {
                p = spec.params().stream().filter(s -> s.accepts(a.keyword())).findFirst().orElseThrow(() -> new ExprException(
                        a.pos(), c.name() + " has no parameter '" + a.keyword() + "'" + paramList(spec)));
            } else {
                if (positional >= spec.params().size()) {
                    throw new ExprException(a.pos(), c.name() + " takes " + arity(spec) + ", got " + c.args().size());
                }
                p = spec.params().get(positional++);
            }
            if (bound.containsKey(p.name())) {
                throw new ExprException(a.pos(), c.name() + ": " + p.name() + " is given twice");
            }
            bound.put(p.name(), argument(c, p, a));
        }
        for (ParamSpec p : spec.params()) {
            if (p.required() && !bound.containsKey(p.name())) {
                throw new ExprException(c.pos(), c.name() + " needs " + p.name() + paramList(spec));
            }
        }
        try {
            return spec.make().apply(bound);
        } catch (StreamfoldException e) {
            throw new ExprException(c.pos(), e.getMessage());
        }
    }

    private static Object argument(Expr.Call c, ParamSpec p, Arg a) {
        return switch (p.kind()) {
            case MATRIX -> {
                if (!(a.value() instanceof Expr e)) {
                    throw new ExprException(a.pos(), c.name() + ": " + p.name() + " must be an operator expression, got a value");
                }
                yield bind(e);
            }
            case VALUE -> switch (a.value()) {
                case Value.Num n -> Param.scalar(n.v());
                case Value.ParamRef r -> Param.named(r.name());
                case Value.ArrayLit arr -> new Param.Literal(tensor(arr));
                case Expr e -> throw new ExprException(a.pos(), c.name() + ": " + p.name()
                        + " must be a number, an array or a $parameter, got an operator expression");
            };
        };
    }

    /** The value of an array literal (1-D or 2-D; rows must have equal lengths). */
    public static Tensor tensor(Value.ArrayLit arr) {
        if (arr.rank() == 1) {
            return Tensor.vector(DType.F64, arr.toDoubleArray1D());
        }
        return Tensor.matrix(DType.F64, arr.toDoubleArray2D());
    }

    /** The value of a {@code --param} text: a number or an array. */
    public static Tensor parseValue(String text) {
        Value v = ExprParser.parseValue(text);
        return switch (v) {
            case Value.Num n -> Tensor.scalar(DType.F64, n.v());
            case Value.ArrayLit a -> tensor(a);
            case Value.ParamRef r -> throw new ExprException(r.pos(), "a parameter's value must be a number or an array, not $" + r.name());
        };
    }

    private static String arity(OpSpec s) {
        int n = s.params().size();
        return n == 0 ? "no arguments" : n + " argument" + (n == 1 ? "" : "s") + " (" + String.join(", ",
                s.params().stream().map(ParamSpec::name).toList()) + ")";
    }

    private static String paramList(OpSpec s) {
        List<String> names = new ArrayList<>();
        for (ParamSpec p : s.params()) {
            names.add(p.name());
        }
        return names.isEmpty() ? " (it takes no arguments)" : " (parameters: " + String.join(", ", names) + ")";
    }
}
