package dev.streamfold.compiler.kernel;

import dev.streamfold.ir.DType;
import java.util.List;

/**
 * A fused streaming step in the kernel IR: per-step scalars ({@code prologue}), then one loop body
 * over the slice that reads x and each state buffer once and writes y and each state buffer once.
 * Both the Vector API and the LLVM backends render this.
 */
public record StepKernelIr(DType dtype, int paramCount, int stateCount, List<KStmt> prologue, List<KStmt> body) {
    public StepKernelIr {
        prologue = List.copyOf(prologue);
        body = List.copyOf(body);
    }

    public StepKernelIr withStatements(List<KStmt> prologue, List<KStmt> body) {
        return new StepKernelIr(dtype, paramCount, stateCount, prologue, body);
    }

    /** A stable text form; equal texts mean interchangeable kernels (the compile cache's key). */
    @Override
    public String toString() {
        return KernelPrinter.print(this);
    }
}
