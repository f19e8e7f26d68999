package dev.streamfold.compiler.passes;

import dev.streamfold.compiler.kernel.KernelPrinter;
import dev.streamfold.compiler.kernel.KernelVerifier;
import dev.streamfold.compiler.kernel.StepKernelIr;
import dev.streamfold.ir.Printer;
import dev.streamfold.ir.Verifier;
import dev.streamfold.ir.stream.StepProgram;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The lowering pipeline of a streaming step, read top to bottom: verify the step program, lower it
 * to the kernel IR, then each kernel pass in order, verifying after every step. When the system
 * property {@code streamfold.dump} names a directory, the IR after each step is written there.
 */
public final class KernelPipeline {
    private static final List<KernelPass> PASSES = List.of(new ContractMulAdd(), new EliminateDeadStatements());

    private KernelPipeline() {}

    public static List<KernelPass> passes() {
        return PASSES;
    }

    public static StepKernelIr compile(StepProgram step) {
        String dump = System.getProperty("streamfold.dump");
        Verifier.verify(step.program());
        dump(dump, "00-step-program.txt", Printer.print(step.program()));
        StepKernelIr k = KernelVerifier.verify(LowerStepToKernel.run(step));
        dump(dump, "01-lower-step-to-kernel.txt", KernelPrinter.print(k));
        int i = 2;
        for (KernelPass p : PASSES) {
            k = KernelVerifier.verify(p.run(k));
            dump(dump, String.format("%02d-%s.txt", i++, p.name()), KernelPrinter.print(k));
        }
        return k;
    }

    private static void dump(String dir, String file, String text) {
        if (dir == null) {
            return;
        }
        try {
            Path d = Path.of(dir);
            Files.createDirectories(d);
            Files.writeString(d.resolve(file), text);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write IR dump to " + dir, e);
        }
    }
}
