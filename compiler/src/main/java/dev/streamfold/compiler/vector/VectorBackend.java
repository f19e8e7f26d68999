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
import dev.streamfold.compiler.kernel.KOp;
import dev.streamfold.compiler.kernel.KStmt;
import dev.streamfold.compiler.kernel.KernelPrinter;
import dev.streamfold.compiler.kernel.StepKernelIr;
import dev.streamfold.ir.Binary;
import dev.streamfold.ir.DType;
import dev.streamfold.ir.StreamfoldException;
import dev.streamfold.ir.Unary;
import dev.streamfold.runtime.ElementType;
import dev.streamfold.runtime.ParamSlot;
import dev.streamfold.runtime.StepKernel;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import javax.lang.model.element.Modifier;

/**
 * Renders a step kernel as a Java class on the Vector API: a full-vector main loop over the slice
 * with {@code SPECIES_PREFERRED}, then a scalar tail that computes the same bits, so any split of
 * the slice gives identical results. The whole-scan entry point walks the slice in cache-sized
 * blocks and runs every step on a block before moving on, so state stays in cache.
 */
public final class VectorBackend {
    /** Elements of the slice per whole-scan block (state of a block stays in L1/L2). */
    public static final int SCAN_BLOCK = 16384;

    /** Most elements one call of the element loop takes (an int-indexed counted loop). */
    public static final int CALL = 1 << 20;

    private static final ClassName VECTOR_SPECIES = ClassName.get("jdk.incubator.vector", "VectorSpecies");
    private static final ClassName FLOAT_VECTOR = ClassName.get("jdk.incubator.vector", "FloatVector");
    private static final ClassName DOUBLE_VECTOR = ClassName.get("jdk.incubator.vector", "DoubleVector");
    private static final ClassName GENERATED = ClassName.get("javax.annotation.processing", "Generated");

    private VectorBackend() {}

    /** The Java source of {@code k} as class {@code pkg.name}. */
    public static JavaFile render(StepKernelIr k, String pkg, String name, String description) {
        boolean f32 = k.dtype() == DType.F32;
        TypeName scalar = f32 ? TypeName.FLOAT : TypeName.DOUBLE;
        ClassName vector = f32 ? FLOAT_VECTOR : DOUBLE_VECTOR;
        TypeName boxed = f32 ? ClassName.get(Float.class) : ClassName.get(Double.class);
        ClassName elementType = ClassName.get(ElementType.class);
        Set<Integer> splatted = splattedScalars(k);

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
        step.addCode(prologue(k, scalar, f32));
        step.beginControlFlow("for (long at = from; at < to; at += $L)", CALL)
                .addStatement("loop($L)", loopArgs(splatted, scalar, "at", "at", "at", "(int) Math.min(" + CALL + ", to - at)"))
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
                .addCode(prologue(k, scalar, f32))
                .addStatement("loop($L)", loopArgs(splatted, scalar, "row", "row", "block", "n"))
                .endControlFlow()
                .endControlFlow();

        MethodSpec.Builder loop = MethodSpec.methodBuilder("loop")
                .addModifiers(Modifier.PRIVATE, Modifier.STATIC);
        loop.addParameter(ArrayTypeName.of(scalar), "splats")
                .addParameter(MemorySegment.class, "x")
                .addParameter(MemorySegment.class, "y")
                .addParameter(ArrayTypeName.of(MemorySegment.class), "state")
                .addParameter(long.class, "xAt").addParameter(long.class, "yAt").addParameter(long.class, "stateAt")
                .addParameter(int.class, "n");
        loop.addJavadoc("Elements {@code [0, n)} of one step: x, y and the state buffers start at the given element offsets;\n"
                + "{@code splats} holds the per-step scalars the body broadcasts, in order.\n");
        int slot = 0;
        for (int s : splatted) {
            loop.addStatement("$T s$L = splats[$L]", scalar, s, slot++);
            loop.addStatement("$T s$LV = $T.broadcast(SPECIES, s$L)", vector, s, vector, s);
        }
        for (int b = 0; b < k.stateCount(); b++) {
            loop.addStatement("$T state$L = state[$L]", MemorySegment.class, b, b);
        }
        loop.addStatement("int i = 0");
        loop.addStatement("int bound = SPECIES.loopBound(n)");
        loop.beginControlFlow("for (; i < bound; i += SPECIES.length())");
        for (KStmt s : k.body()) {
            loop.addCode(laneVector(s, vector));
        }
        loop.endControlFlow();
        loop.beginControlFlow("for (; i < n; i++)");
        for (KStmt s : k.body()) {
            loop.addCode(laneScalar(s, scalar, f32));
        }
        loop.endControlFlow();

        TypeSpec type = TypeSpec.classBuilder(name)
                .addModifiers(Modifier.PUBLIC, Modifier.FINAL)
                .addSuperinterface(StepKernel.class)
                .addAnnotation(AnnotationSpec.builder(GENERATED).addMember("value", "$S", "dev.streamfold").build())
                .addJavadoc("Fused streaming step of {@code $L}.\n\n<pre>\n$L</pre>\n", description,
                        KernelPrinter.print(k).replace("@", "&#64;"))
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
                        .addStatement("return $L", k.paramCount()).build())
                .addField(FieldSpec.builder(ParameterizedTypeName.get(ClassName.get(List.class), ClassName.get(ParamSlot.class)),
                                "SLOTS", Modifier.PRIVATE, Modifier.STATIC, Modifier.FINAL)
                        .initializer(slotsInitializer(k)).build())
                .addMethod(MethodSpec.methodBuilder("paramSlots").addAnnotation(Override.class)
                        .addModifiers(Modifier.PUBLIC).returns(ParameterizedTypeName.get(ClassName.get(List.class),
                                ClassName.get(ParamSlot.class)))
                        .addStatement("return SLOTS").build())
                .addMethod(MethodSpec.methodBuilder("stateCount").addAnnotation(Override.class)
                        .addModifiers(Modifier.PUBLIC).returns(int.class)
                        .addStatement("return $L", k.stateCount()).build())
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

