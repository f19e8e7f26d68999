package dev.streamfold.compiler;

import dev.streamfold.compiler.kir.Kernel;
import dev.streamfold.runtime.batched.BatchedKernel;
import dev.streamfold.compiler.lower.StepKir;
import dev.streamfold.ir.DType;
import dev.streamfold.ir.StreamfoldException;
import dev.streamfold.ir.Tensor;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import java.util.ServiceLoader;

/**
 * The LLVM backends (host JIT, PTX, CUDA, the GPU bundle), which live in the optional module {@code
 * streamfold-compiler-llvm} with the LLVM natives. The compiler and the CLI find them with {@link ServiceLoader}; a
 * build that only needs the Vector API backend does without them.
 */
public interface NativeBackend {
    /** Kernels JIT-compiled for this CPU through LLVM's ORC. */
    KernelEval.KernelLoader hostKernels();

    /** The PTX text of {@code k} for {@code arch} (sm_80 or sm_90). */
    String ptx(StepKir k, String description, String arch);

    /** A batched kernel of kernel IR v2, JIT-compiled for this CPU. */
    BatchedKernel batchedHost(Kernel k);

    /** The PTX text of batched kernel {@code k} for {@code arch} (sm_80 or sm_90): one thread per item. */
    String batchedPtx(Kernel k, String arch);

    /** A file of a PTX compilation: its name and its text. */
    record PtxFile(String name, String text) {}

    /** The {@code .ll}, {@code .ptx} and manifest files of {@code k} for {@code arch}, compiled in {@code scratch}. */
    List<PtxFile> compilePtx(StepKir k, String description, String arch, Path scratch);

    /** {@code k}'s whole-scan PTX kernel applied to {@code x} (rows are steps) on GPU 0. */
    Tensor cudaMultiply(StepKir k, String description, double[][] params, Tensor x, DType dtype);

    /** Writes the GPU bundle to {@code out}, with a jlink'ed JDK when {@code withJdk}; returns the summary lines. */
    String writeGpuBundle(Path out, boolean withJdk, PrintStream progress);

    /**
     * The backend on the class path.
     *
     * @param what what needs it, for the message (e.g. {@code "--backend llvm"})
     * @throws StreamfoldException naming the missing artifact
     */
    static NativeBackend require(String what) {
        return ServiceLoader.load(NativeBackend.class).findFirst().orElseThrow(() -> new StreamfoldException(what
                + " needs the LLVM backend, which is not on the class path: add dev.streamfold:streamfold-compiler-llvm"));
    }
}
