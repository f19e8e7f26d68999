package dev.streamfold.compiler.lower;

import dev.streamfold.compiler.kir.KBuffer;
import dev.streamfold.compiler.kir.KBuilder;
import dev.streamfold.compiler.kir.KType;
import dev.streamfold.compiler.kir.KValue;
import dev.streamfold.ir.DType;
import dev.streamfold.runtime.batched.BatchStatus;

/**
 * What the lowering of one equation may use: the kernel builder, fresh scratch arrays, and the item's
 * status (the int32 {@code status} output, zero until a check fails; the first failure is kept).
 */
public final class LowerContext {
    private final KBuilder b;
    private final int status;
    private int scratchCount;

    /** A context over {@code b}, whose kernel already has the int32 OUT buffer {@code status} of one element. */
    public LowerContext(KBuilder b, int status) {
        this.b = b;
        this.status = status;
    }

    public KBuilder builder() {
        return b;
    }

    /** The status buffer's index. */
    public int statusBuffer() {
        return status;
    }

    /** A fresh scratch array of {@code type} and {@code dims} per item. */
    public KArray scratch(KType type, int... dims) {
        int n = 1;
        for (int d : dims) {
            n = Math.multiplyExact(n, d);
        }
        int buffer = b.buffer("scratch" + scratchCount++, KBuffer.Role.SCRATCH, type, Math.max(n, 1));
        return new KArray(buffer, 0, dims, type);
    }

    /** Records {@code code} for the items where {@code failed} (a bool) holds, unless they already failed. */
    public void fail(KValue failed, BatchStatus code) {
        KValue zero = b.index(0);
        KValue old = b.load(status, zero);
        KValue first = b.and(failed, b.compare(dev.streamfold.compiler.kir.KInstr.CompareKind.EQ, old, zero));
        b.store(status, zero, b.select(first, b.index(code.code()), old));
    }

    /** The kernel type of an IR dtype: bool values are held as i32 0/1 in buffers. */
    public static KType bufferType(DType t) {
        return switch (t) {
            case F32 -> KType.F32;
            case F64 -> KType.F64;
            case I32, BOOL -> KType.I32;
        };
    }
}
