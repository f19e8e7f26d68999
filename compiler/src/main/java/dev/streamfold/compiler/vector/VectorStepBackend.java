package dev.streamfold.compiler.vector;

import com.palantir.javapoet.AnnotationSpec;
import com.palantir.javapoet.ArrayTypeName;
import com.palantir.javapoet.ClassName;
import com.palantir.javapoet.CodeBlock;
import com.palantir.javapoet.FieldSpec;
import com.palantir.javapoet.JavaFile;
import com.palantir.javapoet.MethodSpec;
import com.palantir.javapoet.ParameterizedTypeName;
import com.palantir.javapoet.TypeName;
import com.palantir.javapoet.TypeSpec;
import dev.streamfold.compiler.kir.KBuffer;
import dev.streamfold.compiler.kir.KInstr;
import dev.streamfold.compiler.kir.KType;
import dev.streamfold.compiler.kir.KValue;
import dev.streamfold.compiler.kir.Kernel;
import dev.streamfold.compiler.kir.KirPrinter;
import dev.streamfold.compiler.lower.StepKir;
import dev.streamfold.ir.DType;
import dev.streamfold.ir.StreamfoldException;
import dev.streamfold.runtime.ElementType;
import dev.streamfold.runtime.ParamSlot;
import dev.streamfold.runtime.StepKernel;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Consumer;
import javax.lang.model.element.Modifier;

/**
 * Renders a streaming step in kernel IR v2 ({@link StepKir}) as a Java class on the Vector API. Uniform values
 * are computed once per step, before the loop over the slice; lane values run in a full-vector main loop with
 * {@code SPECIES_PREFERRED}, then in a scalar tail that computes the same bits, so any split of the slice gives
 * identical results. Uniform values a lane instruction reads are broadcast once per call. The whole-scan entry
 * point walks the slice in blocks of {@link #SCAN_BLOCK} elements (fewer when the state has many rows) and runs
 * every step on a block before moving on, so state stays in cache. Constants are written where they are used.
 *
 * <p>Row {@code r} of a state buffer is at element {@code r * stateStride} of its segment. A loop of the step (over
 * the rows of a ring state buffer) is split in two: its uniform part runs once per step with the other uniform
 * values, keeping each iteration's uniform values that lanes read (a row's weight, a computed row index) in a small
 * array; its lane part runs over blocks of {@link #LOOP_BLOCK} elements, the loop outside the element loop, so each
 * pass over the block streams {@link #ROW_GROUP} rows (the carried values staying in registers between them) while
 * every element still sees the iterations in order. Lane values that pass from one part of such a body to another,
 * carried values included, wait in block-long arrays. Measured on one AVX-512 core, a ring of 4095 rows reads its
 * state at 12 to 18 GB/s, memory-bound, about three times the rate of a loop over the rows per element vector.
 */
public final class VectorStepBackend {
    /** Elements of the slice per whole-scan block (state of a block stays in L1/L2). */
    public static final int SCAN_BLOCK = 16384;

    /** Most elements one call of the element loop takes (an int-indexed counted loop). */
    public static final int CALL = 1 << 20;

    /**
     * Elements per block of a step whose lanes run a loop: the block's carried values stay in L1 while each
     * iteration streams its row of the block.
     */
    public static final int LOOP_BLOCK = 1024;

    /** Iterations of a loop each element of a block runs in one pass, its carried values in registers. */
    public static final int ROW_GROUP = 4;

    /** Element-rows of state a whole-scan block of a step with multi-row state holds, at most (about its L2 share). */
    private static final int SCAN_STATE = 4 * SCAN_BLOCK;

    private static final ClassName VECTOR_SPECIES = ClassName.get("jdk.incubator.vector", "VectorSpecies");
    private static final ClassName FLOAT_VECTOR = ClassName.get("jdk.incubator.vector", "FloatVector");
    private static final ClassName DOUBLE_VECTOR = ClassName.get("jdk.incubator.vector", "DoubleVector");
    private static final ClassName GENERATED = ClassName.get("javax.annotation.processing", "Generated");
    private static final ClassName LAYOUT = ClassName.get(ValueLayout.class);

    private VectorStepBackend() {}

    /** The Java source of {@code s} as class {@code pkg.name}. */
    public static JavaFile render(StepKir s, String pkg, String name, String description) {
        return new Render(s).file(pkg, name, description);
    }

    /** Elements per whole-scan block of {@code s}: {@link #SCAN_BLOCK}, or fewer when its state has more than one row. */
    public static int scanBlock(StepKir s) {
        int rows = 0;
        boolean multiRow = false;
        for (int b = 0; b < s.stateCount(); b++) {
            int r = s.kernel().buffers().get(s.state(b)).elements();
            rows += r;
            multiRow |= r > 1;
        }
        if (!multiRow) {
            return SCAN_BLOCK;
        }
        return Math.max(LOOP_BLOCK, Math.min(SCAN_BLOCK, Integer.highestOneBit(SCAN_STATE / rows)));
    }

    /**
     * One part of a body whose lanes run a loop: a run of lane instructions, or one loop; {@code imports} are the
     * lane values it reads that another part defines.
     */
    private record Phase(List<KInstr> straight, KInstr.Loop loop, Set<Integer> imports) {}

    private static final class Render {
        private final StepKir s;
        private final Kernel k;
        private final boolean f32;
        private final KType element;
        private final TypeName scalar;
        private final ClassName vector;
        /** The instruction defining each value, loop bodies included. */
        private final Map<Integer, KInstr> defs = new HashMap<>();
        /** Loop indices, carried values and results: values defined by a loop, named {@code vN} where defined. */
        private final Set<Integer> loopValues = new HashSet<>();
        /** The loop (by its index id) of each value defined inside a loop: its index, carried values and body values. */
        private final Map<Integer, Integer> scope = new HashMap<>();
        /** Top-level uniform instructions and every loop (for its uniform part), in order: what each step computes first. */
        private final List<KInstr> uniform = new ArrayList<>();
        /** Top-level lane instructions and loops with lane work, in order. */
        private final List<KInstr> lane = new ArrayList<>();
        /** Uniform values defined outside loops that lanes read, broadcast once per call. */
        private final Set<Integer> splatted = new LinkedHashSet<>();
        /**
         * For each loop (by its index id): the uniform values of its body that its lanes read, kept per iteration
         * (element type: a broadcast operand; integer: a row index).
         */
        private final Map<Integer, Set<Integer>> perIteration = new HashMap<>();
        /** Loop indices lane accesses use as their row. */
        private final Set<Integer> indexRows = new HashSet<>();
        /** Uniform values defined outside loops that lane accesses use as their row, passed to the element loop. */
        private final Set<Integer> rowArgs = new LinkedHashSet<>();
        /** Constant rows above 0 that lane accesses use. */
        private final Set<Long> rowConstants = new TreeSet<>();
        private final boolean phased;
        private boolean strided;

