package dev.streamfold.compiler.llvm;

import dev.streamfold.compiler.kir.KBuffer;
import dev.streamfold.compiler.kir.Kernel;
import java.util.ArrayList;
import java.util.List;

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
 * <p>{@code exp}, {@code log} and {@code pow} are rejected: the GPU has no libm to call. {@code rem} of floats is
 * LLVM's NVPTX lowering of {@code frem}, which is not exact for large quotients (the host's is).
 */
public final class PtxKirCompiler {
    private PtxKirCompiler() {}

    private static final class Toolchain {
        static final LlvmToolchain INSTANCE = new LlvmToolchain();
    }

    /**
     * The PTX text of {@code k} for {@code arch}.
     *
     * @param arch one of {@link LlvmToolchain#PTX_ARCHES}
     * @throws IllegalArgumentException if {@code arch} is not supported
     * @throws dev.streamfold.ir.StreamfoldException if the kernel uses exp, log or pow
     * @throws LlvmException if LLVM rejects the module
     */
    public static String ptx(Kernel k, String arch) {
        LlvmToolchain.requirePtxArch(arch);
        return Toolchain.INSTANCE.emitPtx(LlvmKirEmitter.ptx(k), arch);
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
