package dev.streamfold.compiler.lower;

import dev.streamfold.compiler.kir.KInstr;
import dev.streamfold.compiler.kir.Kernel;
import dev.streamfold.compiler.kir.KirPrinter;
import dev.streamfold.compiler.kir.KirVerifier;
import dev.streamfold.compiler.kir.passes.ContractMulAddKir;
import dev.streamfold.compiler.kir.passes.DropDeadValuesKir;
import dev.streamfold.ir.Printer;
import dev.streamfold.ir.Verifier;
import dev.streamfold.ir.stream.StepProgram;
import dev.streamfold.runtime.ParamSlot;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The kernel-IR-v2 pipeline of a streaming step, read top to bottom: verify the step program, lower it
 * ({@link LowerStepToKir}), contract products into fma ({@link ContractMulAddKir}), drop dead values
 * ({@link DropDeadValuesKir}), verifying after every step. Slots read at the step only by dropped values are
 * then no longer per-step. When the system property {@code
 * streamfold.dump} names a directory, the IR after each step is written there.
 */
public final class StepKirPipeline {
    private StepKirPipeline() {}

    public static StepKir compile(StepProgram step) {
        String dump = System.getProperty("streamfold.dump");
        Verifier.verify(step.program());
        dump(dump, "kir-00-step-program.txt", Printer.print(step.program()));
        StepKir s = LowerStepToKir.run(step);
        Kernel k = KirVerifier.verify(s.kernel());
        dump(dump, "kir-01-lower-step-to-kir.txt", KirPrinter.print(k));
        k = KirVerifier.verify(ContractMulAddKir.run(k));
        dump(dump, "kir-02-contract-mul-add.txt", KirPrinter.print(k));
        k = KirVerifier.verify(DropDeadValuesKir.run(k));
        dump(dump, "kir-03-drop-dead-values.txt", KirPrinter.print(k));
        s = s.withKernel(k);
        return s.withSlots(slotsAfterDrop(s));
    }

    /** The lowering's slots, with per-step marked only where a kept load clips its index by the step. */
    private static List<ParamSlot> slotsAfterDrop(StepKir s) {
        Map<Integer, KInstr> defs = new HashMap<>();
        Set<Integer> stepRead = new HashSet<>();
        for (KInstr i : s.kernel().body()) {
            if (i.dst() != null) {
                defs.put(i.dst().id(), i);
            }
            if (i instanceof KInstr.Binary min && min.kind() == KInstr.BinaryKind.MIN
                    && defs.get(min.a().id()) instanceof KInstr.Arg a && a.index() == StepKir.T
                    && defs.get(min.b().id()) instanceof KInstr.Binary last
                    && defs.get(last.a().id()) instanceof KInstr.Length len) {
                stepRead.add(len.buffer());
            }
        }
        List<ParamSlot> out = new ArrayList<>();
        for (int p = 0; p < s.paramCount(); p++) {
            ParamSlot old = s.slots().get(p);
            boolean perStep = stepRead.contains(s.param(p));
            out.add(perStep || old.length() != ParamSlot.PER_STEP ? old : new ParamSlot(old.name(), 0, old.rule()));
        }
        return out;
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
