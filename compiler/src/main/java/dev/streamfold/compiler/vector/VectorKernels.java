package dev.streamfold.compiler.vector;

import com.palantir.javapoet.JavaFile;
import dev.streamfold.compiler.kernel.KernelSize;
import dev.streamfold.compiler.kernel.KernelSlots;
import dev.streamfold.compiler.lower.StepKir;
import dev.streamfold.compiler.lower.StepKirPipeline;
import dev.streamfold.ir.DType;
import dev.streamfold.ir.Shape;
import dev.streamfold.ir.Tensor;
import dev.streamfold.ir.Type;
import dev.streamfold.ir.stream.StepProgram;
import dev.streamfold.ir.stream.StreamingMatrix;
import dev.streamfold.runtime.StepKernel;
import java.lang.reflect.InvocationTargetException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Streaming matrices to loaded Vector API kernels, through kernel IR v2 ({@link StepKirPipeline}, {@link
 * VectorStepBackend}). Classes are cached by the kernel's structure (its kernel IR text and slots), so
 * compositions of the same shape with other parameter values, array lengths or slice sizes reuse one class.
 * {@link #lowerKir} gives the kernel the LLVM backends render too.
 */
public final class VectorKernels {
    /** The package generated kernels are emitted in. */
    public static final String PACKAGE = "dev.streamfold.generated.kernels";

    private static final ConcurrentHashMap<String, StepKernel> CACHE = new ConcurrentHashMap<>();

    private VectorKernels() {}

    /**
     * The kernel IR v2 of {@code m}'s step for parameter values of the given types, the one every compiled backend
     * renders, within the size limit they share.
     *
     * @throws dev.streamfold.ir.StreamfoldException if the kernel is larger than {@link KernelSize#MAX}
     */
    public static StepKir lowerKir(StreamingMatrix m, List<Tensor> values, DType dtype) {
        StepKir s = KernelSize.check(StepKirPipeline.compile(step(m, values, dtype)));
        return s.withSlots(KernelSlots.of(m, values, s.perStepSlots()));
    }

    private static StepProgram step(StreamingMatrix m, List<Tensor> values, DType dtype) {
        return StepProgram.build(m, values.stream().map(Tensor::type).toList(), new Type(dtype, new Shape(1)));
    }

    /** A stable class name derived from the kernel's structure and slots ({@link StepKir#key()}). */
    public static String className(StepKir s) {
        try {
            byte[] h = MessageDigest.getInstance("SHA-256").digest(s.key().getBytes(StandardCharsets.UTF_8));
            return "Step" + (s.dtype() == DType.F32 ? "F32_" : "F64_") + HexFormat.of().formatHex(h, 0, 6);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The generated source of {@code s}. */
    public static JavaFile source(StepKir s, String description) {
        return VectorStepBackend.render(s, PACKAGE, className(s), description);
    }

    /** The loaded kernel for {@code s}, compiled on first use. */
    public static StepKernel load(StepKir s, String description) {
        return CACHE.computeIfAbsent(s.key(), key -> {
            String name = className(s);
            InProcessCompiler.Compiled c = InProcessCompiler.compile(PACKAGE + "." + name, source(s, description).toString());
            try {
                return (StepKernel) c.type().getDeclaredConstructor().newInstance();
            } catch (InstantiationException | IllegalAccessException | InvocationTargetException
                    | NoSuchMethodException e) {
                throw new IllegalStateException("cannot instantiate generated kernel " + name, e);
            }
        });
    }

    /** The loaded kernel of {@code m}'s step for the prepared {@code values}. */
    public static StepKernel load(StreamingMatrix m, List<Tensor> values, DType dtype) {
        return load(lowerKir(m, values, dtype), m.describe());
    }

    /** Number of distinct kernel classes loaded so far. */
    public static int cachedClasses() {
        return CACHE.size();
    }
}
