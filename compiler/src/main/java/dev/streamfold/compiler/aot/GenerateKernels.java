package dev.streamfold.compiler.aot;

import com.palantir.javapoet.AnnotationSpec;
import com.palantir.javapoet.ArrayTypeName;
import com.palantir.javapoet.ClassName;
import com.palantir.javapoet.CodeBlock;
import com.palantir.javapoet.JavaFile;
import com.palantir.javapoet.MethodSpec;
import com.palantir.javapoet.ParameterizedTypeName;
import com.palantir.javapoet.TypeSpec;
import dev.streamfold.compiler.NativeBackend;
import dev.streamfold.compiler.batched.BatchedCompiler;
import dev.streamfold.compiler.batched.LinalgKernel;
import dev.streamfold.compiler.kir.Kernel;
import dev.streamfold.compiler.lower.StepKir;
import dev.streamfold.compiler.vector.VectorKirBackend;
import dev.streamfold.compiler.vector.VectorStepBackend;
import dev.streamfold.compiler.vector.VectorKernels;
import dev.streamfold.ir.DType;
import dev.streamfold.ir.Shape;
import dev.streamfold.ir.StreamfoldException;
import dev.streamfold.ir.Tensor;
import dev.streamfold.ir.expr.ExprException;
import dev.streamfold.ir.expr.MatrixBinder;
import dev.streamfold.ir.stream.Bindings;
import dev.streamfold.ir.stream.Param;
import dev.streamfold.ir.stream.ParamLayout;
import dev.streamfold.ir.stream.Slot;
import dev.streamfold.ir.stream.StreamingMatrix;
import dev.streamfold.runtime.BoundKernel;
import dev.streamfold.runtime.KernelSignature;
import dev.streamfold.runtime.ParamSlot;
import dev.streamfold.runtime.StepKernel;
import dev.streamfold.runtime.VectorApi;
import dev.streamfold.runtime.batched.BatchedKernel;
import dev.streamfold.runtime.batched.BatchedRunner;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.lang.model.element.Modifier;

/**
 * Ahead-of-time kernel generation, the one code path of the {@code generated} module's build and of the Maven
 * plugin. A spec file holds one kernel a line, {@code name | float32|float64 | expression [| parameters]}
 * ({@code #} starts a comment). The optional parameters column declares each {@code $name} of the expression as
 * {@code name} (a number) or {@code name[N]} (an array of N entries): the declaration fixes only the structure (e.g.
 * the number of BLT buffers), the values are bound at run time. Generation writes each kernel's Vector API source and
 * an index class that hands a service its kernels by name: {@code kernel}, {@code params}, {@code signature} and
 * {@code bind} (named values checked and prepared as the expression language does). A line whose expression is
 * {@code linalg OP MxN [jvp] [rhs=K] [FLAG[=true|false]]...} ({@link LinalgSpecLine}) is a batched
 * decomposition or solve, compiled through {@link BatchedCompiler} and {@link VectorKirBackend}; the index hands
 * those out with {@code batched(name)} and lists them in {@code batchedNames()}. Errors are {@link
 * StreamfoldException}s whose message starts with {@code file:line:column:}.
 */
public final class GenerateKernels {
    /** The package of the {@code generated} module's index. */
    public static final String DEFAULT_PACKAGE = "dev.streamfold.generated";

    /** The simple name of the {@code generated} module's index. */
    public static final String DEFAULT_INDEX = "GeneratedKernels";

    private static final Pattern NAME = Pattern.compile("[a-z][a-z0-9_]*");
    /** The longest array a spec may declare: more than any kernel within the compiled-size limit takes. */
    static final int MAX_DECLARED_LENGTH = 4096;

    private static final Pattern DECLARATION = Pattern.compile("\\s*([A-Za-z_][A-Za-z0-9_]*)\\s*(?:\\[\\s*(\\d+)\\s*\\])?\\s*");

    private GenerateKernels() {}

