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
import com.palantir.javapoet.WildcardTypeName;
import dev.streamfold.compiler.kir.KBuffer;
import dev.streamfold.compiler.kir.KInstr;
import dev.streamfold.compiler.kir.KType;
import dev.streamfold.compiler.kir.KValue;
import dev.streamfold.compiler.kir.Kernel;
import dev.streamfold.compiler.kir.KirPrinter;
import dev.streamfold.compiler.kir.KirVerifier;
import dev.streamfold.compiler.kir.KirWalk;
import dev.streamfold.runtime.ElementType;
import dev.streamfold.runtime.batched.BatchedBuffer;
import dev.streamfold.runtime.batched.BatchedKernel;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import javax.lang.model.element.Modifier;

/**
 * Renders a kernel of kernel IR v2 as a Java class implementing {@link BatchedKernel} on the Vector API.
 *
 * <p>{@code run} walks the items {@code [from, to)} in groups of {@code LANES} items, one SIMD lane each:
 * lane values are {@code FloatVector}, {@code DoubleVector}, {@code IntVector} or {@code LongVector}, bool
 * lane values {@code VectorMask}s, uniform values plain Java locals, and a uniform operand of a lane operation
 * is broadcast. The kernel has one lane count: that of {@code DoubleVector.SPECIES_PREFERRED} when it has a
 * 64-bit lane value or batched buffer, else that of {@code FloatVector.SPECIES_PREFERRED}; the species of the
 * narrower types then have half the shape. The source names no lane count, so it is machine-independent. The
 * last group of a range uses masked loads and stores, so an item's results never depend on how the batch is
 * split. Params are read with scalar loads; scratch buffers are Java arrays of {@code elements * LANES}
 * values allocated once per call of {@code run}.
 *
 * <p>Results are bit-identical with {@link dev.streamfold.compiler.kir.KirEvaluator}, except lane
 * {@code exp}, {@code log} and {@code pow}: the Vector API computes those within 1 ulp of {@link Math}'s, not
 * bit for bit (their uniform forms call {@link Math} and are exact).
 *
 * <p>Scalar arguments arrive as {@code long}s: i64 as is, i32 as its low 32 bits, bool as {@code != 0}, f64
 * as the bits of {@link Double#longBitsToDouble}, f32 as the low 32 bits for {@link Float#intBitsToFloat}.
 *
 * <p>Bodies longer than {@link #METHOD_INSTRUCTIONS} instructions are cut into several private methods
 * ({@link KirMethodPlan}) whose shared values live in arrays of the per-call state, so that long kernels
 * stay within javac's and the JIT's method size limits. A part reads each shared value it needs once, at its
 * start; constants are written as literals wherever they are used.
 */
public final class VectorKirBackend {
    /** Most instructions one generated method holds (loops count with their bodies). */
    public static final int METHOD_INSTRUCTIONS = 30;

    private static final String VECTOR_PACKAGE = "jdk.incubator.vector";
    private static final ClassName VECTOR_SPECIES = ClassName.get(VECTOR_PACKAGE, "VectorSpecies");
    private static final ClassName VECTOR_SHAPE = ClassName.get(VECTOR_PACKAGE, "VectorShape");
    private static final ClassName VECTOR_MASK = ClassName.get(VECTOR_PACKAGE, "VectorMask");
    private static final ClassName OPERATORS = ClassName.get(VECTOR_PACKAGE, "VectorOperators");
    private static final ClassName GENERATED = ClassName.get("javax.annotation.processing", "Generated");
    private static final ClassName GROUP = ClassName.get("", "Group");

    private VectorKirBackend() {}

    /** The Java source of {@code k} as class {@code pkg.className}; throws when {@code k} does not verify. */
    public static JavaFile render(Kernel k, String pkg, String className) {
        KirVerifier.verify(k);
        return new Renderer(k, METHOD_INSTRUCTIONS).file(pkg, className);
    }

    /** As {@link #render(Kernel, String, String)}, with at most {@code methodInstructions} instructions per method. */
    static JavaFile render(Kernel k, String pkg, String className, int methodInstructions) {
        KirVerifier.verify(k);
        return new Renderer(k, methodInstructions).file(pkg, className);
    }

    /** The Java side of one element type. */
    private enum Lane {
        F32(KType.F32, "FloatVector", TypeName.FLOAT, 32, "F", "JAVA_FLOAT_UNALIGNED", ElementType.FLOAT32),
        F64(KType.F64, "DoubleVector", TypeName.DOUBLE, 64, "D", "JAVA_DOUBLE_UNALIGNED", ElementType.FLOAT64),
        I32(KType.I32, "IntVector", TypeName.INT, 32, "I", "JAVA_INT_UNALIGNED", ElementType.INT32),
        I64(KType.I64, "LongVector", TypeName.LONG, 64, "L", "JAVA_LONG_UNALIGNED", ElementType.INT64);

        final KType type;
        final ClassName vector;
        final TypeName scalar;
        final int bits;
        final String letter;
        final String layout;
        final ElementType element;

        Lane(KType type, String vector, TypeName scalar, int bits, String letter, String layout, ElementType element) {
            this.type = type;
            this.vector = ClassName.get(VECTOR_PACKAGE, vector);
            this.scalar = scalar;
            this.bits = bits;
            this.letter = letter;
            this.layout = layout;
            this.element = element;
        }

        TypeName boxed() {
            return scalar.box();
        }

        static Lane of(KType t) {
            return switch (t) {
                case F32 -> F32;
                case F64 -> F64;
                case I32 -> I32;
                case I64 -> I64;
                case BOOL -> throw new IllegalArgumentException("bool has no vector type");
            };
        }
    }

    /** Complex lane operations emitted as private helper methods of the generated class. */
    private enum Helper {
        REM_F32, REM_F64, DIV_I32, DIV_I64, REM_I32, REM_I64, SIGN_F32, SIGN_F64, SIGN_I32, SIGN_I64
    }

