package dev.streamfold.compiler.batched;

import dev.streamfold.ir.DType;
import dev.streamfold.ir.Shape;
import dev.streamfold.ir.StreamfoldException;
import dev.streamfold.ir.Tensor;
import dev.streamfold.ir.Type;
import dev.streamfold.runtime.batched.BatchStatus;
import dev.streamfold.runtime.batched.BatchedBuffer;
import dev.streamfold.runtime.batched.BatchedKernel;
import dev.streamfold.runtime.batched.BatchedRunner;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;

/**
 * Runs a loaded batched kernel over {@link Tensor}s with a leading batch axis: copies them into
 * structure-of-arrays buffers, runs the kernel through the runtime's {@link BatchedRunner}, and copies the
 * outputs back with the per-item status.
 */
public final class BatchedExecution {
    private BatchedExecution() {}

    /** The outputs (with the batch axis) and each item's status. */
    public record Result(List<Tensor> outputs, int[] status) {
        /** The index of the first item whose status is not OK, or -1. */
        public int firstFailed() {
            for (int i = 0; i < status.length; i++) {
                if (status[i] != 0) {
                    return i;
                }
            }
            return -1;
        }
    }

    /** Runs {@code kernel} (compiled from {@code c}) on {@code inputs}, all with the same batch extent. */
    public static Result run(BatchedCompiler.Compiled c, BatchedKernel kernel, List<Tensor> inputs, int threads) {
        if (inputs.size() != c.inputs().size()) {
            throw new IllegalArgumentException(kernel.name() + " takes " + c.inputs().size() + " inputs, got " + inputs.size());
        }
        int batch = inputs.isEmpty() ? 1 : inputs.get(0).shape().dim(0);
        for (int i = 0; i < inputs.size(); i++) {
            Type want = c.inputTypes().get(i);
            Tensor t = inputs.get(i);
            if (t.shape().rank() != want.rank() + 1 || t.shape().dim(0) != batch
                    || !t.shape().dropLeading().equals(want.shape())) {
                throw new StreamfoldException(kernel.name() + ": input " + c.inputs().get(i) + " must be " + batch + " x "
                        + want.shape() + ", got " + t.shape());
            }
        }
        List<BatchedBuffer> table = kernel.buffers();
        try (Arena arena = Arena.ofShared(); BatchedRunner runner = new BatchedRunner(kernel, threads)) {
            MemorySegment[] segments = new MemorySegment[table.size()];
            for (int i = 0; i < table.size(); i++) {
                segments[i] = arena.allocate(Math.max(table.get(i).bytes(batch), 1), table.get(i).type().bytes());
            }
            for (int i = 0; i < inputs.size(); i++) {
                write(segments[index(table, c.inputs().get(i))], table.get(index(table, c.inputs().get(i))), inputs.get(i), batch);
            }
            runner.run(segments, new long[kernel.argCount()], batch);
            List<Tensor> outs = new ArrayList<>();
            for (int i = 0; i < c.outputs().size(); i++) {
                int at = index(table, c.outputs().get(i));
                Type item = c.outputTypes().get(i);
                outs.add(read(segments[at], table.get(at), item.withShape(item.shape().prepend(batch)), batch));
            }
            int[] status = new int[batch];
            int s = index(table, "status");
            for (int b = 0; b < batch; b++) {
                status[b] = segments[s].getAtIndex(ValueLayout.JAVA_INT, b);
            }
            return new Result(outs, status);
        }
    }

    /** The message for item {@code item}'s status {@code code} in kernel {@code name}. */
    public static String describe(String name, int item, int code) {
        return name + ": matrix " + item + " of the batch: " + BatchStatus.of(code).meaning();
    }

    private static int index(List<BatchedBuffer> table, String name) {
        for (int i = 0; i < table.size(); i++) {
            if (table.get(i).name().equals(name)) {
                return i;
            }
        }
        throw new IllegalStateException("kernel has no buffer " + name);
    }

    private static void write(MemorySegment s, BatchedBuffer b, Tensor t, int batch) {
        int e = b.elements();
        double[] d = t.raw();
        for (int item = 0; item < batch; item++) {
            for (int j = 0; j < e; j++) {
                b.type().set(s, (long) j * batch + item, d[item * e + j]);
            }
        }
    }

    private static Tensor read(MemorySegment s, BatchedBuffer b, Type type, int batch) {
        int e = b.elements();
        double[] d = new double[Math.multiplyExact(e, batch)];
        for (int item = 0; item < batch; item++) {
            for (int j = 0; j < e; j++) {
                d[item * e + j] = b.type().get(s, (long) j * batch + item);
            }
        }
        DType dtype = type.dtype();
        return new Tensor(dtype, new Shape(type.shape().dims()), d);
    }
}