        Render(StepKir s) {
            this.s = s;
            this.k = s.kernel();
            this.f32 = s.dtype() == DType.F32;
            this.element = f32 ? KType.F32 : KType.F64;
            this.scalar = f32 ? TypeName.FLOAT : TypeName.DOUBLE;
            this.vector = f32 ? FLOAT_VECTOR : DOUBLE_VECTOR;
            boolean loops = false;
            for (KInstr i : k.body()) {
                define(i, -1);
                boolean isLane = i instanceof KInstr.Loop l ? hasLaneWork(l) : isLane(i);
                if (i instanceof KInstr.Loop || !isLane) {
                    uniform.add(i);
                }
                if (isLane) {
                    lane.add(i);
                    loops |= i instanceof KInstr.Loop;
                }
            }
            this.phased = loops;
            for (KInstr i : lane) {
                forEachLane(i, x -> refuseUnsupportedLane(x, false));
            }
            for (KInstr i : lane) {
                collectReads(i);
            }
        }

        /** Registers the values {@code i} defines; {@code loop} is the enclosing loop's index id, or -1. */
        private void define(KInstr i, int loop) {
            if (i instanceof KInstr.Loop l) {
                if (loop >= 0) {
                    throw new IllegalStateException("kernel " + k.name() + ": the loops of a streaming step do not nest");
                }
                int id = l.index().id();
                perIteration.put(id, new LinkedHashSet<>());
                loopValues.add(id);
                scope.put(id, id);
                for (KValue p : l.params()) {
                    loopValues.add(p.id());
                    scope.put(p.id(), id);
                }
                for (KInstr b : l.body()) {
                    define(b, id);
                }
                for (KValue r : l.results()) {
                    loopValues.add(r.id());
                }
                return;
            }
            if (i.dst() != null) {
                defs.put(i.dst().id(), i);
                if (loop >= 0) {
                    scope.put(i.dst().id(), loop);
                }
            }
        }

        private static boolean isLane(KInstr i) {
            return i instanceof KInstr.Store || i.dst().lane();
        }

        private static boolean hasLaneWork(KInstr.Loop l) {
            return l.params().stream().anyMatch(KValue::lane) || l.body().stream().anyMatch(Render::isLane);
        }

        /** Visits {@code i}, or the lane instructions of the body of loop {@code i}. */
        private static void forEachLane(KInstr i, Consumer<KInstr> visit) {
            if (i instanceof KInstr.Loop l) {
                for (KInstr b : l.body()) {
                    if (isLane(b)) {
                        visit.accept(b);
                    }
                }
            } else {
                visit.accept(i);
            }
        }

        /**
         * Refuses what lane instruction {@code i} (or the lanes of loop {@code i}) cannot do and records the uniform
         * values it reads and the rows it accesses.
         */
        private void collectReads(KInstr i) {
            if (i instanceof KInstr.Loop l) {
                for (int j = 0; j < l.params().size(); j++) {
                    if (l.params().get(j).lane()) {
                        readUniform(l.inits().get(j), i);
                    }
                }
                for (KInstr b : l.body()) {
                    if (isLane(b)) {
                        collectReads(b);
                    }
                }
                for (int j = 0; j < l.params().size(); j++) {
                    if (l.params().get(j).lane()) {
                        readUniform(l.yields().get(j), i);
                    }
                }
                return;
            }
            refuseUnsupportedLane(i, true);
            if (i instanceof KInstr.Load l) {
                row(l.buffer(), l.index(), i);
            } else if (i instanceof KInstr.Store st) {
                row(st.buffer(), st.index(), i);
            }
            List<KValue> read = i instanceof KInstr.Store st ? List.of(st.value())
                    : i instanceof KInstr.Load ? List.of() : i.operands();
            for (KValue v : read) {
                readUniform(v, i);
            }
        }

        /** Records that lane instruction {@code i} reads {@code v}: when uniform, broadcast per call or per loop iteration. */
        private void readUniform(KValue v, KInstr i) {
            if (v.lane()) {
                return;
            }
            if (v.type() != element) {
                throw new IllegalStateException("kernel " + k.name() + ": lane instruction " + i + " reads uniform "
                        + v.type().text() + " " + v);
            }
            Integer loop = scope.get(v.id());
            if (loop == null) {
                splatted.add(v.id());
            } else {
                perIteration.get(loop).add(v.id());
            }
        }

        /** Records the row a lane access of {@code buffer} at {@code index} takes. */
        private void row(int buffer, KValue index, KInstr i) {
            int rows = k.buffers().get(buffer).elements();
            if (defs.get(index.id()) instanceof KInstr.ConstI c) {
                if (c.value() < 0 || c.value() >= rows) {
                    throw new IllegalStateException("kernel " + k.name() + ": " + i + " takes row " + c.value() + " of "
                            + rows);
                }
                if (c.value() > 0) {
                    rowConstants.add(c.value());
                    strided = true;
                }
                return;
            }
            strided = true;
            Integer loop = scope.get(index.id());
            if (loop == null) {
                rowArgs.add(index.id());
            } else if (loop == index.id()) {
                indexRows.add(loop);
            } else {
                perIteration.get(loop).add(index.id());
            }
        }