    private static final class Renderer {
        private final Kernel k;
        private final KirMethodPlan plan;
        private final Lane primary;
        private final Set<Lane> species = EnumSet.noneOf(Lane.class);
        private final Set<Lane> masked = EnumSet.noneOf(Lane.class);
        private final Set<Helper> helpers = EnumSet.noneOf(Helper.class);
        private final Map<Integer, CodeBlock> slots = new HashMap<>();
        private static final int SLOTS = 32768;
        private final Map<String, Integer> categoryCounts = new HashMap<>();
        private final Map<String, Integer> slotCounts = new HashMap<>();
        private final Map<String, TypeName> slotTypes = new HashMap<>();
        /** Slot arrays that hold lane values: {@code LANES} entries per value. */
        private final java.util.Set<String> laneSlots = new java.util.HashSet<>();
        private final Set<String> slotOrder = new TreeSet<>();
        private final Map<Integer, Long> constants = new HashMap<>();
        /** The literal of every constant, written in place wherever the constant is read outside its method. */
        private final Map<Integer, CodeBlock> literals = new HashMap<>();
        private final Map<Integer, int[]> loopIndexBounds = new HashMap<>();
        private final Set<Integer> definerLocals = new HashSet<>();
        /** Values of other methods read into locals at the start of the part being emitted. */
        private final Set<Integer> partLocals = new HashSet<>();
        /** The method being emitted: 0 for {@code group}, else the part's number. */
        private int method;

        Renderer(Kernel k, int limit) {
            this.k = k;
            this.plan = KirMethodPlan.of(k, limit);
            this.primary = wide(k) ? Lane.F64 : Lane.F32;
            species.add(primary);
            KirWalk.forEach(k.body(), i -> {
                if (i instanceof KInstr.ConstI c) {
                    constants.put(c.dst().id(), c.value());
                    literals.put(c.dst().id(), intLiteral(c.dst().type(), c.value()));
                }
                if (i instanceof KInstr.ConstF f) {
                    literals.put(f.dst().id(), floatLiteral(f.dst().type(), f.value()));
                }
                if (i instanceof KInstr.Loop l && l.trips() > 0) {
                    loopIndexBounds.put(l.index().id(), new int[] {l.start(), l.end()});
                }
            });
        }

        /** True when the kernel has a 64-bit lane value or batched buffer. */
        private static boolean wide(Kernel k) {
            for (KBuffer b : k.buffers()) {
                if (b.role().batched() && b.type().bytes() == 8) {
                    return true;
                }
            }
            boolean[] wide = {false};
            KirWalk.forEach(k.body(), i -> {
                List<KValue> defined = new ArrayList<>();
                if (i.dst() != null) {
                    defined.add(i.dst());
                }
                if (i instanceof KInstr.Loop l) {
                    defined.addAll(l.params());
                }
                for (KValue v : defined) {
                    if (v.lane() && v.type().bytes() == 8) {
                        wide[0] = true;
                    }
                }
            });
            return wide[0];
        }

        JavaFile file(String pkg, String className) {
            MethodSpec.Builder group = MethodSpec.methodBuilder("group")
                    .addModifiers(Modifier.PRIVATE, Modifier.STATIC)
                    .addJavadoc("The kernel body for the group of items {@code [g.base, g.base + LANES)}.\n")
                    .addParameter(GROUP, "g");
            CodeBlock.Builder body = CodeBlock.builder();
            method = 0;
            block(k.body(), body);
            group.addCode(body.build());
            List<MethodSpec> parts = new ArrayList<>();
            for (int p = 1; p <= plan.partCount(); p++) {
                CodeBlock.Builder c = CodeBlock.builder();
                method = p;
                readOnce(plan.part(p), c);
                for (KInstr i : plan.part(p)) {
                    instr(i, c);
                }
                partLocals.clear();
                parts.add(MethodSpec.methodBuilder("part" + p)
                        .addModifiers(Modifier.PRIVATE, Modifier.STATIC)
                        .addParameter(GROUP, "g")
                        .addCode(c.build())
                        .build());
            }

            TypeSpec.Builder type = TypeSpec.classBuilder(className)
                    .addModifiers(Modifier.PUBLIC, Modifier.FINAL)
                    .addSuperinterface(BatchedKernel.class)
                    .addAnnotation(AnnotationSpec.builder(GENERATED).addMember("value", "$S", "dev.streamfold").build())
                    .addJavadoc("Batched kernel {@code $L} on the Vector API, one SIMD lane per batch item.\n\n<pre>\n$L</pre>\n",
                            javadocText(k.name()), javadocText(documentedIr(k)));
            speciesFields(type);
            type.addField(FieldSpec.builder(ByteOrder.class, "ORDER", Modifier.PRIVATE, Modifier.STATIC, Modifier.FINAL)
                    .initializer("$T.nativeOrder()", ByteOrder.class).build());
            type.addField(FieldSpec.builder(ParameterizedTypeName.get(ClassName.get(List.class), ClassName.get(BatchedBuffer.class)),
                    "BUFFERS", Modifier.PRIVATE, Modifier.STATIC, Modifier.FINAL).initializer(buffersInitializer()).build());
            type.addMethod(MethodSpec.methodBuilder("name").addAnnotation(Override.class).addModifiers(Modifier.PUBLIC)
                    .returns(String.class).addStatement("return $S", k.name()).build());
            type.addMethod(MethodSpec.methodBuilder("buffers").addAnnotation(Override.class).addModifiers(Modifier.PUBLIC)
                    .returns(ParameterizedTypeName.get(ClassName.get(List.class), ClassName.get(BatchedBuffer.class)))
                    .addStatement("return BUFFERS").build());
            type.addMethod(MethodSpec.methodBuilder("argCount").addAnnotation(Override.class).addModifiers(Modifier.PUBLIC)
                    .returns(int.class).addStatement("return $L", k.args().size()).build());
            type.addMethod(MethodSpec.methodBuilder("run").addAnnotation(Override.class).addModifiers(Modifier.PUBLIC)
                    .addParameter(ArrayTypeName.of(MemorySegment.class), "buffers")
                    .addParameter(long[].class, "args")
                    .addParameter(long.class, "batch")
                    .addParameter(long.class, "from")
                    .addParameter(long.class, "to")
                    .addStatement("$T g = new $T(buffers, args, batch)", GROUP, GROUP)
                    .beginControlFlow("for (long base = from; base < to; base += LANES)")
                    .addStatement("g.at(base, to)")
                    .addStatement("group(g)")
                    .endControlFlow()
                    .build());
            type.addMethod(group.build());
            parts.forEach(type::addMethod);
            for (Helper h : helpers) {
                type.addMethod(helper(h));
            }
            type.addType(groupType());
            return JavaFile.builder(pkg, type.build())
                    .addFileComment("Generated by Streamfold — do not edit.")
                    .skipJavaLangImports(true)
                    .indent("    ")
                    .build();
        }

