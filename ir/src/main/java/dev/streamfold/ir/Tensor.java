package dev.streamfold.ir;

import java.util.Arrays;

/**
 * A dense row-major array value of the interpreter. Every element type is held as float64; float32
 * values are exactly representable, as are int32 and bool (0/1).
 */
public record Tensor(DType dtype, Shape shape, double[] data) {
    public Tensor {
        if (data.length != shape.size()) {
            throw new IllegalArgumentException(
                    "tensor of shape " + shape + " needs " + shape.size() + " values, got " + data.length);
        }
    }

    public static Tensor of(DType dtype, Shape shape, double... data) {
        return new Tensor(dtype, shape, data.clone());
    }

    public static Tensor vector(DType dtype, double... data) {
        return new Tensor(dtype, new Shape(data.length), data.clone());
    }

    public static Tensor scalar(DType dtype, double v) {
        return new Tensor(dtype, Shape.SCALAR, new double[] {dtype.round(v)});
    }

    public static Tensor zeros(Type type) {
        return new Tensor(type.dtype(), type.shape(), new double[Math.toIntExact(type.shape().size())]);
    }

    public static Tensor full(Type type, double v) {
        double[] d = new double[Math.toIntExact(type.shape().size())];
        Arrays.fill(d, type.dtype().round(v));
        return new Tensor(type.dtype(), type.shape(), d);
    }

    /** A row-major matrix from rows of equal length. */
    public static Tensor matrix(DType dtype, double[][] rows) {
        int n = rows.length;
        int m = n == 0 ? 0 : rows[0].length;
        double[] d = new double[n * m];
        for (int i = 0; i < n; i++) {
            if (rows[i].length != m) {
                throw new IllegalArgumentException("ragged matrix: row " + i + " has " + rows[i].length + " values, row 0 has " + m);
            }
            System.arraycopy(rows[i], 0, d, i * m, m);
        }
        return new Tensor(dtype, new Shape(n, m), d);
    }

    public Type type() {
        return new Type(dtype, shape);
    }

    public int size() {
        return data.length;
    }

    /** The single value of a one-element tensor. */
    public double item() {
        if (data.length != 1) {
            throw new IllegalStateException("item() of a tensor of shape " + shape);
        }
        return data[0];
    }

    /** The data as rows of a rank-2 tensor. */
    public double[][] rows() {
        if (shape.rank() != 2) {
            throw new IllegalStateException("rows() of a tensor of shape " + shape);
        }
        int n = shape.dim(0);
        int m = shape.dim(1);
        double[][] r = new double[n][m];
        for (int i = 0; i < n; i++) {
            System.arraycopy(data, i * m, r[i], 0, m);
        }
        return r;
    }

    /** This tensor's values rounded to {@code t}. */
    public Tensor astype(DType t) {
        double[] d = data.clone();
        for (int i = 0; i < d.length; i++) {
            d[i] = t.round(d[i]);
        }
        return new Tensor(t, shape, d);
    }

    @Override
    public double[] data() {
        return data.clone();
    }

    /** The backing array, not copied: the caller must not change it. */
    public double[] raw() {
        return data;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Tensor t && dtype == t.dtype && shape.equals(t.shape) && Arrays.equals(data, t.data);
    }

    @Override
    public int hashCode() {
        return (dtype.hashCode() * 31 + shape.hashCode()) * 31 + Arrays.hashCode(data);
    }

    @Override
    public String toString() {
        return dtype.shortName() + shape + Arrays.toString(data);
    }
}