        JavaFile file(String pkg, String name, String description) {
            TypeName boxed = f32 ? ClassName.get(Float.class) : ClassName.get(Double.class);
            ClassName elementType = ClassName.get(ElementType.class);
            MethodSpec.Builder step = MethodSpec.methodBuilder("step")
                    .addAnnotation(Override.class)
                    .addModifiers(Modifier.PUBLIC)
                    .addParameter(long.class, "t")
                    .addParameter(ArrayTypeName.of(ArrayTypeName.of(double.class)), "params")
                    .addParameter(MemorySegment.class, "x")
                    .addParameter(MemorySegment.class, "y")
                    .addParameter(ArrayTypeName.of(MemorySegment.class), "state")
                    .addParameter(long.class, "stateStride")
                    .addParameter(long.class, "from")
                    .addParameter(long.class, "to");
            step.addCode(prologue(true));
            step.beginControlFlow("for (long at = from; at < to; at += $L)", CALL)
                    .addStatement("loop($L)", loopArgs("at", "at", "at", "(int) Math.min(" + CALL + ", to - at)"))
                    .endControlFlow();

            int block = scanBlock(s);
            MethodSpec.Builder scan = MethodSpec.methodBuilder("scan")
                    .addAnnotation(Override.class)
                    .addModifiers(Modifier.PUBLIC)
                    .addParameter(long.class, "t0")
                    .addParameter(int.class, "steps")
                    .addParameter(ArrayTypeName.of(ArrayTypeName.of(double.class)), "params")
                    .addParameter(MemorySegment.class, "x")
                    .addParameter(MemorySegment.class, "y")
                    .addParameter(long.class, "rowStride")
                    .addParameter(ArrayTypeName.of(MemorySegment.class), "state")
                    .addParameter(long.class, "stateStride")
                    .addParameter(long.class, "from")
                    .addParameter(long.class, "to");
            for (KInstr i : uniform) {
                if (i instanceof KInstr.Loop l) {
                    scan.addCode(iterationArrays(l));
                }
            }
            scan.beginControlFlow("for (long block = from; block < to; block += $L)", block)
                    .addStatement("int n = (int) Math.min($L, to - block)", block)
                    .beginControlFlow("for (int k = 0; k < steps; k++)")
                    .addStatement("long t = t0 + k")
                    .addStatement("long row = k * rowStride + block")
                    .addCode(prologue(false))
                    .addStatement("loop($L)", loopArgs("row", "row", "block", "n"))
                    .endControlFlow()
                    .endControlFlow();

            MethodSpec.Builder loop = MethodSpec.methodBuilder("loop")
                    .addModifiers(Modifier.PRIVATE, Modifier.STATIC)
                    .addParameter(ArrayTypeName.of(scalar), "splats");
            for (KInstr i : lane) {
                if (i instanceof KInstr.Loop l) {
                    for (int id : perIteration.get(l.index().id())) {
                        loop.addParameter(ArrayTypeName.of(iterationType(id)), "u" + id);
                    }
                }
            }
            loop.addParameter(MemorySegment.class, "x")
                    .addParameter(MemorySegment.class, "y")
                    .addParameter(ArrayTypeName.of(MemorySegment.class), "state")
                    .addParameter(long.class, "xAt").addParameter(long.class, "yAt").addParameter(long.class, "stateAt");
            if (strided) {
                loop.addParameter(long.class, "stateStride");
            }
            for (int id : rowArgs) {
                loop.addParameter(long.class, "v" + id);
            }
            loop.addParameter(int.class, "n");
            loop.addJavadoc("Elements {@code [0, n)} of one step: x, y and the state buffers start at the given element offsets;\n"
                    + "{@code splats} holds the uniform values the lanes read, in order.\n");
            if (strided) {
                loop.addJavadoc("Row {@code r} of a state buffer starts {@code r * stateStride} elements further.\n");
            }
            if (phased) {
                loop.addJavadoc("{@code uN} holds value N of each iteration of its loop.\n");
            }
            int slot = 0;
            for (int id : splatted) {
                loop.addStatement("$T s$L = splats[$L]", scalar, id, slot++);
                loop.addStatement("$T s$LV = $T.broadcast(SPECIES, s$L)", vector, id, vector, id);
            }
            for (int b = 0; b < s.stateCount(); b++) {
                loop.addStatement("$T state$L = state[$L]", MemorySegment.class, b, b);
            }
            for (long c : rowConstants) {
                loop.addStatement("long rowC$L = stateAt + $LL * stateStride", c, c);
            }
            for (int id : rowArgs) {
                loop.addStatement("long row$L = stateAt + v$L * stateStride", id, id);
            }
            if (phased) {
                loop.addCode(phasedBody());
            } else {
                loop.addStatement("int i = 0");
                loop.addStatement("int bound = SPECIES.loopBound(n)");
                loop.beginControlFlow("for (; i < bound; i += SPECIES.length())");
                for (KInstr i : lane) {
                    loop.addCode(laneVector(i, ""));
                }
                loop.endControlFlow();
                loop.beginControlFlow("for (; i < n; i++)");
                for (KInstr i : lane) {
                    loop.addCode(laneScalar(i, ""));
                }
                loop.endControlFlow();
            }

            StringBuilder rows = new StringBuilder();
            for (int b = 0; b < s.stateCount(); b++) {
                rows.append(b == 0 ? "" : ", ").append(k.buffers().get(s.state(b)).elements());
            }
            TypeSpec type = TypeSpec.classBuilder(name)
                    .addModifiers(Modifier.PUBLIC, Modifier.FINAL)
                    .addSuperinterface(StepKernel.class)
                    .addAnnotation(AnnotationSpec.builder(GENERATED).addMember("value", "$S", "dev.streamfold").build())
                    .addJavadoc("Fused streaming step of {@code $L}.\n\n<pre>\n$L</pre>\n", description,
                            KirPrinter.print(k).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
                                    .replace("@", "&#64;"))
                    .addField(FieldSpec.builder(ParameterizedTypeName.get(VECTOR_SPECIES, boxed), "SPECIES",
                                    Modifier.PRIVATE, Modifier.STATIC, Modifier.FINAL)
                            .initializer("$T.SPECIES_PREFERRED", vector).build())
                    .addField(FieldSpec.builder(ByteOrder.class, "ORDER", Modifier.PRIVATE, Modifier.STATIC, Modifier.FINAL)
                            .initializer("$T.nativeOrder()", ByteOrder.class).build())
                    .addField(FieldSpec.builder(int.class, "BYTES", Modifier.PRIVATE, Modifier.STATIC, Modifier.FINAL)
                            .initializer("$L", f32 ? 4 : 8).build())
                    .addMethod(MethodSpec.methodBuilder("elementType").addAnnotation(Override.class)
                            .addModifiers(Modifier.PUBLIC).returns(elementType)
                            .addStatement("return $T.$L", elementType, f32 ? "FLOAT32" : "FLOAT64").build())
                    .addMethod(MethodSpec.methodBuilder("paramCount").addAnnotation(Override.class)
                            .addModifiers(Modifier.PUBLIC).returns(int.class)
                            .addStatement("return $L", s.paramCount()).build())
                    .addField(FieldSpec.builder(ParameterizedTypeName.get(ClassName.get(List.class), ClassName.get(ParamSlot.class)),
                                    "SLOTS", Modifier.PRIVATE, Modifier.STATIC, Modifier.FINAL)
                            .initializer(slotsInitializer()).build())
                    .addField(FieldSpec.builder(ArrayTypeName.of(int.class), "STATE_ROWS", Modifier.PRIVATE, Modifier.STATIC,
                                    Modifier.FINAL)
                            .initializer("{$L}", rows).build())
                    .addMethod(MethodSpec.methodBuilder("paramSlots").addAnnotation(Override.class)
                            .addModifiers(Modifier.PUBLIC).returns(ParameterizedTypeName.get(ClassName.get(List.class),
                                    ClassName.get(ParamSlot.class)))
                            .addStatement("return SLOTS").build())
                    .addMethod(MethodSpec.methodBuilder("stateCount").addAnnotation(Override.class)
                            .addModifiers(Modifier.PUBLIC).returns(int.class)
                            .addStatement("return $L", s.stateCount()).build())
                    .addMethod(MethodSpec.methodBuilder("stateRows").addAnnotation(Override.class)
                            .addModifiers(Modifier.PUBLIC).returns(int.class).addParameter(int.class, "k")
                            .addStatement("return STATE_ROWS[k]").build())
                    .addMethod(step.build())
                    .addMethod(scan.build())
                    .addMethod(loop.build())
                    .build();
            return JavaFile.builder(pkg, type)
                    .addFileComment("Generated by Streamfold — do not edit.")
                    .skipJavaLangImports(true)
                    .indent("    ")
                    .build();
        }