        private void speciesFields(TypeSpec.Builder type) {
            type.addField(FieldSpec.builder(ParameterizedTypeName.get(VECTOR_SPECIES, primary.boxed()), primary.name(),
                    Modifier.PRIVATE, Modifier.STATIC, Modifier.FINAL).initializer("$T.SPECIES_PREFERRED", primary.vector).build());
            type.addField(FieldSpec.builder(int.class, "LANES", Modifier.PRIVATE, Modifier.STATIC, Modifier.FINAL)
                    .addJavadoc("Items per group: one lane count for every element type of the kernel.\n")
                    .initializer("$L.length()", primary.name()).build());
            for (Lane l : species) {
                if (l != primary) {
                    type.addField(FieldSpec.builder(ParameterizedTypeName.get(VECTOR_SPECIES, l.boxed()), l.name(),
                                    Modifier.PRIVATE, Modifier.STATIC, Modifier.FINAL)
                            .initializer("$T.of($T.class, $T.forBitSize(LANES * $L))", VECTOR_SPECIES, l.scalar, VECTOR_SHAPE, l.bits)
                            .build());
                }
            }
        }

        private CodeBlock buffersInitializer() {
            List<CodeBlock> items = new ArrayList<>();
            for (KBuffer b : k.buffers()) {
                BatchedBuffer.Role role = switch (b.role()) {
                    case IN -> BatchedBuffer.Role.IN;
                    case OUT -> BatchedBuffer.Role.OUT;
                    case STATE -> BatchedBuffer.Role.STATE;
                    case PARAM -> BatchedBuffer.Role.PARAM;
                    case SCRATCH -> null;
                };
                if (role != null) {
                    items.add(CodeBlock.of("new $T($S, $T.Role.$L, $T.$L, $L)", BatchedBuffer.class, b.name(),
                            BatchedBuffer.class, role.name(), ElementType.class, Lane.of(b.type()).element.name(), b.elements()));
                }
            }
            return items.isEmpty() ? CodeBlock.of("$T.of()", List.class)
                    : CodeBlock.of("$T.of(\n$>$>$L$<$<)", List.class, CodeBlock.join(items, ",\n"));
        }

        private TypeSpec groupType() {
            TypeSpec.Builder t = TypeSpec.classBuilder("Group")
                    .addModifiers(Modifier.PRIVATE, Modifier.STATIC, Modifier.FINAL)
                    .addJavadoc("The state of one call of {@code run}: its buffers, arguments, scratch arrays, the current group\n"
                            + "and the values shared between the body's methods.\n");
            MethodSpec.Builder init = MethodSpec.constructorBuilder()
                    .addParameter(ArrayTypeName.of(MemorySegment.class), "buffers")
                    .addParameter(long[].class, "args")
                    .addParameter(long.class, "batch");
            int abi = 0;
            for (int i = 0; i < k.buffers().size(); i++) {
                KBuffer b = k.buffers().get(i);
                String doc = "Buffer $L, {@code $L}: $L $L[$L].\n";
                Object[] docArgs = {i, javadocText(b.name()), b.role().name().toLowerCase(), b.type().text(),
                    b.elements() < 0 ? "?" : Integer.toString(b.elements())};
                if (b.role() == KBuffer.Role.SCRATCH) {
                    TypeName array = ArrayTypeName.of(Lane.of(b.type()).scalar);
                    t.addField(FieldSpec.builder(array, "s" + i, Modifier.FINAL).addJavadoc(doc, docArgs).build());
                    init.addStatement("this.s$L = new $T[$L * LANES]", i, Lane.of(b.type()).scalar, b.elements());
                } else {
                    t.addField(FieldSpec.builder(MemorySegment.class, "b" + i, Modifier.FINAL).addJavadoc(doc, docArgs).build());
                    init.addStatement("this.b$L = buffers[$L]", i, abi++);
                }
            }
            t.addField(long[].class, "args", Modifier.FINAL);
            t.addField(long.class, "batch", Modifier.FINAL);
            init.addStatement("this.args = args").addStatement("this.batch = batch");
            t.addField(FieldSpec.builder(long.class, "base").addJavadoc("The first item of the current group.\n").build());
            MethodSpec.Builder at = MethodSpec.methodBuilder("at")
                    .addJavadoc("Moves to the group starting at item {@code base}; its lanes from {@code to} on are masked off.\n")
                    .addParameter(long.class, "base").addParameter(long.class, "to")
                    .addStatement("this.base = base");
            for (Lane l : masked) {
                t.addField(ParameterizedTypeName.get(VECTOR_MASK, l.boxed()), "m" + l.name());
                at.addStatement("this.m$L = $L.indexInRange(base, to)", l.name(), l.name());
            }
            for (String name : slotOrder) {
                t.addField(FieldSpec.builder(slotTypes.get(name), name, Modifier.FINAL)
                        .initializer("new $L", arrayCreation(slotTypes.get(name), slotCounts.get(name), laneSlots.contains(name)))
                        .build());
            }
            return t.addMethod(init.build()).addMethod(at.build()).build();
        }

        private static CodeBlock arrayCreation(TypeName array, int n, boolean lanes) {
            TypeName component = ((ArrayTypeName) array).componentType();
            return lanes ? CodeBlock.of("$T[$L * LANES]", component, n) : CodeBlock.of("$T[$L]", component, n);
        }

        // ---- blocks and instructions ----

        private void block(List<KInstr> body, CodeBlock.Builder c) {
            List<KirMethodPlan.Step> steps = plan.steps(body);
            if (steps == null) {
                for (KInstr i : body) {
                    instr(i, c);
                }
                return;
            }
            for (KirMethodPlan.Step s : steps) {
                switch (s) {
                    case KirMethodPlan.Step.Inline in -> instr(in.instr(), c);
                    case KirMethodPlan.Step.Call call -> c.addStatement("part$L(g)", call.part());
                }
            }
        }

