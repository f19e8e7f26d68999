package dev.streamfold.compiler.passes;

import dev.streamfold.compiler.kernel.KStmt;
import dev.streamfold.compiler.kernel.StepKernelIr;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/** Removes statements whose values no store needs. */
public final class EliminateDeadStatements implements KernelPass {
    @Override
    public String name() {
        return "eliminate-dead-statements";
    }

    @Override
    public StepKernelIr run(StepKernelIr k) {
        Set<Integer> live = new HashSet<>();
        List<KStmt> body = keep(k.body(), live);
        List<KStmt> prologue = keep(k.prologue(), live);
        return k.withStatements(prologue, body);
    }

    private static List<KStmt> keep(List<KStmt> stmts, Set<Integer> live) {
        List<KStmt> kept = new ArrayList<>();
        for (int i = stmts.size() - 1; i >= 0; i--) {
            KStmt s = stmts.get(i);
            if (s.isStore() || live.contains(s.id())) {
                kept.add(0, s);
                for (int a : s.operands()) {
                    live.add(a);
                }
            }
        }
        return kept;
    }
}
