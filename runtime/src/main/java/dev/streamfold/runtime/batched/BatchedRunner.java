package dev.streamfold.runtime.batched;

import dev.streamfold.runtime.ElementType;
import dev.streamfold.runtime.ParallelRanges;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.StringJoiner;

/**
 * Runs a {@link BatchedKernel} over a batch: checks the call once, splits {@code [0, batch)} into one range per thread
 * (boundaries aligned to 64 items, {@link ParallelRanges}), and reads the kernel's {@code status} output into a
 * {@link BatchResult}. Items are independent, so results are bit-identical for any thread count.
 *
 * <p>A call is refused, before anything runs, with a message naming the kernel and the buffer, unless:
 * every buffer is given; each is a native segment (heap segments are refused, so that every backend, generated Java
 * or native code or a GPU copy, sees the same memory) whose arena is open and whose memory the calling thread
 * may access and, with more than one thread, the worker threads too (a confined arena's segments are refused);
 * {@link BatchedBuffer.Role#OUT} and {@link BatchedBuffer.Role#STATE} buffers are writable and share no memory
 * with another buffer; each batched buffer has exactly {@code elements * batch} elements (the stride of the layout
 * is the batch, so a buffer laid out for another batch would be read wrongly), each param its fixed length or,
 * when free, a whole number of elements; each starts on a multiple of its element size; {@code batch} is in
 * {@code [1, 2^40]}; and there are {@link BatchedKernel#argCount} arguments.
 *
 * <p>A {@value #STATUS} buffer, when the kernel has one, must be an int32 OUT buffer of one element per item. The
 * runner zeroes each range's status before running the range, so a status the kernel does not set reads
 * {@link BatchStatus#OK}; a code that is no {@link BatchStatus} is a kernel error ({@link IllegalStateException}).
 * Calls may come from several threads at once.
 */
public final class BatchedRunner implements AutoCloseable {
    /** Most items of a batch. */
    public static final long MAX_BATCH = ParallelRanges.MAX_LENGTH;

    /** The name of the per-item status output. */
    public static final String STATUS = "status";

    /** A thread that is not any arena's owner: a segment it cannot access belongs to a confined arena. */
    private static final Thread OTHER_THREAD = Thread.ofPlatform().unstarted(() -> {});

    private final BatchedKernel kernel;
    private final List<BatchedBuffer> buffers;
    private final int argCount;
    private final int status;
    private final ParallelRanges ranges;
    private volatile boolean closed;

    /**
     * @param threads worker threads, in {@code [1, ParallelRanges.MAX_THREADS]}
     * @throws IllegalArgumentException when two buffers share a name, the argument count is negative, or the
     *     {@value #STATUS} buffer is not an int32 OUT buffer of one element
     */
    public BatchedRunner(BatchedKernel kernel, int threads) {
        this.kernel = Objects.requireNonNull(kernel);
        this.buffers = List.copyOf(kernel.buffers());
        this.argCount = kernel.argCount();
        Set<String> names = new HashSet<>();
        int statusIndex = -1;
        for (int i = 0; i < buffers.size(); i++) {
            BatchedBuffer b = buffers.get(i);
            if (!names.add(b.name())) {
                throw new IllegalArgumentException("kernel " + kernel.name() + " has two buffers named " + b.name());
            }
            if (b.name().equals(STATUS)) {
                if (b.role() != BatchedBuffer.Role.OUT || b.type() != ElementType.INT32 || b.elements() != 1) {
                    throw new IllegalArgumentException("kernel " + kernel.name() + ": buffer " + STATUS
                            + " must be an OUT INT32 buffer of 1 element per item, it is " + describe(b));
                }
                statusIndex = i;
            }
        }
        if (argCount < 0) {
            throw new IllegalArgumentException("kernel " + kernel.name() + " takes " + argCount + " arguments");
        }
        this.status = statusIndex;
        this.ranges = new ParallelRanges(threads, "streamfold-batch-worker");
    }

    public BatchedKernel kernel() {
        return kernel;
    }