        /**
         * Reads every value that part {@code part} uses but another method defines into a local, once, at the
         * start of the part: a part holds no calls, so those values are defined before it runs and do not
         * change while it does, and each use is then a register rather than a load from its slot.
         */
        private void readOnce(List<KInstr> part, CodeBlock.Builder c) {
            Set<Integer> seen = new HashSet<>();
            List<KValue> foreign = new ArrayList<>();
            KirWalk.forEach(part, i -> {
                List<KValue> used = new ArrayList<>(i.operands());
                if (i instanceof KInstr.Loop l) {
                    used.addAll(l.yields());
                }
                for (KValue v : used) {
                    if (plan.crossesMethods(v) && plan.definedIn(v) != method && seen.add(v.id())) {
                        foreign.add(v);
                    }
                }
            });
            for (KValue v : foreign) {
                c.addStatement("$T v$L = $L", javaType(v), v.id(), ref(v));
            }
            foreign.forEach(v -> partLocals.add(v.id()));
        }

        private void instr(KInstr i, CodeBlock.Builder c) {
            switch (i) {
                case KInstr.ConstF f -> define(c, f.dst(), floatLiteral(f.dst().type(), f.value()));
                case KInstr.ConstI n -> define(c, n.dst(), intLiteral(n.dst().type(), n.value()));
                case KInstr.Arg a -> define(c, a.dst(), arg(a.dst().type(), a.index()));
                case KInstr.Length l -> define(c, l.dst(), CodeBlock.of("g.b$L.byteSize() / $L", l.buffer(),
                        k.buffers().get(l.buffer()).type().bytes()));
                case KInstr.Load l -> define(c, l.dst(), load(l));
                case KInstr.Store s -> store(s, c);
                case KInstr.Unary u -> define(c, u.dst(), u.dst().lane() ? laneUnary(u) : uniformUnary(u));
                case KInstr.Binary b -> define(c, b.dst(), b.dst().lane() ? laneBinary(b) : uniformBinary(b));
                case KInstr.Fma f -> define(c, f.dst(), f.dst().lane()
                        ? CodeBlock.of("$L.fma($L, $L)", lane(f.a()), lane(f.b()), lane(f.c()))
                        : CodeBlock.of("$T.fma($L, $L, $L)", Math.class, ref(f.a()), ref(f.b()), ref(f.c())));
                case KInstr.Compare cmp -> define(c, cmp.dst(), cmp.dst().lane() ? laneCompare(cmp) : uniformCompare(cmp));
                case KInstr.Select s -> define(c, s.dst(), select(s));
                case KInstr.Convert cv -> define(c, cv.dst(), cv.dst().lane() ? laneConvert(cv) : uniformConvert(cv));
                case KInstr.Loop l -> loop(l, c);
            }
        }

        private void loop(KInstr.Loop l, CodeBlock.Builder c) {
            for (int j = 0; j < l.params().size(); j++) {
                KValue p = l.params().get(j);
                if (plan.crossesMethods(p)) {
                    assign(c, p, as(l.inits().get(j), p.lane()));
                } else {
                    c.addStatement("$T v$L = $L", javaType(p), p.id(), as(l.inits().get(j), p.lane()));
                }
            }
            CodeBlock index = plan.crossesMethods(l.index()) ? slot(l.index()) : CodeBlock.of("v$L", l.index().id());
            String declare = plan.crossesMethods(l.index()) ? "" : "int ";
            c.beginControlFlow("for ($L$L = $L; $L < $L; $L++)", declare, index, l.start(), index, l.end(), index);
            block(l.body(), c);
            for (int j = 0; j < l.params().size(); j++) {
                KValue p = l.params().get(j);
                c.addStatement("$T next$L = $L", javaType(p), p.id(), as(l.yields().get(j), p.lane()));
            }
            for (KValue p : l.params()) {
                if (plan.crossesMethods(p)) {
                    assign(c, p, CodeBlock.of("next$L", p.id()));
                } else {
                    c.addStatement("v$L = next$L", p.id(), p.id());
                }
            }
            c.endControlFlow();
            for (int j = 0; j < l.results().size(); j++) {
                define(c, l.results().get(j), ref(l.params().get(j)));
            }
        }

        private CodeBlock load(KInstr.Load l) {
            KBuffer b = k.buffers().get(l.buffer());
            Lane t = Lane.of(b.type());
            return switch (b.role()) {
                case PARAM -> CodeBlock.of("g.b$L.getAtIndex($T.$L, $L)", l.buffer(), ValueLayout.class, t.layout, ref(l.index()));
                case SCRATCH -> CodeBlock.of("$T.fromArray($L, g.s$L, $L * LANES)", t.vector, species(t), l.buffer(),
                        scratchIndex(b, l.index()));
                case IN, OUT, STATE -> CodeBlock.of("$T.fromMemorySegment($L, g.b$L, $L, ORDER, $L)", t.vector, species(t),
                        l.buffer(), offset(b, l.index()), groupMask(t));
            };
        }

        private void store(KInstr.Store s, CodeBlock.Builder c) {
            KBuffer b = k.buffers().get(s.buffer());
            Lane t = Lane.of(b.type());
            switch (b.role()) {
                case SCRATCH -> c.addStatement("$L.intoArray(g.s$L, $L * LANES)", lane(s.value()), s.buffer(),
                        scratchIndex(b, s.index()));
                case OUT, STATE -> c.addStatement("$L.intoMemorySegment(g.b$L, $L, ORDER, $L)", lane(s.value()), s.buffer(),
                        offset(b, s.index()), groupMask(t));
                case IN, PARAM -> throw new IllegalStateException("store to " + b.role() + " buffer " + b.name());
            }
        }

        /** The byte offset of element {@code index} of the group's first item in batched buffer {@code b}. */
        private CodeBlock offset(KBuffer b, KValue index) {
            return CodeBlock.of("($L * g.batch + g.base) * $L", checkedIndex(b, index), b.type().bytes());
        }

