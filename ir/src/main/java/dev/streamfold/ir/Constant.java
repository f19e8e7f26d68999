package dev.streamfold.ir;

import java.util.List;

/** A literal array. */
public record Constant(Tensor value) implements Op {
    public Constant {
        java.util.Objects.requireNonNull(value);
    }

    @Override
    public String name() {
        return "constant";
    }

    @Override
    public List<Type> outTypes(List<Type> ins) {
        Op.arity(this, ins, 0);
        return List.of(value.type());
    }

    // d(const) = 0.
    @Override
    public List<Tangent> jvp(Jvp.Emitter b, List<Var> ins, List<Var> outs, List<Tangent> t) {
        return List.of(Tangent.zero(outs.get(0).type()));
    }

    /** The type then every value, e.g. {@code f64[2] [0.5, -1.0]}, exactly as {@link IrParser} reads it back. */
    @Override
    public String attributes() {
        StringBuilder sb = new StringBuilder().append(value.type()).append(" [");
        double[] d = value.raw();
        for (int i = 0; i < d.length; i++) {
            sb.append(i == 0 ? "" : ", ").append(literal(value.dtype(), d[i]));
        }
        return sb.append(']').toString();
    }

    /** One value as text: floats in their shortest exact form, int32 as integers, bool as true/false. */
    static String literal(DType dtype, double v) {
        boolean integral = v == Math.rint(v) && Math.abs(v) <= Integer.MAX_VALUE + 1.0
                && Double.doubleToRawLongBits(v) != Double.doubleToRawLongBits(-0.0);
        return switch (dtype) {
            case F32, F64 -> Double.toString(v);
            case I32 -> integral ? Long.toString((long) v) : Double.toString(v);
            case BOOL -> v == 1 ? "true" : v == 0 && integral ? "false" : Double.toString(v);
        };
    }
}
