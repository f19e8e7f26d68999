package dev.streamfold.compiler.batched;

import dev.streamfold.compiler.kir.KBuffer;
import dev.streamfold.compiler.kir.Kernel;
import dev.streamfold.compiler.kir.KirWalk;
import dev.streamfold.compiler.kir.passes.KirPipeline;
import dev.streamfold.compiler.kir.passes.UnrollLoops;
import dev.streamfold.compiler.lower.LowerProgram;
import dev.streamfold.compiler.lower.LoweredProgram;
import dev.streamfold.ir.Program;
import dev.streamfold.ir.Type;
import dev.streamfold.ir.Verifier;
import java.util.ArrayList;
import java.util.List;

/**
 * The one entry from an IR program over a batch axis to an optimized kernel of kernel IR v2, which every
 * backend renders: verify, lower ({@link LowerProgram}, which expands decompositions through {@code
 * ExpandLinalg}), name the buffers, then the kernel passes ({@link KirPipeline}).
 */
public final class BatchedCompiler {
    private BatchedCompiler() {}

    /** An optimized kernel, with the names and item types (no batch axis) of its inputs and outputs, in order. */
    public record Compiled(Kernel kernel, List<String> inputs, List<String> outputs, List<Type> inputTypes,
            List<Type> outputTypes) {
        public Compiled {
            inputs = List.copyOf(inputs);
            outputs = List.copyOf(outputs);
            inputTypes = List.copyOf(inputTypes);
            outputTypes = List.copyOf(outputTypes);
        }
    }

    /**
     * The per-loop unroll budget tried first: loops whose unrolled size is at most this many instructions become
     * straight-line code whose arrays live in registers.
     */
    public static final int UNROLL_BUDGET = 65536;

    /**
     * The per-loop unroll budget of a kernel that would grow past {@link #MAX_UNROLLED_INSTRUCTIONS} when unrolled
     * at {@link #UNROLL_BUDGET}: only short inner loops are unrolled, the others stay loops.
     */
    public static final int LOOP_BUDGET = 64;

    /**
     * The most instructions an optimized kernel unrolled at {@link #UNROLL_BUDGET} may have; a larger one is
     * compiled again at {@link #LOOP_BUDGET}. The Vector API backend spreads a kernel over methods of a few dozen
     * instructions, each of which runs about a hundred times slower until the JIT's optimizing tier has compiled
     * it: measured on lu, qr and eigh at n = 8 and 16 in float32, kernels up to about 8,000 instructions reach
     * their best rate when fully unrolled, after seconds of warm-up, while larger ones (lu at n = 16 with its
     * JVP: 41,000) run several times slower than with their loops kept, for minutes or for good.
     */
    public static final int MAX_UNROLLED_INSTRUCTIONS = 8192;

    /**
     * The fixed per-loop unroll budget the system property {@code streamfold.unroll} sets, or -1 when it is not
     * set and {@link #compile} chooses between {@link #UNROLL_BUDGET} and {@link #LOOP_BUDGET}.
     */
    public static int unrollBudget() {
        return Integer.getInteger("streamfold.unroll", -1);
    }

    /** {@code spec}'s program, compiled. */
    public static Compiled compile(LinalgKernel spec) {
        LinalgKernel.Named p = spec.program();
        return compile(spec.name(), p.program(), p.inputs(), p.outputs(), unrollBudget());
    }

    /**
     * Compiles {@code p}, whose parameters and results have axis 0 as the batch axis, naming its buffers
     * {@code inputs} and {@code outputs} (plus {@code status}); loops are unrolled up to {@code unrollBudget}
     * instructions, or, when it is negative, up to {@link #UNROLL_BUDGET} if the kernel then stays within
     * {@link #MAX_UNROLLED_INSTRUCTIONS}, else up to {@link #LOOP_BUDGET}.
     */
    public static Compiled compile(String name, Program p, List<String> inputs, List<String> outputs, int unrollBudget) {
        if (inputs.size() != p.params().size() || outputs.size() != p.results().size()) {
            throw new IllegalArgumentException(name + ": " + inputs.size() + " input and " + outputs.size() + " output names for "
                    + p.params().size() + " parameters and " + p.results().size() + " results");
        }
        Verifier.verify(p);
        LoweredProgram lowered = LowerProgram.lower(name, p);
        List<KBuffer> buffers = new ArrayList<>(lowered.kernel().buffers());
        for (int i = 0; i < inputs.size(); i++) {
            rename(buffers, lowered.inputBuffers().get(i), inputs.get(i));
        }
        for (int i = 0; i < outputs.size(); i++) {
            rename(buffers, lowered.outputBuffers().get(i), outputs.get(i));
        }
        Kernel k = lowered.kernel();
        Kernel named = new Kernel(k.name(), buffers, k.args(), k.body(), k.nextId());
        return new Compiled(optimize(named, unrollBudget), inputs, outputs, lowered.itemInputTypes(),
                lowered.itemOutputTypes());
    }

    /** {@code k} through the pipeline at the given unroll budget, or at the chosen one when it is negative. */
    private static Kernel optimize(Kernel k, int unrollBudget) {
        if (unrollBudget >= 0) {
            return KirPipeline.optimize(k, unrollBudget);
        }
        // The clean-up passes shrink an unrolled decomposition 5 to 11 times, so a kernel that unrolls to more than
        // 16 times the limit is not optimized at the full budget at all.
        if (new UnrollLoops(UNROLL_BUDGET).unrolledSize(k) <= 16L * MAX_UNROLLED_INSTRUCTIONS) {
            Kernel unrolled = KirPipeline.optimize(k, UNROLL_BUDGET);
            if (KirWalk.size(unrolled.body()) <= MAX_UNROLLED_INSTRUCTIONS) {
                return unrolled;
            }
        }
        return KirPipeline.optimize(k, LOOP_BUDGET);
    }

    private static void rename(List<KBuffer> buffers, int index, String name) {
        KBuffer b = buffers.get(index);
        for (KBuffer other : buffers) {
            if (other != b && other.name().equals(name)) {
                throw new IllegalArgumentException("two buffers named " + name);
            }
        }
        buffers.set(index, new KBuffer(name, b.role(), b.type(), b.elements()));
    }
}