    /**
     * One spec line.
     *
     * @param placeholders a value of each declared parameter's shape, used to compile the structure
     * @param exprColumn the 1-based column where the expression starts
     * @param batched the decomposition or solve of a {@code linalg} line, or null for a streaming kernel
     */
    public record Spec(Path file, String name, DType dtype, String expr, Map<String, Tensor> placeholders, int line,
            int exprColumn, LinalgKernel batched) {
        public Spec {
            placeholders = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(placeholders));
        }

        /** A streaming kernel's line. */
        public Spec(Path file, String name, DType dtype, String expr, Map<String, Tensor> placeholders, int line,
                int exprColumn) {
            this(file, name, dtype, expr, placeholders, line, exprColumn, null);
        }

        String at(int column) {
            return file + ":" + line + ":" + column + ": ";
        }
    }

    /** {@code GenerateKernels SPEC_FILE OUT_DIR [PACKAGE INDEX_CLASS]}. */
    public static void main(String[] args) throws IOException {
        if (args.length != 2 && args.length != 4) {
            throw new IllegalArgumentException("usage: GenerateKernels SPEC_FILE OUT_DIR [PACKAGE INDEX_CLASS]");
        }
        String pkg = args.length == 4 ? args[2] : DEFAULT_PACKAGE;
        String index = args.length == 4 ? args[3] : DEFAULT_INDEX;
        generate(parse(Path.of(args[0])), Path.of(args[1]), pkg, index);
    }

    /**
     * The kernels of {@code specFile}.
     *
     * @throws StreamfoldException {@code file:line:column: message} for a malformed line
     */
    public static List<Spec> parse(Path specFile) throws IOException {
        List<Spec> specs = new ArrayList<>();
        List<String> lines = Files.readAllLines(specFile);
        for (int i = 0; i < lines.size(); i++) {
            String raw = lines.get(i);
            String l = raw.strip();
            if (l.isEmpty() || l.startsWith("#")) {
                continue;
            }
            int line = i + 1;
            String at = specFile + ":" + line + ":";
            List<Integer> bars = new ArrayList<>();
            for (int c = 0; c < raw.length(); c++) {
                if (raw.charAt(c) == '|') {
                    bars.add(c);
                }
            }
            if (bars.size() < 2 || bars.size() > 3) {
                throw new StreamfoldException(at + (raw.indexOf(l) + 1) + ": expected 'name | dtype | expression' or "
                        + "'name | dtype | expression | parameters', found " + (bars.size() + 1) + " columns");
            }
            String name = raw.substring(0, bars.get(0)).strip();
            if (!NAME.matcher(name).matches()) {
                throw new StreamfoldException(at + (raw.indexOf(l) + 1) + ": kernel name '" + name
                        + "' must be lower-case letters, digits and '_', starting with a letter");
            }
            String dtypeText = raw.substring(bars.get(0) + 1, bars.get(1));
            DType dtype;
            try {
                dtype = DType.parseFloating(dtypeText.strip());
            } catch (StreamfoldException e) {
                throw new StreamfoldException(at + column(raw, bars.get(0) + 1) + ": " + e.getMessage());
            }
            int exprEnd = bars.size() == 3 ? bars.get(2) : raw.length();
            String expr = raw.substring(bars.get(1) + 1, exprEnd);
            int exprColumn = column(raw, bars.get(1) + 1);
            if (LinalgSpecLine.isLinalg(expr.strip())) {
                if (bars.size() == 3) {
                    throw new StreamfoldException(at + column(raw, bars.get(2) + 1) + ": a linalg kernel takes no parameters"
                            + " column: its flags follow the shape, e.g. 'linalg qr 8x8 full_matrices'");
                }
                LinalgKernel k = LinalgSpecLine.parse(expr.strip(), dtype, at, exprColumn);
                specs.add(new Spec(specFile, name, dtype, expr.strip(), Map.of(), line, exprColumn, k));
                continue;
            }
            Map<String, Tensor> placeholders = bars.size() == 3
                    ? declarations(raw, bars.get(2) + 1, at) : Map.of();
            specs.add(new Spec(specFile, name, dtype, expr.strip(), placeholders, line, exprColumn));
        }
        return specs;
    }

    /** The 1-based column of the first non-blank character at or after {@code from}. */
    private static int column(String raw, int from) {
        int c = from;
        while (c < raw.length() && Character.isWhitespace(raw.charAt(c))) {
            c++;
        }
        return c + 1;
    }

    private static Map<String, Tensor> declarations(String raw, int from, String at) {
        Map<String, Tensor> out = new LinkedHashMap<>();
        int start = from;
        for (String part : raw.substring(from).split(",", -1)) {
            Matcher m = DECLARATION.matcher(part);
            if (!m.matches()) {
                throw new StreamfoldException(at + column(raw, start) + ": expected a parameter declaration 'name' (a "
                        + "number) or 'name[N]' (an array of N entries), found '" + part.strip() + "'");
            }
            String name = m.group(1);
            Tensor placeholder;
            if (m.group(2) == null) {
                placeholder = new Tensor(DType.F64, Shape.SCALAR, new double[] {0.5});
            } else {
                String digits = m.group(2).replaceFirst("^0+(?=.)", "");
                if (digits.length() > 4 || Integer.parseInt(digits) > MAX_DECLARED_LENGTH) {
                    throw new StreamfoldException(at + column(raw, start) + ": parameter " + name + "[" + m.group(2)
                            + "]: a declared length must be at most " + MAX_DECLARED_LENGTH);
                }
                int n = Integer.parseInt(digits);
                double[] v = new double[n];
                for (int k = 0; k < n; k++) {
                    v[k] = (n - k) / (n + 1.0);
                }
                placeholder = Tensor.vector(DType.F64, v);
            }
            if (out.put(name, placeholder) != null) {
                throw new StreamfoldException(at + column(raw, start) + ": parameter " + name + " is declared twice");
            }
            start += part.length() + 1;
        }
        return out;
    }

    /**
     * Writes the kernels' sources under {@code out} (kernels in {@code indexPackage + ".kernels"}) and the index
     * class {@code indexPackage.indexClass}.
     *
     * @throws StreamfoldException {@code file:line:column: message} for a spec that does not compile
     */
    public static void generate(List<Spec> specs, Path out, String indexPackage, String indexClass) throws IOException {
        String kernelPackage = indexPackage + ".kernels";
        Map<String, Spec> byName = new LinkedHashMap<>();
        Map<String, String> classOf = new LinkedHashMap<>();
        Map<String, KernelSignature> signatures = new LinkedHashMap<>();
        Map<String, String> batchedClassOf = new LinkedHashMap<>();
        List<JavaFile> files = new ArrayList<>();
        Map<String, Spec> seen = new LinkedHashMap<>();
        for (Spec s : specs) {
            Spec earlier = seen.put(s.name(), s);
            if (earlier != null) {
                throw new StreamfoldException(s.at(1) + "kernel name '" + s.name() + "' is already used on line "
                        + earlier.line());
            }
            if (s.batched() != null) {
                String cls = batchedClassName(s);
                files.add(VectorKirBackend.render(compileBatched(s), kernelPackage, cls));
                batchedClassOf.put(s.name(), cls);
                continue;
            }
            byName.put(s.name(), s);
            Compiled c = compile(s, kernelPackage);
            files.add(c.source());
            classOf.put(s.name(), c.className());
            signatures.put(s.name(), c.signature());
        }
        for (JavaFile f : files) {
            f.writeTo(out);
        }
        Path specFile = specs.isEmpty() ? null : specs.get(0).file();
        index(ClassName.get(indexPackage, indexClass), kernelPackage, byName, classOf, signatures, batchedClassOf,
                specFile == null ? "the spec" : specFile.getFileName().toString()).writeTo(out);
    }

    /**
     * Writes each kernel's PTX for {@code arch} (sm_80 or sm_90) as {@code indexPackage/kernels/NAME.ptx} under
     * {@code resourcesOut}, with the entries {@code compile --backend ptx} writes ({@code K_step} and {@code K_scan},
     * K named by the kernel's structure).
     *
     * @throws StreamfoldException for an unsupported architecture or a spec that does not compile
     */
    public static void generatePtx(List<Spec> specs, Path resourcesOut, String indexPackage, String arch)
            throws IOException {
        if (!arch.equals("sm_80") && !arch.equals("sm_90")) {
            throw new StreamfoldException("PTX architecture " + arch + " is not supported (expected sm_80 or sm_90)");
        }
        NativeBackend llvm = NativeBackend.require("PTX generation");
        String kernelPackage = indexPackage + ".kernels";
        Path dir = resourcesOut.resolve(kernelPackage.replace('.', '/'));
        Files.createDirectories(dir);
        for (Spec s : specs) {
            if (s.batched() != null) {
                Files.writeString(dir.resolve(s.name() + ".ptx"), llvm.batchedPtx(compileBatched(s), arch));
                continue;
            }
            Compiled c = compile(s, kernelPackage);
            Files.writeString(dir.resolve(s.name() + ".ptx"), llvm.ptx(c.kernel(), c.description(), arch));
        }
    }

    /** The class of a batched kernel: {@code Batched_} and the spec name. */
    private static String batchedClassName(Spec s) {
        return "Batched_" + s.name();
    }

    /** A {@code linalg} line's kernel, optimized, named as the spec names it. */
    private static Kernel compileBatched(Spec s) {
        Kernel k;
        try {
            k = BatchedCompiler.compile(s.batched()).kernel();
        } catch (StreamfoldException e) {
            throw new StreamfoldException(s.at(s.exprColumn()) + e.getMessage());
        }
        return new Kernel(s.name(), k.buffers(), k.args(), k.body(), k.nextId());
    }

    private record Compiled(JavaFile source, String className, KernelSignature signature, StepKir kernel,
            String description) {}

    private static Compiled compile(Spec s, String kernelPackage) {
        StreamingMatrix m;
        try {
            m = MatrixBinder.parse(s.expr());
        } catch (ExprException e) {
            throw new StreamfoldException(s.at(s.exprColumn() + e.position().column() - 1) + e.detail());
        }
        ParamLayout layout = ParamLayout.of(m);
        for (String used : layout.names()) {
            if (!s.placeholders().containsKey(used)) {
                throw new StreamfoldException(s.at(paramColumn(s, used)) + "$" + used + " is not declared: add '" + used
                        + "' (a number) or '" + used + "[N]' (an array of N entries) in a fourth column");
            }
        }
        for (String declared : s.placeholders().keySet()) {
            if (!layout.names().contains(declared)) {
                throw new StreamfoldException(s.at(s.exprColumn()) + "parameter " + declared
                        + " is declared but the expression has no $" + declared);
            }
        }
        for (ParamLayout.Entry e : layout.slots()) {
            if (e.slot().param() instanceof Param.Named n && RuntimePreparation.of(e.op()) == RuntimePreparation.COMPUTED) {
                throw new StreamfoldException(s.at(paramColumn(s, n.name())) + e.op().opName() + " computes its kernel's "
                        + "values from " + e.slot().name() + " when it is compiled, so $" + n.name() + " cannot be bound at "
                        + "run time in an ahead-of-time kernel: write the value in the expression");
            }
        }
        List<Tensor> values;
        try {
            values = layout.bind(m, Bindings.of(s.placeholders()), s.dtype());
        } catch (StreamfoldException e) {
            throw new StreamfoldException(s.at(s.exprColumn()) + e.getMessage());
        }
        StepKir v2 = VectorKernels.lowerKir(m, values, s.dtype());
        String cls = VectorKernels.className(v2);
        JavaFile source = VectorStepBackend.render(v2, kernelPackage, cls, m.describe());
        return new Compiled(source, cls, signature(s, m, layout, values, v2), v2, m.describe());
    }

    /** The column of the first {@code $name} in the expression, or of the expression. */
    private static int paramColumn(Spec s, String name) {
        Matcher m = Pattern.compile("\\$" + Pattern.quote(name) + "(?![A-Za-z0-9_])").matcher(s.expr());
        return s.exprColumn() + (m.find() ? m.start() : 0);
    }

    private static KernelSignature signature(Spec s, StreamingMatrix m, ParamLayout layout, List<Tensor> values,
            StepKir k) {
        List<ParamLayout.Entry> entries = layout.slots();
        List<KernelSignature.Source> sources = new ArrayList<>();
        List<int[]> pairs = new ArrayList<>();
        List<KernelSignature.Parameter> parameters = new ArrayList<>();
        int i = 0;
        while (i < entries.size()) {
            StreamingMatrix op = entries.get(i).op();
            int end = i;
            boolean named = false;
            while (end < entries.size() && entries.get(end).op() == op) {
                named |= entries.get(end).slot().param() instanceof Param.Named;
                end++;
            }
            for (int j = i; j < end; j++) {
                Slot slot = entries.get(j).slot();
                switch (slot.param()) {
                    case Param.Named n -> {
                        sources.add(new KernelSignature.Source.Named(n.name()));
                        if (parameters.stream().noneMatch(p -> p.name().equals(n.name()))) {
                            parameters.add(new KernelSignature.Parameter(n.name(), k.slots().get(j).length()));
                        }
                    }
                    case Param.Literal l -> sources.add(new KernelSignature.Source.Fixed(named
                            ? slot.kind().check(op.opName(), slot.name(), l.value()).raw()
                            : values.get(j).raw()));
                }
            }
            if (named && RuntimePreparation.of(op) == RuntimePreparation.SORTED_BY_DECAY) {
                pairs.add(new int[] {i, i + 1});
            }
            i = end;
        }
        return new KernelSignature(s.name(), s.expr(), sources, pairs, parameters);
    }

    private static JavaFile index(ClassName index, String kernelPackage, Map<String, Spec> specs,
            Map<String, String> classOf, Map<String, KernelSignature> signatures, Map<String, String> batchedClassOf,
            String specName) {
        ClassName kernel = ClassName.get(StepKernel.class);
        ClassName signature = ClassName.get(KernelSignature.class);
        ClassName bound = ClassName.get(BoundKernel.class);
        ClassName source = ClassName.get(KernelSignature.Source.class);
        MethodSpec.Builder get = MethodSpec.methodBuilder("kernel")
                .addJavadoc("The kernel compiled for {@code name}.\n\n@throws IllegalArgumentException for an unknown name\n"
                        + "@throws IllegalStateException when the JVM was started without $L\n", VectorApi.FLAG)
                .addModifiers(Modifier.PUBLIC, Modifier.STATIC).returns(kernel).addParameter(String.class, "name")
                .addStatement("$T.require($S + name)", VectorApi.class, "ahead-of-time kernel ")
                .beginControlFlow("switch (name)");
        MethodSpec.Builder params = MethodSpec.methodBuilder("params")
                .addJavadoc("A fresh copy of the parameter values of a kernel without named parameters, in slot order.\n\n"
                        + "@throws IllegalArgumentException for an unknown name or a kernel with named parameters (use\n"
                        + "{@link #bind})\n")
                .addModifiers(Modifier.PUBLIC, Modifier.STATIC).returns(ArrayTypeName.of(ArrayTypeName.of(double.class)))
                .addParameter(String.class, "name")
                .beginControlFlow("switch (name)");
        MethodSpec.Builder expr = MethodSpec.methodBuilder("expression")
                .addJavadoc("The expression {@code name} was compiled from.\n")
                .addModifiers(Modifier.PUBLIC, Modifier.STATIC).returns(String.class).addParameter(String.class, "name")
                .beginControlFlow("switch (name)");
        MethodSpec.Builder sig = MethodSpec.methodBuilder("signature")
                .addJavadoc("How {@code name}'s parameter slots are filled: its named parameters, their lengths and order.\n")
                .addModifiers(Modifier.PUBLIC, Modifier.STATIC).returns(signature).addParameter(String.class, "name")
                .beginControlFlow("switch (name)");
        for (String name : batchedClassOf.keySet()) {
            for (MethodSpec.Builder b : List.of(get, params, expr, sig)) {
                b.addStatement("case $S -> throw new $T($S)", name, IllegalArgumentException.class, "kernel " + name
                        + " is a batched kernel: use batched(name)");
            }
        }
        for (Spec s : specs.values()) {
            KernelSignature ks = signatures.get(s.name());
            get.addCode("case $S -> {\n$>return new $T();\n$<}\n", s.name(), ClassName.get(kernelPackage, classOf.get(s.name())));
            if (ks.parameters().isEmpty()) {
                params.addCode("case $S -> {\n$>return $L;\n$<}\n", s.name(), fixedValues(ks));
            } else {
                params.addStatement("case $S -> throw new $T($S)", s.name(), IllegalArgumentException.class,
                        "kernel " + s.name() + " has named parameters " + String.join(", ",
                                ks.parameterNames().stream().map(n -> "$" + n).toList()) + ": use bind(name, values)");
            }
            expr.addCode("case $S -> {\n$>return $S;\n$<}\n", s.name(), s.expr());
            sig.addCode("case $S -> {\n$>return $L;\n$<}\n", s.name(), signatureLiteral(ks, signature, source));
        }
        for (MethodSpec.Builder b : List.of(get, params, expr, sig)) {
            b.addStatement("default -> throw new $T($S + name + $S)", IllegalArgumentException.class,
                    "no ahead-of-time kernel named '", "' (see " + specName + ")");
            b.endControlFlow();
        }
        MethodSpec bind = MethodSpec.methodBuilder("bind")
                .addJavadoc("Kernel {@code name} with its named parameters bound to {@code values}, checked and prepared\n"
                        + "as the expression language does (see {@link $T#prepare}).\n\n"
                        + "@throws IllegalArgumentException naming the kernel and the parameter that does not fit\n", signature)
                .addModifiers(Modifier.PUBLIC, Modifier.STATIC).returns(bound)
                .addParameter(String.class, "name")
                .addParameter(ParameterizedTypeName.get(Map.class, String.class, double[].class), "values")
                .addStatement("return new $T(signature(name), kernel(name), values)", bound)
                .build();
        MethodSpec names = MethodSpec.methodBuilder("names")
                .addJavadoc("The names of the kernels in this build, in spec order.\n")
                .addModifiers(Modifier.PUBLIC, Modifier.STATIC)
                .returns(ParameterizedTypeName.get(List.class, String.class))
                .addStatement("return $T.of($L)", List.class,
                        CodeBlock.join(specs.keySet().stream().map(n -> CodeBlock.of("$S", n)).toList(), ", "))
                .build();
        MethodSpec.Builder batched = MethodSpec.methodBuilder("batched")
                .addJavadoc("The batched kernel compiled for {@code name}, to run with {@link $T}.\n\n"
                        + "@throws IllegalArgumentException for an unknown name or a streaming kernel's name (use\n"
                        + "{@link #kernel})\n"
                        + "@throws IllegalStateException when the JVM was started without $L\n", BatchedRunner.class, VectorApi.FLAG)
                .addModifiers(Modifier.PUBLIC, Modifier.STATIC).returns(BatchedKernel.class).addParameter(String.class, "name")
                .addStatement("$T.require($S + name)", VectorApi.class, "ahead-of-time kernel ")
                .beginControlFlow("switch (name)");
        for (Map.Entry<String, String> e : batchedClassOf.entrySet()) {
            batched.addCode("case $S -> {\n$>return new $T();\n$<}\n", e.getKey(), ClassName.get(kernelPackage, e.getValue()));
        }
        for (String name : specs.keySet()) {
            batched.addStatement("case $S -> throw new $T($S)", name, IllegalArgumentException.class, "kernel " + name
                    + " is a streaming kernel: use kernel(name)");
        }
        batched.addStatement("default -> throw new $T($S + name + $S)", IllegalArgumentException.class,
                "no ahead-of-time batched kernel named '", "' (see " + specName + ")").endControlFlow();
        MethodSpec batchedNames = MethodSpec.methodBuilder("batchedNames")
                .addJavadoc("The names of the batched kernels in this build, in spec order.\n")
                .addModifiers(Modifier.PUBLIC, Modifier.STATIC)
                .returns(ParameterizedTypeName.get(Set.class, String.class))
                .addStatement("return $T.unmodifiableSequencedSet(new $T<>($T.of($L)))", java.util.Collections.class,
                        java.util.LinkedHashSet.class, List.class,
                        CodeBlock.join(batchedClassOf.keySet().stream().map(n -> CodeBlock.of("$S", n)).toList(), ", "))
                .build();
        TypeSpec t = TypeSpec.classBuilder(index)
                .addModifiers(Modifier.PUBLIC, Modifier.FINAL)
                .addAnnotation(AnnotationSpec.builder(ClassName.get("javax.annotation.processing", "Generated"))
                        .addMember("value", "$S", "dev.streamfold").build())
                .addJavadoc("Kernels compiled ahead of time from {@code $L}.\n", specName)
                .addMethod(MethodSpec.constructorBuilder().addModifiers(Modifier.PRIVATE).build())
                .addMethod(names)
                .addMethod(get.build())
                .addMethod(params.build())
                .addMethod(expr.build())
                .addMethod(sig.build())
                .addMethod(bind)
                .addMethod(batchedNames)
                .addMethod(batched.build())
                .build();
        return JavaFile.builder(index.packageName(), t).addFileComment("Generated by Streamfold — do not edit.")
                .skipJavaLangImports(true).indent("    ").build();
    }

    private static CodeBlock fixedValues(KernelSignature ks) {
        List<CodeBlock> rows = new ArrayList<>();
        for (KernelSignature.Source s : ks.slots()) {
            if (s instanceof KernelSignature.Source.Fixed f) {
                rows.add(array(f.values()));
            }
        }
        return CodeBlock.of("new double[][] {$L}", CodeBlock.join(rows, ", "));
    }

    private static CodeBlock array(double[] v) {
        return CodeBlock.of("{$L}", String.join(", ", java.util.Arrays.stream(v).mapToObj(Double::toString).toList()));
    }

    private static CodeBlock signatureLiteral(KernelSignature ks, ClassName signature, ClassName source) {
        List<CodeBlock> slots = new ArrayList<>();
        for (KernelSignature.Source s : ks.slots()) {
            slots.add(switch (s) {
                case KernelSignature.Source.Fixed f -> CodeBlock.of("new $T.Fixed(new double[] $L)", source, array(f.values()));
                case KernelSignature.Source.Named n -> CodeBlock.of("new $T.Named($S)", source, n.parameter());
            });
        }
        List<CodeBlock> pairs = ks.decayPairs().stream().map(p -> CodeBlock.of("new int[] {$L, $L}", p[0], p[1])).toList();
        List<CodeBlock> parameters = new ArrayList<>();
        for (KernelSignature.Parameter p : ks.parameters()) {
            parameters.add(p.length() == ParamSlot.PER_STEP
                    ? CodeBlock.of("new $T.Parameter($S, $T.PER_STEP)", signature, p.name(), ParamSlot.class)
                    : CodeBlock.of("new $T.Parameter($S, $L)", signature, p.name(), p.length()));
        }
        return CodeBlock.of("new $T($S, $S, $T.of($L), $T.of($L), $T.of($L))", signature, ks.name(), ks.expression(),
                List.class, CodeBlock.join(slots, ", "), List.class, CodeBlock.join(pairs, ", "), List.class,
                CodeBlock.join(parameters, ", "));
    }
}
