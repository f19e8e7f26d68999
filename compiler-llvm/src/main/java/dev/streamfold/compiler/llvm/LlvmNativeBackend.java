package dev.streamfold.compiler.llvm;

import dev.streamfold.compiler.kir.Kernel;
import dev.streamfold.runtime.batched.BatchedKernel;
import dev.streamfold.compiler.KernelEval;
import dev.streamfold.compiler.NativeBackend;
import dev.streamfold.compiler.cuda.CudaEval;
import dev.streamfold.compiler.cuda.GpuBatchedCases;
import dev.streamfold.compiler.cuda.GpuBundle;
import dev.streamfold.compiler.lower.StepKir;
import dev.streamfold.ir.DType;
import dev.streamfold.ir.Tensor;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** {@link NativeBackend} on bytedeco LLVM and the CUDA driver API; registered for {@link java.util.ServiceLoader}. */
public final class LlvmNativeBackend implements NativeBackend {
    @Override
    public KernelEval.KernelLoader hostKernels() {
        return LlvmKernels.LLVM;
    }

    @Override
    public String ptx(StepKir k, String description, String arch) {
        return PtxCompiler.ptx(k, description, arch);
    }

    @Override
    public BatchedKernel batchedHost(Kernel k) {
        return LlvmKirKernels.load(k);
    }

    @Override
    public String batchedPtx(Kernel k, String arch) {
        return PtxKirCompiler.ptx(k, arch);
    }

    @Override
    public List<PtxFile> compilePtx(StepKir k, String description, String arch, Path scratch) {
        try {
            PtxCompiler.Output o = PtxCompiler.compile(k, description, arch, scratch);
            List<PtxFile> files = new ArrayList<>();
            for (PtxCompiler.Compiled c : o.kernels()) {
                files.add(new PtxFile(c.ll().getFileName().toString(), Files.readString(c.ll())));
                files.add(new PtxFile(c.ptx().getFileName().toString(), Files.readString(c.ptx())));
            }
            files.add(new PtxFile(PtxCompiler.MANIFEST, Files.readString(o.manifest())));
            return files;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public Tensor cudaMultiply(StepKir k, String description, double[][] params, Tensor x, DType dtype) {
        return CudaEval.multiply(k, description, params, x, dtype);
    }

    @Override
    public String writeGpuBundle(Path out, boolean withJdk, PrintStream progress) {
        GpuBundle.Written w = GpuBundle.write(out, withJdk ? GpuBundle.JdkImage.JLINK : GpuBundle.JdkImage.NONE,
                GpuBundle.specs(), GpuBatchedCases.specs(), progress);
        return String.format(Locale.ROOT, """
                wrote %s: %d cases, %d batched cases
                  jdk/ %.1f MiB, lib/ %.1f MiB, kernels/ %.1f MiB; total %.1f MiB
                run it on a machine with an NVIDIA GPU: %s/run.sh
                """, w.root(), w.cases().size(), w.batchedCases().size(), mib(w.jdkBytes()), mib(w.libBytes()),
                mib(w.kernelBytes()), mib(w.totalBytes()), w.root());
    }

    private static double mib(long bytes) {
        return bytes / (1024.0 * 1024.0);
    }
}
