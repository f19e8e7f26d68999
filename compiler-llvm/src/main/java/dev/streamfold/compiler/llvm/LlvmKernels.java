package dev.streamfold.compiler.llvm;

import dev.streamfold.compiler.KernelEval;
import dev.streamfold.compiler.lower.StepKir;
import dev.streamfold.ir.DType;
import dev.streamfold.runtime.StepKernel;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Step kernels compiled for this CPU through LLVM. Kernels are cached by their kernel IR v2 text and slots
 * ({@link StepKir#key()}), so compositions of the same structure with other parameter values, array lengths or slice
 * sizes share one compiled module; modules stay loaded for the life of the process.
 */
public final class LlvmKernels {
    /** The LLVM host backend's loader, for {@link KernelEval}. */
    public static final KernelEval.KernelLoader LLVM = LlvmKernels::load;

    private static final ConcurrentHashMap<String, StepKernel> CACHE = new ConcurrentHashMap<>();

    private LlvmKernels() {}

    private static final class Toolchain {
        static final LlvmToolchain INSTANCE = new LlvmToolchain();
    }

    /**
     * A stable symbol prefix derived from the kernel's structure (its kernel IR v2 text), such as
     * {@code streamfold_f32_1a2b3c4d5e6f}.
     */
    public static String kernelName(StepKir k) {
        try {
            byte[] h = MessageDigest.getInstance("SHA-256").digest(k.toString().getBytes(StandardCharsets.UTF_8));
            return "streamfold_" + (k.dtype() == DType.F32 ? "f32_" : "f64_") + HexFormat.of().formatHex(h, 0, 6);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * The loaded kernel for {@code k}, compiled on first use.
     *
     * @throws LlvmException if LLVM rejects the module
     */
    public static StepKernel load(StepKir k, String description) {
        return CACHE.computeIfAbsent(k.key(),
                key -> LlvmHostKernel.compile(Toolchain.INSTANCE, k, kernelName(k), description));
    }

    /** Number of distinct kernels compiled so far. */
    public static int cachedKernels() {
        return CACHE.size();
    }
}
