package dev.streamfold.compiler.vector;

import com.palantir.javapoet.JavaFile;
import dev.streamfold.compiler.kir.Kernel;
import dev.streamfold.compiler.kir.KirPrinter;
import dev.streamfold.runtime.batched.BatchedKernel;
import java.lang.reflect.InvocationTargetException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Kernels of kernel IR v2 to loaded Vector API classes ({@link VectorKirBackend}), compiled in process.
 * Classes are cached by the kernel's printed text, so equal kernels share one class; the class name is
 * derived from a hash of that text.
 */
public final class VectorKirKernels {
    /** The package batched kernels are emitted in. */
    public static final String PACKAGE = "dev.streamfold.generated.batched";

    private static final ConcurrentHashMap<String, BatchedKernel> CACHE = new ConcurrentHashMap<>();

    private VectorKirKernels() {}

    /** A stable class name derived from the kernel's printed text. */
    public static String className(Kernel k) {
        try {
            byte[] h = MessageDigest.getInstance("SHA-256").digest(KirPrinter.print(k).getBytes(StandardCharsets.UTF_8));
            return "Batched_" + HexFormat.of().formatHex(h, 0, 8);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The generated source of {@code k}. */
    public static JavaFile source(Kernel k) {
        return VectorKirBackend.render(k, PACKAGE, className(k));
    }

    /** The loaded kernel for {@code k}, compiled on first use. */
    public static BatchedKernel load(Kernel k) {
        return CACHE.computeIfAbsent(KirPrinter.print(k), text -> {
            String name = className(k);
            InProcessCompiler.Compiled c = InProcessCompiler.compile(PACKAGE + "." + name, source(k).toString());
            try {
                return (BatchedKernel) c.type().getDeclaredConstructor().newInstance();
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