    public int threads() {
        return ranges.threads();
    }

    /**
     * Runs the kernel over items {@code [0, batch)}, its buffers given by name.
     *
     * @throws IllegalArgumentException naming a buffer of the kernel that {@code buffers} lacks, a name that is no
     *     buffer of the kernel, or the first check the call fails (see the class)
     */
    public BatchResult run(Map<String, MemorySegment> buffers, long[] args, long batch) {
        Objects.requireNonNull(buffers, "buffers");
        Map<String, Integer> index = new HashMap<>();
        for (int i = 0; i < this.buffers.size(); i++) {
            index.put(this.buffers.get(i).name(), i);
        }
        for (String name : buffers.keySet()) {
            if (!index.containsKey(name)) {
                throw new IllegalArgumentException(prefix() + "no buffer is named " + name + " (the kernel's buffers: "
                        + names() + ")");
            }
        }
        MemorySegment[] ordered = new MemorySegment[this.buffers.size()];
        for (int i = 0; i < ordered.length; i++) {
            ordered[i] = buffers.get(this.buffers.get(i).name());
        }
        return run(ordered, args, batch);
    }

    /**
     * Runs the kernel over items {@code [0, batch)}; {@code buffers[i]} is the kernel's buffer {@code i}.
     *
     * @throws IllegalArgumentException for the first check the call fails (see the class); nothing has run then
     * @throws IllegalStateException when the runner is closed or the kernel wrote an unknown status code
     */
    public BatchResult run(MemorySegment[] buffers, long[] args, long batch) {
        if (closed) {
            throw new IllegalStateException(prefix() + "the runner is closed");
        }
        MemorySegment[] segments = Objects.requireNonNull(buffers, "buffers").clone();
        long[] arguments = Objects.requireNonNull(args, "args").clone();
        check(segments, arguments, batch);
        List<Failures> parts = ranges.map(batch, 0, (from, to) -> {
            if (status >= 0) {
                segments[status].asSlice(from * Integer.BYTES, (to - from) * Integer.BYTES).fill((byte) 0);
            }
            kernel.run(segments, arguments, batch, from, to);
            return status >= 0 ? scan(segments[status], from, to) : Failures.NONE;
        });
        long failed = 0;
        List<BatchResult.Failure> first = new ArrayList<>();
        for (Failures p : parts) {
            failed += p.count();
            for (BatchResult.Failure f : p.first()) {
                if (first.size() < BatchResult.FIRST_FAILURES) {
                    first.add(f);
                }
            }
        }
        return new BatchResult(kernel.name(), batch, status >= 0, failed, first);
    }

    /** The failures of one range: their count and the first ones, in item order. */
    private record Failures(long count, List<BatchResult.Failure> first) {
        static final Failures NONE = new Failures(0, List.of());
    }

    private Failures scan(MemorySegment codes, long from, long to) {
        long count = 0;
        List<BatchResult.Failure> first = new ArrayList<>();
        for (long item = from; item < to; item++) {
            int code = codes.getAtIndex(ValueLayout.JAVA_INT, item);
            if (code != BatchStatus.OK.code()) {
                count++;
                if (first.size() < BatchResult.FIRST_FAILURES) {
                    first.add(new BatchResult.Failure(item, statusOf(code, item)));
                }
            }
        }
        return new Failures(count, first);
    }

    private BatchStatus statusOf(int code, long item) {
        for (BatchStatus s : BatchStatus.values()) {
            if (s.code() == code) {
                return s;
            }
        }
        throw new IllegalStateException(prefix() + "item " + item + " has status code " + code + ", which is no BatchStatus");
    }

