package dev.streamfold.tests;

import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.streamfold.ir.DType;
import dev.streamfold.ir.Interpreter;
import dev.streamfold.ir.Tensor;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * {@link LinalgIdentities} accepts the interpreter's float32 factors of every case and rejects them when any one
 * output (floating or integer) has one wrong entry, so the float32 kernel tests could fail.
 */
class LinalgIdentitiesTest {
    @Test
    void acceptsTheInterpretersFactorsAndRejectsEachWrongOutput() {
        for (LinalgBatchCases.Case c : LinalgBatchCases.all()) {
            LinalgBatchCases.Variant v = new LinalgBatchCases.Variant(c, DType.F32, false);
            List<Tensor> args = v.inputs(3, 29);
            List<Tensor> outs = Interpreter.run(v.program(3), args);
            LinalgIdentities.check(c.uses(false), args, outs, outs, v.name());
            List<String> names = v.outputNames();
            for (int i = 0; i < outs.size(); i++) {
                List<Tensor> wrong = new ArrayList<>(outs);
                Tensor t = outs.get(i);
                double[] d = t.raw().clone();
                d[d.length - 1] += t.dtype().isFloating() ? 0.01 * (1 + Math.abs(d[d.length - 1])) : 1;
                wrong.set(i, new Tensor(t.dtype(), t.shape(), d));
                assertThrows(AssertionError.class, () -> LinalgIdentities.check(c.uses(false), args, wrong, outs, v.name()),
                        v.name() + ": a wrong last entry of " + names.get(i));
            }
        }
    }
}
