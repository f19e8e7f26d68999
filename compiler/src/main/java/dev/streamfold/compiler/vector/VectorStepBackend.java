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
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import javax.lang.model.element.Modifier;

/**
 * Renders a streaming step in kernel IR v2 ({@link StepKir}) as a Java class on the Vector API. Uniform values
 * are computed once per step, before the loop over the slice; lane values run in a full-vector main loop with
 * {@code SPECIES_PREFERRED}, then in a scalar tail that computes the same bits, so any split of the slice gives
 * identical results. Uniform values a lane instruction reads are broadcast once per call. The whole-scan entry
 * point walks the slice in blocks of {@link #SCAN_BLOCK} elements and runs every step on a block
 * before moving on, so state stays in cache. Constants are written where they are used.
 */
public final class VectorStepBackend {
    /** Elements of the slice per whole-scan block (state of a block stays in L1/L2). */
    public static final int SCAN_BLOCK = 16384;

    /** Most elements one call of the element loop takes (an int-indexed counted loop). */
    public static final int CALL = 1 << 20;

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

    private static final class Render {
        private final StepKir s;
        private final Kernel k;
        private final boolean f32;
        private final TypeName scalar;
        private final ClassName vector;
        private final Map<Integer, KInstr> defs = new HashMap<>();
        private final List<KInstr> uniform = new ArrayList<>();
        private final List<KInstr> lane = new ArrayList<>();
        private final Set<Integer> splatted = new LinkedHashSet<>();