    private static CodeBlock slotsInitializer(StepKernelIr k) {
        ClassName slot = ClassName.get(ParamSlot.class);
        List<CodeBlock> items = new ArrayList<>();
        for (ParamSlot s : k.slots()) {
            items.add(s.length() == ParamSlot.PER_STEP
                    ? CodeBlock.of("new $T($S, $T.PER_STEP, $T.Rule.$L)", slot, s.name(), slot, slot, s.rule())
                    : CodeBlock.of("new $T($S, $L, $T.Rule.$L)", slot, s.name(), s.length(), slot, s.rule()));
        }
        return CodeBlock.of("$T.of($L)", List.class, CodeBlock.join(items, ",\n"));
    }

    private static Set<Integer> splattedScalars(StepKernelIr k) {
        Set<Integer> s = new LinkedHashSet<>();
        for (KStmt st : k.body()) {
            if (st.op() instanceof KOp.Splat sp) {
                s.add(sp.scalar());
            }
        }
        return s;
    }

    /** The arguments of a {@code loop} call: the splatted scalars packed in one array, then buffers and offsets. */
    private static String loopArgs(Set<Integer> splatted, TypeName scalar, String xAt, String yAt, String sAt, String n) {
        List<String> values = new ArrayList<>();
        for (int s : splatted) {
            values.add("v" + s);
        }
        List<String> a = new ArrayList<>();
        a.add("new " + scalar + "[] {" + String.join(", ", values) + "}");
        a.add("x");
        a.add("y");
        a.add("state");
        a.add(xAt);
        a.add(yAt);
        a.add(sAt);
        a.add(n);
        return String.join(", ", a);
    }

