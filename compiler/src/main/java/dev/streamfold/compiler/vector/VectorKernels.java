package dev.streamfold.compiler.vector;

import com.palantir.javapoet.JavaFile;
import dev.streamfold.compiler.kernel.KernelSize;
import dev.streamfold.compiler.kernel.KernelSlots;
import dev.streamfold.compiler.kernel.StepKernelIr;
import dev.streamfold.compiler.passes.KernelPipeline;
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
 * Streaming matrices to loaded Vector API kernels. Classes are cached by the kernel's structure
 * (its kernel IR text), so compositions of the same shape with other parameter values, array
 * lengths or slice sizes reuse one class.
 */
public final class VectorKernels {
    /** The package generated kernels are emitted in. */
    public static final String PACKAGE = "dev.streamfold.generated.kernels";

    private static final ConcurrentHashMap<String, StepKernel> CACHE = new ConcurrentHashMap<>();

    private VectorKernels() {}

    /**
     * The kernel IR of {@code m}'s step for parameter values of the given types.
     *
     * @throws dev.streamfold.ir.StreamfoldException if the kernel is larger than {@link KernelSize#MAX}
     */
    public static StepKernelIr lower(StreamingMatrix m, List<Tensor> values, DType dtype) {
        StepProgram step = StepProgram.build(m, values.stream().map(Tensor::type).toList(), new Type(dtype, new Shape(1)));
        StepKernelIr k = KernelSize.check(KernelPipeline.compile(step));
        return k.withSlots(KernelSlots.of(m, values, k));
    }

    /** A stable class name derived from the kernel's structure and slots ({@link StepKernelIr#key()}). */
    public static String className(StepKernelIr k) {
        try {
            byte[] h = MessageDigest.getInstance("SHA-256").digest(k.key().getBytes(StandardCharsets.UTF_8));
            return "Step" + (k.dtype() == DType.F32 ? "F32_" : "F64_") + HexFormat.of().formatHex(h, 0, 6);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The generated source of {@code k}. */
    public static JavaFile source(StepKernelIr k, String description) {
        return VectorBackend.render(k, PACKAGE, className(k), description);
    }

    /** The loaded kernel for {@code k}, compiled on first use. */
    public static StepKernel load(StepKernelIr k, String description) {
        return CACHE.computeIfAbsent(k.key(), key -> {
            String name = className(k);
            InProcessCompiler.Compiled c = InProcessCompiler.compile(PACKAGE + "." + name, source(k, description).toString());
            try {
                return (StepKernel) c.type().getDeclaredConstructor().newInstance();
            } catch (InstantiationException | IllegalAccessException | InvocationTargetException
                    | NoSuchMethodException e) {
                throw new IllegalStateException("cannot instantiate generated kernel " + name, e);
            }
        });
    }

    /** Number of distinct kernel classes loaded so far. */
    public static int cachedClasses() {
        return CACHE.size();
    }
}