        private CodeBlock scratchIndex(KBuffer b, KValue index) {
            CodeBlock i = checkedIndex(b, index);
            return index.type() == KType.I64 ? CodeBlock.of("(int) $L", i) : i;
        }

        /**
         * The element index, checked against the buffer's length unless it is known to be inside: a constant, or
         * the index of a loop whose range is inside.
         */
        private CodeBlock checkedIndex(KBuffer b, KValue index) {
            Long constant = constants.get(index.id());
            if (constant != null && constant >= 0 && constant < b.elements()) {
                return CodeBlock.of("$L", constant);
            }
            int[] range = loopIndexBounds.get(index.id());
            if (range != null && range[0] >= 0 && range[1] <= b.elements()) {
                return ref(index);
            }
            return CodeBlock.of("$T.checkIndex($L, $L)", Objects.class, ref(index),
                    index.type() == KType.I64 ? b.elements() + "L" : Integer.toString(b.elements()));
        }

        private CodeBlock arg(KType t, int index) {
            return switch (t) {
                case I64 -> CodeBlock.of("g.args[$L]", index);
                case I32 -> CodeBlock.of("(int) g.args[$L]", index);
                case BOOL -> CodeBlock.of("g.args[$L] != 0", index);
                case F64 -> CodeBlock.of("$T.longBitsToDouble(g.args[$L])", Double.class, index);
                case F32 -> CodeBlock.of("$T.intBitsToFloat((int) g.args[$L])", Float.class, index);
            };
        }

        private CodeBlock laneUnary(KInstr.Unary u) {
            KType t = u.dst().type();
            CodeBlock a = lane(u.a());
            if (t == KType.BOOL) {
                return switch (u.kind()) {
                    case NOT -> CodeBlock.of("$L.not()", a);
                    case NEG, ABS, SQRT, EXP, LOG, RECIPROCAL, SIGN -> throw undefined(u.kind() + " of bool");
                };
            }
            if (t.isFloat()) {
                Lane l = Lane.of(t);
                return switch (u.kind()) {
                    case NEG -> CodeBlock.of("$L.neg()", a);
                    case ABS -> CodeBlock.of("$L.abs()", a);
                    case SQRT -> CodeBlock.of("$L.sqrt()", a);
                    case EXP -> CodeBlock.of("$L.lanewise($T.EXP)", a, OPERATORS);
                    case LOG -> CodeBlock.of("$L.lanewise($T.LOG)", a, OPERATORS);
                    case RECIPROCAL -> CodeBlock.of("$T.broadcast($L, $L).div($L)", l.vector, species(l),
                            t == KType.F32 ? "1f" : "1.0", a);
                    case SIGN -> call(t == KType.F32 ? Helper.SIGN_F32 : Helper.SIGN_F64, a);
                    case NOT -> throw undefined("not of a float");
                };
            }
            return switch (u.kind()) {
                case NEG -> CodeBlock.of("$L.neg()", a);
                case ABS -> CodeBlock.of("$L.abs()", a);
                case NOT -> CodeBlock.of("$L.not()", a);
                case SIGN -> call(t == KType.I32 ? Helper.SIGN_I32 : Helper.SIGN_I64, a);
                case SQRT, EXP, LOG, RECIPROCAL -> throw undefined(u.kind() + " of an integer");
            };
        }

        private CodeBlock uniformUnary(KInstr.Unary u) {
            KType t = u.dst().type();
            CodeBlock a = ref(u.a());
            if (t == KType.BOOL) {
                return switch (u.kind()) {
                    case NOT -> CodeBlock.of("!$L", a);
                    case NEG, ABS, SQRT, EXP, LOG, RECIPROCAL, SIGN -> throw undefined(u.kind() + " of bool");
                };
            }
            if (t.isFloat()) {
                String round = t == KType.F32 ? "(float) " : "";
                return switch (u.kind()) {
                    case NEG -> CodeBlock.of("-$L", a);
                    case ABS -> CodeBlock.of("$T.abs($L)", Math.class, a);
                    case SQRT -> CodeBlock.of("$L$T.sqrt($L)", round, Math.class, a);
                    case EXP -> CodeBlock.of("$L$T.exp($L)", round, Math.class, a);
                    case LOG -> CodeBlock.of("$L$T.log($L)", round, Math.class, a);
                    case RECIPROCAL -> CodeBlock.of("$L / $L", t == KType.F32 ? "1f" : "1.0", a);
                    case SIGN -> CodeBlock.of("$T.signum($L)", Math.class, a);
                    case NOT -> throw undefined("not of a float");
                };
            }
            return switch (u.kind()) {
                case NEG -> CodeBlock.of("-$L", a);
                case ABS -> CodeBlock.of("$T.abs($L)", Math.class, a);
                case NOT -> CodeBlock.of("~$L", a);
                case SIGN -> t == KType.I32 ? CodeBlock.of("$T.signum($L)", Integer.class, a)
                        : CodeBlock.of("(long) $T.signum($L)", Long.class, a);
                case SQRT, EXP, LOG, RECIPROCAL -> throw undefined(u.kind() + " of an integer");
            };
        }