    private static CodeBlock prologue(StepKernelIr k, TypeName scalar, boolean f32) {
        CodeBlock.Builder c = CodeBlock.builder();
        String cast = f32 ? "(float) " : "";
        for (KStmt s : k.prologue()) {
            String v = "v" + s.id();
            switch (s.op()) {
                case KOp.ParamScalar p -> c.addStatement("$T $L = $Lparams[$L][0]", scalar, v, cast, p.param());
                case KOp.ParamAtStep p -> c.addStatement("$T $L = $Lparams[$L][(int) Math.min(t, params[$L].length - 1)]",
                        scalar, v, cast, p.param(), p.param());
                case KOp.ParamElement p -> c.addStatement("$T $L = $Lparams[$L][Math.min($L, params[$L].length - 1)]",
                        scalar, v, cast, p.param(), p.index(), p.param());
                case KOp.ScalarConst sc -> c.addStatement("$T $L = $L", scalar, v, literal(sc.value(), f32));
                case KOp.ScalarUnary u -> c.addStatement("$T $L = $L", scalar, v, scalarUnary(u.kind(), "v" + u.a(), f32));
                case KOp.ScalarBinary b -> c.addStatement("$T $L = $L", scalar, v,
                        scalarBinary(b.kind(), "v" + b.a(), "v" + b.b(), f32));
                case KOp.Splat sp -> throw new IllegalStateException("lane op in prologue");
                case KOp.LoadX l -> throw new IllegalStateException("lane op in prologue");
                case KOp.LoadState l -> throw new IllegalStateException("lane op in prologue");
                case KOp.LaneUnary u -> throw new IllegalStateException("lane op in prologue");
                case KOp.LaneBinary b -> throw new IllegalStateException("lane op in prologue");
                case KOp.Fma f -> throw new IllegalStateException("lane op in prologue");
                case KOp.StoreState st -> throw new IllegalStateException("lane op in prologue");
                case KOp.StoreY st -> throw new IllegalStateException("lane op in prologue");
            }
        }
        return c.build();
    }

    private static CodeBlock laneVector(KStmt s, ClassName vector) {
        String v = "v" + s.id();
        return switch (s.op()) {
            case KOp.Splat sp -> CodeBlock.of("$T $L = s$LV;\n", vector, v, sp.scalar());
            case KOp.LoadX l -> CodeBlock.of("$T $L = $T.fromMemorySegment(SPECIES, x, (xAt + i) * BYTES, ORDER);\n",
                    vector, v, vector);
            case KOp.LoadState l -> CodeBlock.of(
                    "$T $L = $T.fromMemorySegment(SPECIES, state$L, (stateAt + i) * BYTES, ORDER);\n",
                    vector, v, vector, l.buffer());
            case KOp.LaneUnary u -> CodeBlock.of("$T $L = $L;\n", vector, v, vectorUnary(u.kind(), "v" + u.a()));
            case KOp.LaneBinary b -> CodeBlock.of("$T $L = $L;\n", vector, v, vectorBinary(b.kind(), "v" + b.a(), "v" + b.b()));
            case KOp.Fma f -> CodeBlock.of("$T $L = v$L.fma(v$L, v$L);\n", vector, v, f.a(), f.b(), f.c());
            case KOp.StoreState st -> CodeBlock.of("v$L.intoMemorySegment(state$L, (stateAt + i) * BYTES, ORDER);\n",
                    st.value(), st.buffer());
            case KOp.StoreY st -> CodeBlock.of("v$L.intoMemorySegment(y, (yAt + i) * BYTES, ORDER);\n", st.value());
            case KOp.ParamScalar p -> throw new IllegalStateException("scalar op in loop body");
            case KOp.ParamAtStep p -> throw new IllegalStateException("scalar op in loop body");
            case KOp.ParamElement p -> throw new IllegalStateException("scalar op in loop body");
            case KOp.ScalarConst c -> throw new IllegalStateException("scalar op in loop body");
            case KOp.ScalarUnary u -> throw new IllegalStateException("scalar op in loop body");
            case KOp.ScalarBinary b -> throw new IllegalStateException("scalar op in loop body");
        };
    }

