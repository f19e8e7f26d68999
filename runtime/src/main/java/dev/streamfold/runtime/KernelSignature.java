package dev.streamfold.runtime;

import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * How an ahead-of-time kernel's parameter slots are filled from named values: each slot holds a value fixed when the
 * kernel was generated or one named parameter ({@code $name} in the spec). {@link #prepare} checks the names and their
 * lengths, prepares the values as the expression language does (a BLT's buf_decay sorted by decreasing value, stable,
 * with its output_scale permuted alike; then rounding to the kernel's element type) and checks the result against
 * the kernel's {@link StepKernel#paramSlots()}, so a bound kernel computes, bit for bit, what {@code streamfold noise}
 * or {@code eval} computes for the same expression and {@code --param} values.
 *
 * @param name the kernel's name in its spec
 * @param expression the expression it was compiled from
 * @param slots the source of each parameter slot, in slot order
 * @param decayPairs pairs {@code {bufDecaySlot, outputScaleSlot}} of BLTs with a named parameter, sorted when bound
 * @param parameters the named parameters, in first-use order
 */
public record KernelSignature(String name, String expression, List<Source> slots, List<int[]> decayPairs,
        List<Parameter> parameters) {
    /** A named parameter and its length: entries, or {@link ParamSlot#PER_STEP} for a per-step array. */
    public record Parameter(String name, int length) {
        public Parameter {
            Objects.requireNonNull(name);
        }
    }

    /** Where a slot's value comes from. */
    public sealed interface Source {
        /** A value fixed when the kernel was generated. */
        record Fixed(double[] values) implements Source {
            public Fixed {
                values = values.clone();
            }
        }

        /** The value of a named parameter. */
        record Named(String parameter) implements Source {
            public Named {
                Objects.requireNonNull(parameter);
            }
        }
    }

    public KernelSignature {
        Objects.requireNonNull(name);
        Objects.requireNonNull(expression);
        slots = List.copyOf(slots);
        decayPairs = decayPairs.stream().map(int[]::clone).toList();
        parameters = List.copyOf(parameters);
    }

    /** The length of named parameter {@code name}, or null when there is none. */
    public Integer length(String name) {
        for (Parameter p : parameters) {
            if (p.name().equals(name)) {
                return p.length();
            }
        }
        return null;
    }

    /**
     * The slot values for {@code values}, prepared and checked against {@code kernel}.
     *
     * @param values one array per named parameter (a number as a one-element array)
     * @throws IllegalArgumentException naming the kernel and the parameter that is unknown, missing, of the wrong
     *     length, not finite or against its operator's rule
     */
    public double[][] prepare(StepKernel kernel, Map<String, double[]> values) {
        for (String given : values.keySet()) {
            if (length(given) == null) {
                throw new IllegalArgumentException("kernel " + name + " has no parameter $" + given
                        + (parameters.isEmpty() ? ": it has no named parameters" : ": its parameters are " + listed()));
            }
        }
        for (Parameter p : parameters) {
            double[] v = values.get(p.name());
            if (v == null) {
                throw new IllegalArgumentException("kernel " + name + ": parameter $" + p.name() + " is not bound (its "
                        + "parameters are " + listed() + ")");
            }
            int length = p.length();
            if (length == ParamSlot.PER_STEP ? v.length == 0 : v.length != length) {
                throw new IllegalArgumentException("kernel " + name + ": $" + p.name() + " has " + v.length + " entries, "
                        + "but the kernel was compiled for " + describe(length)
                        + (length == ParamSlot.PER_STEP ? "" : " (the length is structure: generate a kernel for " + v.length + ")"));
            }
            for (int i = 0; i < v.length; i++) {
                if (!Double.isFinite(v[i])) {
                    throw new IllegalArgumentException("kernel " + name + ": $" + p.name() + "[" + i + "] = " + v[i]
                            + " is not finite");
                }
            }
        }
        double[][] params = new double[slots.size()][];
        for (int i = 0; i < params.length; i++) {
            params[i] = switch (slots.get(i)) {
                case Source.Fixed f -> f.values().clone();
                case Source.Named n -> values.get(n.parameter()).clone();
            };
        }
        for (int[] pair : decayPairs) {
            sortByDecreasing(params, pair[0], pair[1]);
        }
        if (kernel.elementType() == ElementType.FLOAT32) {
            for (double[] p : params) {
                for (int i = 0; i < p.length; i++) {
                    p[i] = (float) p[i];
                }
            }
        }
        try {
            StreamingRunner.checkParams(kernel, params);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("kernel " + name + ": " + e.getMessage(), e);
        }
        return params;
    }

    private String listed() {
        return String.join(", ", parameters.stream().map(p -> "$" + p.name() + " (" + describe(p.length()) + ")").toList());
    }

    private static String describe(int length) {
        return length == ParamSlot.PER_STEP ? "a per-step array of at least 1 entry"
                : length == 1 ? "1 entry" : length + " entries";
    }

    /** Reorders slot {@code decay} by decreasing value (stable) and slot {@code scale} alike, as the algebra does. */
    private static void sortByDecreasing(double[][] params, int decay, int scale) {
        double[] theta = params[decay];
        Integer[] order = new Integer[theta.length];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        Arrays.sort(order, (a, b) -> Double.compare(theta[b], theta[a]));
        double[] sortedTheta = new double[theta.length];
        double[] sortedOmega = new double[theta.length];
        double[] omega = params[scale];
        if (omega.length != theta.length) {
            throw new IllegalArgumentException("buf_decay has " + theta.length + " entries but output_scale has " + omega.length);
        }
        for (int i = 0; i < order.length; i++) {
            sortedTheta[i] = theta[order[i]];
            sortedOmega[i] = omega[order[i]];
        }
        params[decay] = sortedTheta;
        params[scale] = sortedOmega;
    }

    /** The parameter names in first-use order. */
    public List<String> parameterNames() {
        return parameters.stream().map(Parameter::name).toList();
    }
}