        Render(StepKir s) {
            this.s = s;
            this.k = s.kernel();
            this.f32 = s.dtype() == DType.F32;
            this.scalar = f32 ? TypeName.FLOAT : TypeName.DOUBLE;
            this.vector = f32 ? FLOAT_VECTOR : DOUBLE_VECTOR;
            KType element = f32 ? KType.F32 : KType.F64;
            for (KInstr i : k.body()) {
                if (i instanceof KInstr.Loop) {
                    throw new IllegalStateException("kernel " + k.name() + ": a streaming step has no loops");
                }
                if (i.dst() != null) {
                    defs.put(i.dst().id(), i);
                }
                boolean isLane = i instanceof KInstr.Store || i.dst().lane();
                (isLane ? lane : uniform).add(i);
            }
            for (KInstr i : lane) {
                refuseUnsupportedLane(i, false);
            }
            for (KInstr i : lane) {
                refuseUnsupportedLane(i, true);
                List<KValue> read = i instanceof KInstr.Store st ? List.of(st.value())
                        : i instanceof KInstr.Load ? List.of() : i.operands();
                for (KValue v : read) {
                    if (!v.lane()) {
                        if (v.type() != element) {
                            throw new IllegalStateException("kernel " + k.name() + ": lane instruction " + i + " reads uniform "
                                    + v.type().text() + " " + v);
                        }
                        splatted.add(v.id());
                    }
                }
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
                    .addParameter(long.class, "from")
                    .addParameter(long.class, "to");
            step.addCode(prologue());
            step.beginControlFlow("for (long at = from; at < to; at += $L)", CALL)
                    .addStatement("loop($L)", loopArgs("at", "at", "at", "(int) Math.min(" + CALL + ", to - at)"))
                    .endControlFlow();

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
                    .addParameter(long.class, "from")
                    .addParameter(long.class, "to");
            scan.beginControlFlow("for (long block = from; block < to; block += $L)", SCAN_BLOCK)
                    .addStatement("int n = (int) Math.min($L, to - block)", SCAN_BLOCK)
                    .beginControlFlow("for (int k = 0; k < steps; k++)")
                    .addStatement("long t = t0 + k")
                    .addStatement("long row = k * rowStride + block")
                    .addCode(prologue())
                    .addStatement("loop($L)", loopArgs("row", "row", "block", "n"))
                    .endControlFlow()
                    .endControlFlow();

            MethodSpec.Builder loop = MethodSpec.methodBuilder("loop")
                    .addModifiers(Modifier.PRIVATE, Modifier.STATIC)
                    .addParameter(ArrayTypeName.of(scalar), "splats")
                    .addParameter(MemorySegment.class, "x")
                    .addParameter(MemorySegment.class, "y")
                    .addParameter(ArrayTypeName.of(MemorySegment.class), "state")
                    .addParameter(long.class, "xAt").addParameter(long.class, "yAt").addParameter(long.class, "stateAt")
                    .addParameter(int.class, "n");
            loop.addJavadoc("Elements {@code [0, n)} of one step: x, y and the state buffers start at the given element offsets;\n"
                    + "{@code splats} holds the uniform values the lanes read, in order.\n");
            int slot = 0;
            for (int id : splatted) {
                loop.addStatement("$T s$L = splats[$L]", scalar, id, slot++);
                loop.addStatement("$T s$LV = $T.broadcast(SPECIES, s$L)", vector, id, vector, id);
            }
            for (int b = 0; b < s.stateCount(); b++) {
                loop.addStatement("$T state$L = state[$L]", MemorySegment.class, b, b);
            }
            loop.addStatement("int i = 0");
            loop.addStatement("int bound = SPECIES.loopBound(n)");
            loop.beginControlFlow("for (; i < bound; i += SPECIES.length())");
            for (KInstr i : lane) {
                loop.addCode(laneVector(i));
            }
            loop.endControlFlow();
            loop.beginControlFlow("for (; i < n; i++)");
            for (KInstr i : lane) {
                loop.addCode(laneScalar(i));
            }
            loop.endControlFlow();

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
                    .addMethod(MethodSpec.methodBuilder("paramSlots").addAnnotation(Override.class)
                            .addModifiers(Modifier.PUBLIC).returns(ParameterizedTypeName.get(ClassName.get(List.class),
                                    ClassName.get(ParamSlot.class)))
                            .addStatement("return SLOTS").build())
                    .addMethod(MethodSpec.methodBuilder("stateCount").addAnnotation(Override.class)
                            .addModifiers(Modifier.PUBLIC).returns(int.class)
                            .addStatement("return $L", s.stateCount()).build())
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

        /** The arguments of a {@code loop} call: the splatted uniform values packed in one array, then buffers and offsets. */
        private String loopArgs(String xAt, String yAt, String sAt, String n) {
            List<String> values = new ArrayList<>();
            for (int id : splatted) {
                values.add(uniformRef(defs.get(id).dst()));
            }
            return String.join(", ", List.of("new " + scalar + "[] {" + String.join(", ", values) + "}", "x", "y", "state",
                    xAt, yAt, sAt, n));
        }

        /** The uniform values of one step, each computed once (constants and the step index are used in place). */
        private CodeBlock prologue() {
            CodeBlock.Builder c = CodeBlock.builder();
            for (KInstr i : uniform) {
                if (inPlace(i)) {
                    continue;
                }
                c.addStatement("$T v$L = $L", javaType(i.dst().type()), i.dst().id(), uniformExpr(i));
            }
            return c.build();
        }

        private static boolean inPlace(KInstr i) {
            return i instanceof KInstr.ConstF || i instanceof KInstr.ConstI || i instanceof KInstr.Arg
                    || i instanceof KInstr.Length;
        }

        /** A uniform value as the prologue names it: a literal, {@code t}, a length, or {@code vN}. */
        private String uniformRef(KValue v) {
            KInstr d = defs.get(v.id());
            if (d == null) {
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
                    if (!(defs.get(l.index().id()) instanceof KInstr.ConstI c && c.value() == 0)) {
                        throw new IllegalStateException("kernel " + k.name() + ": a step reads element 0 of its buffers: " + i);
                    }
                    yield null;
                }
                case KInstr.Store st -> {
                    if (!(defs.get(st.index().id()) instanceof KInstr.ConstI c && c.value() == 0)) {
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

        /** A lane operand in the vector loop. */
        private String vec(KValue v) {
            return v.lane() ? "v" + v.id() : "s" + v.id() + "V";
        }

        /** A lane operand in the scalar tail. */
        private String sca(KValue v) {
            return v.lane() ? "v" + v.id() : "s" + v.id();
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

        private String offset(int buffer) {
            return buffer == StepKir.X ? "xAt" : buffer == StepKir.Y ? "yAt" : "stateAt";
        }

        private CodeBlock laneVector(KInstr i) {
            return switch (i) {
                case KInstr.Load l -> CodeBlock.of("$T v$L = $T.fromMemorySegment(SPECIES, $L, ($L + i) * BYTES, ORDER);\n",
                        vector, l.dst().id(), vector, segment(l.buffer()), offset(l.buffer()));
                case KInstr.Store st -> CodeBlock.of("$L.intoMemorySegment($L, ($L + i) * BYTES, ORDER);\n", vec(st.value()),
                        segment(st.buffer()), offset(st.buffer()));
                case KInstr.Unary u -> CodeBlock.of("$T v$L = $L;\n", vector, u.dst().id(), switch (u.kind()) {
                    case NEG -> vec(u.a()) + ".neg()";
                    case ABS -> vec(u.a()) + ".abs()";
                    case SQRT -> vec(u.a()) + ".sqrt()";
                    case RECIPROCAL -> vec(u.a()) + ".broadcast(1).div(" + vec(u.a()) + ")";
                    case SIGN, EXP, LOG, NOT -> throw new IllegalStateException("refused lane " + i);
                });
                case KInstr.Binary b -> CodeBlock.of("$T v$L = $L.$L($L);\n", vector, b.dst().id(), vec(b.a()), switch (b.kind()) {
                    case ADD -> "add";
                    case SUB -> "sub";
                    case MUL -> "mul";
                    case DIV -> "div";
                    case MAX -> "max";
                    case MIN -> "min";
                    case POW, REM, AND, OR, XOR -> throw new IllegalStateException("refused lane " + i);
                }, vec(b.b()));
                case KInstr.Fma f -> CodeBlock.of("$T v$L = $L.fma($L, $L);\n", vector, f.dst().id(), vec(f.a()), vec(f.b()),
                        vec(f.c()));
                case KInstr.Compare c -> throw new IllegalStateException("refused lane " + i);
                case KInstr.Select sel -> throw new IllegalStateException("refused lane " + i);
                case KInstr.Convert cv -> throw new IllegalStateException("refused lane " + i);
                case KInstr.ConstF c -> throw new IllegalStateException("a constant is uniform");
                case KInstr.ConstI c -> throw new IllegalStateException("a constant is uniform");
                case KInstr.Arg a -> throw new IllegalStateException("an argument is uniform");
                case KInstr.Length l -> throw new IllegalStateException("a length is uniform");
                case KInstr.Loop l -> throw new IllegalStateException("a streaming step has no loops");
            };
        }

        private CodeBlock laneScalar(KInstr i) {
            String lay = f32 ? "JAVA_FLOAT_UNALIGNED" : "JAVA_DOUBLE_UNALIGNED";
            KType t = f32 ? KType.F32 : KType.F64;
            return switch (i) {
                case KInstr.Load l -> CodeBlock.of("$T v$L = $L.getAtIndex($T.$L, $L + i);\n", scalar, l.dst().id(),
                        segment(l.buffer()), LAYOUT, lay, offset(l.buffer()));
                case KInstr.Store st -> CodeBlock.of("$L.setAtIndex($T.$L, $L + i, $L);\n", segment(st.buffer()), LAYOUT, lay,
                        offset(st.buffer()), sca(st.value()));
                case KInstr.Unary u -> CodeBlock.of("$T v$L = $L;\n", scalar, u.dst().id(), unary(u.kind(), t, sca(u.a())));
                case KInstr.Binary b -> CodeBlock.of("$T v$L = $L;\n", scalar, b.dst().id(),
                        binary(b.kind(), t, sca(b.a()), sca(b.b())));
                case KInstr.Fma f -> CodeBlock.of("$T v$L = Math.fma($L, $L, $L);\n", scalar, f.dst().id(), sca(f.a()), sca(f.b()),
                        sca(f.c()));
                case KInstr.Compare c -> throw new IllegalStateException("refused lane " + i);
                case KInstr.Select sel -> throw new IllegalStateException("refused lane " + i);
                case KInstr.Convert cv -> throw new IllegalStateException("refused lane " + i);
                case KInstr.ConstF c -> throw new IllegalStateException("a constant is uniform");
                case KInstr.ConstI c -> throw new IllegalStateException("a constant is uniform");
                case KInstr.Arg a -> throw new IllegalStateException("an argument is uniform");
                case KInstr.Length l -> throw new IllegalStateException("a length is uniform");
                case KInstr.Loop l -> throw new IllegalStateException("a streaming step has no loops");
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
