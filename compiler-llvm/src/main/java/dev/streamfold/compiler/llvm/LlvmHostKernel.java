package dev.streamfold.compiler.llvm;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_DOUBLE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import dev.streamfold.compiler.kir.KInstr;
import dev.streamfold.compiler.kir.KirWalk;
import dev.streamfold.compiler.lower.StepKir;
import dev.streamfold.ir.DType;
import dev.streamfold.runtime.ElementType;
import dev.streamfold.runtime.NoiseKernel;
import dev.streamfold.runtime.ParamSlot;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.util.List;

/**
 * A step kernel compiled for this CPU from {@link LlvmEmitter#host}'s module, called through
 * {@code java.lang.foreign}.
 *
 * <p>x, y and the state buffers must be native segments (allocated by an {@link Arena}, as {@code StreamingRunner}
 * and {@code KernelEval} do), aligned to their element size, writable where written and large enough for the
 * call (a state buffer of {@code rows} rows: {@code (rows - 1) * stateStride + to} elements, its rows at least
 * {@code to - from} elements apart); violations throw {@link IllegalArgumentException} before any native code runs.
 * x and y may be the same memory (in place); state buffers must not overlap x, y or each other (the compiled loop
 * assumes so). Parameter arrays are copied
 * to a per-thread native scratch buffer for each call. Thread-safe; the compiled module lives as long as the kernel.
 *
 * <p>{@link #noiseStep} runs {@link LlvmEmitter#hostNoise}'s module, compiled on its first call.
 */
public final class LlvmHostKernel implements NoiseKernel {
    private static final FunctionDescriptor STEP = FunctionDescriptor.ofVoid(JAVA_LONG, ADDRESS, ADDRESS, ADDRESS,
            ADDRESS, ADDRESS, JAVA_LONG, JAVA_LONG, JAVA_LONG);
    private static final FunctionDescriptor SCAN = FunctionDescriptor.ofVoid(JAVA_LONG, JAVA_INT, ADDRESS, ADDRESS,
            ADDRESS, ADDRESS, JAVA_LONG, ADDRESS, JAVA_LONG, JAVA_LONG, JAVA_LONG);
    private static final FunctionDescriptor NOISE_STEP = FunctionDescriptor.ofVoid(JAVA_LONG, ADDRESS, ADDRESS,
            JAVA_LONG, JAVA_DOUBLE, JAVA_LONG, ADDRESS, ADDRESS, JAVA_LONG, JAVA_LONG, JAVA_LONG);

    private final HostModule module;
    private final LlvmToolchain toolchain;
    private final StepKir kernel;
    private final String name;
    private final String description;
    private final ElementType elementType;
    private final int bytes;
    private final int paramCount;
    private final int stateCount;
    /** Rows of each state buffer. */
    private final int[] stateRows;
    private final MethodHandle step;
    private final MethodHandle scan;
    /** Which parameters the kernel reads: those must not be empty (native code would read out of bounds). */
    private final boolean[] read;

    /** The compiled noise module and its entry point; null until the first {@link #noiseStep}. */
    private volatile NoiseEntry noise;

    private record NoiseEntry(HostModule module, MethodHandle noiseStep) {}

    private LlvmHostKernel(LlvmToolchain toolchain, HostModule module, String name, String description,
            StepKir k) {
        this.module = module;
        this.toolchain = toolchain;
        this.kernel = k;
        this.name = name;
        this.description = description;
        this.elementType = k.dtype() == DType.F32 ? ElementType.FLOAT32 : ElementType.FLOAT64;
        this.bytes = k.dtype() == DType.F32 ? 4 : 8;
        this.paramCount = k.paramCount();
        this.stateCount = k.stateCount();
        this.stateRows = new int[stateCount];
        for (int b = 0; b < stateCount; b++) {
            stateRows[b] = k.kernel().buffers().get(k.state(b)).elements();
        }
        this.read = new boolean[k.paramCount()];
        KirWalk.forEach(k.kernel().body(), i -> {
            if (i instanceof KInstr.Load l && k.paramOfBuffer(l.buffer()) >= 0) {
                read[k.paramOfBuffer(l.buffer())] = true;
            }
        });
        this.step = bind(module, name + "_step", STEP);
        this.scan = bind(module, name + "_scan", SCAN);
    }

