package dev.streamfold.ir.expr;

import java.util.List;
import java.util.Objects;

/** A literal argument: a number, a run-time parameter, or an array of numbers. */
public sealed interface Value extends Node permits Value.Num, Value.ParamRef, Value.ArrayLit {

    /** A finite number. {@code pos} is its first character (the {@code -} of a negative one). */
    record Num(double v, Position pos) implements Value {
        public Num {
            Objects.requireNonNull(pos, "pos");
            if (!Double.isFinite(v)) {
                throw new IllegalArgumentException("number is not finite: " + v);
            }
        }
    }

    /**
     * {@code $name}: a parameter bound at run time; {@code name} is a NAME, without the {@code $}.
     * Only a whole argument can be a parameter, never an array element. {@code pos} is the
     * {@code $}.
     */
    record ParamRef(String name, Position pos) implements Value {
        public ParamRef {
            if (!Lexer.isName(name)) {
                throw new IllegalArgumentException("not a name: '" + name + "'");
            }
            Objects.requireNonNull(pos, "pos");
        }
    }

    /**
     * {@code [v1, v2, ...]}: a 1-D array of numbers, or a 2-D array written as a list of rows (each
     * row a 1-D array; rows may differ in length until {@link #toDoubleArray2D()} checks them).
     * Items are all {@link Num} or all {@link ArrayLit} of rank 1; an empty array has rank 1.
     * {@code pos} is the {@code [}.
     */
    record ArrayLit(List<Value> items, Position pos) implements Value {
        public ArrayLit {
            items = List.copyOf(items);
            Objects.requireNonNull(pos, "pos");
            boolean numbers = false;
            boolean rows = false;
            for (Value item : items) {
                switch (item) {
                    case Num _ -> numbers = true;
                    case ArrayLit row -> {
                        rows = true;
                        if (row.rank() != 1) {
                            throw new IllegalArgumentException("arrays have at most 2 dimensions");
                        }
                    }
                    case ParamRef _ -> throw new IllegalArgumentException("parameters may not appear inside arrays");
                }
            }
            if (numbers && rows) {
                throw new IllegalArgumentException("an array holds numbers or rows, not both");
            }
        }

        /** 1 for a list of numbers (or the empty list), 2 for a list of rows. */
        public int rank() {
            return !items.isEmpty() && items.getFirst() instanceof ArrayLit ? 2 : 1;
        }

        /**
         * The numbers of a 1-D array.
         *
         * @throws ExprException at this array if it is 2-D
         */
        public double[] toDoubleArray1D() {
            if (rank() != 1) {
                throw new ExprException(pos, "expected a 1-D array, found a " + rank() + "-D array");
            }
            double[] out = new double[items.size()];
            for (int i = 0; i < out.length; i++) {
                out[i] = ((Num) items.get(i)).v();
            }
            return out;
        }

        /**
         * The rows of a 2-D array, all of one length.
         *
         * @throws ExprException at this array if it is 1-D, or at the first row whose length
         *     differs from the first row's
         */
        public double[][] toDoubleArray2D() {
            if (rank() != 2) {
                throw new ExprException(pos, "expected a 2-D array, found a " + rank() + "-D array");
            }
            double[][] out = new double[items.size()][];
            for (int i = 0; i < out.length; i++) {
                ArrayLit row = (ArrayLit) items.get(i);
                out[i] = row.toDoubleArray1D();
                if (out[i].length != out[0].length) {
                    throw new ExprException(row.pos(), "ragged array: row " + (i + 1) + " has " + entries(out[i].length)
                            + " but row 1 has " + entries(out[0].length));
                }
            }
            return out;
        }

        private static String entries(int n) {
            return n == 1 ? "1 entry" : n + " entries";
        }
    }
}