        private CodeBlock slotsInitializer() {
            ClassName slot = ClassName.get(ParamSlot.class);
            List<CodeBlock> items = new ArrayList<>();
            for (ParamSlot p : s.slots()) {
                items.add(p.length() == ParamSlot.PER_STEP
                        ? CodeBlock.of("new $T($S, $T.PER_STEP, $T.Rule.$L)", slot, p.name(), slot, slot, p.rule())
                        : CodeBlock.of("new $T($S, $L, $T.Rule.$L)", slot, p.name(), p.length(), slot, p.rule()));
            }
            return CodeBlock.of("$T.of($L)", List.class, CodeBlock.join(items, ",\n"));
        }

        /**
         * The arguments of a {@code loop} call: the splatted uniform values packed in one array, each loop's
         * per-iteration arrays, then buffers, offsets, the row stride and the rows taken from uniform values.
         */
        private String loopArgs(String xAt, String yAt, String sAt, String n) {
            List<String> values = new ArrayList<>();
            for (int id : splatted) {
                values.add(uniformRef(valueOf(id)));
            }
            List<String> args = new ArrayList<>();
            args.add("new " + scalar + "[] {" + String.join(", ", values) + "}");
            for (KInstr i : lane) {
                if (i instanceof KInstr.Loop l) {
                    for (int id : perIteration.get(l.index().id())) {
                        args.add("u" + id);
                    }
                }
            }
            args.addAll(List.of("x", "y", "state", xAt, yAt, sAt));
            if (strided) {
                args.add("stateStride");
            }
            for (int id : rowArgs) {
                args.add(uniformRef(valueOf(id)));
            }
            args.add(n);
            return String.join(", ", args);
        }

        /** The value with id {@code id}, as its defining instruction or loop declares it. */
        private KValue valueOf(int id) {
            KInstr d = defs.get(id);
            if (d != null) {
                return d.dst();
            }
            for (KInstr i : k.body()) {
                if (i instanceof KInstr.Loop l) {
                    for (KValue v : concat(List.of(l.index()), l.params(), l.results())) {
                        if (v.id() == id) {
                            return v;
                        }
                    }
                }
            }
            throw new IllegalStateException("kernel " + k.name() + ": %" + id + " is not defined in its body");
        }

        private static List<KValue> concat(List<KValue> a, List<KValue> b, List<KValue> c) {
            List<KValue> all = new ArrayList<>(a);
            all.addAll(b);
            all.addAll(c);
            return all;
        }

        /** The Java element type of per-iteration value {@code id}'s array: the kernel's scalar, or long for a row. */
        private TypeName iterationType(int id) {
            return valueOf(id).type().isFloat() ? scalar : TypeName.LONG;
        }

        /** The uniform values of one step, each computed once (constants and the step index are used in place). */
        private CodeBlock prologue(boolean declareArrays) {
            CodeBlock.Builder c = CodeBlock.builder();
            for (KInstr i : uniform) {
                if (i instanceof KInstr.Loop l) {
                    if (declareArrays) {
                        c.add(iterationArrays(l));
                    }
                    c.add(uniformLoop(l));
                    continue;
                }
                if (inPlace(i)) {
                    continue;
                }
                c.addStatement("$T v$L = $L", javaType(i.dst().type()), i.dst().id(), uniformExpr(i));
            }
            return c.build();
        }

        /** The arrays that hold loop {@code l}'s per-iteration values. */
        private CodeBlock iterationArrays(KInstr.Loop l) {
            CodeBlock.Builder c = CodeBlock.builder();
            for (int id : perIteration.get(l.index().id())) {
                TypeName t = iterationType(id);
                c.addStatement("$T u$L = new $T[$L]", ArrayTypeName.of(t), id, t, l.trips());
            }
            return c.build();
        }

        /**
         * The uniform part of loop {@code l}: its uniform carried values (results declared before it) and the
         * per-iteration values its lanes read; nothing when there are neither.
         */
        private CodeBlock uniformLoop(KInstr.Loop l) {
            CodeBlock.Builder c = CodeBlock.builder();
            Set<Integer> kept = perIteration.get(l.index().id());
            List<Integer> carried = new ArrayList<>();
            for (int j = 0; j < l.params().size(); j++) {
                if (!l.params().get(j).lane()) {
                    carried.add(j);
                }
            }
            if (kept.isEmpty() && carried.isEmpty()) {
                return c.build();
            }
            for (int j : carried) {
                KValue r = l.results().get(j);
                c.addStatement("$T v$L = $L", javaType(r.type()), r.id(), uniformRef(l.inits().get(j)));
            }
            String index = "v" + l.index().id();
            c.beginControlFlow("for (int $L = $L; $L < $L; $L++)", index, l.start(), index, l.end(), index);
            for (int j : carried) {
                KValue p = l.params().get(j);
                c.addStatement("$T v$L = v$L", javaType(p.type()), p.id(), l.results().get(j).id());
            }
            for (KInstr i : l.body()) {
                if (!isLane(i) && !inPlace(i)) {
                    c.addStatement("$T v$L = $L", javaType(i.dst().type()), i.dst().id(), uniformExpr(i));
                }
            }
            for (int id : kept) {
                c.addStatement("u$L[$L] = $L", id, iteration(l), uniformRef(valueOf(id)));
            }
            for (int j : carried) {
                c.addStatement("v$L = $L", l.results().get(j).id(), uniformRef(l.yields().get(j)));
            }
            c.endControlFlow();
            return c.build();
        }

        /** The position of the current iteration of {@code l} in its per-iteration arrays. */
        private static String iteration(KInstr.Loop l) {
            return l.start() == 0 ? "v" + l.index().id() : "v" + l.index().id() + " - " + l.start();
        }

