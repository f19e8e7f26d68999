package dev.streamfold.compiler.aot;

import com.palantir.javapoet.ArrayTypeName;
import com.palantir.javapoet.ClassName;
import com.palantir.javapoet.CodeBlock;
import com.palantir.javapoet.JavaFile;
import com.palantir.javapoet.MethodSpec;
import com.palantir.javapoet.ParameterizedTypeName;
import com.palantir.javapoet.TypeSpec;
import dev.streamfold.compiler.kernel.StepKernelIr;
import dev.streamfold.compiler.vector.VectorKernels;
import dev.streamfold.ir.DType;
import dev.streamfold.ir.StreamfoldException;
import dev.streamfold.ir.Tensor;
import dev.streamfold.ir.expr.MatrixBinder;
import dev.streamfold.ir.stream.Bindings;
import dev.streamfold.ir.stream.ParamLayout;
import dev.streamfold.ir.stream.StreamingMatrix;
import dev.streamfold.runtime.StepKernel;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import javax.lang.model.element.Modifier;

/**
 * Ahead-of-time kernel generation for the {@code generated} module: reads a spec file (one kernel a
 * line: {@code name | float32|float64 | expression}; {@code #} starts a comment), writes each
 * kernel's Vector API source and an index class, {@code dev.streamfold.generated.GeneratedKernels},
 * that hands a service its kernel and the expression's literal parameter values by name.
 */
public final class GenerateKernels {
    static final ClassName INDEX = ClassName.get("dev.streamfold.generated", "GeneratedKernels");

    private GenerateKernels() {}

    /** One spec line. */
    public record Spec(String name, DType dtype, String expr, int line) {}

    /** {@code GenerateKernels SPEC_FILE OUT_DIR}. */
    public static void main(String[] args) throws IOException {
        if (args.length != 2) {
            throw new IllegalArgumentException("usage: GenerateKernels SPEC_FILE OUT_DIR");
        }
        generate(parse(Path.of(args[0])), Path.of(args[1]));
    }

    public static List<Spec> parse(Path specFile) throws IOException {
        List<Spec> specs = new ArrayList<>();
        List<String> lines = Files.readAllLines(specFile);
        for (int i = 0; i < lines.size(); i++) {
            String l = lines.get(i).strip();
            if (l.isEmpty() || l.startsWith("#")) {
                continue;
            }
            String[] parts = l.split("\\|", 3);
            if (parts.length != 3 || !parts[0].strip().matches("[a-z][a-z0-9_]*")) {
                throw new StreamfoldException(specFile + ":" + (i + 1) + ": expected 'name | dtype | expression' with a lower-case name");
            }
            specs.add(new Spec(parts[0].strip(), DType.parseFloating(parts[1].strip()), parts[2].strip(), i + 1));
        }
        return specs;
    }

    public static void generate(List<Spec> specs, Path out) throws IOException {
        Map<String, String> classOf = new TreeMap<>();
        Map<String, Spec> byName = new LinkedHashMap<>();
        Map<String, double[][]> defaults = new LinkedHashMap<>();
        for (Spec s : specs) {
            if (byName.put(s.name(), s) != null) {
                throw new StreamfoldException("kernel spec line " + s.line() + ": name '" + s.name() + "' is used twice");
            }
            StreamingMatrix m = MatrixBinder.parse(s.expr());
            ParamLayout layout = ParamLayout.of(m);
            if (!layout.names().isEmpty()) {
                throw new StreamfoldException("kernel spec line " + s.line() + ": ahead-of-time kernels take literal parameters; "
                        + "bind " + layout.names() + " in the expression");
            }
            List<Tensor> values = layout.bind(m, Bindings.NONE, s.dtype());
            StepKernelIr k = VectorKernels.lower(m, values, s.dtype());
            String cls = VectorKernels.className(k);
            VectorKernels.source(k, m.describe()).writeTo(out);
            classOf.put(s.name(), cls);
            double[][] p = new double[values.size()][];
            for (int i = 0; i < p.length; i++) {
                p[i] = values.get(i).data();
            }
            defaults.put(s.name(), p);
        }
        index(byName, classOf, defaults).writeTo(out);
    }

