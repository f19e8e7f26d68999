package dev.streamfold.compiler.llvm;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import dev.streamfold.compiler.kir.KBuffer;
import dev.streamfold.compiler.kir.Kernel;
import dev.streamfold.compiler.kir.KirPrinter;
import dev.streamfold.runtime.batched.BatchedBuffer;
import dev.streamfold.runtime.batched.BatchedKernel;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Batched kernels of kernel IR v2 compiled for this CPU through LLVM ({@link LlvmKirEmitter#host}) and called
 * through {@code java.lang.foreign}. Kernels are cached by their printed text; modules stay loaded for the life of
 * the process.
 *
 * <p>The loaded kernel's {@link BatchedKernel#buffers} are the kernel's non-scratch buffers in table order. Its
 * {@code run} takes native segments (allocated by an {@link Arena}) aligned to their element size, batched ones of at
 * least {@code elements * batch} elements; a param of free length has the length of its segment. Its
 * {@code args} are the kernel's scalar arguments, one i64 word each: integers by value, floating ones as
 * {@link Double#doubleToRawLongBits} (f32 arguments are rounded to float). Buffers must not overlap unless both
 * are only read. {@code run} checks the buffer count, kinds and sizes and the range before native code runs, and
 * throws {@link IllegalArgumentException} on a violation. Thread-safe.
 *
 * <p>The item loop runs {@link #lanes} consecutive items at once as one SIMD vector per value (one lane per item), the
 * rest of a range one item at a time; every width computes the evaluator's bits.
 */
public final class LlvmKirKernels {
    private static final FunctionDescriptor RUN = FunctionDescriptor.ofVoid(ADDRESS, ADDRESS, ADDRESS, JAVA_LONG,
            JAVA_LONG, JAVA_LONG);

    private static final ConcurrentHashMap<String, BatchedKernel> CACHE = new ConcurrentHashMap<>();

    /** The system property that fixes the items a host kernel runs at once, for every kernel. */
    public static final String LANES_PROPERTY = "streamfold.llvm.lanes";

    private LlvmKirKernels() {}

    private static final class Toolchain {
        static final LlvmToolchain INSTANCE = new LlvmToolchain();
    }

    /**
     * The loaded kernel for {@code k}, compiled on first use.
     *
     * @throws IllegalStateException if {@code k} does not verify
     * @throws LlvmException if LLVM rejects the module
     */
    public static BatchedKernel load(Kernel k) {
        return load(k, lanes(k));
    }

    /**
     * The loaded kernel for {@code k} running {@code lanes} items at once as vectors ({@link LlvmKirEmitter#host(Kernel,
     * int)}), compiled on first use.
     *
     * @param lanes a power of two from 1 to 64
     * @throws IllegalStateException if {@code k} does not verify
     * @throws LlvmException if LLVM rejects the module
     */
    public static BatchedKernel load(Kernel k, int lanes) {
        return CACHE.computeIfAbsent(lanes + " lanes\n" + KirPrinter.print(k), text -> compile(k, lanes));
    }

    /**
     * The items {@link #load(Kernel)} runs at once: the system property {@value #LANES_PROPERTY} if set, else one
     * host vector register of the kernel's widest batched element ({@link LlvmKirEmitter#lanesFor}).
     */
    public static int lanes(Kernel k) {
        Integer given = Integer.getInteger(LANES_PROPERTY);
        return given != null ? given : LlvmKirEmitter.lanesFor(k, Toolchain.INSTANCE.hostVectorBits());
    }

    /** Number of distinct kernels compiled so far. */
    public static int cachedKernels() {
        return CACHE.size();
    }

    private static BatchedKernel compile(Kernel k, int lanes) {
        HostModule module = Toolchain.INSTANCE.jitHost(LlvmKirEmitter.host(k, lanes));
        try {
            return new HostKernel(k, module, bind(module, LlvmKirEmitter.symbol(k) + "_run"));
        } catch (RuntimeException e) {
            module.close();
            throw e;
        }
    }

    @SuppressWarnings("restricted")
    private static MethodHandle bind(HostModule module, String symbol) {
        return Linker.nativeLinker().downcallHandle(module.lookup(symbol), RUN);
    }

    /** The runtime's view of a kernel buffer; scratch buffers have none. */
    static BatchedBuffer batchedBuffer(KBuffer b) {
        BatchedBuffer.Role role = switch (b.role()) {
            case IN -> BatchedBuffer.Role.IN;
            case OUT -> BatchedBuffer.Role.OUT;
            case STATE -> BatchedBuffer.Role.STATE;
            case PARAM -> BatchedBuffer.Role.PARAM;
            case SCRATCH -> throw new IllegalArgumentException("scratch buffer " + b.name() + " is not passed");
        };
        return new BatchedBuffer(b.name(), role, b.type().elementType(), b.elements());
    }


    /** A JIT-compiled kernel; its module lives as long as it does. */
    private static final class HostKernel implements BatchedKernel {
        private final String name;
        private final List<BatchedBuffer> buffers;
        private final int argCount;
        private final HostModule module;
        private final MethodHandle run;

        HostKernel(Kernel k, HostModule module, MethodHandle run) {
            this.name = k.name();
            List<BatchedBuffer> passed = new ArrayList<>();
            for (KBuffer b : k.buffers()) {
                if (b.role() != KBuffer.Role.SCRATCH) {
                    passed.add(batchedBuffer(b));
                }
            }
            this.buffers = List.copyOf(passed);
            this.argCount = k.args().size();
            this.module = module;
            this.run = run;
        }

        @Override
        public String name() {
            return name;
        }

        @Override
        public List<BatchedBuffer> buffers() {
            return buffers;
        }

        @Override
        public int argCount() {
            return argCount;
        }

        @Override
        public void run(MemorySegment[] segments, long[] args, long batch, long from, long to) {
            if (segments.length != buffers.size() || args.length != argCount) {
                throw new IllegalArgumentException("kernel " + name + " takes " + buffers.size() + " buffers and " + argCount
                        + " arguments, got " + segments.length + " and " + args.length);
            }
            if (from < 0 || from > to || to > batch) {
                throw new IllegalArgumentException("kernel " + name + ": items [" + from + ", " + to + ") of a batch of "
                        + batch + " is not a valid range");
            }
            Scratch sc = SCRATCH.get();
            MemorySegment block = sc.capacity(8L * (2L * buffers.size() + argCount + 1));
            MemorySegment pointers = block.asSlice(0, 8L * buffers.size());
            MemorySegment lengths = block.asSlice(8L * buffers.size(), 8L * buffers.size());
            MemorySegment words = block.asSlice(16L * buffers.size(), 8L * argCount);
            for (int i = 0; i < segments.length; i++) {
                BatchedBuffer b = buffers.get(i);
                MemorySegment s = segments[i];
                long bytes = b.type().bytes();
                check(s, b, batch);
                pointers.setAtIndex(ADDRESS, i, s);
                lengths.setAtIndex(JAVA_LONG, i, b.role() == BatchedBuffer.Role.PARAM && b.elements() < 0
                        ? s.byteSize() / bytes : b.elements());
            }
            for (int a = 0; a < argCount; a++) {
                words.setAtIndex(JAVA_LONG, a, args[a]);
            }
            if (from == to) {
                return;
            }
            try {
                run.invokeExact(pointers, lengths, words, batch, from, to);
            } catch (RuntimeException | Error e) {
                throw e;
            } catch (Throwable e) {
                throw new IllegalStateException(e);
            }
        }

        private void check(MemorySegment s, BatchedBuffer b, long batch) {
            if (s == null || !s.isNative()) {
                throw new IllegalArgumentException("kernel " + name + ": buffer " + b.name()
                        + " must be a native segment (allocated by an Arena)");
            }
            if (s.address() % b.type().bytes() != 0) {
                throw new IllegalArgumentException("kernel " + name + ": buffer " + b.name() + " is not aligned to its "
                        + b.type().bytes() + "-byte elements");
            }
            if (s.byteSize() < b.bytes(batch)) {
                throw new IllegalArgumentException("kernel " + name + ": buffer " + b.name() + " has " + s.byteSize()
                        + " bytes, a batch of " + batch + " needs " + b.bytes(batch));
            }
            if (b.role() != BatchedBuffer.Role.IN && b.role() != BatchedBuffer.Role.PARAM && s.isReadOnly()) {
                throw new IllegalArgumentException("kernel " + name + ": buffer " + b.name() + " is read-only");
            }
        }

        @Override
        public String toString() {
            return "LLVM host kernel " + name + " (module " + module.name() + ")";
        }
    }

    /**
     * Per-thread native words holding one call's buffer pointers, lengths and arguments, in a shared arena for the
     * thread's lifetime, so no call opens an arena of its own (see {@link LlvmHostKernel}).
     */
    private static final class Scratch {
        private final Arena arena = Arena.ofShared();
        private MemorySegment block = MemorySegment.NULL;

        MemorySegment capacity(long bytes) {
            if (block.byteSize() < bytes) {
                block = arena.allocate(Math.max(bytes, 2 * block.byteSize()), 8);
            }
            return block;
        }
    }

    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);
}