        private static boolean inPlace(KInstr i) {
            return i instanceof KInstr.ConstF || i instanceof KInstr.ConstI || i instanceof KInstr.Arg
                    || i instanceof KInstr.Length;
        }

        /** A uniform value as the prologue names it: a literal, {@code t}, a length, or {@code vN}. */
        private String uniformRef(KValue v) {
            KInstr d = defs.get(v.id());
            if (d == null) {
                if (loopValues.contains(v.id())) {
                    return "v" + v.id();
                }
                throw new IllegalStateException("kernel " + k.name() + ": " + v + " is not defined in its body");
            }
            if (d instanceof KInstr.ConstF c) {
                return literal(c.value(), c.dst().type());
            }
            if (d instanceof KInstr.ConstI c) {
                return switch (c.dst().type()) {
                    case I64 -> c.value() < 0 ? "(" + c.value() + "L)" : c.value() + "L";
                    case BOOL -> c.value() != 0 ? "true" : "false";
                    case I32, F32, F64 -> c.value() < 0 ? "(" + c.value() + ")" : Long.toString(c.value());
                };
            }
            if (d instanceof KInstr.Arg) {
                return "t";
            }
            if (d instanceof KInstr.Length l) {
                return "(long) params[" + param(l.buffer()) + "].length";
            }
            return "v" + v.id();
        }

        private String uniformExpr(KInstr i) {
            return switch (i) {
                case KInstr.Load l -> {
                    if (k.buffers().get(l.buffer()).role() != KBuffer.Role.PARAM) {
                        throw new IllegalStateException("uniform load of a batched buffer: " + i);
                    }
                    yield "params[" + param(l.buffer()) + "][" + uniformRef(l.index()) + "]";
                }
                case KInstr.Unary u -> unary(u.kind(), u.dst().type(), uniformRef(u.a()));
                case KInstr.Binary b -> binary(b.kind(), b.dst().type(), uniformRef(b.a()), uniformRef(b.b()));
                case KInstr.Fma f -> "Math.fma(" + uniformRef(f.a()) + ", " + uniformRef(f.b()) + ", " + uniformRef(f.c()) + ")";
                case KInstr.Compare c -> compare(c.kind(), uniformRef(c.a()), uniformRef(c.b()));
                case KInstr.Select sel -> uniformRef(sel.cond()) + " ? " + uniformRef(sel.a()) + " : " + uniformRef(sel.b());
                case KInstr.Convert cv -> convert(cv.a().type(), cv.dst().type(), uniformRef(cv.a()));
                case KInstr.ConstF c -> uniformRef(c.dst());
                case KInstr.ConstI c -> uniformRef(c.dst());
                case KInstr.Arg a -> uniformRef(a.dst());
                case KInstr.Length l -> uniformRef(l.dst());
                case KInstr.Store st -> throw new IllegalStateException("a store is no uniform value: " + i);
                case KInstr.Loop l -> throw new IllegalStateException("a loop is no uniform value");
            };
        }

        private int param(int buffer) {
            int p = s.paramOfBuffer(buffer);
            if (p < 0) {
                throw new IllegalStateException("kernel " + k.name() + ": buffer " + buffer + " is no parameter slot");
            }
            return p;
        }

        /**
         * The element loop of a step whose lanes run a loop: over blocks of {@link #LOOP_BLOCK} elements, each
         * part of the body ({@link Phase}) in turn over the whole block, lane values passing between parts in
         * block-long arrays {@code bN}.
         */
        private CodeBlock phasedBody() {
            List<Phase> phases = phases();
            Set<Integer> arrays = new TreeSet<>();
            for (Phase p : phases) {
                arrays.addAll(p.imports());
                if (p.loop() != null) {
                    for (KValue r : p.loop().results()) {
                        if (r.lane()) {
                            arrays.add(r.id());
                        }
                    }
                }
            }
            CodeBlock.Builder c = CodeBlock.builder();
            c.addStatement("int blockLength = Math.min(n, $L)", LOOP_BLOCK);
            for (int id : arrays) {
                c.addStatement("$T b$L = new $T[blockLength]", ArrayTypeName.of(scalar), id, scalar);
            }
            c.beginControlFlow("for (int blk = 0; blk < n; blk += $L)", LOOP_BLOCK);
            c.addStatement("int end = Math.min(n, blk + $L)", LOOP_BLOCK);
            c.addStatement("int bound = blk + SPECIES.loopBound(end - blk)");
            for (Phase p : phases) {
                c.add(p.loop() == null ? straightPhase(p, arrays) : loopPhase(p));
            }
            c.endControlFlow();
            return c.build();
        }

        /** The top-level lane items split at each loop, with the lane values each part reads from another. */
        private List<Phase> phases() {
            List<Phase> phases = new ArrayList<>();
            List<KInstr> run = new ArrayList<>();
            for (KInstr i : lane) {
                if (i instanceof KInstr.Loop l) {
                    if (!run.isEmpty()) {
                        phases.add(new Phase(List.copyOf(run), null, imports(run, List.of(), Set.of())));
                        run.clear();
                    }
                    Set<Integer> reads = new TreeSet<>(imports(List.of(), l.inits(), Set.of()));
                    reads.addAll(imports(l.body(), l.yields(), own(l)));
                    phases.add(new Phase(List.of(), l, reads));
                } else {
                    run.add(i);
                }
            }
            if (!run.isEmpty()) {
                phases.add(new Phase(List.copyOf(run), null, imports(run, List.of(), Set.of())));
            }
            return phases;
        }

        /** The lane values {@code body} (and {@code extra}) read that neither it nor {@code own} defines, in id order. */
        private static Set<Integer> imports(List<KInstr> body, List<KValue> extra, Set<Integer> own) {
            Set<Integer> defined = new HashSet<>(own);
            Set<Integer> read = new TreeSet<>();
            for (KInstr i : body) {
                if (isLane(i)) {
                    List<KValue> operands = i instanceof KInstr.Store st ? List.of(st.value())
                            : i instanceof KInstr.Load ? List.of() : i.operands();
                    for (KValue v : operands) {
                        if (v.lane() && !defined.contains(v.id())) {
                            read.add(v.id());
                        }
                    }
                    if (i.dst() != null) {
                        defined.add(i.dst().id());
                    }
                }
            }
            for (KValue v : extra) {
                if (v.lane() && !defined.contains(v.id())) {
                    read.add(v.id());
                }
            }
            return read;
        }

