package dev.streamfold.compiler.lower;

import dev.streamfold.compiler.kir.KBuilder;
import dev.streamfold.compiler.kir.KType;
import dev.streamfold.compiler.kir.KValue;
import java.util.Arrays;

/**
 * A program value inside a kernel: per batch item, a row-major array of {@code dims} elements stored in
 * buffer {@code buffer} from element {@code offset}. Indices are uniform i32 values (every item has the
 * same shape), so every access is a contiguous structure-of-arrays load or store.
 */
public record KArray(int buffer, int offset, int[] dims, KType type) {
    public KArray {
        dims = dims.clone();
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

    /** Elements per item. */
    public int size() {
        int n = 1;
        for (int d : dims) {
            n = Math.multiplyExact(n, d);
        }
        return n;
    }

    /** The flat element index of {@code index} (one uniform i32 per axis), offset included. */
    public KValue flat(KBuilder b, KValue... index) {
        if (index.length != dims.length) {
            throw new IllegalArgumentException("index of rank " + index.length + " into array of rank " + dims.length);
        }
        KValue at = b.index(offset);
        int stride = 1;
        for (int axis = dims.length - 1; axis >= 0; axis--) {
            at = b.add(at, stride == 1 ? index[axis] : b.binary(dev.streamfold.compiler.kir.KInstr.BinaryKind.MUL, index[axis],
                    b.index(stride)));
            stride *= dims[axis];
        }
        return at;
    }

    /** The element at {@code index}. */
    public KValue load(KBuilder b, KValue... index) {
        return b.load(buffer, flat(b, index));
    }

    /** Writes {@code value} at {@code index}. */
    public void store(KBuilder b, KValue value, KValue... index) {
        b.store(buffer, flat(b, index), value);
    }

    /** The element at flat index {@code flat} (offset not included), a constant. */
    public KValue loadFlat(KBuilder b, int flat) {
        return b.load(buffer, offset + flat);
    }

    public void storeFlat(KBuilder b, int flat, KValue value) {
        b.store(buffer, offset + flat, value);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof KArray a && a.buffer == buffer && a.offset == offset && Arrays.equals(a.dims, dims) && a.type == type;
    }

    @Override
    public int hashCode() {
        return 31 * (31 * buffer + offset) + Arrays.hashCode(dims) + type.hashCode();
    }

    @Override
    public String toString() {
        return "buffer " + buffer + "+" + offset + " " + type.text() + Arrays.toString(dims);
    }
}
