/**
 * Optimization passes of kernel IR v2, each a {@link dev.streamfold.compiler.kir.passes.KirPass} in its own
 * file, run in order by {@link dev.streamfold.compiler.kir.passes.KirPipeline#optimize}. Every pass keeps the
 * {@link dev.streamfold.compiler.kir.KirEvaluator}'s results bit for bit and runs in time linear in the
 * kernel's size (hash tables aside), so that fully unrolled kernels of tens of thousands of instructions stay
 * cheap. Passes assume what the verifier checks, ids unique in the whole kernel included; only
 * {@link dev.streamfold.compiler.kir.passes.UnrollLoops} allocates ids, the others keep them.
 */
package dev.streamfold.compiler.kir.passes;
