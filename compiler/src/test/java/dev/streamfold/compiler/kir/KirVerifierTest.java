package dev.streamfold.compiler.kir;

import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Kernels built from records directly, each breaking one rule the verifier checks. */
class KirVerifierTest {
    private static final KBuffer IN = new KBuffer("in", KBuffer.Role.IN, KType.F32, 4);
    private static final KBuffer OUT = new KBuffer("out", KBuffer.Role.OUT, KType.F32, 4);
    private static final KBuffer PARAM = new KBuffer("p", KBuffer.Role.PARAM, KType.F32, 4);
    private static final List<KBuffer> BUFFERS = List.of(IN, OUT, PARAM);

    private static KValue uni(int id, KType t) {
        return new KValue(id, t, false);
    }

    private static KValue lane(int id, KType t) {
        return new KValue(id, t, true);
    }

    private static Kernel kernel(List<KType> args, KInstr... body) {
        return new Kernel("k", BUFFERS, args, List.of(body), 20);
    }

    private static Kernel kernel(KInstr... body) {
        return kernel(List.of(), body);
    }

    private static void rejects(Kernel k, String why) {
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> KirVerifier.verify(k));
        assertTrue(e.getMessage().contains(why), e.getMessage());
    }

    private static final KValue I0 = uni(0, KType.I32);
    private static final KInstr ZERO = new KInstr.ConstI(I0, 0);

    @Test
    void acceptsAWellFormedKernel() {
        KValue x = lane(1, KType.F32);
        KValue y = lane(2, KType.F32);
        Kernel k = kernel(ZERO, new KInstr.Load(x, 0, I0), new KInstr.Binary(y, KInstr.BinaryKind.MUL, x, x), new KInstr.Store(1, I0, y));
        assertSame(k, KirVerifier.verify(k));
    }

    @Test
    void rejectsAUseBeforeItsDefinition() {
        KValue x = lane(1, KType.F32);
        rejects(kernel(ZERO, new KInstr.Store(1, I0, x), new KInstr.Load(x, 0, I0)), "%1 defined before it is used");
    }

    @Test
    void rejectsALoopValueUsedAfterItsLoop() {
        KValue index = uni(1, KType.I32);
        KValue inner = lane(2, KType.F32);
        KInstr.Loop loop = new KInstr.Loop(index, 0, 4, List.of(), List.of(), List.of(new KInstr.Load(inner, 0, index)), List.of(),
                List.of());
        rejects(kernel(loop, new KInstr.Store(1, index, inner)), "%1 defined before it is used");
        rejects(kernel(ZERO, loop, new KInstr.Store(1, I0, inner)), "%2 defined before it is used");
    }

    @Test
    void rejectsAnIdDefinedTwiceEvenInSiblingLoops() {
        KValue index = uni(1, KType.I32);
        KValue inner = lane(2, KType.F32);
        KInstr.Loop first = new KInstr.Loop(index, 0, 4, List.of(), List.of(), List.of(new KInstr.Load(inner, 0, index)), List.of(),
                List.of());
        KInstr.Loop second = new KInstr.Loop(uni(3, KType.I32), 0, 4, List.of(), List.of(), List.of(new KInstr.Load(inner, 0, I0)),
                List.of(), List.of());
        rejects(kernel(ZERO, first, second), "%2 defined once");
        rejects(kernel(ZERO, new KInstr.ConstI(I0, 1)), "%0 defined once");
    }

    @Test
    void rejectsOperandsOfMismatchedTypes() {
        KValue f = uni(1, KType.F32);
        rejects(kernel(ZERO, new KInstr.ConstF(f, 1), new KInstr.Binary(uni(2, KType.F32), KInstr.BinaryKind.ADD, f, I0)),
                "operands of one type");
        rejects(kernel(ZERO, new KInstr.ConstF(f, 1), new KInstr.Store(1, I0, new KValue(0, KType.F32, false))),
                "used with the type it was defined with");
        rejects(kernel(ZERO, new KInstr.Store(1, I0, I0)), "a value of the buffer's type");
        rejects(kernel(new KInstr.ConstF(uni(1, KType.F32), 1), new KInstr.Binary(uni(2, KType.F32), KInstr.BinaryKind.AND,
                uni(1, KType.F32), uni(1, KType.F32))), "an operand type the operation takes");
    }

    @Test
    void rejectsLaneValuesMarkedUniformAndTheReverse() {
        KValue x = lane(1, KType.F32);
        rejects(kernel(ZERO, new KInstr.Load(x, 0, I0), new KInstr.Unary(uni(2, KType.F32), KInstr.UnaryKind.NEG, x)),
                "a result of type F32, lane");
        rejects(kernel(ZERO, new KInstr.Load(uni(1, KType.F32), 0, I0)), "lane exactly when batched");
        rejects(kernel(ZERO, new KInstr.Load(lane(1, KType.F32), 2, I0)), "lane exactly when batched");
        rejects(kernel(new KInstr.ConstF(lane(1, KType.F32), 2)), "a uniform float constant");
    }

    @Test
    void rejectsALaneIndex() {
        KValue laneIndex = lane(1, KType.I32);
        KBuffer ints = new KBuffer("ints", KBuffer.Role.IN, KType.I32, 4);
        Kernel k = new Kernel("k", List.of(ints, IN), List.of(), List.of(ZERO, new KInstr.Load(laneIndex, 0, I0),
                new KInstr.Load(lane(2, KType.F32), 1, laneIndex)), 3);
        rejects(k, "a uniform integer index");
    }

    @Test
    void rejectsStoresToInputsAndParams() {
        KValue x = uni(1, KType.F32);
        rejects(kernel(ZERO, new KInstr.ConstF(x, 1), new KInstr.Store(0, I0, x)), "a writable batched buffer");
        rejects(kernel(ZERO, new KInstr.ConstF(x, 1), new KInstr.Store(2, I0, x)), "a writable batched buffer");
        rejects(kernel(ZERO, new KInstr.ConstF(x, 1), new KInstr.Store(7, I0, x)), "a writable batched buffer");
    }

    @Test
    void rejectsAnUndeclaredOrMistypedArgument() {
        rejects(kernel(List.of(KType.F32), new KInstr.Arg(uni(1, KType.F32), 1)), "a declared argument");
        rejects(kernel(List.of(KType.F32), new KInstr.Arg(uni(1, KType.I32), 0)), "a declared argument");
        rejects(kernel(List.of(), new KInstr.Arg(uni(1, KType.I32), -1)), "a declared argument");
    }

    @Test
    void rejectsLoopCarriesOfTheWrongTypeOrLaneness() {
        KValue init = uni(1, KType.F32);
        KValue param = uni(2, KType.F32);
        KValue loaded = lane(3, KType.F32);
        KInstr.Loop laneIntoUniform = new KInstr.Loop(uni(4, KType.I32), 0, 2, List.of(param), List.of(init),
                List.of(new KInstr.Load(loaded, 0, I0)), List.of(loaded), List.of(uni(5, KType.F32)));
        rejects(kernel(ZERO, new KInstr.ConstF(init, 0), laneIntoUniform), "yields typed as their carried values");
        KInstr.Loop wrongType = new KInstr.Loop(uni(4, KType.I32), 0, 2, List.of(uni(2, KType.F64)), List.of(init), List.of(),
                List.of(uni(2, KType.F64)), List.of(uni(5, KType.F64)));
        rejects(kernel(ZERO, new KInstr.ConstF(init, 0), wrongType), "carried values typed as their initial values");
    }

    @Test
    void rejectsIdsAtOrPastNextId() {
        rejects(new Kernel("k", BUFFERS, List.of(), List.of(new KInstr.ConstI(uni(20, KType.I32), 0)), 20), "below the kernel's next id");
    }
}