    /**
     * Renders, JIT-compiles and binds {@code k}.
     *
     * @param name the kernel's symbol prefix (see {@link LlvmEmitter})
     * @throws LlvmException if LLVM rejects the module
     */
    public static LlvmHostKernel compile(LlvmToolchain toolchain, StepKir k, String name, String description) {
        HostModule module = toolchain.jitHost(LlvmEmitter.host(k, name, description));
        try {
            return new LlvmHostKernel(toolchain, module, name, description, k);
        } catch (RuntimeException e) {
            module.close();
            throw e;
        }
    }

    @SuppressWarnings("restricted")
    private static MethodHandle bind(HostModule module, String symbol, FunctionDescriptor descriptor) {
        return Linker.nativeLinker().downcallHandle(module.lookup(symbol), descriptor);
    }

    /** The compiled module's name. */
    public String moduleName() {
        return module.name();
    }

    @Override
    public ElementType elementType() {
        return elementType;
    }

    @Override
    public int paramCount() {
        return paramCount;
    }

    @Override
    public List<ParamSlot> paramSlots() {
        return kernel.slots();
    }

    @Override
    public int stateCount() {
        return stateCount;
    }

    @Override
    public int stateRows(int k) {
        return stateRows[k];
    }

    @Override
    public void step(long t, double[][] params, MemorySegment x, MemorySegment y, MemorySegment[] state,
            long stateStride, long from, long to) {
        if (t < 0 || from < 0 || to < from) {
            throw new IllegalArgumentException("step " + t + " on [" + from + ", " + to + ") is not a valid call");
        }
        long need = to * bytes;
        requireBuffer("x", x, need, false);
        requireBuffer("y", y, need, true);
        requireStates(state, stateStride, from, to);
        if (from == to) {
            return;
        }
        try {
            Scratch sc = marshal(params, state);
            step.invokeExact(t, sc.pointers, sc.lens, x, y, sc.states, stateStride, from, to);
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void scan(long t0, int steps, double[][] params, MemorySegment x, MemorySegment y, long rowStride,
            MemorySegment[] state, long stateStride, long from, long to) {
        if (t0 < 0 || steps < 0 || rowStride < 0 || from < 0 || to < from) {
            throw new IllegalArgumentException("scan of " + steps + " steps from " + t0 + " on [" + from + ", " + to
                    + ") with row stride " + rowStride + " is not a valid call");
        }
        long rows = steps == 0 ? 0 : Math.addExact(Math.multiplyExact(steps - 1L, rowStride), to) * bytes;
        requireBuffer("x", x, rows, false);
        requireBuffer("y", y, rows, true);
        requireStates(state, stateStride, from, to);
        if (from == to || steps == 0) {
            return;
        }
        try {
            Scratch sc = marshal(params, state);
            scan.invokeExact(t0, steps, sc.pointers, sc.lens, x, y, rowStride, sc.states, stateStride, from, to);
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * {@inheritDoc}
     *
     * <p>The first call compiles the noise module; it takes the checks and the buffer rules of {@link #step}, with
     * no x.
     *
     * @throws LlvmException if LLVM rejects the noise module
     */
    @Override
    public void noiseStep(long t, double[][] params, long seed, double stddev, long coordBase, MemorySegment y,
            MemorySegment[] state, long stateStride, long from, long to) {
        if (t < 0 || from < 0 || to < from) {
            throw new IllegalArgumentException("step " + t + " on [" + from + ", " + to + ") is not a valid call");
        }
        long need = to * bytes;
        requireBuffer("y", y, need, true);
        requireStates(state, stateStride, from, to);
        if (from == to) {
            return;
        }
        MethodHandle noiseStep = noiseEntry().noiseStep();
        try {
            Scratch sc = marshal(params, state);
            noiseStep.invokeExact(t, sc.pointers, sc.lens, seed, stddev, coordBase, y, sc.states, stateStride, from,
                    to);
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable e) {
            throw new IllegalStateException(e);
        }
    }

    private NoiseEntry noiseEntry() {
        NoiseEntry e = noise;
        if (e == null) {
            synchronized (this) {
                e = noise;
                if (e == null) {
                    HostModule m = toolchain.jitHost(LlvmEmitter.hostNoise(kernel, name, description));
                    try {
                        e = new NoiseEntry(m, bind(m, name + "_noise_step", NOISE_STEP));
                    } catch (RuntimeException ex) {
                        m.close();
                        throw ex;
                    }
                    noise = e;
                }
            }
        }
        return e;
    }

    /**
     * Per-thread native scratch holding the parameter pointer and length arrays, the parameter values
     * and the state pointers of one call. It lives in a shared arena for the thread's lifetime and is
     * reused by every call, so no call opens an arena of its own (a confined arena per call would make
     * the JDK's segment accessors see a second session type, and the Vector API kernels running in the
     * same JVM would be deoptimized over and over).
     */
    private static final class Scratch {
        private final Arena arena = Arena.ofShared();
        private MemorySegment block = MemorySegment.NULL;
        MemorySegment pointers = MemorySegment.NULL;
        MemorySegment lens = MemorySegment.NULL;
        MemorySegment states = MemorySegment.NULL;

        MemorySegment capacity(long bytes) {
            if (block.byteSize() < bytes) {
                block = arena.allocate(Math.max(bytes, 2 * block.byteSize()), 8);
            }
            return block;
        }
    }

    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    /** Writes the call's parameters and state pointers into this thread's scratch. */
    private Scratch marshal(double[][] params, MemorySegment[] state) {
        if (params.length != paramCount) {
            throw new IllegalArgumentException("kernel takes " + paramCount + " parameters, got " + params.length);
        }
        long values = 0;
        for (int p = 0; p < paramCount; p++) {
            if (read[p] && params[p].length == 0) {
                throw new IllegalArgumentException("parameter " + p + " is empty but the kernel reads it");
            }
            values += params[p].length;
        }
        long words = 2L * paramCount + stateCount + values;
        Scratch sc = SCRATCH.get();
        MemorySegment block = sc.capacity(Math.max(8, words * 8));
        sc.pointers = paramCount == 0 ? MemorySegment.NULL : block.asSlice(0, paramCount * 8L);
        sc.lens = paramCount == 0 ? MemorySegment.NULL : block.asSlice(paramCount * 8L, paramCount * 8L);
        sc.states = stateCount == 0 ? MemorySegment.NULL : block.asSlice(2L * paramCount * 8, stateCount * 8L);
        long at = (2L * paramCount + stateCount) * 8;
        for (int p = 0; p < paramCount; p++) {
            MemorySegment v = block.asSlice(at, params[p].length * 8L);
            MemorySegment.copy(params[p], 0, v, JAVA_DOUBLE, 0, params[p].length);
            sc.pointers.setAtIndex(ADDRESS, p, v);
            sc.lens.setAtIndex(JAVA_LONG, p, params[p].length);
            at += params[p].length * 8L;
        }
        for (int b = 0; b < stateCount; b++) {
            sc.states.setAtIndex(ADDRESS, b, state[b]);
        }
        return sc;
    }

    /**
     * Checks the state buffers of a call on {@code [from, to)}: each holds its rows {@code stateStride} elements apart,
     * far enough apart not to overlap.
     */
    private void requireStates(MemorySegment[] state, long stateStride, long from, long to) {
        if (state.length != stateCount) {
            throw new IllegalArgumentException("kernel has " + stateCount + " state buffers, got " + state.length);
        }
        if (stateStride < 0) {
            throw new IllegalArgumentException("state stride " + stateStride + " is negative");
        }
        for (int b = 0; b < stateCount; b++) {
            if (stateRows[b] > 1 && stateStride < to - from) {
                throw new IllegalArgumentException("state" + b + " has " + stateRows[b] + " rows " + stateStride
                        + " elements apart, which overlap on the " + (to - from) + " elements [" + from + ", " + to + ")");
            }
            long elements = Math.addExact(Math.multiplyExact(stateRows[b] - 1L, stateStride), to);
            requireBuffer("state" + b, state[b], Math.multiplyExact(elements, bytes), true);
        }
    }

    private void requireBuffer(String what, MemorySegment s, long need, boolean written) {
        if (!s.isNative()) {
            throw new IllegalArgumentException("the LLVM host backend runs native code, which cannot reach heap "
                    + "memory: " + what + " must be a native segment (allocated by an Arena)");
        }
        if (s.address() % bytes != 0) {
            throw new IllegalArgumentException(what + " at address " + s.address() + " is not aligned to its "
                    + bytes + "-byte elements");
        }
        if (s.byteSize() < need) {
            throw new IllegalArgumentException(what + " has " + s.byteSize() + " bytes, the call needs " + need);
        }
        if (written && s.isReadOnly()) {
            throw new IllegalArgumentException(what + " is read-only");
        }
    }
}
