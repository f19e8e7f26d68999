package dev.streamfold.runtime.batched;

import dev.streamfold.runtime.ElementType;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * A batched float64 kernel written by hand: {@code inv = scale * a^-1} for each item's 2x2 matrix {@code a}
 * (row-major elements 0..3, structure of arrays). An item whose determinant is zero gets {@link BatchStatus#ZERO_PIVOT}
 * and a zero inverse; with argument 0 non-zero, an item with a non-finite entry gets
 * {@link BatchStatus#NON_FINITE_INPUT} first. The kernel writes the status of failed items only. It records the
 * ranges it was called on.
 */
final class Inverse2x2Kernel implements BatchedKernel {
    static final String NAME = "inv2x2_f64";

    /** A range the kernel ran: items {@code [from, to)} on {@code thread}. */
    record Call(long from, long to, Thread thread) {}

    final Queue<Call> calls = new ConcurrentLinkedQueue<>();

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public List<BatchedBuffer> buffers() {
        return List.of(new BatchedBuffer("a", BatchedBuffer.Role.IN, ElementType.FLOAT64, 4),
                new BatchedBuffer("scale", BatchedBuffer.Role.PARAM, ElementType.FLOAT64, 1),
                new BatchedBuffer("inv", BatchedBuffer.Role.OUT, ElementType.FLOAT64, 4),
                new BatchedBuffer("status", BatchedBuffer.Role.OUT, ElementType.INT32, 1));
    }

    @Override
    public int argCount() {
        return 1;
    }

    @Override
    public void run(MemorySegment[] buffers, long[] args, long batch, long from, long to) {
        calls.add(new Call(from, to, Thread.currentThread()));
        MemorySegment a = buffers[0];
        double scale = buffers[1].getAtIndex(ValueLayout.JAVA_DOUBLE, 0);
        MemorySegment inv = buffers[2];
        MemorySegment status = buffers[3];
        boolean checkFinite = args[0] != 0;
        for (long b = from; b < to; b++) {
            double a00 = a.getAtIndex(ValueLayout.JAVA_DOUBLE, b);
            double a01 = a.getAtIndex(ValueLayout.JAVA_DOUBLE, batch + b);
            double a10 = a.getAtIndex(ValueLayout.JAVA_DOUBLE, 2 * batch + b);
            double a11 = a.getAtIndex(ValueLayout.JAVA_DOUBLE, 3 * batch + b);
            double[] out = inverse(a00, a01, a10, a11, scale);
            if (checkFinite && !(Double.isFinite(a00) && Double.isFinite(a01) && Double.isFinite(a10)
                    && Double.isFinite(a11))) {
                status.setAtIndex(ValueLayout.JAVA_INT, b, BatchStatus.NON_FINITE_INPUT.code());
                out = new double[4];
            } else if (out == null) {
                status.setAtIndex(ValueLayout.JAVA_INT, b, BatchStatus.ZERO_PIVOT.code());
                out = new double[4];
            }
            for (int e = 0; e < 4; e++) {
                inv.setAtIndex(ValueLayout.JAVA_DOUBLE, e * batch + b, out[e]);
            }
        }
    }

    /** {@code scale * [[a00, a01], [a10, a11]]^-1} row-major, or null when the determinant is zero. */
    static double[] inverse(double a00, double a01, double a10, double a11, double scale) {
        double det = a00 * a11 - a01 * a10;
        if (det == 0) {
            return null;
        }
        double r = scale / det;
        return new double[] {a11 * r, -a01 * r, -a10 * r, a00 * r};
    }
}