        /** A run of lane instructions over the block; values another part reads are kept in their arrays. */
        private CodeBlock straightPhase(Phase p, Set<Integer> arrays) {
            CodeBlock.Builder c = CodeBlock.builder();
            c.beginControlFlow("for (int i = blk; i < bound; i += SPECIES.length())");
            importVectors(c, p.imports());
            for (KInstr i : p.straight()) {
                c.add(laneVector(i, ""));
                if (i.dst() != null && arrays.contains(i.dst().id())) {
                    c.addStatement("v$L.intoArray(b$L, i - blk)", i.dst().id(), i.dst().id());
                }
            }
            c.endControlFlow();
            c.beginControlFlow("for (int i = bound; i < end; i++)");
            importScalars(c, p.imports());
            for (KInstr i : p.straight()) {
                c.add(laneScalar(i, ""));
                if (i.dst() != null && arrays.contains(i.dst().id())) {
                    c.addStatement("b$L[i - blk] = v$L", i.dst().id(), i.dst().id());
                }
            }
            c.endControlFlow();
            return c.build();
        }

        /**
         * A loop's lane part over the block: its lane carried values start at their initial values in their arrays
         * ({@code bR}, R the result), then the iterations run over the whole block, {@link #ROW_GROUP} at a time and
         * then one at a time, with their uniform values and rows; within a group each element runs the group's
         * iterations in order, its carried values passing from one to the next in registers.
         */
        private CodeBlock loopPhase(Phase p) {
            KInstr.Loop l = p.loop();
            List<Integer> carried = new ArrayList<>();
            List<KValue> inits = new ArrayList<>();
            for (int j = 0; j < l.params().size(); j++) {
                if (l.params().get(j).lane()) {
                    carried.add(j);
                    inits.add(l.inits().get(j));
                }
            }
            CodeBlock.Builder c = CodeBlock.builder();
            if (!carried.isEmpty()) {
                Set<Integer> initImports = imports(List.of(), inits, Set.of());
                c.beginControlFlow("for (int i = blk; i < bound; i += SPECIES.length())");
                importVectors(c, initImports);
                for (int j : carried) {
                    c.addStatement("$L.intoArray(b$L, i - blk)", vec(l.inits().get(j), ""), l.results().get(j).id());
                }
                c.endControlFlow();
                c.beginControlFlow("for (int i = bound; i < end; i++)");
                importScalars(c, initImports);
                for (int j : carried) {
                    c.addStatement("b$L[i - blk] = $L", l.results().get(j).id(), sca(l.inits().get(j), ""));
                }
                c.endControlFlow();
            }
            int index = l.index().id();
            int grouped = l.start() + l.trips() / ROW_GROUP * ROW_GROUP;
            if (grouped > l.start() && grouped < l.end()) {
                c.addStatement("int v$L = $L", index, l.start());
                c.beginControlFlow("for (; v$L < $L; v$L += $L)", index, grouped, index, ROW_GROUP);
                c.add(iterations(l, carried, ROW_GROUP));
                c.endControlFlow();
                c.beginControlFlow("for (; v$L < $L; v$L++)", index, l.end(), index);
                c.add(iterations(l, carried, 1));
                c.endControlFlow();
            } else {
                int group = grouped > l.start() ? ROW_GROUP : 1;
                c.beginControlFlow("for (int v$L = $L; v$L < $L; v$L$L)", index, l.start(), index, l.end(), index,
                        group == 1 ? "++" : " += " + group);
                c.add(iterations(l, carried, group));
                c.endControlFlow();
            }
            return c.build();
        }

        /**
         * Iterations {@code v .. v+count-1} of loop {@code l} (v its index) over the block: copy {@code u} of the body
         * names the values of the loop with suffix {@code _u} (none when {@code count} is 1) and starts from the
         * carried values copy {@code u-1} yields.
         */
        private CodeBlock iterations(KInstr.Loop l, List<Integer> carried, int count) {
            CodeBlock.Builder c = CodeBlock.builder();
            int index = l.index().id();
            List<String> copies = new ArrayList<>();
            for (int u = 0; u < count; u++) {
                String copy = count == 1 ? "" : "_" + u;
                copies.add(copy);
                String at = u == 0 ? "v" + index : "v" + index + " + " + u;
                String position = l.start() == 0 ? at : at + " - " + l.start();
                for (int id : perIteration.get(index)) {
                    if (valueOf(id).type().isFloat()) {
                        c.addStatement("$T s$L$L = u$L[$L]", scalar, id, copy, id, position);
                        c.addStatement("$T s$L$LV = $T.broadcast(SPECIES, s$L$L)", vector, id, copy, vector, id, copy);
                    } else {
                        c.addStatement("long row$L$L = stateAt + u$L[$L] * stateStride", id, copy, id, position);
                    }
                }
                if (indexRows.contains(index)) {
                    c.addStatement("long row$L$L = stateAt + $L * stateStride", index, copy, u == 0 ? at : "(" + at + ")");
                }
            }
            Set<Integer> imports = imports(l.body(), l.yields(), own(l));
            for (boolean vectors : new boolean[] {true, false}) {
                c.beginControlFlow(vectors ? "for (int i = blk; i < bound; i += SPECIES.length())"
                        : "for (int i = bound; i < end; i++)");
                for (int j : carried) {
                    KValue param = l.params().get(j);
                    int result = l.results().get(j).id();
                    if (vectors) {
                        c.addStatement("$T v$L$L = $T.fromArray(SPECIES, b$L, i - blk)", vector, param.id(), copies.get(0),
                                vector, result);
                    } else {
                        c.addStatement("$T v$L$L = b$L[i - blk]", scalar, param.id(), copies.get(0), result);
                    }
                }
                if (vectors) {
                    importVectors(c, imports);
                } else {
                    importScalars(c, imports);
                }
                for (int u = 0; u < count; u++) {
                    String copy = copies.get(u);
                    for (int j = 0; u > 0 && j < carried.size(); j++) {
                        KValue param = l.params().get(carried.get(j));
                        KValue yield = l.yields().get(carried.get(j));
                        String previous = copies.get(u - 1);
                        c.addStatement("$T v$L$L = $L", vectors ? vector : scalar, param.id(), copy,
                                vectors ? vec(yield, previous) : sca(yield, previous));
                    }
                    for (KInstr i : l.body()) {
                        if (isLane(i)) {
                            c.add(vectors ? laneVector(i, copy) : laneScalar(i, copy));
                        }
                    }
                }
                String last = copies.get(count - 1);
                for (int j : carried) {
                    KValue yield = l.yields().get(j);
                    int result = l.results().get(j).id();
                    if (vectors) {
                        c.addStatement("$L.intoArray(b$L, i - blk)", vec(yield, last), result);
                    } else {
                        c.addStatement("b$L[i - blk] = $L", result, sca(yield, last));
                    }
                }
                c.endControlFlow();
            }
            return c.build();
        }