    private static JavaFile index(Map<String, Spec> specs, Map<String, String> classOf, Map<String, double[][]> defaults) {
        ClassName kernel = ClassName.get(StepKernel.class);
        MethodSpec.Builder get = MethodSpec.methodBuilder("kernel")
                .addJavadoc("The kernel compiled for {@code name}.\n\n@throws IllegalArgumentException for an unknown name\n")
                .addModifiers(Modifier.PUBLIC, Modifier.STATIC).returns(kernel).addParameter(String.class, "name")
                .beginControlFlow("return switch (name)");
        MethodSpec.Builder params = MethodSpec.methodBuilder("params")
                .addJavadoc("A fresh copy of the expression's parameter values, in the kernel's slot order.\n")
                .addModifiers(Modifier.PUBLIC, Modifier.STATIC).returns(ArrayTypeName.of(ArrayTypeName.of(double.class)))
                .addParameter(String.class, "name")
                .beginControlFlow("return switch (name)");
        MethodSpec.Builder expr = MethodSpec.methodBuilder("expression")
                .addJavadoc("The expression {@code name} was compiled from.\n")
                .addModifiers(Modifier.PUBLIC, Modifier.STATIC).returns(String.class).addParameter(String.class, "name")
                .beginControlFlow("return switch (name)");
        for (Spec s : specs.values()) {
            get.addStatement("case $S -> new $T()", s.name(), ClassName.get(VectorKernels.PACKAGE, classOf.get(s.name())));
            params.addStatement("case $S -> $L", s.name(), arrayLiteral(defaults.get(s.name())));
            expr.addStatement("case $S -> $S", s.name(), s.expr());
        }
        for (MethodSpec.Builder b : List.of(get, params, expr)) {
            b.addStatement("default -> throw new $T($S + name + $S)", IllegalArgumentException.class,
                    "no ahead-of-time kernel named '", "' (see generated/kernels.spec)");
            b.endControlFlow("");
        }
        MethodSpec names = MethodSpec.methodBuilder("names")
                .addJavadoc("The names of the kernels in this build, in spec order.\n")
                .addModifiers(Modifier.PUBLIC, Modifier.STATIC)
                .returns(ParameterizedTypeName.get(List.class, String.class))
                .addStatement("return $T.of($L)", List.class,
                        String.join(", ", specs.keySet().stream().map(n -> "\"" + n + "\"").toList()))
                .build();
        TypeSpec t = TypeSpec.classBuilder(INDEX)
                .addModifiers(Modifier.PUBLIC, Modifier.FINAL)
                .addAnnotation(com.palantir.javapoet.AnnotationSpec.builder(ClassName.get("javax.annotation.processing", "Generated"))
                        .addMember("value", "$S", "dev.streamfold").build())
                .addJavadoc("Kernels compiled ahead of time from {@code generated/kernels.spec}.\n")
                .addMethod(MethodSpec.constructorBuilder().addModifiers(Modifier.PRIVATE).build())
                .addMethod(names)
                .addMethod(get.build())
                .addMethod(params.build())
                .addMethod(expr.build())
                .build();
        return JavaFile.builder(INDEX.packageName(), t).addFileComment("Generated by Streamfold — do not edit.")
                .skipJavaLangImports(true).indent("    ").build();
    }

    private static CodeBlock arrayLiteral(double[][] p) {
        List<String> rows = new ArrayList<>();
        for (double[] r : p) {
            List<String> v = new ArrayList<>();
            for (double x : r) {
                v.add(String.format(Locale.ROOT, "%s", Double.toString(x)));
            }
            rows.add("{" + String.join(", ", v) + "}");
        }
        return CodeBlock.of("new double[][] {$L}", String.join(", ", rows));
    }
}