        private CodeBlock laneBinary(KInstr.Binary b) {
            KType t = b.dst().type();
            CodeBlock x = lane(b.a());
            CodeBlock y = lane(b.b());
            if (t == KType.BOOL) {
                return switch (b.kind()) {
                    case AND -> CodeBlock.of("$L.and($L)", x, y);
                    case OR -> CodeBlock.of("$L.or($L)", x, y);
                    case XOR -> CodeBlock.of("$L.xor($L)", x, y);
                    case ADD, SUB, MUL, DIV, MIN, MAX, POW, REM -> throw undefined(b.kind() + " of bool");
                };
            }
            if (t.isFloat()) {
                return switch (b.kind()) {
                    case ADD -> CodeBlock.of("$L.add($L)", x, y);
                    case SUB -> CodeBlock.of("$L.sub($L)", x, y);
                    case MUL -> CodeBlock.of("$L.mul($L)", x, y);
                    case DIV -> CodeBlock.of("$L.div($L)", x, y);
                    case MIN -> CodeBlock.of("$L.min($L)", x, y);
                    case MAX -> CodeBlock.of("$L.max($L)", x, y);
                    case POW -> CodeBlock.of("$L.lanewise($T.POW, $L)", x, OPERATORS, y);
                    case REM -> call(t == KType.F32 ? Helper.REM_F32 : Helper.REM_F64, x, y);
                    case AND, OR, XOR -> throw undefined(b.kind() + " of floats");
                };
            }
            return switch (b.kind()) {
                case ADD -> CodeBlock.of("$L.add($L)", x, y);
                case SUB -> CodeBlock.of("$L.sub($L)", x, y);
                case MUL -> CodeBlock.of("$L.mul($L)", x, y);
                case DIV -> call(t == KType.I32 ? Helper.DIV_I32 : Helper.DIV_I64, x, y);
                case REM -> call(t == KType.I32 ? Helper.REM_I32 : Helper.REM_I64, x, y);
                case MIN -> CodeBlock.of("$L.min($L)", x, y);
                case MAX -> CodeBlock.of("$L.max($L)", x, y);
                case AND -> CodeBlock.of("$L.and($L)", x, y);
                case OR -> CodeBlock.of("$L.or($L)", x, y);
                case XOR -> CodeBlock.of("$L.lanewise($T.XOR, $L)", x, OPERATORS, y);
                case POW -> throw undefined("pow of integers");
            };
        }

        private CodeBlock uniformBinary(KInstr.Binary b) {
            KType t = b.dst().type();
            CodeBlock x = ref(b.a());
            CodeBlock y = ref(b.b());
            if (t == KType.BOOL) {
                return switch (b.kind()) {
                    case AND -> CodeBlock.of("$L & $L", x, y);
                    case OR -> CodeBlock.of("$L | $L", x, y);
                    case XOR -> CodeBlock.of("$L ^ $L", x, y);
                    case ADD, SUB, MUL, DIV, MIN, MAX, POW, REM -> throw undefined(b.kind() + " of bool");
                };
            }
            if (t.isFloat()) {
                return switch (b.kind()) {
                    case ADD -> CodeBlock.of("$L + $L", x, y);
                    case SUB -> CodeBlock.of("$L - $L", x, y);
                    case MUL -> CodeBlock.of("$L * $L", x, y);
                    case DIV -> CodeBlock.of("$L / $L", x, y);
                    case REM -> CodeBlock.of("$L % $L", x, y);
                    case MIN -> CodeBlock.of("$T.min($L, $L)", Math.class, x, y);
                    case MAX -> CodeBlock.of("$T.max($L, $L)", Math.class, x, y);
                    case POW -> CodeBlock.of("$L$T.pow($L, $L)", t == KType.F32 ? "(float) " : "", Math.class, x, y);
                    case AND, OR, XOR -> throw undefined(b.kind() + " of floats");
                };
            }
            String zero = t == KType.I32 ? "0" : "0L";
            return switch (b.kind()) {
                case ADD -> CodeBlock.of("$L + $L", x, y);
                case SUB -> CodeBlock.of("$L - $L", x, y);
                case MUL -> CodeBlock.of("$L * $L", x, y);
                case DIV -> CodeBlock.of("$L == 0 ? $L : $L / $L", y, zero, x, y);
                case REM -> CodeBlock.of("$L == 0 ? $L : $L % $L", y, zero, x, y);
                case MIN -> CodeBlock.of("$T.min($L, $L)", Math.class, x, y);
                case MAX -> CodeBlock.of("$T.max($L, $L)", Math.class, x, y);
                case AND -> CodeBlock.of("$L & $L", x, y);
                case OR -> CodeBlock.of("$L | $L", x, y);
                case XOR -> CodeBlock.of("$L ^ $L", x, y);
                case POW -> throw undefined("pow of integers");
            };
        }

        private CodeBlock laneCompare(KInstr.Compare c) {
            KType t = c.a().type();
            CodeBlock x = lane(c.a());
            CodeBlock y = lane(c.b());
            if (t == KType.BOOL) {
                return switch (c.kind()) {
                    case LT -> CodeBlock.of("$L.andNot($L)", y, x);
                    case LE -> CodeBlock.of("$L.not().or($L)", x, y);
                    case GT -> CodeBlock.of("$L.andNot($L)", x, y);
                    case GE -> CodeBlock.of("$L.or($L.not())", x, y);
                    case EQ -> CodeBlock.of("$L.eq($L)", x, y);
                    case NE -> CodeBlock.of("$L.xor($L)", x, y);
                };
            }
            CodeBlock m = CodeBlock.of("$L.compare($T.$L, $L)", x, OPERATORS, c.kind().name(), y);
            return toCanonical(Lane.of(t), m);
        }

        private CodeBlock uniformCompare(KInstr.Compare c) {
            CodeBlock x = ref(c.a());
            CodeBlock y = ref(c.b());
            if (c.a().type() == KType.BOOL) {
                return switch (c.kind()) {
                    case LT -> CodeBlock.of("!$L & $L", x, y);
                    case LE -> CodeBlock.of("!$L | $L", x, y);
                    case GT -> CodeBlock.of("$L & !$L", x, y);
                    case GE -> CodeBlock.of("$L | !$L", x, y);
                    case EQ -> CodeBlock.of("$L == $L", x, y);
                    case NE -> CodeBlock.of("$L != $L", x, y);
                };
            }
            String op = switch (c.kind()) {
                case LT -> "<";
                case LE -> "<=";
                case GT -> ">";
                case GE -> ">=";
                case EQ -> "==";
                case NE -> "!=";
            };
            return CodeBlock.of("$L $L $L", x, op, y);
        }

        private CodeBlock select(KInstr.Select s) {
            boolean laneDst = s.dst().lane();
            if (!s.cond().lane()) {
                return CodeBlock.of("$L ? $L : $L", ref(s.cond()), as(s.a(), laneDst), as(s.b(), laneDst));
            }
            KType t = s.dst().type();
            if (t == KType.BOOL) {
                return CodeBlock.of("$L.and($L).or($L.andNot($L))", lane(s.a()), ref(s.cond()), lane(s.b()), ref(s.cond()));
            }
            Lane l = Lane.of(t);
            return CodeBlock.of("$L.blend($L, $L)", lane(s.b()), lane(s.a()), fromCanonical(l, ref(s.cond())));
        }