    private static CodeBlock laneScalar(KStmt s, TypeName scalar, boolean f32) {
        String v = "v" + s.id();
        ClassName layout = ClassName.get(ValueLayout.class);
        String lay = f32 ? "JAVA_FLOAT_UNALIGNED" : "JAVA_DOUBLE_UNALIGNED";
        return switch (s.op()) {
            case KOp.Splat sp -> CodeBlock.of("$T $L = s$L;\n", scalar, v, sp.scalar());
            case KOp.LoadX l -> CodeBlock.of("$T $L = x.getAtIndex($T.$L, xAt + i);\n", scalar, v, layout, lay);
            case KOp.LoadState l -> CodeBlock.of("$T $L = state$L.getAtIndex($T.$L, stateAt + i);\n", scalar, v, l.buffer(),
                    layout, lay);
            case KOp.LaneUnary u -> CodeBlock.of("$T $L = $L;\n", scalar, v, scalarUnary(u.kind(), "v" + u.a(), f32));
            case KOp.LaneBinary b -> CodeBlock.of("$T $L = $L;\n", scalar, v, scalarBinary(b.kind(), "v" + b.a(), "v" + b.b(), f32));
            case KOp.Fma f -> CodeBlock.of("$T $L = Math.fma(v$L, v$L, v$L);\n", scalar, v, f.a(), f.b(), f.c());
            case KOp.StoreState st -> CodeBlock.of("state$L.setAtIndex($T.$L, stateAt + i, v$L);\n", st.buffer(), layout, lay,
                    st.value());
            case KOp.StoreY st -> CodeBlock.of("y.setAtIndex($T.$L, yAt + i, v$L);\n", layout, lay, st.value());
            case KOp.ParamScalar p -> throw new IllegalStateException("scalar op in loop body");
            case KOp.ParamAtStep p -> throw new IllegalStateException("scalar op in loop body");
            case KOp.ParamElement p -> throw new IllegalStateException("scalar op in loop body");
            case KOp.ScalarConst c -> throw new IllegalStateException("scalar op in loop body");
            case KOp.ScalarUnary u -> throw new IllegalStateException("scalar op in loop body");
            case KOp.ScalarBinary b -> throw new IllegalStateException("scalar op in loop body");
        };
    }

    private static String literal(double v, boolean f32) {
        if (Double.isNaN(v) || Double.isInfinite(v)) {
            throw new StreamfoldException("non-finite constant " + v + " in a kernel");
        }
        return f32 ? Float.toString((float) v) + "f" : Double.toString(v);
    }

    private static String vectorUnary(Unary.Kind k, String a) {
        return switch (k) {
            case NEG -> a + ".neg()";
            case ABS -> a + ".abs()";
            case SQRT -> a + ".sqrt()";
            case SQUARE -> a + ".mul(" + a + ")";
            case RECIPROCAL -> a + ".broadcast(1).div(" + a + ")";
            case SIGN, EXP, LOG -> throw new StreamfoldException(
                    "the vector backend keeps lanes bit-identical to its scalar tail; "
                            + k.name().toLowerCase(java.util.Locale.ROOT) + " per element is not supported");
        };
    }

    private static String vectorBinary(Binary.Kind k, String a, String b) {
        return switch (k) {
            case ADD -> a + ".add(" + b + ")";
            case SUB -> a + ".sub(" + b + ")";
            case MUL -> a + ".mul(" + b + ")";
            case DIV -> a + ".div(" + b + ")";
            case MAX -> a + ".max(" + b + ")";
            case MIN -> a + ".min(" + b + ")";
            case POW -> throw new StreamfoldException(
                    "the vector backend keeps lanes bit-identical to its scalar tail; pow per element is not supported");
        };
    }

    private static String scalarUnary(Unary.Kind k, String a, boolean f32) {
        String c = f32 ? "(float) " : "";
        return switch (k) {
            case NEG -> "-" + a;
            case ABS -> "Math.abs(" + a + ")";
            case SQRT -> c + "Math.sqrt(" + a + ")";
            case SQUARE -> a + " * " + a;
            case RECIPROCAL -> (f32 ? "1f / " : "1.0 / ") + a;
            case SIGN -> "Math.signum(" + a + ")";
            case EXP -> c + "Math.exp(" + a + ")";
            case LOG -> c + "Math.log(" + a + ")";
        };
    }

    private static String scalarBinary(Binary.Kind k, String a, String b, boolean f32) {
        return switch (k) {
            case ADD -> a + " + " + b;
            case SUB -> a + " - " + b;
            case MUL -> a + " * " + b;
            case DIV -> a + " / " + b;
            case MAX -> "Math.max(" + a + ", " + b + ")";
            case MIN -> "Math.min(" + a + ", " + b + ")";
            case POW -> (f32 ? "(float) " : "") + "Math.pow(" + a + ", " + b + ")";
        };
    }
}