    private void check(MemorySegment[] segments, long[] args, long batch) {
        if (segments.length != buffers.size()) {
            throw new IllegalArgumentException(prefix() + "the kernel takes " + buffers.size() + " buffers (" + names()
                    + "), got " + segments.length);
        }
        if (args.length != argCount) {
            throw new IllegalArgumentException(prefix() + "the kernel takes " + argCount
                    + (argCount == 1 ? " i64 argument" : " i64 arguments") + ", got " + args.length);
        }
        if (batch < 1 || batch > MAX_BATCH) {
            throw new IllegalArgumentException(prefix() + "batch " + batch + " must be in [1, 2^40]");
        }
        for (int i = 0; i < segments.length; i++) {
            checkBuffer(buffers.get(i), segments[i], batch);
        }
        for (int i = 0; i < segments.length; i++) {
            if (!written(buffers.get(i))) {
                continue;
            }
            for (int j = 0; j < segments.length; j++) {
                if (j != i && segments[i].asOverlappingSlice(segments[j]).isPresent()) {
                    throw new IllegalArgumentException(prefix() + "buffer " + buffers.get(i).name() + " ("
                            + buffers.get(i).role() + ") shares memory with buffer " + buffers.get(j).name()
                            + ": a buffer the kernel writes must not overlap another buffer");
                }
            }
        }
    }

    private void checkBuffer(BatchedBuffer b, MemorySegment s, long batch) {
        String what = prefix() + "buffer " + b.name() + " (" + describe(b) + ")";
        if (s == null) {
            throw new IllegalArgumentException(what + " is missing");
        }
        if (!s.isNative()) {
            throw new IllegalArgumentException(what + " is a heap segment, but batched kernels take native memory: "
                    + "allocate it from an Arena");
        }
        if (!s.scope().isAlive()) {
            throw new IllegalArgumentException(what + " belongs to an arena that is closed");
        }
        if (!s.isAccessibleBy(Thread.currentThread())) {
            throw new IllegalArgumentException(what + " belongs to a confined arena of another thread, which this "
                    + "thread may not access");
        }
        if (threads() > 1 && !s.isAccessibleBy(OTHER_THREAD)) {
            throw new IllegalArgumentException(what + " belongs to a confined arena, which only its owner thread may "
                    + "access, but this runner runs on " + threads() + " worker threads: allocate it from "
                    + "Arena.ofShared(), Arena.global() or Arena.ofAuto(), or run with one thread");
        }
        if (written(b) && s.isReadOnly()) {
            throw new IllegalArgumentException(what + " is read-only, but the kernel writes it");
        }
        int size = b.type().bytes();
        if (b.role() == BatchedBuffer.Role.PARAM && b.elements() < 0) {
            if (s.byteSize() % size != 0) {
                throw new IllegalArgumentException(what + " has " + s.byteSize() + " bytes, not a whole number of "
                        + b.type() + " elements (" + size + " bytes each)");
            }
        } else {
            long need = b.bytes(batch);
            if (s.byteSize() != need) {
                throw new IllegalArgumentException(what + " has " + s.byteSize() + " bytes, " + (b.role()
                        == BatchedBuffer.Role.PARAM ? "its fixed length needs exactly " + need
                        : "a batch of " + batch + " items needs exactly " + need + " (element e of item i at e * " + batch
                                + " + i)"));
            }
        }
        if (s.address() % size != 0) {
            throw new IllegalArgumentException(what + " starts at address 0x" + Long.toHexString(s.address())
                    + ", which is not a multiple of its element size " + size);
        }
    }

    private static boolean written(BatchedBuffer b) {
        return switch (b.role()) {
            case OUT, STATE -> true;
            case IN, PARAM -> false;
        };
    }

    private static String describe(BatchedBuffer b) {
        return switch (b.role()) {
            case IN, OUT, STATE -> b.role() + " " + b.type() + " x " + b.elements() + " per item";
            case PARAM -> b.elements() < 0 ? "PARAM " + b.type() + ", any length"
                    : "PARAM " + b.type() + " x " + b.elements();
        };
    }

    private String names() {
        StringJoiner j = new StringJoiner(", ");
        for (BatchedBuffer b : buffers) {
            j.add(b.name());
        }
        return j.toString();
    }

    private String prefix() {
        return "kernel " + kernel.name() + ": ";
    }

    /** Stops the worker threads; later calls are refused. */
    @Override
    public void close() {
        closed = true;
        ranges.close();
    }
}