        private CodeBlock laneConvert(KInstr.Convert c) {
            KType from = c.a().type();
            KType to = c.dst().type();
            CodeBlock a = lane(c.a());
            if (from == to) {
                return a;
            }
            if (to == KType.BOOL) {
                Lane l = Lane.of(from);
                String zero = switch (from) {
                    case F32 -> "0f";
                    case F64 -> "0.0";
                    case I32 -> "0";
                    case I64, BOOL -> "0L";
                };
                return toCanonical(l, CodeBlock.of("$L.compare($T.NE, $L)", a, OPERATORS, zero));
            }
            Lane t = Lane.of(to);
            if (from == KType.BOOL) {
                return CodeBlock.of("$T.zero($L).blend(1, $L)", t.vector, species(t), fromCanonical(t, a));
            }
            Lane f = Lane.of(from);
            return CodeBlock.of("(($T) $L.convertShape($T.$L2$L, $L, 0))", t.vector, a, OPERATORS, f.letter, t.letter, species(t));
        }

        private CodeBlock uniformConvert(KInstr.Convert c) {
            KType from = c.a().type();
            KType to = c.dst().type();
            CodeBlock a = ref(c.a());
            if (from == to) {
                return a;
            }
            if (to == KType.BOOL) {
                return CodeBlock.of("$L != 0", a);
            }
            if (from == KType.BOOL) {
                return switch (to) {
                    case F32 -> CodeBlock.of("$L ? 1f : 0f", a);
                    case F64 -> CodeBlock.of("$L ? 1.0 : 0.0", a);
                    case I32 -> CodeBlock.of("$L ? 1 : 0", a);
                    case I64, BOOL -> CodeBlock.of("$L ? 1L : 0L", a);
                };
            }
            return CodeBlock.of("($T) $L", Lane.of(to).scalar, a);
        }

        // ---- values ----

        /**
         * Defines {@code v} as {@code expr}: a local, also copied to its slot when it is used in another method
         * (its defining method goes on reading the local).
         */
        private void define(CodeBlock.Builder c, KValue v, CodeBlock expr) {
            c.addStatement("$T v$L = $L", javaType(v), v.id(), expr);
            if (plan.crossesMethods(v)) {
                assign(c, v, CodeBlock.of("v$L", v.id()));
                definerLocals.add(v.id());
            }
        }

        /**
         * Stores {@code value} to the slot of {@code v}: uniform values in an array of their type, lane values as
         * {@code LANES} primitives of a per-type array (masks as booleans), so nothing is boxed between methods.
         */
        private void assign(CodeBlock.Builder c, KValue v, CodeBlock value) {
            if (v.lane()) {
                c.addStatement("($L).intoArray($L)", value, slot(v));
            } else {
                c.addStatement("$L = $L", slot(v), value);
            }
        }

        /** The value {@code v}, as its own type. */
        private CodeBlock ref(KValue v) {
            if (literals.containsKey(v.id()) && plan.definedIn(v) != method) {
                return literals.get(v.id());
            }
            if (!plan.crossesMethods(v) || partLocals.contains(v.id()) || (definerLocals.contains(v.id()) && plan.definedIn(v) == method)) {
                return CodeBlock.of("v$L", v.id());
            }
            if (v.lane() && v.type() == KType.BOOL) {
                return CodeBlock.of("$T.fromArray($L, $L)", VECTOR_MASK, species(primary), slot(v));
            }
            if (v.lane()) {
                Lane l = Lane.of(v.type());
                return CodeBlock.of("$T.fromArray($L, $L)", l.vector, species(l), slot(v));
            }
            return slot(v);
        }

        /** The value {@code v} as a lane value (broadcast when uniform) or, when {@code lane} is false, as itself. */
        private CodeBlock as(KValue v, boolean lane) {
            return lane ? lane(v) : ref(v);
        }

        private CodeBlock lane(KValue v) {
            if (v.lane()) {
                return ref(v);
            }
            if (v.type() == KType.BOOL) {
                return CodeBlock.of("$L.maskAll($L)", species(primary), ref(v));
            }
            Lane l = Lane.of(v.type());
            return CodeBlock.of("$T.broadcast($L, $L)", l.vector, species(l), ref(v));
        }

        /**
         * The slot of {@code v}: an element of a per-type array of the state, arrays of at most {@link #SLOTS}
         * elements so that every slot index is a short constant (javac's constant pool holds 65535 entries).
         */
        private CodeBlock slot(KValue v) {
            return slots.computeIfAbsent(v.id(), id -> {
                String category = (v.lane() ? "lane" : "uni") + v.type().name();
                int at = categoryCounts.merge(category, 1, Integer::sum) - 1;
                String name = category + "_" + at / SLOTS;
                TypeName component = v.type() == KType.BOOL ? TypeName.BOOLEAN : Lane.of(v.type()).scalar;
                int n = slotCounts.merge(name, 1, Integer::sum) - 1;
                slotTypes.put(name, ArrayTypeName.of(component));
                if (v.lane()) {
                    laneSlots.add(name);
                }
                slotOrder.add(name);
                return v.lane() ? CodeBlock.of("g.$L, $L * LANES", name, n) : CodeBlock.of("g.$L[$L]", name, n);
            });
        }

        private TypeName javaType(KValue v) {
            if (v.type() == KType.BOOL) {
                return v.lane() ? ParameterizedTypeName.get(VECTOR_MASK, primary.boxed()) : TypeName.BOOLEAN;
            }
            Lane l = Lane.of(v.type());
            if (v.lane()) {
                species(l);
                return l.vector;
            }
            return l.scalar;
        }

        private String species(Lane l) {
            species.add(l);
            return l.name();
        }

        private String groupMask(Lane l) {
            species(l);
            masked.add(l);
            return "g.m" + l.name();
        }

        /** A mask of {@code l}'s species as a bool lane value (masks of the primary species). */
        private CodeBlock toCanonical(Lane l, CodeBlock mask) {
            return l == primary ? mask : CodeBlock.of("$L.cast($L)", mask, species(primary));
        }

