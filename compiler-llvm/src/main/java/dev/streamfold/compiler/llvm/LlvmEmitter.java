package dev.streamfold.compiler.llvm;

import dev.streamfold.compiler.kir.KInstr;
import dev.streamfold.compiler.kir.KType;
import dev.streamfold.compiler.kir.KValue;
import dev.streamfold.compiler.kir.KirPrinter;
import dev.streamfold.compiler.kir.KirVerifier;
import dev.streamfold.compiler.kir.KirWalk;
import dev.streamfold.compiler.lower.StepKir;
import dev.streamfold.compiler.vector.VectorStepBackend;
import dev.streamfold.ir.DType;
import dev.streamfold.ir.StreamfoldException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Renders a streaming step of kernel IR v2 ({@link StepKir}: one batch item per element of the slice) as textual
 * LLVM IR that computes the same bits as the Vector API backend: IEEE {@code fadd/fsub/fmul/fdiv}, {@code llvm.fma}
 * for the kernel's explicit fused multiply-adds and no other contraction, no fast-math flags. Uniform values (the
 * per-step scalars: parameter reads, constants and what is computed from them) are computed once per step in the
 * {@code NAME_scalars} function; lane values once per element in the element loop. {@code exp}, {@code log} and
 * {@code pow} are computed in double (the lowering widens float32 operands and rounds once, as the Vector API backend
 * does). Those three call the C library, which may differ from Java's {@code Math} in the last place; {@code pow}
 * follows Java's special cases. Integer division and remainder by zero give 0 and {@code MIN / -1} wraps, as
 * {@link dev.streamfold.compiler.kir.KirEvaluator} defines them.
 *
 * <p>A {@link KInstr.Loop} is basic blocks with phi nodes for its index and carried values. A loop that computes only
 * uniform values belongs to the scalars function; any other is rendered inside the per-element code. On the GPU (and
 * on the host where such a loop has another inside that computes lane values, or where the lane values to keep would
 * take more than {@code HOST_STACK_BYTES} of stack) the uniform instructions of its body (integer index arithmetic,
 * parameter reads) are computed inline for every element, and so is every uniform instruction that reads what such a
 * loop computes. Elsewhere on the host the element loop runs in blocks of {@code HOST_BLOCK} elements: the
 * instructions between such loops as element loops over the block, each loop row-outer (its uniform instructions once
 * per row, a few rows per pass) and element-inner, the lane values that pass from one part to another kept in
 * block-sized arrays on the stack. Every element computes the same instructions in the same order as element by
 * element, so the bits are the same.
 *
 * <p>A state buffer may have several rows ({@link dev.streamfold.compiler.kir.KBuffer#elements()} of them, e.g. a
 * ring of past values): row {@code r} of element {@code i} is at element {@code r * stateStride + i} of the buffer,
 * and lane loads and stores may address it at any uniform row. x, y and single-row state buffers are accessed at
 * element 0 only.
 *
 * <p>The host form (this class) exports two C-ABI functions per kernel, for {@link LlvmHostKernel}:
 *
 * <pre>
 * void NAME_step(i64 t, ptr params, ptr lens, ptr x, ptr y, ptr states, i64 stateStride, i64 from, i64 to)
 * void NAME_scan(i64 t0, i32 steps, ptr params, ptr lens, ptr x, ptr y, i64 rowStride, ptr states,
 *                i64 stateStride, i64 from, i64 to)
 * </pre>
 *
 * where {@code params} points to {@code paramCount} pointers to float64 arrays, {@code lens} to their
 * {@code paramCount} lengths (i64), and {@code states} to {@code stateCount} state buffer pointers; row {@code r} of
 * a state buffer starts at element {@code r * stateStride} (unused for single-row buffers). x and y may alias each
 * other; state buffers alias neither them nor each other. The scan walks {@code [from, to)} in blocks of
 * {@link VectorStepBackend#SCAN_BLOCK} elements and runs every step on a block before the next, like the Vector API
 * backend. The element loop is plain scalar IR that LLVM's O3 pipeline vectorizes; one with a loop inside runs in
 * blocks, each of the loop's passes over a block an element loop that LLVM vectorizes, so that a ring step streams
 * its rows through memory once.
 *
 * <p>{@link #hostNoise} renders, in a module of its own ({@code NAME_noise.ll}), the entry point that draws x itself:
 *
 * <pre>
 * void NAME_noise_step(i64 t, ptr params, ptr lens, i64 seed, double stddev, i64 coordBase, ptr y, ptr states,
 *                      i64 stateStride, i64 from, i64 to)
 * </pre>
 *
 * equal bit for bit to {@code NAME_step} with element i of x set to {@code stddev * z(seed, t, coordBase + i)}, z
 * the deviate of {@code GaussianNoise} ({@link LlvmNoise}); float32 kernels multiply the float32 deviate by stddev
 * rounded to float32, as {@code GaussianNoise.fillF32} does.
 *
 * <p>{@link PtxLlvmEmitter} renders the GPU form, overriding the address space, the parameter passing and the
 * entry points.
 */
public sealed class LlvmEmitter permits PtxLlvmEmitter {
    /** First line of every generated module's header. */
    public static final String GENERATED = "; generated by Streamfold — do not edit";

    protected final StepKir k;
    protected final String name;
    protected final String description;
    protected final String type;
    protected final int bytes;
    /**
     * Uniform instructions other than constants, in program order: the scalars function's body (loops that compute
     * only uniform values included).
     */
    private final List<KInstr> uniform = new ArrayList<>();
    /**
     * Lane instructions, stores, the loops that carry lane values and the uniform instructions that read what those
     * loops compute, in program order: the element loop's body.
     */
    private final List<KInstr> lanes = new ArrayList<>();
    /** The literal of each constant, by value id (constants of loop bodies included). */
    private final Map<Integer, String> constants = new HashMap<>();
    /** Uniform values the element loop reads, in order of first use: the scalars function's results. */
    protected final List<KValue> splatted;
    /**
     * Whether the element loop computes uniform values of its own (in loop bodies): it then needs the step index and
     * the parameter arrays.
     */
    protected final boolean elementScalars;
    /** Which entry points the module exports. */
    protected final Entries entries;
    /**
     * The parts of the host element loop where it runs in blocks of {@link #HOST_BLOCK} elements (see
     * {@link #blockedHostLoop}); empty where it runs the whole body element by element: without a loop that computes
     * lane values, or with more lane values to keep than {@link #HOST_STACK_BYTES} hold.
     */
    private final List<Part> hostParts;
    private final Set<String> declarations = new TreeSet<>();

    /**
     * Elements of a block of the host element loop of a kernel with a loop that computes lane values: a block's
     * carried and kept values stay in the first-level cache (8 or 16 KiB per array), and each row of a ring is read
     * in runs long enough for the hardware prefetchers.
     */
    static final int HOST_BLOCK = 2048;
    /**
     * Rows of a row loop that one pass over a block computes, element after element: each pass reads that many rows
     * at once and writes its carried values once.
     */
    static final int HOST_ROWS = 4;
    /**
     * The most stack the blocked element loop's arrays may take (the loop runs on the calling Java thread's stack); a
     * kernel whose loops carry or keep more lane values runs element by element.
     */
    static final int HOST_STACK_BYTES = 256 * 1024;

    /** The entry points of a module: the step and the scan, or the step on drawn noise. */
    enum Entries {
        STEP_AND_SCAN,
        NOISE_STEP
    }

    LlvmEmitter(StepKir k, String name, String description, Entries entries) {
        KirVerifier.verify(k.kernel());
        if (!name.matches("[A-Za-z_][A-Za-z0-9_]*")) {
            throw new IllegalArgumentException("not a kernel name: '" + name + "'");
        }
        this.k = k;
        this.name = name;
        this.description = description;
        this.entries = entries;
        this.type = k.dtype() == DType.F32 ? "float" : "double";
        this.bytes = k.dtype() == DType.F32 ? 4 : 8;
        KirWalk.forEach(k.kernel().body(), i -> {
            switch (i) {
                case KInstr.ConstF c -> constants.put(c.dst().id(), floatConstant(c.dst().type(), c.value()));
                case KInstr.ConstI c -> constants.put(c.dst().id(), intConstant(c.dst().type(), c.value()));
                case KInstr.Arg _, KInstr.Length _, KInstr.Load _, KInstr.Store _, KInstr.Unary _,
                        KInstr.Binary _, KInstr.Fma _, KInstr.Compare _, KInstr.Select _, KInstr.Convert _,
                        KInstr.Loop _ -> {}
            }
        });
        // Uniform values of the scalars function, and those the element loop computes itself.
        Set<Integer> scalars = new HashSet<>();
        Set<Integer> perElement = new HashSet<>();
        Set<KValue> s = new LinkedHashSet<>();
        for (KInstr i : k.kernel().body()) {
            switch (i) {
                case KInstr.ConstF _, KInstr.ConstI _ -> {}
                case KInstr.Loop l -> {
                    boolean[] readsPerElement = {false};
                    KirWalk.forEach(List.of(l), j -> readsPerElement[0] |= loopOperands(j).stream()
                            .anyMatch(v -> perElement.contains(v.id())));
                    if (computesUniformOnly(l) && !readsPerElement[0]) {
                        uniform.add(i);
                        l.results().forEach(r -> scalars.add(r.id()));
                    } else {
                        checkLaneLoop(l.body());
                        KirWalk.forEach(List.of(l), j -> loopOperands(j).forEach(v -> splat(s, scalars, v)));
                        lanes.add(i);
                        l.results().forEach(r -> perElement.add(r.id()));
                    }
                }
                case KInstr.Store st -> {
                    requireIndex(i, st.buffer(), st.index());
                    splat(s, scalars, st.index());
                    splat(s, scalars, st.value());
                    lanes.add(i);
                }
                case KInstr.Arg _, KInstr.Length _, KInstr.Load _, KInstr.Unary _, KInstr.Binary _, KInstr.Fma _,
                        KInstr.Compare _, KInstr.Select _, KInstr.Convert _ -> {
                    if (i instanceof KInstr.Load l && l.dst().lane()) {
                        requireIndex(i, l.buffer(), l.index());
                    }
                    if (i.dst().lane() || i.operands().stream().anyMatch(v -> perElement.contains(v.id()))) {
                        i.operands().forEach(v -> splat(s, scalars, v));
                        lanes.add(i);
                        if (!i.dst().lane()) {
                            perElement.add(i.dst().id());
                        }
                    } else {
                        uniform.add(i);
                        scalars.add(i.dst().id());
                    }
                }
            }
        }
        this.splatted = List.copyOf(s);
        boolean[] own = {false};
        KirWalk.forEach(lanes, i -> own[0] |= i.dst() != null && !i.dst().lane()
                && !(i instanceof KInstr.ConstF || i instanceof KInstr.ConstI));
        this.elementScalars = own[0];
        List<Part> parts = blockParts();
        long stack = blockArrays(parts).types().values().stream().mapToLong(t -> (long) size(t) * HOST_BLOCK).sum();
        this.hostParts = stack <= HOST_STACK_BYTES ? parts : List.of();
    }

    /** A part of the blocked host element loop, run on a whole block before the next part. */
    private sealed interface Part permits Segment, RowLoop {}

    /**
     * Top-level instructions between row loops: {@code scalars}, the uniform ones (reading uniform values only, they
     * are computed once per block, before the others), and {@code lanes}, computed element by element.
     */
    private record Segment(List<KInstr> scalars, List<KInstr> lanes) implements Part {}

    /**
     * A top-level loop rendered row-outer: its iterations (rows) in order, each computing {@code scalars}, its uniform
     * instructions (uniform-only loops included), once, then {@code lanes}, its lane instructions and stores, for every
     * element of the block.
     */
    private record RowLoop(KInstr.Loop loop, List<KInstr> scalars, List<KInstr> lanes) implements Part {}

    /**
     * The parts of the blocked host element loop: none where no top-level loop of the element loop computes lane
     * values, or where such a loop has one inside that does too (the whole body then runs element by element).
     */
    private List<Part> blockParts() {
        List<Part> parts = new ArrayList<>();
        List<KInstr> scalars = new ArrayList<>();
        List<KInstr> perElement = new ArrayList<>();
        boolean rows = false;
        for (KInstr i : lanes) {
            if (i instanceof KInstr.Loop l && !computesUniformOnly(l)) {
                List<KInstr> rowScalars = new ArrayList<>();
                List<KInstr> rowLanes = new ArrayList<>();
                for (KInstr j : l.body()) {
                    if (j instanceof KInstr.Loop inner && !computesUniformOnly(inner)) {
                        return List.of();
                    }
                    (computesUniform(j) ? rowScalars : rowLanes).add(j);
                }
                addSegment(parts, scalars, perElement);
                parts.add(new RowLoop(l, List.copyOf(rowScalars), List.copyOf(rowLanes)));
                rows = true;
            } else {
                (computesUniform(i) ? scalars : perElement).add(i);
            }
        }
        if (!rows) {
            return List.of();
        }
        addSegment(parts, scalars, perElement);
        return List.copyOf(parts);
    }

    /** Adds the segment of {@code scalars} and {@code perElement}, unless both are empty, and clears them. */
    private static void addSegment(List<Part> parts, List<KInstr> scalars, List<KInstr> perElement) {
        if (!scalars.isEmpty() || !perElement.isEmpty()) {
            parts.add(new Segment(List.copyOf(scalars), List.copyOf(perElement)));
        }
        scalars.clear();
        perElement.clear();
    }

    /** Whether {@code i} computes uniform values only (so it reads uniform values only). */
    private static boolean computesUniform(KInstr i) {
        return switch (i) {
            case KInstr.Loop l -> computesUniformOnly(l);
            case KInstr.Store _ -> false;
            case KInstr.ConstF _, KInstr.ConstI _, KInstr.Arg _, KInstr.Length _, KInstr.Load _, KInstr.Unary _,
                    KInstr.Binary _, KInstr.Fma _, KInstr.Compare _, KInstr.Select _, KInstr.Convert _ ->
                    !i.dst().lane();
        };
    }

    /** Whether {@code l} computes uniform values only: no store, no lane value in its body or carried. */
    private static boolean computesUniformOnly(KInstr.Loop l) {
        boolean[] uniformOnly = {l.params().stream().noneMatch(KValue::lane)};
        KirWalk.forEach(l.body(), i -> {
            switch (i) {
                case KInstr.Store _ -> uniformOnly[0] = false;
                case KInstr.Loop inner -> uniformOnly[0] &= inner.params().stream().noneMatch(KValue::lane);
                case KInstr.ConstF _, KInstr.ConstI _, KInstr.Arg _, KInstr.Length _, KInstr.Load _, KInstr.Unary _,
                        KInstr.Binary _, KInstr.Fma _, KInstr.Compare _, KInstr.Select _, KInstr.Convert _ ->
                        uniformOnly[0] &= !i.dst().lane();
            }
        });
        return uniformOnly[0];
    }

    /** Checks the accesses of a loop body rendered per element: stores into single-row state stay outside loops. */
    private void checkLaneLoop(List<KInstr> body) {
        KirWalk.forEach(body, i -> {
            switch (i) {
                case KInstr.Store st -> {
                    int state = k.stateOfBuffer(st.buffer());
                    if (state >= 0 && rows(state) == 1) {
                        throw new IllegalArgumentException("kernel " + k.kernel().name() + ": " + i
                                + " stores into a single-row state buffer inside a loop");
                    }
                    requireIndex(i, st.buffer(), st.index());
                }
                case KInstr.Load l -> {
                    if (l.dst().lane()) {
                        requireIndex(i, l.buffer(), l.index());
                    }
                }
                case KInstr.ConstF _, KInstr.ConstI _, KInstr.Arg _, KInstr.Length _, KInstr.Unary _,
                        KInstr.Binary _, KInstr.Fma _, KInstr.Compare _, KInstr.Select _, KInstr.Convert _,
                        KInstr.Loop _ -> {}
            }
        });
    }

    /** What an instruction of a loop reads: its operands, and a loop's yields. */
    private static List<KValue> loopOperands(KInstr i) {
        if (i instanceof KInstr.Loop l) {
            List<KValue> v = new ArrayList<>(l.inits());
            v.addAll(l.yields());
            return v;
        }
        return i.operands();
    }

    /** Adds {@code v} to the splatted values when it is a uniform value the scalars function computes. */
    private void splat(Set<KValue> s, Set<Integer> scalars, KValue v) {
        if (!v.lane() && !constants.containsKey(v.id()) && scalars.contains(v.id())) {
            s.add(v);
        }
    }

    /** Rows of state buffer {@code state}. */
    protected final int rows(int state) {
        return k.kernel().buffers().get(k.state(state)).elements();
    }

    /** Whether state buffer {@code state} has more than one row. */
    protected final boolean multiRow(int state) {
        return rows(state) > 1;
    }

    /**
     * A lane access of {@code buffer} at {@code index}: batched buffers of a step hold one element per item, so x, y
     * and single-row state buffers are accessed at element 0; a multi-row state buffer at any uniform row.
     */
    private void requireIndex(KInstr i, int buffer, KValue index) {
        int state = k.stateOfBuffer(buffer);
        if (state >= 0 && multiRow(state)) {
            return;
        }
        if (!"0".equals(constants.get(index.id()))) {
            throw new IllegalArgumentException("kernel " + k.kernel().name() + ": " + i
                    + " must access element 0 (a step's x, y and single-row state buffers hold one element per item)");
        }
    }

    /** The host form of {@code k}, exporting {@code name_step} and {@code name_scan}. */
    public static String host(StepKir k, String name, String description) {
        return new LlvmEmitter(k, name, description, Entries.STEP_AND_SCAN).module();
    }

    /** The GPU form of {@code k}; see {@link PtxLlvmEmitter}. */
    public static String ptx(StepKir k, String name, String description) {
        return new PtxLlvmEmitter(k, name, description, Entries.STEP_AND_SCAN).module();
    }

    /** The host module {@code NAME_noise.ll} of {@code k}, exporting {@code NAME_noise_step}. */
    public static String hostNoise(StepKir k, String name, String description) {
        return new LlvmEmitter(k, name, description, Entries.NOISE_STEP).module();
    }

    /** The GPU module {@code NAME_noise.ll} of {@code k}, with the kernel NAME_noise_step; see {@link PtxLlvmEmitter}. */
    public static String ptxNoise(StepKir k, String name, String description) {
        return new PtxLlvmEmitter(k, name, description, Entries.NOISE_STEP).module();
    }

    /** The module's name without {@code .ll}. */
    private String moduleName() {
        return switch (entries) {
            case STEP_AND_SCAN -> name;
            case NOISE_STEP -> name + "_noise";
        };
    }

    final String module() {
        StringBuilder out = new StringBuilder();
        out.append("; ModuleID = '").append(moduleName()).append(".ll'\n");
        out.append(GENERATED).append('\n');
        out.append("; ").append(description.replaceAll("[\\r\\n]+", " ")).append('\n');
        out.append(";\n");
        for (String line : KirPrinter.print(k.kernel()).split("\n")) {
            out.append("; ").append(line).append('\n');
        }
        out.append("source_filename = \"").append(moduleName()).append(".ll\"\n");
        String triple = targetTriple();
        if (triple != null) {
            out.append("target triple = \"").append(triple).append("\"\n");
        }
        List<String> functions = new ArrayList<>();
        if (!splatted.isEmpty()) {
            functions.add(scalarsFunction());
        }
        if (entries == Entries.NOISE_STEP) {
            LlvmNoise.Definitions noise = LlvmNoise.of(k.dtype());
            functions.addAll(noise.functions());
            noise.declarations().forEach(this::declare);
        }
        functions.addAll(entryFunctions());
        for (String f : functions) {
            out.append('\n').append(f);
        }
        if (!declarations.isEmpty()) {
            out.append('\n');
            for (String d : declarations) {
                out.append(d).append('\n');
            }
        }
        return out.toString();
    }

    /** The module's triple, or null to leave it to the toolchain (the host's). */
    protected String targetTriple() {
        return null;
    }

    /** The pointer type of kernel buffers and parameter arrays. */
    protected String pointer() {
        return "ptr";
    }

    /** Parameters of the scalars function after {@code i64 %t}. */
    protected List<String> paramArguments() {
        return List.of("ptr %params", "ptr %lens");
    }

    /** Arguments the entry points pass to the scalars function after the step index. */
    protected List<String> paramOperands() {
        return List.of("ptr %params", "ptr %lens");
    }

    /** Defines {@code %paramP} (the array) and, if {@code withLength}, {@code %paramP.len} in the scalars function. */
    protected void loadParam(Fn f, int p, boolean withLength) {
        if (f.defined.add("%param" + p)) {
            f.line("%param" + p + ".slot = getelementptr inbounds ptr, ptr %params, i64 " + p);
            f.line("%param" + p + " = load ptr, ptr %param" + p + ".slot, align 8");
        }
        if (withLength && f.defined.add("%param" + p + ".len")) {
            f.line("%param" + p + ".len.slot = getelementptr inbounds i64, ptr %lens, i64 " + p);
            f.line("%param" + p + ".len = load i64, ptr %param" + p + ".len.slot, align 8");
        }
    }

    /** Rejects ops the target cannot compute; the host computes all. */
    protected void checkSupported(String op) {}

    /** The exported functions: the element loop, {@code NAME_step} and {@code NAME_scan}; or NAME_noise_step. */
    protected List<String> entryFunctions() {
        return switch (entries) {
            case STEP_AND_SCAN -> List.of(hostLoop(), hostStep(), hostScan());
            case NOISE_STEP -> hostParts.isEmpty() ? List.of(hostNoiseStep()) : List.of(hostLoop(), blockedNoiseStep());
        };
    }

    private String hostNoiseStep() {
        Fn f = new Fn();
        f.comment("Step t on elements [from, to), element i of x being stddev * gaussian(seed, t, coordBase + i).");
        f.open("define void @" + name + "_noise_step(i64 %t, ptr %params, ptr %lens, i64 %seed, double %stddev, "
                + "i64 %coordBase, ptr %y, ptr %states, i64 %stateStride, i64 %from, i64 %to) {");
        f.label("entry");
        callScalars(f, "%t");
        loadStates(f);
        loadElementParams(f);
        String scale = "%stddev";
        if (bytes == 4) {
            f.line("%stddev.f32 = fptrunc double %stddev to float");
            scale = "%stddev.f32";
        }
        f.line("%nonempty = icmp slt i64 %from, %to");
        f.line("br i1 %nonempty, label %loop, label %done");
        f.label("loop");
        int phi = f.reserve(1);
        drawNoise(f, "%t", scale);
        elementAddresses(f, null, "%y", "%i", "%state#", "%i", "%stateStride");
        body(f, false);
        f.line("%i.next = add nsw i64 %i, 1");
        f.fill(phi, "%i = phi i64 [ %from, %entry ], [ %i.next, %" + f.block + " ]");
        f.line("%more = icmp slt i64 %i.next, %to");
        f.line("br i1 %more, label %loop, label %done");
        f.label("done");
        f.line("ret void");
        return f.close();
    }

    /**
     * Defines {@code %noise}, the input of element {@code %i} drawn with {@code %seed} at coordinate
     * {@code %coordBase + %i}, and makes it what {@code load x} reads.
     */
    protected final void drawNoise(Fn f, String t, String scale) {
        f.line("%coord = add i64 %coordBase, %i");
        f.line("%deviate = call " + type + " " + LlvmNoise.gaussian(k.dtype()) + "(i64 %seed, i64 " + t
                + ", i64 %coord)");
        f.line("%noise = fmul " + type + " %deviate, " + scale);
        f.input = "%noise";
    }

    /** The element loop's parameters. */
    private List<String> loopParameters() {
        List<String> args = new ArrayList<>();
        if (elementScalars) {
            args.addAll(List.of("i64 %t", "ptr %params", "ptr %lens"));
        }
        for (KValue s : splatted) {
            args.add(llvmType(s.type()) + " %s" + s.id());
        }
        args.add("ptr %x");
        args.add("ptr %y");
        for (int b = 0; b < k.stateCount(); b++) {
            args.add("ptr noalias %state" + b);
        }
        args.addAll(List.of("i64 %stateStride", "i64 %xAt", "i64 %yAt", "i64 %stateAt", "i64 %n"));
        return args;
    }

    /** Opens {@code NAME_loop} and defines the bases {@code %x.row}, {@code %y.row} and {@code %stateB.row}. */
    private void openLoop(Fn f) {
        f.comment("Elements [0, n) of one step; x, y and the state buffers start at the given element offsets, row r of a"
                + " state buffer r * stateStride elements further.");
        f.comment("x and y may alias; the state buffers alias nothing.");
        f.open("define internal void @" + name + "_loop(" + String.join(", ", loopParameters()) + ") alwaysinline {");
        f.label("entry");
        loadElementParams(f);
        f.line("%x.row = getelementptr inbounds " + type + ", ptr %x, i64 %xAt");
        f.line("%y.row = getelementptr inbounds " + type + ", ptr %y, i64 %yAt");
        for (int b = 0; b < k.stateCount(); b++) {
            f.line("%state" + b + ".row = getelementptr inbounds " + type + ", ptr %state" + b + ", i64 %stateAt");
        }
    }

    private String hostLoop() {
        if (!hostParts.isEmpty()) {
            return blockedHostLoop();
        }
        Fn f = new Fn();
        openLoop(f);
        f.line("%nonempty = icmp sgt i64 %n, 0");
        f.line("br i1 %nonempty, label %loop, label %done");
        f.label("loop");
        int phi = f.reserve(1);
        elementAddresses(f, "%x.row", "%y.row", "%i", "%state#.row", "%i", "%stateStride");
        for (KValue s : splatted) {
            f.operands.put(s.id(), "%s" + s.id());
        }
        body(f, false);
        f.line("%i.next = add nuw nsw i64 %i, 1");
        f.fill(phi, "%i = phi i64 [ 0, %entry ], [ %i.next, %" + f.block + " ]");
        f.line("%more = icmp slt i64 %i.next, %n");
        f.line("br i1 %more, label %loop, label %done");
        f.label("done");
        f.line("ret void");
        return f.close();
    }

    /** The block-sized stack arrays of the blocked element loop: the array of each value kept in one, and its type. */
    private record BlockArrays(Map<Integer, String> of, Map<String, KType> types) {}

    /**
     * The row loop right after part {@code p} of {@code parts} where {@code p} is a segment with lane instructions:
     * that segment's element loop stores the row loop's initial carried lane values. Null where there is none.
     */
    private static KInstr.Loop initializedBy(List<Part> parts, int p) {
        if (p + 1 < parts.size() && parts.get(p) instanceof Segment s && !s.lanes().isEmpty()
                && parts.get(p + 1) instanceof RowLoop r) {
            return r.loop();
        }
        return null;
    }

    /** The initial values of the lane values {@code l} carries (none for a null loop). */
    private static List<KValue> laneInits(KInstr.Loop l) {
        List<KValue> inits = new ArrayList<>();
        for (int j = 0; l != null && j < l.params().size(); j++) {
            if (l.params().get(j).lane()) {
                inits.add(l.inits().get(j));
            }
        }
        return inits;
    }

    /**
     * The arrays of the blocked element loop of {@code parts}: one for each lane value of a segment that a later part
     * reads (the initial values of a row loop count as read by the segment that stores them), and one for each lane
     * value a row loop carries, which also holds the loop's result.
     */
    private static BlockArrays blockArrays(List<Part> parts) {
        Map<Integer, String> of = new HashMap<>();
        Map<String, KType> types = new LinkedHashMap<>();
        Set<Integer> earlier = new HashSet<>();
        for (int p = 0; p < parts.size(); p++) {
            Part part = parts.get(p);
            List<KValue> read = new ArrayList<>();
            switch (part) {
                case Segment s -> {
                    KirWalk.forEach(s.lanes(), i -> read.addAll(loopOperands(i)));
                    read.addAll(laneInits(initializedBy(parts, p)));
                }
                case RowLoop r -> {
                    if (p == 0 || initializedBy(parts, p - 1) == null) {
                        read.addAll(laneInits(r.loop()));
                    }
                    read.addAll(r.loop().yields());
                    KirWalk.forEach(r.loop().body(), i -> read.addAll(loopOperands(i)));
                }
            }
            for (KValue v : read) {
                if (earlier.contains(v.id()) && !of.containsKey(v.id())) {
                    of.put(v.id(), "%keep" + v.id());
                    types.put("%keep" + v.id(), v.type());
                }
            }
            switch (part) {
                case Segment s -> s.lanes().stream().filter(i -> i.dst() != null)
                        .forEach(i -> earlier.add(i.dst().id()));
                case RowLoop r -> {
                    KInstr.Loop l = r.loop();
                    for (int j = 0; j < l.params().size(); j++) {
                        KValue carried = l.params().get(j);
                        if (carried.lane()) {
                            String array = "%carry" + carried.id();
                            of.put(carried.id(), array);
                            of.put(l.results().get(j).id(), array);
                            types.put(array, carried.type());
                        }
                    }
                }
            }
        }
        return new BlockArrays(of, types);
    }

    /**
     * The element loop of a kernel with a loop that computes lane values: {@code [0, n)} in blocks of
     * {@link #HOST_BLOCK} elements, each of {@link #hostParts} running on the whole block before the next: a segment
     * as an element loop, a row loop row-outer, element-inner. Lane values that a later part reads, and those a row
     * loop carries, are kept in block-sized arrays on the stack; uniform values are computed once per block, or once
     * per row of a row loop. Every element runs the instructions it runs element by element, in the same order, so the
     * results are the same bits (an element touches only its own element of each buffer and array, so the order
     * across elements is free); the element-inner loops are plain loops over arrays that LLVM vectorizes.
     */
    private String blockedHostLoop() {
        Fn f = new Fn();
        openLoop(f);
        BlockArrays arrays = blockArrays(hostParts);
        arrays.types().forEach((array, t) -> f.line(array + " = alloca " + llvmType(t) + ", i64 " + HOST_BLOCK
                + ", align 64"));
        f.line("%nonempty = icmp sgt i64 %n, 0");
        f.line("br i1 %nonempty, label %block, label %done");
        f.label("block");
        int phi = f.reserve(1);
        f.line("%block.rest = sub nsw i64 %n, %block.start");
        f.line("%block.n = call i64 @llvm.smin.i64(i64 %block.rest, i64 " + HOST_BLOCK + ")");
        declare("declare i64 @llvm.smin.i64(i64, i64)");
        f.line("%block.x = getelementptr inbounds " + type + ", ptr %x.row, i64 %block.start");
        f.line("%block.y = getelementptr inbounds " + type + ", ptr %y.row, i64 %block.start");
        for (int b = 0; b < k.stateCount(); b++) {
            f.line("%block.state" + b + " = getelementptr inbounds " + type + ", ptr %state" + b + ".row, i64 "
                    + "%block.start");
        }
        for (KValue s : splatted) {
            f.operands.put(s.id(), "%s" + s.id());
        }
        int segments = 0;
        for (int p = 0; p < hostParts.size(); p++) {
            switch (hostParts.get(p)) {
                case Segment s -> segment(f, s, "part" + segments++, arrays, initializedBy(hostParts, p));
                case RowLoop r -> rowLoop(f, r, arrays, p > 0 && initializedBy(hostParts, p - 1) != null);
            }
        }
        f.line("%block.next = add nuw nsw i64 %block.start, " + HOST_BLOCK);
        f.fill(phi, "%block.start = phi i64 [ 0, %entry ], [ %block.next, %" + f.block + " ]");
        f.line("%block.more = icmp slt i64 %block.next, %n");
        f.line("br i1 %block.more, label %block, label %done");
        f.label("done");
        f.line("ret void");
        return f.close();
    }

    /**
     * A segment on the block: its uniform instructions, then an element loop that keeps what later parts read and, if
     * {@code next} is not null, stores the initial lane values that row loop carries.
     */
    private void segment(Fn f, Segment s, String label, BlockArrays arrays, KInstr.Loop next) {
        for (KInstr i : s.scalars()) {
            instruction(f, i, false);
        }
        if (s.lanes().isEmpty()) {
            return;
        }
        Set<Integer> own = new HashSet<>();
        s.lanes().stream().filter(i -> i.dst() != null).forEach(i -> own.add(i.dst().id()));
        elementLoop(f, label, arrays, imports(s.lanes(), laneInits(next), arrays, own), () -> {
            for (KInstr i : s.lanes()) {
                instruction(f, i, false);
                if (i.dst() != null && arrays.of().containsKey(i.dst().id())) {
                    storeElement(f, arrays, i.dst(), op(f, i.dst()), label);
                }
            }
            storeInits(f, next, arrays, label);
        });
    }

    /** Stores the initial lane values {@code l} carries (none for a null loop) in their arrays. */
    private void storeInits(Fn f, KInstr.Loop l, BlockArrays arrays, String label) {
        for (int j = 0; l != null && j < l.params().size(); j++) {
            if (l.params().get(j).lane()) {
                storeElement(f, arrays, l.params().get(j), op(f, l.inits().get(j)), label);
            }
        }
    }

    /**
     * A row loop on the block: unless the segment before it has ({@code initialized}), an element loop storing the
     * initial carried lane values in their arrays; then the rows in passes of {@link #HOST_ROWS} rows (those left over
     * in passes of one row), each pass computing the uniform instructions of its rows and then running one element
     * loop that, for each element, loads the carried lane values, computes the lane instructions of the pass's rows one
     * row after the other and stores what the last yields. After the loop its lane results are in the carried values'
     * arrays.
     */
    private void rowLoop(Fn f, RowLoop r, BlockArrays arrays, boolean initialized) {
        KInstr.Loop l = r.loop();
        String head = "for" + f.loops++;
        if (!initialized && !laneInits(l).isEmpty()) {
            String init = head + ".init";
            elementLoop(f, init, arrays, imports(List.of(), laneInits(l), arrays, Set.of()),
                    () -> storeInits(f, l, arrays, init));
        }
        List<String> carried = new ArrayList<>();
        for (int j = 0; j < l.params().size(); j++) {
            carried.add(l.params().get(j).lane() ? null : op(f, l.inits().get(j)));
        }
        int passes = l.trips() / HOST_ROWS;
        if (passes > 0) {
            carried = rowPasses(f, r, arrays, head, l.start(), l.start() + passes * HOST_ROWS, HOST_ROWS, carried);
        }
        if (l.trips() > passes * HOST_ROWS) {
            carried = rowPasses(f, r, arrays, head + ".rest", l.start() + passes * HOST_ROWS, l.end(), 1, carried);
        }
        for (int j = 0; j < l.params().size(); j++) {
            if (!l.params().get(j).lane()) {
                f.operands.put(l.results().get(j).id(), carried.get(j));
            }
        }
    }

    /**
     * Rows {@code [from, to)} of a row loop in passes of {@code rows} rows ({@code to - from} a multiple of it): a loop
     * named {@code head} whose header holds the pass's first row index and the carried uniform values ({@code carried},
     * the operands they start from; null for carried lane values, which are in their arrays).
     *
     * @return the carried uniform values after the last pass (null for the lane ones)
     */
    private List<String> rowPasses(Fn f, RowLoop r, BlockArrays arrays, String head, int from, int to, int rows,
            List<String> carried) {
        KInstr.Loop l = r.loop();
        String pre = f.block;
        String it = llvmType(l.index().type());
        List<Integer> uniformCarried = new ArrayList<>();
        for (int j = 0; j < l.params().size(); j++) {
            if (!l.params().get(j).lane()) {
                uniformCarried.add(j);
            }
        }
        String index = "%" + head + ".row";
        f.line("br label %" + head);
        f.label(head);
        int phis = f.reserve(1 + uniformCarried.size());
        f.line("%" + head + ".go = icmp slt " + it + " " + index + ", " + to);
        f.line("br i1 %" + head + ".go, label %" + head + ".body, label %" + head + ".exit");
        f.label(head + ".body");
        // The rows' uniform instructions, each row reading the uniform values the previous one yields.
        List<String> copies = new ArrayList<>();
        List<Map<Integer, String>> rowValues = new ArrayList<>();
        List<String> uniformIn = new ArrayList<>();
        for (int u = 0; u < uniformCarried.size(); u++) {
            uniformIn.add("%" + head + ".carried" + u);
        }
        for (int c = 0; c < rows; c++) {
            f.copy = ".c" + f.copies++;
            copies.add(f.copy);
            Map<Integer, String> values = new HashMap<>();
            String rowIndex = index;
            if (c > 0) {
                rowIndex = f.name(l.index().id());
                f.line(rowIndex + " = add nsw " + it + " " + index + ", " + c);
            }
            values.put(l.index().id(), rowIndex);
            for (int u = 0; u < uniformCarried.size(); u++) {
                values.put(l.params().get(uniformCarried.get(u)).id(), uniformIn.get(u));
            }
            f.operands.putAll(values);
            for (KInstr i : r.scalars()) {
                instruction(f, i, false);
                if (i.dst() != null && f.operands.containsKey(i.dst().id())) {
                    values.put(i.dst().id(), f.operands.get(i.dst().id()));
                }
                if (i instanceof KInstr.Loop inner) {
                    for (KValue v : inner.results()) {
                        values.put(v.id(), f.operands.get(v.id()));
                    }
                }
            }
            rowValues.add(values);
            List<String> next = new ArrayList<>();
            for (int j : uniformCarried) {
                next.add(op(f, l.yields().get(j)));
            }
            uniformIn = next;
        }
        f.copy = "";
        Set<Integer> laneCarried = new HashSet<>();
        List<KValue> laneYields = new ArrayList<>();
        for (int j = 0; j < l.params().size(); j++) {
            if (l.params().get(j).lane()) {
                laneCarried.add(l.params().get(j).id());
                laneYields.add(l.yields().get(j));
            }
        }
        String lanes = head + ".lanes";
        elementLoop(f, lanes, arrays, imports(r.lanes(), laneYields, arrays, laneCarried), () -> {
            f.copy = copies.get(0);
            for (KValue p : l.params()) {
                if (p.lane()) {
                    f.define(p.id(), f.name(p.id()) + " = load " + llvmType(p.type()) + ", ptr "
                            + arrayElement(f, arrays.of().get(p.id()), p.type(), lanes) + ", align " + size(p.type()));
                }
            }
            for (int c = 0; c < rows; c++) {
                f.copy = copies.get(c);
                f.operands.putAll(rowValues.get(c));
                for (KInstr i : r.lanes()) {
                    instruction(f, i, false);
                }
                // what this row yields, the next row starts from
                Map<Integer, String> yielded = new HashMap<>();
                for (int j = 0; j < l.params().size(); j++) {
                    if (l.params().get(j).lane()) {
                        yielded.put(l.params().get(j).id(), op(f, l.yields().get(j)));
                    }
                }
                f.operands.putAll(yielded);
            }
            for (KValue p : l.params()) {
                if (p.lane()) {
                    storeElement(f, arrays, p, f.operand(p.id()), lanes);
                }
            }
            f.copy = "";
        });
        f.line("%" + head + ".next = add nsw " + it + " " + index + ", " + rows);
        f.line("br label %" + head);
        String latch = f.block;
        f.fill(phis, index + " = phi " + it + " [ " + from + ", %" + pre + " ], [ %" + head + ".next, %" + latch
                + " ]");
        List<String> out = new ArrayList<>(carried);
        for (int u = 0; u < uniformCarried.size(); u++) {
            int j = uniformCarried.get(u);
            String phi = "%" + head + ".carried" + u;
            f.fill(phis + 1 + u, phi + " = phi " + llvmType(l.params().get(j).type()) + " [ " + carried.get(j) + ", %"
                    + pre + " ], [ " + uniformIn.get(u) + ", %" + latch + " ]");
            out.set(j, phi);
        }
        f.label(head + ".exit");
        return out;
    }

    /**
     * The values kept in arrays that {@code instructions} (loop bodies included) and {@code alsoRead} read, other
     * than {@code own}: those an element loop loads, in order of first use.
     */
    private static List<KValue> imports(List<KInstr> instructions, List<KValue> alsoRead, BlockArrays arrays,
            Set<Integer> own) {
        Map<Integer, KValue> found = new LinkedHashMap<>();
        List<KValue> read = new ArrayList<>();
        KirWalk.forEach(instructions, i -> read.addAll(loopOperands(i)));
        read.addAll(alsoRead);
        for (KValue v : read) {
            if (arrays.of().containsKey(v.id()) && !own.contains(v.id())) {
                found.putIfAbsent(v.id(), v);
            }
        }
        return List.copyOf(found.values());
    }

    /**
     * An element loop over the block's {@code [0, %block.n)} named {@code label}: defines the element's addresses
     * and index {@code %i.LABEL}, loads {@code imports} from their arrays, writes {@code body}; afterwards the values
     * it defined are out of scope again.
     */
    private void elementLoop(Fn f, String label, BlockArrays arrays, List<KValue> imports, Runnable body) {
        Map<Integer, String> outer = new HashMap<>(f.operands);
        String i = "%i." + label;
        String pre = f.block;
        f.line("br label %" + label);
        f.label(label);
        int phi = f.reserve(1);
        f.elem = "." + label;
        elementAddresses(f, "%block.x", "%block.y", i, "%block.state#", i, "%stateStride");
        for (KValue v : imports) {
            String value = "%v" + v.id() + "." + label;
            f.line(value + " = load " + llvmType(v.type()) + ", ptr "
                    + arrayElement(f, arrays.of().get(v.id()), v.type(), label) + ", align " + size(v.type()));
            f.operands.put(v.id(), value);
        }
        body.run();
        f.line(i + ".next = add nuw nsw i64 " + i + ", 1");
        f.fill(phi, i + " = phi i64 [ 0, %" + pre + " ], [ " + i + ".next, %" + f.block + " ]");
        f.line("%" + label + ".more = icmp slt i64 " + i + ".next, %block.n");
        f.line("br i1 %" + label + ".more, label %" + label + ", label %" + label + ".done");
        f.label(label + ".done");
        f.elem = "";
        f.operands.clear();
        f.operands.putAll(outer);
    }

    /** Stores {@code value} as the current element of the array of {@code v} in the element loop {@code label}. */
    private void storeElement(Fn f, BlockArrays arrays, KValue v, String value, String label) {
        f.line("store " + llvmType(v.type()) + " " + value + ", ptr "
                + arrayElement(f, arrays.of().get(v.id()), v.type(), label) + ", align " + size(v.type()));
    }

    /** The address of the current element of the block array {@code array} in the element loop {@code label}. */
    private static String arrayElement(Fn f, String array, KType t, String label) {
        String at = array + "." + label;
        if (f.defined.add(at)) {
            f.line(at + " = getelementptr inbounds " + llvmType(t) + ", ptr " + array + ", i64 %i." + label);
        }
        return at;
    }

    /** The bytes of a value of type {@code t} in memory. */
    private static int size(KType t) {
        return switch (t) {
            case F32, I32 -> 4;
            case F64, I64 -> 8;
            case BOOL -> 1;
        };
    }

    /**
     * {@code NAME_noise_step} of a kernel with {@link #hostParts}: for each block of {@link #HOST_BLOCK} elements of
     * {@code [from, to)}, the block's inputs are drawn into an array on the stack, then the element loop runs on the
     * block with that array as x.
     */
    private String blockedNoiseStep() {
        Fn f = new Fn();
        f.comment("Step t on elements [from, to), element i of x being stddev * gaussian(seed, t, coordBase + i), "
                + "drawn a block of " + HOST_BLOCK + " at a time.");
        f.open("define void @" + name + "_noise_step(i64 %t, ptr %params, ptr %lens, i64 %seed, double %stddev, "
                + "i64 %coordBase, ptr %y, ptr %states, i64 %stateStride, i64 %from, i64 %to) {");
        f.label("entry");
        callScalars(f, "%t");
        loadStates(f);
        String scale = "%stddev";
        if (bytes == 4) {
            f.line("%stddev.f32 = fptrunc double %stddev to float");
            scale = "%stddev.f32";
        }
        f.line("%noise.block = alloca " + type + ", i64 " + HOST_BLOCK + ", align 64");
        f.line("%nonempty = icmp slt i64 %from, %to");
        f.line("br i1 %nonempty, label %block, label %done");
        f.label("block");
        f.line("%block.start = phi i64 [ %from, %entry ], [ %block.next, %drawn ]");
        f.line("%block.rest = sub nsw i64 %to, %block.start");
        f.line("%block.n = call i64 @llvm.smin.i64(i64 %block.rest, i64 " + HOST_BLOCK + ")");
        declare("declare i64 @llvm.smin.i64(i64, i64)");
        f.line("br label %draw");
        f.label("draw");
        f.line("%j = phi i64 [ 0, %block ], [ %j.next, %draw ]");
        f.line("%i = add nsw i64 %block.start, %j");
        drawNoise(f, "%t", scale);
        f.input = null;
        f.line("%noise.at = getelementptr inbounds " + type + ", ptr %noise.block, i64 %j");
        f.line("store " + type + " %noise, ptr %noise.at, align " + bytes);
        f.line("%j.next = add nuw nsw i64 %j, 1");
        f.line("%draw.more = icmp slt i64 %j.next, %block.n");
        f.line("br i1 %draw.more, label %draw, label %drawn");
        f.label("drawn");
        callLoop(f, "%t", "%noise.block", "0", "%block.start", "%block.start", "%block.n");
        f.line("%block.next = add nsw i64 %block.start, " + HOST_BLOCK);
        f.line("%more = icmp slt i64 %block.next, %to");
        f.line("br i1 %more, label %block, label %done");
        f.label("done");
        f.line("ret void");
        return f.close();
    }

    private String hostStep() {
        Fn f = new Fn();
        f.comment("Step t on elements [from, to); row r of a state buffer starts at element r * stateStride.");
        f.open("define void @" + name + "_step(i64 %t, ptr %params, ptr %lens, ptr %x, ptr %y, ptr %states, "
                + "i64 %stateStride, i64 %from, i64 %to) {");
        f.label("entry");
        callScalars(f, "%t");
        loadStates(f);
        f.line("%n = sub i64 %to, %from");
        callLoop(f, "%t", "%from", "%from", "%from", "%n");
        f.line("ret void");
        return f.close();
    }

    private String hostScan() {
        Fn f = new Fn();
        f.comment("Steps t0 .. t0+steps-1 on elements [from, to), in blocks of " + VectorStepBackend.SCAN_BLOCK
                + " elements; row k of x and y starts at element k * rowStride, row r of a state buffer at r * "
                + "stateStride.");
        f.open("define void @" + name + "_scan(i64 %t0, i32 %steps, ptr %params, ptr %lens, ptr %x, ptr %y, "
                + "i64 %rowStride, ptr %states, i64 %stateStride, i64 %from, i64 %to) {");
        f.label("entry");
        loadStates(f);
        f.line("br label %block");
        f.label("block");
        f.line("%block.start = phi i64 [ %from, %entry ], [ %block.next, %block.done ]");
        f.line("%blocks.left = icmp slt i64 %block.start, %to");
        f.line("br i1 %blocks.left, label %block.body, label %done");
        f.label("block.body");
        f.line("%block.rest = sub i64 %to, %block.start");
        f.line("%block.n = call i64 @llvm.smin.i64(i64 %block.rest, i64 " + VectorStepBackend.SCAN_BLOCK + ")");
        declare("declare i64 @llvm.smin.i64(i64, i64)");
        f.line("br label %step");
        f.label("step");
        f.line("%k = phi i32 [ 0, %block.body ], [ %k.next, %step.body ]");
        f.line("%steps.left = icmp slt i32 %k, %steps");
        f.line("br i1 %steps.left, label %step.body, label %block.done");
        f.label("step.body");
        f.line("%k.wide = zext i32 %k to i64");
        f.line("%t = add i64 %t0, %k.wide");
        f.line("%row.start = mul i64 %k.wide, %rowStride");
        f.line("%row = add i64 %row.start, %block.start");
        callScalars(f, "%t");
        callLoop(f, "%t", "%row", "%row", "%block.start", "%block.n");
        f.line("%k.next = add nuw nsw i32 %k, 1");
        f.line("br label %step");
        f.label("block.done");
        f.line("%block.next = add i64 %block.start, " + VectorStepBackend.SCAN_BLOCK);
        f.line("br label %block");
        f.label("done");
        f.line("ret void");
        return f.close();
    }

    private void loadStates(Fn f) {
        for (int b = 0; b < k.stateCount(); b++) {
            f.line("%state" + b + ".slot = getelementptr inbounds ptr, ptr %states, i64 " + b);
            f.line("%state" + b + " = load ptr, ptr %state" + b + ".slot, align 8");
        }
    }

    private void callLoop(Fn f, String t, String xAt, String yAt, String stateAt, String n) {
        callLoop(f, t, "%x", xAt, yAt, stateAt, n);
    }

    /** Calls {@code NAME_loop} on {@code n} elements, x being {@code x}. */
    private void callLoop(Fn f, String t, String x, String xAt, String yAt, String stateAt, String n) {
        List<String> a = new ArrayList<>();
        if (elementScalars) {
            a.addAll(List.of("i64 " + t, "ptr %params", "ptr %lens"));
        }
        for (KValue s : splatted) {
            a.add(llvmType(s.type()) + " %s" + s.id());
        }
        a.add("ptr " + x);
        a.add("ptr %y");
        for (int b = 0; b < k.stateCount(); b++) {
            a.add("ptr %state" + b);
        }
        a.add("i64 %stateStride");
        a.add("i64 " + xAt);
        a.add("i64 " + yAt);
        a.add("i64 " + stateAt);
        a.add("i64 " + n);
        f.line("call void @" + name + "_loop(" + String.join(", ", a) + ")");
    }

    private String scalarsType() {
        List<String> t = new ArrayList<>();
        for (KValue s : splatted) {
            t.add(llvmType(s.type()));
        }
        return "{ " + String.join(", ", t) + " }";
    }

    /** The per-step scalars function: the uniform instructions, returning the splatted values. */
    private String scalarsFunction() {
        Fn f = new Fn();
        List<String> args = new ArrayList<>();
        args.add("i64 %t");
        args.addAll(paramArguments());
        f.comment("Per-step scalars of step t: " + String.join(", ", splatted.stream().map(s -> "v" + s.id()).toList())
                + ".");
        f.open("define internal " + scalarsType() + " @" + name + "_scalars(" + String.join(", ", args)
                + ") alwaysinline {");
        f.label("entry");
        for (KInstr i : uniform) {
            if (i instanceof KInstr.Loop l) {
                loadParams(f, l.body());
            }
            instruction(f, i, false);
        }
        String agg = "poison";
        for (int i = 0; i < splatted.size(); i++) {
            String next = "%result" + i;
            KValue s = splatted.get(i);
            f.line(next + " = insertvalue " + scalarsType() + " " + agg + ", " + llvmType(s.type()) + " " + op(f, s)
                    + ", " + i);
            agg = next;
        }
        f.line("ret " + scalarsType() + " " + agg);
        return f.close();
    }

    /** Calls the scalars function for step {@code t} and defines {@code %sN} for each splatted value. */
    protected final void callScalars(Fn f, String t) {
        if (splatted.isEmpty()) {
            return;
        }
        List<String> a = new ArrayList<>();
        a.add("i64 " + t);
        a.addAll(paramOperands());
        f.line("%scalars = call " + scalarsType() + " @" + name + "_scalars(" + String.join(", ", a) + ")");
        for (int i = 0; i < splatted.size(); i++) {
            int id = splatted.get(i).id();
            f.line("%s" + id + " = extractvalue " + scalarsType() + " %scalars, " + i);
            f.operands.put(id, "%s" + id);
        }
    }

    /**
     * Defines, where the element loop computes uniform values of its own, the parameter arrays (and lengths) they
     * read; written in a block that dominates the element loop.
     */
    protected final void loadElementParams(Fn f) {
        if (elementScalars) {
            loadParams(f, lanes);
        }
    }

    /** Defines the parameter arrays (and lengths) that the uniform instructions of {@code body} read. */
    private void loadParams(Fn f, List<KInstr> body) {
        KirWalk.forEach(body, i -> {
            switch (i) {
                case KInstr.Length l -> loadParam(f, param(i, l.buffer()), true);
                case KInstr.Load l -> {
                    if (!l.dst().lane()) {
                        loadParam(f, param(i, l.buffer()), false);
                    }
                }
                case KInstr.ConstF _, KInstr.ConstI _, KInstr.Arg _, KInstr.Store _, KInstr.Unary _,
                        KInstr.Binary _, KInstr.Fma _, KInstr.Compare _, KInstr.Select _, KInstr.Convert _,
                        KInstr.Loop _ -> {}
            }
        });
    }

    /**
     * Defines {@code %x.i}, {@code %y.i} and {@code %stateB.i}: the addresses of the current element (of row 0 of a
     * state buffer).
     *
     * @param x the base of x, or null where x is not in memory
     * @param statePattern the state buffer's base with {@code #} for its index, or null for states in registers
     * @param stateStride the elements from one row of a state buffer to the next
     */
    protected final void elementAddresses(Fn f, String x, String y, String xyIndex, String statePattern,
            String stateIndex, String stateStride) {
        String p = pointer();
        if (x != null) {
            f.line("%x.i" + f.elem + " = getelementptr inbounds " + type + ", " + p + " " + x + ", i64 " + xyIndex);
        }
        f.line("%y.i" + f.elem + " = getelementptr inbounds " + type + ", " + p + " " + y + ", i64 " + xyIndex);
        for (int b = 0; statePattern != null && b < k.stateCount(); b++) {
            f.line("%state" + b + ".i" + f.elem + " = getelementptr inbounds " + type + ", " + p + " "
                    + statePattern.replace("#", Integer.toString(b)) + ", i64 " + stateIndex);
        }
        f.stateStride = stateStride;
    }

    /**
     * The per-element instructions. With {@code statesInRegisters}, {@code load stateB} of a single-row state buffer
     * reads {@code %stateB.cur} and {@code store stateB} records its value in {@link Fn#nextState} instead of touching
     * memory; multi-row state buffers are always read and written in memory, at {@code %stateB.i}.
     */
    protected final void body(Fn f, boolean statesInRegisters) {
        for (KInstr i : lanes) {
            instruction(f, i, statesInRegisters);
        }
    }

    /** One instruction, of the scalars function or of the element loop. */
    private void instruction(Fn f, KInstr i, boolean statesInRegisters) {
        switch (i) {
            case KInstr.ConstF _, KInstr.ConstI _ -> {}
            case KInstr.Load l -> {
                if (l.dst().lane()) {
                    laneLoad(f, l, statesInRegisters);
                } else {
                    scalar(f, i);
                }
            }
            case KInstr.Store st -> store(f, st, statesInRegisters);
            case KInstr.Loop l -> loop(f, l, statesInRegisters);
            case KInstr.Arg _, KInstr.Length _ -> scalar(f, i);
            case KInstr.Unary _, KInstr.Binary _, KInstr.Fma _, KInstr.Compare _, KInstr.Select _, KInstr.Convert _ ->
                    compute(f, i);
        }
    }

    private void laneLoad(Fn f, KInstr.Load l, boolean statesInRegisters) {
        String p = pointer();
        String v = f.name(l.dst().id());
        int state = k.stateOfBuffer(l.buffer());
        if (l.buffer() == StepKir.X) {
            if (f.input != null) {
                f.operands.put(l.dst().id(), f.input);
            } else {
                f.define(l.dst().id(), v + " = load " + type + ", " + p + " %x.i" + f.elem + ", align " + bytes);
            }
        } else if (state >= 0 && multiRow(state)) {
            String at = rowAddress(f, v, state, l.index());
            f.define(l.dst().id(), v + " = load " + type + ", " + p + " " + at + ", align " + bytes);
        } else if (state >= 0) {
            if (statesInRegisters) {
                f.operands.put(l.dst().id(), "%state" + state + ".cur");
            } else {
                f.define(l.dst().id(), v + " = load " + type + ", " + p + " %state" + state + ".i" + f.elem + ", align "
                        + bytes);
            }
        } else {
            throw new IllegalArgumentException("kernel " + k.kernel().name() + ": " + l
                    + " reads a buffer that is neither x nor a state buffer");
        }
    }

    private void store(Fn f, KInstr.Store st, boolean statesInRegisters) {
        String p = pointer();
        int state = k.stateOfBuffer(st.buffer());
        String value = op(f, st.value());
        if (st.buffer() == StepKir.Y) {
            f.line("store " + type + " " + value + ", " + p + " %y.i" + f.elem + ", align " + bytes);
        } else if (state >= 0 && multiRow(state)) {
            String at = rowAddress(f, "%store" + f.stores++, state, st.index());
            f.line("store " + type + " " + value + ", " + p + " " + at + ", align " + bytes);
        } else if (state >= 0 && statesInRegisters) {
            f.nextState.put(state, value);
        } else if (state >= 0) {
            f.line("store " + type + " " + value + ", " + p + " %state" + state + ".i" + f.elem + ", align " + bytes);
        } else {
            throw new IllegalArgumentException("kernel " + k.kernel().name() + ": " + st
                    + " writes a buffer that is neither y nor a state buffer");
        }
    }

    /**
     * The address of the current element in row {@code row} of the multi-row state buffer {@code state}:
     * {@code %stateB.i + row * stateStride}. Writes the instructions, named after {@code prefix}; returns the pointer.
     */
    private String rowAddress(Fn f, String prefix, int state, KValue row) {
        String base = "%state" + state + ".i" + f.elem;
        String r = constants.get(row.id());
        if ("0".equals(r)) {
            return base;
        }
        if (r == null) {
            r = op(f, row);
            if (row.type() == KType.I32) {
                f.line(prefix + ".row = sext i32 " + r + " to i64");
                r = prefix + ".row";
            }
        }
        f.line(prefix + ".offset = mul nsw i64 " + r + ", " + f.stateStride);
        f.line(prefix + ".at = getelementptr inbounds " + type + ", " + pointer() + " " + base + ", i64 " + prefix
                + ".offset");
        return prefix + ".at";
    }

    /**
     * A loop: a header with a phi node for the index and one for each carried value, the body, a latch that
     * increments the index; after the loop its results are the header's carried values.
     */
    private void loop(Fn f, KInstr.Loop l, boolean statesInRegisters) {
        String head = "for" + f.loops++;
        String pre = f.block;
        String it = llvmType(l.index().type());
        f.line("br label %" + head);
        f.label(head);
        String index = f.name(l.index().id());
        f.operands.put(l.index().id(), index);
        int phis = f.reserve(1 + l.params().size());
        for (KValue p : l.params()) {
            f.operands.put(p.id(), f.name(p.id()));
        }
        f.line("%" + head + ".go = icmp slt " + it + " " + index + ", " + l.end());
        f.line("br i1 %" + head + ".go, label %" + head + ".body, label %" + head + ".exit");
        f.label(head + ".body");
        for (KInstr i : l.body()) {
            instruction(f, i, statesInRegisters);
        }
        f.line("%" + head + ".next = add nsw " + it + " " + index + ", 1");
        f.line("br label %" + head);
        String latch = f.block;
        f.fill(phis, index + " = phi " + it + " [ " + l.start() + ", %" + pre + " ], [ %" + head + ".next, %" + latch
                + " ]");
        for (int j = 0; j < l.params().size(); j++) {
            KValue p = l.params().get(j);
            f.fill(phis + 1 + j, f.name(p.id()) + " = phi " + llvmType(p.type()) + " [ " + op(f, l.inits().get(j))
                    + ", %" + pre + " ], [ " + op(f, l.yields().get(j)) + ", %" + latch + " ]");
        }
        f.label(head + ".exit");
        for (int j = 0; j < l.results().size(); j++) {
            f.operands.put(l.results().get(j).id(), f.name(l.params().get(j).id()));
        }
    }

    /** One uniform instruction that reads the step index or a parameter. */
    private void scalar(Fn f, KInstr i) {
        String p = pointer();
        switch (i) {
            case KInstr.Arg a -> {
                if (a.index() != StepKir.T) {
                    throw new IllegalArgumentException("kernel " + k.kernel().name() + ": a step has one argument, t");
                }
                f.operands.put(a.dst().id(), "%t");
            }
            case KInstr.Length l -> {
                int q = param(i, l.buffer());
                loadParam(f, q, true);
                f.operands.put(l.dst().id(), "%param" + q + ".len");
            }
            case KInstr.Load l -> {
                int q = param(i, l.buffer());
                String v = f.name(l.dst().id());
                loadParam(f, q, false);
                String index = constants.get(l.index().id());
                if (index == null) {
                    index = op(f, l.index());
                    if (l.index().type() == KType.I32) {
                        f.line(v + ".index = sext i32 " + index + " to i64");
                        index = v + ".index";
                    }
                }
                f.line(v + ".addr = getelementptr inbounds double, " + p + " %param" + q + ", i64 " + index);
                f.define(l.dst().id(), v + " = load double, " + p + " " + v + ".addr, align 8");
            }
            case KInstr.ConstF _, KInstr.ConstI _, KInstr.Store _, KInstr.Loop _, KInstr.Unary _, KInstr.Binary _,
                    KInstr.Fma _, KInstr.Compare _, KInstr.Select _, KInstr.Convert _ ->
                    throw new IllegalStateException(i + " reads neither the step index nor a parameter");
        }
    }

    /** The parameter slot buffer {@code buffer} holds. */
    private int param(KInstr i, int buffer) {
        int q = k.paramOfBuffer(buffer);
        if (q < 0) {
            throw new IllegalArgumentException("kernel " + k.kernel().name() + ": " + i + " must read a parameter slot");
        }
        return q;
    }

    /** An arithmetic instruction, uniform or lane alike. */
    private void compute(Fn f, KInstr i) {
        switch (i) {
            case KInstr.Unary u -> unary(f, u);
            case KInstr.Binary b -> binary(f, b);
            case KInstr.Fma m -> {
                String t = llvmType(m.dst().type());
                f.define(m.dst().id(), f.name(m.dst().id()) + " = call " + t + " " + intrinsic("fma", m.dst().type(), 3)
                        + "(" + t + " " + op(f, m.a()) + ", " + t + " " + op(f, m.b()) + ", " + t + " " + op(f, m.c())
                        + ")");
            }
            case KInstr.Compare c -> compare(f, c);
            case KInstr.Select s -> {
                String t = llvmType(s.dst().type());
                f.define(s.dst().id(), f.name(s.dst().id()) + " = select i1 " + op(f, s.cond()) + ", " + t + " "
                        + op(f, s.a()) + ", " + t + " " + op(f, s.b()));
            }
            case KInstr.Convert c -> convert(f, c);
            case KInstr.ConstF _, KInstr.ConstI _, KInstr.Arg _, KInstr.Length _, KInstr.Load _, KInstr.Store _,
                    KInstr.Loop _ -> throw new IllegalStateException(i + " is not arithmetic");
        }
    }

    private void unary(Fn f, KInstr.Unary u) {
        KType ty = u.dst().type();
        String t = llvmType(ty);
        String a = op(f, u.a());
        String v = f.name(u.dst().id());
        String instruction;
        if (!ty.isFloat()) {
            instruction = switch (u.kind()) {
                case NEG -> "sub " + t + " 0, " + a;
                case ABS -> "call " + t + " " + intIntrinsic("abs", t, t + ", i1") + "(" + t + " " + a + ", i1 false)";
                case NOT -> "xor " + t + " " + a + ", " + (ty == KType.BOOL ? "true" : "-1");
                case SIGN -> {
                    f.line(v + ".low = call " + t + " " + intIntrinsic("smax", t, t + ", " + t) + "(" + t + " " + a
                            + ", " + t + " -1)");
                    yield "call " + t + " " + intIntrinsic("smin", t, t + ", " + t) + "(" + t + " " + v + ".low, " + t
                            + " 1)";
                }
                case SQRT, EXP, LOG, RECIPROCAL -> throw new IllegalStateException(u.kind() + " of an integer");
            };
        } else {
            instruction = switch (u.kind()) {
                case NEG -> "fneg " + t + " " + a;
                case ABS -> "call " + t + " " + intrinsic("fabs", ty, 1) + "(" + t + " " + a + ")";
                case SQRT -> "call " + t + " " + intrinsic("sqrt", ty, 1) + "(" + t + " " + a + ")";
                case RECIPROCAL -> "fdiv " + t + " 1.0, " + a;
                case SIGN -> {
                    f.line(v + ".nonzero = fcmp one " + t + " " + a + ", 0.0");
                    f.line(v + ".unit = call " + t + " " + intrinsic("copysign", ty, 2) + "(" + t + " 1.0, " + t + " "
                            + a + ")");
                    yield "select i1 " + v + ".nonzero, " + t + " " + v + ".unit, " + t + " " + a;
                }
                case EXP -> inDouble(f, u.dst(), "exp", List.of(a));
                case LOG -> inDouble(f, u.dst(), "log", List.of(a));
                case NOT -> throw new IllegalStateException("not of a float");
            };
        }
        f.define(u.dst().id(), v + " = " + instruction);
    }

    private void binary(Fn f, KInstr.Binary bin) {
        KType ty = bin.dst().type();
        String t = llvmType(ty);
        String a = op(f, bin.a());
        String b = op(f, bin.b());
        String instruction;
        if (!ty.isFloat()) {
            instruction = switch (bin.kind()) {
                case ADD -> "add " + t + " " + a + ", " + b;
                case SUB -> "sub " + t + " " + a + ", " + b;
                case MUL -> "mul " + t + " " + a + ", " + b;
                case AND -> "and " + t + " " + a + ", " + b;
                case OR -> "or " + t + " " + a + ", " + b;
                case XOR -> "xor " + t + " " + a + ", " + b;
                case MIN -> "call " + t + " " + intIntrinsic("smin", t, t + ", " + t) + "(" + t + " " + a + ", " + t + " "
                        + b + ")";
                case MAX -> "call " + t + " " + intIntrinsic("smax", t, t + ", " + t) + "(" + t + " " + a + ", " + t + " "
                        + b + ")";
                case DIV, REM -> LlvmIntegerDivision.render(bin.kind(), t, "i1", f.name(bin.dst().id()), a, b, x -> x,
                        f::line);
                case POW -> throw new IllegalStateException("pow of integers");
            };
        } else {
            instruction = switch (bin.kind()) {
                case ADD -> "fadd " + t + " " + a + ", " + b;
                case SUB -> "fsub " + t + " " + a + ", " + b;
                case MUL -> "fmul " + t + " " + a + ", " + b;
                case DIV -> "fdiv " + t + " " + a + ", " + b;
                case MAX -> "call " + t + " " + intrinsic("maximum", ty, 2) + "(" + t + " " + a + ", " + t + " " + b + ")";
                case MIN -> "call " + t + " " + intrinsic("minimum", ty, 2) + "(" + t + " " + a + ", " + t + " " + b + ")";
                case POW -> inDouble(f, bin.dst(), "pow", List.of(a, b));
                case REM -> {
                    checkSupported("rem");
                    yield "frem " + t + " " + a + ", " + b;
                }
                case AND, OR, XOR -> throw new IllegalStateException(bin.kind() + " of floats");
            };
        }
        f.define(bin.dst().id(), f.name(bin.dst().id()) + " = " + instruction);
    }

    private void compare(Fn f, KInstr.Compare c) {
        KType ty = c.a().type();
        String predicate = LlvmPredicates.of(c.kind(), ty);
        f.define(c.dst().id(), f.name(c.dst().id()) + " = " + predicate + " " + llvmType(ty) + " " + op(f, c.a()) + ", "
                + op(f, c.b()));
    }

    private void convert(Fn f, KInstr.Convert c) {
        KType from = c.a().type();
        KType to = c.dst().type();
        String a = op(f, c.a());
        String ft = llvmType(from);
        String tt = llvmType(to);
        String instruction;
        if (from == to) {
            f.operands.put(c.dst().id(), a);
            return;
        } else if (to == KType.BOOL) {
            instruction = from.isFloat() ? "fcmp une " + ft + " " + a + ", 0.0" : "icmp ne " + ft + " " + a + ", 0";
        } else if (to.isFloat() && from.isFloat()) {
            instruction = (to == KType.F32 ? "fptrunc " : "fpext ") + ft + " " + a + " to " + tt;
        } else if (to.isFloat()) {
            instruction = (from == KType.BOOL ? "uitofp " : "sitofp ") + ft + " " + a + " to " + tt;
        } else if (from.isFloat()) {
            String fn = "@llvm.fptosi.sat." + tt + "." + from.text();
            declare("declare " + tt + " " + fn + "(" + ft + ")");
            instruction = "call " + tt + " " + fn + "(" + ft + " " + a + ")";
        } else if (from == KType.BOOL) {
            instruction = "zext i1 " + a + " to " + tt;
        } else {
            instruction = (to == KType.I64 ? "sext " : "trunc ") + ft + " " + a + " to " + tt;
        }
        f.define(c.dst().id(), f.name(c.dst().id()) + " = " + instruction);
    }

    /**
     * A libm function computed in double: float32 operands are widened and the result rounded once. Writes the
     * instructions before the last and returns the last, which defines the value.
     */
    private String inDouble(Fn f, KValue dst, String op, List<String> args) {
        checkSupported(op);
        String v = f.name(dst.id());
        boolean f32 = dst.type() == KType.F32;
        String fn = "@llvm." + op + ".f64";
        declare("declare double " + fn + "(" + String.join(", ", args.stream().map(x -> "double").toList()) + ")");
        List<String> wide = new ArrayList<>();
        for (int i = 0; i < args.size(); i++) {
            if (f32) {
                String w = v + ".arg" + i;
                f.line(w + " = fpext float " + args.get(i) + " to double");
                wide.add("double " + w);
            } else {
                wide.add("double " + args.get(i));
            }
        }
        String call = "call double " + fn + "(" + String.join(", ", wide) + ")";
        if (op.equals("pow")) {
            f.line(v + ".c = " + call);
            String nan = javaPowIsNaN(f, v, wide.get(0), wide.get(1));
            call = "select i1 " + nan + ", double 0x7FF8000000000000, double " + v + ".c";
        }
        if (f32) {
            f.line(v + ".f64 = " + call);
            return "fptrunc double " + v + ".f64 to float";
        }
        return call;
    }

    /**
     * Where Java's {@code Math.pow} is NaN and C's {@code pow} is 1: a NaN exponent, or {@code (±1) ** ±inf}.
     *
     * @return the i1 that is true there
     */
    private String javaPowIsNaN(Fn f, String v, String base, String exponent) {
        String fabs = "@llvm.fabs.f64";
        declare("declare double " + fabs + "(double)");
        f.line(v + ".nanexp = fcmp uno " + exponent + ", 0.0");
        f.line(v + ".absbase = call double " + fabs + "(" + base + ")");
        f.line(v + ".absexp = call double " + fabs + "(" + exponent + ")");
        f.line(v + ".unitbase = fcmp oeq double " + v + ".absbase, 1.0");
        f.line(v + ".infexp = fcmp oeq double " + v + ".absexp, 0x7FF0000000000000");
        f.line(v + ".unitinf = and i1 " + v + ".unitbase, " + v + ".infexp");
        f.line(v + ".nan = or i1 " + v + ".nanexp, " + v + ".unitinf");
        return v + ".nan";
    }

    /** {@code @llvm.NAME.f32/f64}, declared. */
    private String intrinsic(String op, KType ty, int arity) {
        String t = llvmType(ty);
        String fn = "@llvm." + op + "." + ty.text();
        List<String> args = new ArrayList<>();
        for (int i = 0; i < arity; i++) {
            args.add(t);
        }
        declare("declare " + t + " " + fn + "(" + String.join(", ", args) + ")");
        return fn;
    }

    /** {@code @llvm.NAME.i32/i64}, declared with the given operand types. */
    private String intIntrinsic(String op, String t, String operandTypes) {
        String fn = "@llvm." + op + "." + t;
        declare("declare " + t + " " + fn + "(" + operandTypes + ")");
        return fn;
    }

    protected final void declare(String declaration) {
        declarations.add(declaration);
    }

    /** The operand text of {@code v} in {@code f}: a constant's literal, or the value {@code f} defined. */
    private String op(Fn f, KValue v) {
        String c = constants.get(v.id());
        return c != null ? c : f.operand(v.id());
    }

    /** The LLVM type of a kernel type. */
    static String llvmType(KType t) {
        return switch (t) {
            case F32 -> "float";
            case F64 -> "double";
            case I32 -> "i32";
            case I64 -> "i64";
            case BOOL -> "i1";
        };
    }

    /** A floating constant, exact: the float64 bits of the (rounded) value in hex. */
    private static String floatConstant(KType t, double value) {
        if (Double.isNaN(value) || Double.isInfinite(value)) {
            throw new StreamfoldException("non-finite constant " + value + " in a kernel");
        }
        double exact = t == KType.F32 ? (double) (float) value : value;
        return String.format(Locale.ROOT, "0x%016X", Double.doubleToRawLongBits(exact));
    }

    private static String intConstant(KType t, long value) {
        return switch (t) {
            case BOOL -> value != 0 ? "true" : "false";
            case I32 -> Integer.toString((int) value);
            case I64 -> Long.toString(value);
            case F32, F64 -> throw new IllegalStateException("integer constant of " + t);
        };
    }

    /**
     * A function being written: its lines, the operand text of each kernel value, the block being written and the
     * state carried on.
     */
    protected static final class Fn {
        private final List<String> lines = new ArrayList<>();
        final Map<Integer, String> operands = new HashMap<>();
        final Map<Integer, String> nextState = new HashMap<>();
        final Set<String> defined = new LinkedHashSet<>();
        /** The value {@code load x} reads, or null to load it from {@code %x.i}. */
        String input;
        /** The label of the block being written. */
        String block;
        /** The elements from one row of a multi-row state buffer to the next, as an i64 operand. */
        String stateStride;
        /**
         * The suffix of the element addresses {@code %x.i}, {@code %y.i} and {@code %stateB.i} of the element loop
         * being written: empty where the function has one element loop, the loop's label where it has several.
         */
        String elem = "";
        /** Loops and row stores written so far, which name their blocks and values. */
        int loops;
        int stores;

        void comment(String c) {
            lines.add("; " + c);
        }

        void open(String signature) {
            lines.add(signature);
        }

        void label(String l) {
            lines.add(l + ":");
            block = l;
        }

        void line(String instruction) {
            lines.add("  " + instruction);
        }

        /** Keeps room for {@code count} instructions here, written later by {@link #fill} (phi nodes). */
        int reserve(int count) {
            int at = lines.size();
            for (int i = 0; i < count; i++) {
                lines.add(null);
            }
            return at;
        }

        void fill(int at, String instruction) {
            if (lines.get(at) != null) {
                throw new IllegalStateException("line " + at + " is written");
            }
            lines.set(at, "  " + instruction);
        }

        /**
         * The suffix of the names of the kernel values written: empty where each is written once, distinct for each
         * copy where a loop body is written several times.
         */
        String copy = "";
        /** Copies of loop bodies written so far, which name their values. */
        int copies;

        /** The name of kernel value {@code id} in the copy being written: {@code %vID} and {@link #copy}. */
        String name(int id) {
            return "%v" + id + copy;
        }

        /** Writes an instruction defining {@link #name} of {@code id}. */
        void define(int id, String instruction) {
            operands.put(id, name(id));
            line(instruction);
        }

        String operand(int id) {
            String o = operands.get(id);
            if (o == null) {
                throw new IllegalStateException("v" + id + " has no value here");
            }
            return o;
        }

        /** Appends another function part's lines (its values stay its own); the block is the part's last. */
        void append(Fn part) {
            lines.addAll(part.lines);
            block = part.block;
        }

        String close() {
            StringBuilder text = new StringBuilder();
            for (String l : lines) {
                if (l == null) {
                    throw new IllegalStateException("a reserved line was never written");
                }
                text.append(l).append('\n');
            }
            return text.append("}\n").toString();
        }
    }
}
