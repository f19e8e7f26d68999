package dev.streamfold.compiler.cuda;

import dev.streamfold.compiler.lower.StepKir;
import dev.streamfold.compiler.llvm.LlvmKernels;
import dev.streamfold.compiler.llvm.PtxCompiler;
import dev.streamfold.ir.DType;
import dev.streamfold.ir.StreamfoldException;
import dev.streamfold.ir.Tensor;
import dev.streamfold.runtime.cuda.CudaContext;
import dev.streamfold.runtime.cuda.CudaException;
import dev.streamfold.runtime.cuda.CudaFunction;
import dev.streamfold.runtime.cuda.CudaModule;
import dev.streamfold.runtime.cuda.CudaUnavailableException;
import dev.streamfold.runtime.cuda.DeviceBuffer;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;

/**
 * Runs a step kernel's whole-scan PTX entry on the GPU (device 0): each thread keeps its elements'
 * single-row state in registers across all steps. Arguments follow the PTX manifest's launch order; a state buffer
 * of several rows is allocated whole, its rows d elements apart, as the entry addresses them.
 */
public final class CudaEval {
    private CudaEval() {}

    /** The PTX target for a device: sm_90 for compute capability 9.0 and up, else sm_80. */
    static String arch(CudaContext ctx) {
        return ctx.computeCapability().major() >= 9 ? "sm_90" : "sm_80";
    }

    /** y = A x for x of shape {@code [n, slice...]}, state starting at zero. */
    public static Tensor multiply(StepKir k, String description, double[][] params, Tensor x, DType dtype) {
        int n = x.shape().dim(0);
        long d = n == 0 ? 0 : x.size() / n;
        try (CudaContext ctx = CudaContext.open()) {
            String name = LlvmKernels.kernelName(k);
            String ptx = PtxCompiler.ptx(k, description, arch(ctx));
            try (CudaModule module = CudaModule.load(ctx, ptx)) {
                CudaFunction scan = module.function(name + "_scan");
                List<DeviceBuffer> owned = new ArrayList<>();
                try {
                    List<Object> args = new ArrayList<>();
                    args.add(0L);
                    args.add(n);
                    for (double[] p : params) {
                        DeviceBuffer b = track(owned, DeviceBuffer.alloc(ctx, Math.max(8, p.length * 8L)));
                        if (p.length > 0) {
                            b.copyFrom(MemorySegment.ofArray(p));
                        }
                        args.add(b);
                        args.add((long) p.length);
                    }
                    long bytes = Math.max(1, x.size() * (long) (dtype == DType.F32 ? 4 : 8));
                    DeviceBuffer xb = track(owned, DeviceBuffer.alloc(ctx, bytes));
                    DeviceBuffer yb = track(owned, DeviceBuffer.alloc(ctx, bytes));
                    if (dtype == DType.F32) {
                        float[] xf = new float[x.size()];
                        for (int i = 0; i < xf.length; i++) {
                            xf[i] = (float) x.raw()[i];
                        }
                        xb.copyFrom(xf);
                    } else {
                        xb.copyFrom(x.raw());
                    }
                    args.add(xb);
                    args.add(yb);
                    args.add(d);
                    for (int s = 0; s < k.stateCount(); s++) {
                        long rows = k.kernel().buffers().get(k.state(s)).elements();
                        DeviceBuffer st = track(owned,
                                DeviceBuffer.alloc(ctx, Math.max(1, rows * d * (dtype == DType.F32 ? 4 : 8))));
                        st.fill((byte) 0);
                        args.add(st);
                    }
                    args.add(d);
                    int grid = (int) Math.max(1, Math.min((d + PtxCompiler.BLOCK - 1) / PtxCompiler.BLOCK,
                            (long) PtxCompiler.BLOCKS_PER_SM * ctx.smCount()));
                    scan.launch(grid, PtxCompiler.BLOCK, 0, null, args.toArray());
                    ctx.synchronize();
                    double[] out = new double[x.size()];
                    if (dtype == DType.F32) {
                        float[] yf = new float[x.size()];
                        yb.copyTo(yf);
                        for (int i = 0; i < yf.length; i++) {
                            out[i] = yf[i];
                        }
                    } else {
                        yb.copyTo(out);
                    }
                    return new Tensor(dtype, x.shape(), out);
                } finally {
                    for (DeviceBuffer b : owned) {
                        b.close();
                    }
                }
            }
        } catch (CudaUnavailableException e) {
            throw new StreamfoldException("--backend cuda: " + e.getMessage());
        } catch (CudaException e) {
            throw new StreamfoldException("--backend cuda: " + e.getMessage());
        }
    }

    private static DeviceBuffer track(List<DeviceBuffer> owned, DeviceBuffer b) {
        owned.add(b);
        return b;
    }
}