        private CodeBlock fromCanonical(Lane l, CodeBlock mask) {
            return l == primary ? mask : CodeBlock.of("$L.cast($L)", mask, species(l));
        }

        private CodeBlock call(Helper h, CodeBlock... operands) {
            helpers.add(h);
            CodeBlock args = CodeBlock.join(List.of(operands), ", ");
            return CodeBlock.of("$L($L)", helperName(h), args);
        }

        private static String helperName(Helper h) {
            String[] parts = h.name().toLowerCase().split("_");
            return parts[0] + parts[1].toUpperCase();
        }

        private MethodSpec helper(Helper h) {
            Lane l = switch (h) {
                case REM_F32, SIGN_F32 -> Lane.F32;
                case REM_F64, SIGN_F64 -> Lane.F64;
                case DIV_I32, REM_I32, SIGN_I32 -> Lane.I32;
                case DIV_I64, REM_I64, SIGN_I64 -> Lane.I64;
            };
            MethodSpec.Builder m = MethodSpec.methodBuilder(helperName(h))
                    .addModifiers(Modifier.PRIVATE, Modifier.STATIC)
                    .returns(l.vector)
                    .addParameter(l.vector, "a");
            TypeName mask = ParameterizedTypeName.get(VECTOR_MASK, l.boxed());
            String zero = switch (l) {
                case F32 -> "0f";
                case F64 -> "0.0";
                case I32 -> "0";
                case I64 -> "0L";
            };
            switch (h) {
                case REM_F32, REM_F64 -> m.addJavadoc("{@code a % b} per lane, as Java's {@code %}: the Vector API has no floating remainder.\n")
                        .addParameter(l.vector, "b")
                        .addStatement("$T[] x = a.toArray()", l.scalar)
                        .addStatement("$T[] y = b.toArray()", l.scalar)
                        .beginControlFlow("for (int i = 0; i < x.length; i++)")
                        .addStatement("x[i] %= y[i]")
                        .endControlFlow()
                        .addStatement("return $T.fromArray(a.species(), x, 0)", l.vector);
                case DIV_I32, DIV_I64 -> m.addJavadoc("{@code a / b} per lane, 0 where {@code b} is 0.\n")
                        .addParameter(l.vector, "b")
                        .addStatement("$T zero = b.compare($T.EQ, $L)", mask, OPERATORS, zero)
                        .addStatement("return a.div(b.blend(1, zero)).blend(0, zero)");
                case REM_I32, REM_I64 -> m.addJavadoc("{@code a % b} per lane, 0 where {@code b} is 0.\n")
                        .addParameter(l.vector, "b")
                        .addStatement("$T zero = b.compare($T.EQ, $L)", mask, OPERATORS, zero)
                        .addStatement("$T d = b.blend(1, zero)", l.vector)
                        .addStatement("return a.sub(a.div(d).mul(d)).blend(0, zero)");
                case SIGN_F32, SIGN_F64 -> m.addJavadoc("{@link Math#signum} per lane: 1 or -1, or the value itself for zeros and NaN.\n")
                        .addStatement("return a.blend(1, a.compare($T.GT, $L)).blend(-1, a.compare($T.LT, $L))",
                                OPERATORS, zero, OPERATORS, zero);
                case SIGN_I32, SIGN_I64 -> m.addJavadoc("The sign per lane: 1, -1 or 0.\n")
                        .addStatement("return $T.zero(a.species()).blend(1, a.compare($T.GT, $L)).blend(-1, a.compare($T.LT, $L))",
                                l.vector, OPERATORS, zero, OPERATORS, zero);
            }
            return m.build();
        }

        private static CodeBlock floatLiteral(KType t, double value) {
            String box = t == KType.F32 ? "Float" : "Double";
            if (Double.isNaN(value)) {
                return CodeBlock.of("$L.NaN", box);
            }
            if (Double.isInfinite(value) || (t == KType.F32 && Float.isInfinite((float) value))) {
                return CodeBlock.of("$L.$L_INFINITY", box, value > 0 ? "POSITIVE" : "NEGATIVE");
            }
            String text = t == KType.F32 ? Float.toString((float) value) + "f" : Double.toString(value);
            return CodeBlock.of("$L", text.startsWith("-") ? "(" + text + ")" : text);
        }

        private static CodeBlock intLiteral(KType t, long value) {
            String text = switch (t) {
                case BOOL -> value != 0 ? "true" : "false";
                case I32 -> Integer.toString((int) value);
                case I64 -> value + "L";
                case F32, F64 -> throw new IllegalStateException("integer constant of " + t);
            };
            return CodeBlock.of("$L", text.startsWith("-") ? "(" + text + ")" : text);
        }

        private static IllegalArgumentException undefined(String what) {
            return new IllegalArgumentException("kernel IR: " + what + " is undefined");
        }
    }

    /** {@code text} safe inside a Javadoc comment: no tags, no HTML, no comment end. */
    /** Kernels up to this many printed lines carry their whole IR in the class Javadoc. */
    static final int DOCUMENTED_IR_LINES = 400;

    /**
     * The kernel IR the class Javadoc shows: all of it for kernels of at most {@link #DOCUMENTED_IR_LINES}
     * lines; otherwise the header (name, buffers, arguments) and the instruction count, so that large unrolled
     * kernels do not carry megabytes of comment (the class name still hashes the whole text).
     */
    static String documentedIr(Kernel k) {
        String text = KirPrinter.print(k);
        String[] lines = text.split("\n");
        if (lines.length <= DOCUMENTED_IR_LINES) {
            return text;
        }
        StringBuilder head = new StringBuilder();
        for (String line : lines) {
            if (!(line.startsWith("kernel ") || line.startsWith("  buffer ") || line.startsWith("  arg "))) {
                break;
            }
            head.append(line).append('\n');
        }
        return head.append("  ... ").append(KirWalk.size(k.body())).append(" instructions (print the kernel with KirPrinter)\n")
                .toString();
    }

    static String javadocText(String text) {
        return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("@", "&#64;")
                .replace("*/", "*&#47;").replace("$", "&#36;");
    }
}
