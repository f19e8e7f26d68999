package dev.streamfold.compiler.batched;

import dev.streamfold.compiler.kir.KBuffer;
import dev.streamfold.compiler.kir.Kernel;
import dev.streamfold.compiler.kir.passes.KirPipeline;
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
     * The unroll budget of batched kernels: loops whose unrolled size is at most this many instructions become
     * straight-line code whose arrays live in registers. System property {@code streamfold.unroll} overrides it.
     */
    public static int unrollBudget() {
        return Integer.getInteger("streamfold.unroll", UNROLL_BUDGET);
    }

    /** The default {@link #unrollBudget()}. */
    public static final int UNROLL_BUDGET = 65536;

    /** {@code spec}'s program, compiled. */
    public static Compiled compile(LinalgKernel spec) {
        LinalgKernel.Named p = spec.program();
        return compile(spec.name(), p.program(), p.inputs(), p.outputs(), unrollBudget());
    }

    /**
     * Compiles {@code p}, whose parameters and results have axis 0 as the batch axis, naming its buffers
     * {@code inputs} and {@code outputs} (plus {@code status}); loops are unrolled up to {@code unrollBudget}
     * instructions.
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
        return new Compiled(KirPipeline.optimize(named, unrollBudget), inputs, outputs, lowered.itemInputTypes(),
                lowered.itemOutputTypes());
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
