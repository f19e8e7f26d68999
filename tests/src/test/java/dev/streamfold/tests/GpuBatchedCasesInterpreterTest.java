package dev.streamfold.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.streamfold.compiler.batched.LinalgKernel;
import dev.streamfold.compiler.cuda.GpuBatchedCases;
import dev.streamfold.ir.DType;
import dev.streamfold.ir.Interpreter;
import dev.streamfold.ir.Tensor;
import dev.streamfold.ir.Type;
import dev.streamfold.runtime.cuda.GpuBatchedCase;
import dev.streamfold.runtime.cuda.GpuBatchedData;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The expected outputs of the GPU bundle's batched cases (computed by the kernel IR evaluator) agree with the
 * reference interpreter on the same inputs: float64 within 1e-10 and float32 within 1e-4 of each item's largest
 * magnitude in that output, integer outputs exactly.
 */
class GpuBatchedCasesInterpreterTest {
    static List<GpuBatchedCases.Spec> specs() {
        return GpuBatchedCases.specs();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("specs")
    void expectedOutputsAgreeWithTheInterpreter(GpuBatchedCases.Spec spec) {
        GpuBatchedCases.Compiled c = GpuBatchedCases.compile(spec);
        GpuBatchedData data = c.data();
        int batch = data.batch();
        LinalgKernel.Named named = spec.kernel().program(batch);
        List<Tensor> args = new ArrayList<>();
        for (int i = 0; i < named.inputs().size(); i++) {
            Type t = named.program().params().get(i).type();
            args.add(fromLanes(data, buffer(c, named.inputs().get(i)), t, batch));
        }
        List<Tensor> want = Interpreter.run(named.program(), args);
        double tolerance = spec.kernel().dtype() == DType.F64 ? 1e-10 : 1e-4;
        for (int o = 0; o < named.outputs().size(); o++) {
            String name = named.outputs().get(o);
            Tensor expected = want.get(o);
            Tensor got = fromLanes(data, buffer(c, name), expected.type(), batch);
            int per = Math.toIntExact(expected.shape().size() / batch);
            for (int item = 0; item < batch; item++) {
                double scale = 1;
                for (int e = 0; e < per; e++) {
                    scale = Math.max(scale, Math.abs(expected.raw()[item * per + e]));
                }
                for (int e = 0; e < per; e++) {
                    double w = expected.raw()[item * per + e];
                    double g = got.raw()[item * per + e];
                    String where = spec.name() + " output " + name + " item " + item + " element " + e;
                    if (expected.dtype().isFloating()) {
                        assertTrue(Math.abs(w - g) <= tolerance * scale, where + ": interpreter " + w + ", bundle " + g);
                    } else {
                        assertEquals(w, g, where);
                    }
                }
            }
        }
        int status = buffer(c, "status");
        for (int item = 0; item < batch; item++) {
            assertEquals(0, data.value(status, item, 0), spec.name() + " status of item " + item);
        }
    }

    private static int buffer(GpuBatchedCases.Compiled c, String name) {
        List<GpuBatchedCase.Buffer> buffers = c.buffers();
        for (int i = 0; i < buffers.size(); i++) {
            if (buffers.get(i).name().equals(name)) {
                return i;
            }
        }
        throw new AssertionError(c.spec().name() + " has no buffer " + name + " in " + buffers);
    }

    /** The structure-of-arrays buffer as a tensor of type {@code t} ([batch, ...item]). */
    private static Tensor fromLanes(GpuBatchedData data, int buffer, Type t, int batch) {
        int per = Math.toIntExact(t.shape().size() / batch);
        double[] v = new double[per * batch];
        for (int item = 0; item < batch; item++) {
            for (int e = 0; e < per; e++) {
                v[item * per + e] = data.value(buffer, item, e);
            }
        }
        return new Tensor(t.dtype(), t.shape(), v);
    }
}
