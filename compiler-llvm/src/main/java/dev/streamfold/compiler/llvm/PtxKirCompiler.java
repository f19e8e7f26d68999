package dev.streamfold.compiler.llvm;

import dev.streamfold.compiler.kir.KBuffer;
import dev.streamfold.compiler.kir.Kernel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Kernels of kernel IR v2 compiled for NVIDIA GPUs ({@link LlvmKirEmitter#ptx}): one thread per batch item, every
 * passed buffer in global memory, scratch buffers in the thread's local memory. The entry point is
 *
 * <pre>
 * .entry NAME(ptr addrspace(1) BUF..., i64 batch, i64 from, i64 to, i64 ARG..., i64 LEN...)
 * </pre>
 *
 * with NAME the kernel's name made an identifier ({@link LlvmKirEmitter#symbol}), BUF one pointer per non-scratch
 * buffer in table order, ARG one i64 word per scalar argument (integers by value, floating arguments as the bits of
 * a double, as {@link LlvmKirKernels} takes them), LEN the element count of each param buffer of free length
 * ({@code elements == -1}) in table order. Thread {@code t = blockIdx.x * blockDim.x + threadIdx.x} computes item
 * {@code b = from + t} if {@code b < to}, so a launch needs {@code ceil((to - from) / blockDim.x)} blocks; element
 * {@code e} of a batched buffer is at {@code e * batch + b}, so a warp's loads and stores are coalesced.
 *
 * <p>{@code exp}, {@code log}, {@code pow} and {@code rem} of floats call NVIDIA's libdevice ({@code __nv_exp},
 * {@code __nv_log}, {@code __nv_pow}, and the exact {@code __nv_fmod(f)}, as LLVM's NVPTX {@code frem} is not exact),
 * linked into the module when the kernel uses them: the file the system property {@value #LIBDEVICE_PROPERTY} names,
 * else {@code nvvm/libdevice/libdevice.10.bc} under {@code $CUDA_HOME}, {@code $CUDA_PATH} or {@code /usr/local/cuda}.
 * libdevice's exp and log are within one ulp of the exact result, its pow within two (the evaluator's Java
 * {@code Math} within one).
 */
public final class PtxKirCompiler {
    /** The system property that names libdevice's bitcode file. */
    public static final String LIBDEVICE_PROPERTY = "streamfold.libdevice";

    private PtxKirCompiler() {}

    private static final class Toolchain {
        static final LlvmToolchain INSTANCE = new LlvmToolchain();
    }

    /**
     * The PTX text of {@code k} for {@code arch}.
     *
     * @param arch one of {@link LlvmToolchain#PTX_ARCHES}
     * @throws IllegalArgumentException if {@code arch} is not supported
     * @throws LlvmException if LLVM rejects the module, or the kernel needs libdevice (exp, log, pow, floating rem)
     *     and none is found
     */
    public static String ptx(Kernel k, String arch) {
        LlvmToolchain.requirePtxArch(arch);
        String ll = LlvmKirEmitter.ptx(k);
        if (!needsLibdevice(ll)) {
            return Toolchain.INSTANCE.emitPtx(ll, arch);
        }
        Path libdevice = libdevice().orElseThrow(() -> new LlvmException("kernel " + k.name() + " uses exp, log, pow"
                + " or a floating rem, which the GPU computes with libdevice, and no libdevice.10.bc was found; set -D"
                + LIBDEVICE_PROPERTY + " or CUDA_HOME"));
        return Toolchain.INSTANCE.emitPtx(ll, arch, libdevice);
    }

    /** As {@link #ptx(Kernel, String)}, linking the given libdevice when the kernel needs it. */
    public static String ptx(Kernel k, String arch, Path libdevice) {
        LlvmToolchain.requirePtxArch(arch);
        String ll = LlvmKirEmitter.ptx(k);
        return needsLibdevice(ll) ? Toolchain.INSTANCE.emitPtx(ll, arch, libdevice) : Toolchain.INSTANCE.emitPtx(ll, arch);
    }

    /** The libdevice bitcode this machine has, found as the class comment says. */
    public static Optional<Path> libdevice() {
        String named = System.getProperty(LIBDEVICE_PROPERTY);
        if (named != null && !named.isEmpty()) {
            return Optional.of(Path.of(named)).filter(Files::isRegularFile);
        }
        List<String> roots = new ArrayList<>();
        for (String variable : List.of("CUDA_HOME", "CUDA_PATH")) {
            String root = System.getenv(variable);
            if (root != null && !root.isEmpty()) {
                roots.add(root);
            }
        }
        roots.add("/usr/local/cuda");
        for (String root : roots) {
            Path candidate = Path.of(root, "nvvm", "libdevice", "libdevice.10.bc");
            if (Files.isRegularFile(candidate)) {
                return Optional.of(candidate);
            }
        }
        return Optional.empty();
    }

    private static boolean needsLibdevice(String ll) {
        return ll.contains("@" + LlvmKirEmitter.LIBDEVICE_PREFIX);
    }

    /** The entry point's symbol. */
    public static String entry(Kernel k) {
        return LlvmKirEmitter.symbol(k);
    }

    /** The entry point's parameter names in order: {@code buf.NAME}, batch, from, to, {@code argI}, {@code len.NAME}. */
    public static List<String> parameters(Kernel k) {
        List<String> names = new ArrayList<>();
        for (KBuffer b : k.buffers()) {
            if (b.role() != KBuffer.Role.SCRATCH) {
                names.add("buf." + b.name());
            }
        }
        names.addAll(List.of("batch", "from", "to"));
        for (int a = 0; a < k.args().size(); a++) {
            names.add("arg" + a);
        }
        for (KBuffer b : k.buffers()) {
            if (b.role() == KBuffer.Role.PARAM && b.elements() < 0) {
                names.add("len." + b.name());
            }
        }
        return names;
    }
}
