package dev.streamfold.ir;

/** The static type of an IR value: element type and shape. */
public record Type(DType dtype, Shape shape) {
    public Type {
        java.util.Objects.requireNonNull(dtype);
        java.util.Objects.requireNonNull(shape);
    }

    public static Type of(DType dtype, int... dims) {
        return new Type(dtype, new Shape(dims));
    }

    public static Type scalar(DType dtype) {
        return new Type(dtype, Shape.SCALAR);
    }

    public Type withDtype(DType d) {
        return new Type(d, shape);
    }

    public Type withShape(Shape s) {
        return new Type(dtype, s);
    }

    public int rank() {
        return shape.rank();
    }

    @Override
    public String toString() {
        return dtype.shortName() + shape;
    }
}