        /** The values loop {@code l} defines for its body: its index and carried values. */
        private static Set<Integer> own(KInstr.Loop l) {
            Set<Integer> own = new HashSet<>();
            own.add(l.index().id());
            for (KValue p : l.params()) {
                own.add(p.id());
            }
            return own;
        }

        private void importVectors(CodeBlock.Builder c, Set<Integer> ids) {
            for (int id : ids) {
                c.addStatement("$T v$L = $T.fromArray(SPECIES, b$L, i - blk)", vector, id, vector, id);
            }
        }

        private void importScalars(CodeBlock.Builder c, Set<Integer> ids) {
            for (int id : ids) {
                c.addStatement("$T v$L = b$L[i - blk]", scalar, id, id);
            }
        }

        /**
         * Refuses a lane instruction the vector loop cannot compute as its scalar tail does: functions first (so a
         * float32 {@code exp} is named as such, not by the conversion before it), then, when {@code rest}, the others.
         */
        private void refuseUnsupportedLane(KInstr i, boolean rest) {
            String what = switch (i) {
                case KInstr.Unary u -> switch (u.kind()) {
                    case NEG, ABS, SQRT, RECIPROCAL -> null;
                    case SIGN, EXP, LOG, NOT -> u.kind().name().toLowerCase(Locale.ROOT);
                };
                case KInstr.Binary b -> switch (b.kind()) {
                    case ADD, SUB, MUL, DIV, MIN, MAX -> null;
                    case POW, REM, AND, OR, XOR -> b.kind().name().toLowerCase(Locale.ROOT);
                };
                case KInstr.Compare c -> rest ? "comparison" : null;
                case KInstr.Select sel -> rest ? "select" : null;
                case KInstr.Convert cv -> rest ? "conversion" : null;
                case KInstr.Load l -> {
                    if (!multiRow(l.buffer()) && !(defs.get(l.index().id()) instanceof KInstr.ConstI c && c.value() == 0)) {
                        throw new IllegalStateException("kernel " + k.name() + ": a step reads element 0 of its buffers: " + i);
                    }
                    yield null;
                }
                case KInstr.Store st -> {
                    if (!multiRow(st.buffer()) && !(defs.get(st.index().id()) instanceof KInstr.ConstI c && c.value() == 0)) {
                        throw new IllegalStateException("kernel " + k.name() + ": a step writes element 0 of its buffers: " + i);
                    }
                    yield null;
                }
                case KInstr.Fma f -> null;
                case KInstr.ConstF c -> null;
                case KInstr.ConstI c -> null;
                case KInstr.Arg a -> null;
                case KInstr.Length l -> null;
                case KInstr.Loop l -> null;
            };
            if (what != null) {
                throw new StreamfoldException(
                        "the vector backend keeps lanes bit-identical to its scalar tail; " + what + " per element is not supported");
            }
        }

        /** True for a state buffer of more than one row (a ring), which lanes access at any uniform row. */
        private boolean multiRow(int buffer) {
            return s.stateOfBuffer(buffer) >= 0 && k.buffers().get(buffer).elements() > 1;
        }

        /** {@code copy} for a value of a loop's body (its index and carried values too), else nothing. */
        private String suffix(KValue v, String copy) {
            return scope.containsKey(v.id()) ? copy : "";
        }

        /** A lane value as copy {@code copy} of a loop body defines it. */
        private String name(KValue v, String copy) {
            return "v" + v.id() + suffix(v, copy);
        }

        /** A lane operand in the vector loop. */
        private String vec(KValue v, String copy) {
            return v.lane() ? name(v, copy) : "s" + v.id() + suffix(v, copy) + "V";
        }

        /** A lane operand in the scalar tail. */
        private String sca(KValue v, String copy) {
            return v.lane() ? name(v, copy) : "s" + v.id() + suffix(v, copy);
        }

        private String segment(int buffer) {
            if (buffer == StepKir.X) {
                return "x";
            }
            if (buffer == StepKir.Y) {
                return "y";
            }
            int st = s.stateOfBuffer(buffer);
            if (st < 0) {
                throw new IllegalStateException("kernel " + k.name() + ": buffer " + buffer + " is neither x, y nor state");
            }
            return "state" + st;
        }

        /** The element offset of the row a lane access of {@code buffer} at {@code index} takes (element 0 of the slice). */
        private String offset(int buffer, KValue index, String copy) {
            if (buffer == StepKir.X) {
                return "xAt";
            }
            if (buffer == StepKir.Y) {
                return "yAt";
            }
            if (defs.get(index.id()) instanceof KInstr.ConstI c) {
                return c.value() == 0 ? "stateAt" : "rowC" + c.value();
            }
            return "row" + index.id() + suffix(index, copy);
        }

        private CodeBlock laneVector(KInstr i, String copy) {
            return switch (i) {
                case KInstr.Load l -> CodeBlock.of("$T $L = $T.fromMemorySegment(SPECIES, $L, ($L + i) * BYTES, ORDER);\n",
                        vector, name(l.dst(), copy), vector, segment(l.buffer()), offset(l.buffer(), l.index(), copy));
                case KInstr.Store st -> CodeBlock.of("$L.intoMemorySegment($L, ($L + i) * BYTES, ORDER);\n",
                        vec(st.value(), copy), segment(st.buffer()), offset(st.buffer(), st.index(), copy));
                case KInstr.Unary u -> CodeBlock.of("$T $L = $L;\n", vector, name(u.dst(), copy), switch (u.kind()) {
                    case NEG -> vec(u.a(), copy) + ".neg()";
                    case ABS -> vec(u.a(), copy) + ".abs()";
                    case SQRT -> vec(u.a(), copy) + ".sqrt()";
                    case RECIPROCAL -> vec(u.a(), copy) + ".broadcast(1).div(" + vec(u.a(), copy) + ")";
                    case SIGN, EXP, LOG, NOT -> throw new IllegalStateException("refused lane " + i);
                });
                case KInstr.Binary b -> CodeBlock.of("$T $L = $L.$L($L);\n", vector, name(b.dst(), copy), vec(b.a(), copy),
                        switch (b.kind()) {
                            case ADD -> "add";
                            case SUB -> "sub";
                            case MUL -> "mul";
                            case DIV -> "div";
                            case MAX -> "max";
                            case MIN -> "min";
                            case POW, REM, AND, OR, XOR -> throw new IllegalStateException("refused lane " + i);
                        }, vec(b.b(), copy));
                case KInstr.Fma f -> CodeBlock.of("$T $L = $L.fma($L, $L);\n", vector, name(f.dst(), copy), vec(f.a(), copy),
                        vec(f.b(), copy), vec(f.c(), copy));
                case KInstr.Compare c -> throw new IllegalStateException("refused lane " + i);
                case KInstr.Select sel -> throw new IllegalStateException("refused lane " + i);
                case KInstr.Convert cv -> throw new IllegalStateException("refused lane " + i);
                case KInstr.ConstF c -> throw new IllegalStateException("a constant is uniform");
                case KInstr.ConstI c -> throw new IllegalStateException("a constant is uniform");
                case KInstr.Arg a -> throw new IllegalStateException("an argument is uniform");
                case KInstr.Length l -> throw new IllegalStateException("a length is uniform");
                case KInstr.Loop l -> throw new IllegalStateException("a loop is rendered as its own part of the element loop");
            };
        }

