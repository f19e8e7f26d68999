package dev.streamfold.compiler.passes;

import dev.streamfold.compiler.kernel.KOp;
import dev.streamfold.compiler.kernel.KStmt;
import dev.streamfold.compiler.kernel.StepKernelIr;
import dev.streamfold.ir.Binary;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Fuses a lane {@code a * b} used only by an {@code add} into {@code fma(a, b, c)}: one rounding
 * instead of two, and one instruction. Every backend renders fma exactly, so backends stay
 * bit-identical to each other.
 */
public final class ContractMulAdd implements KernelPass {
    @Override
    public String name() {
        return "contract-mul-add";
    }

    @Override
    public StepKernelIr run(StepKernelIr k) {
        Map<Integer, Integer> uses = new HashMap<>();
        Map<Integer, KStmt> byId = new HashMap<>();
        for (KStmt s : k.body()) {
            byId.put(s.id(), s);
            for (int a : s.operands()) {
                uses.merge(a, 1, Integer::sum);
            }
        }
        List<KStmt> body = new ArrayList<>();
        for (KStmt s : k.body()) {
            KStmt out = s;
            if (s.op() instanceof KOp.LaneBinary add && add.kind() == Binary.Kind.ADD) {
                KOp.LaneBinary mul = singleUseMul(add.a(), byId, uses);
                int other = add.b();
                if (mul == null) {
                    mul = singleUseMul(add.b(), byId, uses);
                    other = add.a();
                }
                if (mul != null) {
                    out = new KStmt(s.id(), new KOp.Fma(mul.a(), mul.b(), other));
                }
            }
            body.add(out);
        }
        return k.withStatements(k.prologue(), body);
    }

    private static KOp.LaneBinary singleUseMul(int id, Map<Integer, KStmt> byId, Map<Integer, Integer> uses) {
        KStmt s = byId.get(id);
        if (s != null && s.op() instanceof KOp.LaneBinary b && b.kind() == Binary.Kind.MUL && uses.get(id) == 1) {
            return b;
        }
        return null;
    }
}
