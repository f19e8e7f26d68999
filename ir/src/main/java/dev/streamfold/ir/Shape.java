package dev.streamfold.ir;

import java.util.Arrays;
import java.util.stream.Collectors;

/** A static array shape; immutable. Rank 0 is a scalar. */
public record Shape(int... dims) {
    public static final Shape SCALAR = new Shape();

    public Shape(int... dims) {
        for (int d : dims) {
            if (d < 0) {
                throw new IllegalArgumentException("negative dimension in shape " + Arrays.toString(dims));
            }
        }
        this.dims = dims.clone();
    }

    @Override
    public int[] dims() {
        return dims.clone();
    }

    public int rank() {
        return dims.length;
    }

    public int dim(int axis) {
        return dims[axis];
    }

    /** Number of elements (1 for a scalar). */
    public long size() {
        long n = 1;
        for (int d : dims) {
            n *= d;
        }
        return n;
    }

    /** This shape without its leading dimension. */
    public Shape dropLeading() {
        return new Shape(Arrays.copyOfRange(dims, 1, dims.length));
    }

    /** {@code lead} followed by this shape. */
    public Shape prepend(int lead) {
        int[] d = new int[dims.length + 1];
        d[0] = lead;
        System.arraycopy(dims, 0, d, 1, dims.length);
        return new Shape(d);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Shape s && Arrays.equals(dims, s.dims);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(dims);
    }

    @Override
    public String toString() {
        return Arrays.stream(dims).mapToObj(Integer::toString).collect(Collectors.joining(",", "[", "]"));
    }
}
