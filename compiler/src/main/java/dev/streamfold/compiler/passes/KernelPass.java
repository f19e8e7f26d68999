package dev.streamfold.compiler.passes;

import dev.streamfold.compiler.kernel.StepKernelIr;

/** A rewrite of the kernel IR that preserves what the kernel computes (up to fused rounding). */
public interface KernelPass {
    String name();

    StepKernelIr run(StepKernelIr k);
}