        private CodeBlock laneScalar(KInstr i, String copy) {
            String lay = f32 ? "JAVA_FLOAT_UNALIGNED" : "JAVA_DOUBLE_UNALIGNED";
            KType t = f32 ? KType.F32 : KType.F64;
            return switch (i) {
                case KInstr.Load l -> CodeBlock.of("$T $L = $L.getAtIndex($T.$L, $L + i);\n", scalar, name(l.dst(), copy),
                        segment(l.buffer()), LAYOUT, lay, offset(l.buffer(), l.index(), copy));
                case KInstr.Store st -> CodeBlock.of("$L.setAtIndex($T.$L, $L + i, $L);\n", segment(st.buffer()), LAYOUT, lay,
                        offset(st.buffer(), st.index(), copy), sca(st.value(), copy));
                case KInstr.Unary u -> CodeBlock.of("$T $L = $L;\n", scalar, name(u.dst(), copy),
                        unary(u.kind(), t, sca(u.a(), copy)));
                case KInstr.Binary b -> CodeBlock.of("$T $L = $L;\n", scalar, name(b.dst(), copy),
                        binary(b.kind(), t, sca(b.a(), copy), sca(b.b(), copy)));
                case KInstr.Fma f -> CodeBlock.of("$T $L = Math.fma($L, $L, $L);\n", scalar, name(f.dst(), copy),
                        sca(f.a(), copy), sca(f.b(), copy), sca(f.c(), copy));
                case KInstr.Compare c -> throw new IllegalStateException("refused lane " + i);
                case KInstr.Select sel -> throw new IllegalStateException("refused lane " + i);
                case KInstr.Convert cv -> throw new IllegalStateException("refused lane " + i);
                case KInstr.ConstF c -> throw new IllegalStateException("a constant is uniform");
                case KInstr.ConstI c -> throw new IllegalStateException("a constant is uniform");
                case KInstr.Arg a -> throw new IllegalStateException("an argument is uniform");
                case KInstr.Length l -> throw new IllegalStateException("a length is uniform");
                case KInstr.Loop l -> throw new IllegalStateException("a loop is rendered as its own part of the element loop");
            };
        }

        private String unary(KInstr.UnaryKind kind, KType t, String a) {
            String round = t == KType.F32 ? "(float) " : "";
            return switch (kind) {
                case NEG -> "-" + a;
                case ABS -> "Math.abs(" + a + ")";
                case SQRT -> requireFloat(t, kind, round + "Math.sqrt(" + a + ")");
                case EXP -> requireFloat(t, kind, round + "Math.exp(" + a + ")");
                case LOG -> requireFloat(t, kind, round + "Math.log(" + a + ")");
                case RECIPROCAL -> requireFloat(t, kind, (t == KType.F32 ? "1f / " : "1.0 / ") + a);
                case SIGN -> t.isFloat() ? "Math.signum(" + a + ")" : "Long.signum(" + a + ")";
                case NOT -> t == KType.BOOL ? "!" + a : "~" + a;
            };
        }

        private String binary(KInstr.BinaryKind kind, KType t, String a, String b) {
            return switch (kind) {
                case ADD -> a + " + " + b;
                case SUB -> a + " - " + b;
                case MUL -> a + " * " + b;
                case DIV -> t.isFloat() ? a + " / " + b : "(" + b + " == 0 ? 0 : " + a + " / " + b + ")";
                case REM -> t.isFloat() ? a + " % " + b : "(" + b + " == 0 ? 0 : " + a + " % " + b + ")";
                case MAX -> "Math.max(" + a + ", " + b + ")";
                case MIN -> "Math.min(" + a + ", " + b + ")";
                case POW -> (t == KType.F32 ? "(float) " : "") + "Math.pow(" + a + ", " + b + ")";
                case AND -> a + (t == KType.BOOL ? " && " : " & ") + b;
                case OR -> a + (t == KType.BOOL ? " || " : " | ") + b;
                case XOR -> a + " ^ " + b;
            };
        }

        private static String compare(KInstr.CompareKind kind, String a, String b) {
            return a + switch (kind) {
                case LT -> " < ";
                case LE -> " <= ";
                case GT -> " > ";
                case GE -> " >= ";
                case EQ -> " == ";
                case NE -> " != ";
            } + b;
        }

        private static String convert(KType from, KType to, String a) {
            if (to == KType.BOOL) {
                return a + (from.isFloat() ? " != 0.0" : " != 0");
            }
            if (from == KType.BOOL) {
                String one = to == KType.F32 ? "1f" : to == KType.F64 ? "1.0" : to == KType.I64 ? "1L" : "1";
                String zero = to == KType.F32 ? "0f" : to == KType.F64 ? "0.0" : to == KType.I64 ? "0L" : "0";
                return "(" + a + " ? " + one + " : " + zero + ")";
            }
            return "(" + javaType(to) + ") " + a;
        }

        private static String requireFloat(KType t, KInstr.UnaryKind kind, String expr) {
            if (!t.isFloat()) {
                throw new IllegalStateException(kind + " of " + t.text());
            }
            return expr;
        }

        private static TypeName javaType(KType t) {
            return switch (t) {
                case F32 -> TypeName.FLOAT;
                case F64 -> TypeName.DOUBLE;
                case I32 -> TypeName.INT;
                case I64 -> TypeName.LONG;
                case BOOL -> TypeName.BOOLEAN;
            };
        }

        /** A finite constant as a Java literal of its type, negative ones parenthesized. */
        private static String literal(double v, KType t) {
            if (Double.isNaN(v) || Double.isInfinite(v)) {
                throw new StreamfoldException("non-finite constant " + v + " in a kernel");
            }
            String text = t == KType.F32 ? Float.toString((float) v) + "f" : Double.toString(v);
            return text.startsWith("-") ? "(" + text + ")" : text;
        }
    }
}
