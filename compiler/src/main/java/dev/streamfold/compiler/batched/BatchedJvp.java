package dev.streamfold.compiler.batched;

import dev.streamfold.ir.Jvp;
import dev.streamfold.ir.Program;
import dev.streamfold.ir.StreamfoldException;
import dev.streamfold.ir.Tensor;
import dev.streamfold.runtime.batched.BatchStatus;
import dev.streamfold.runtime.batched.BatchedKernel;
import java.util.ArrayList;
import java.util.List;

/**
 * Forward-mode derivatives through a compiled batched kernel: the JVP program of a program over a batch axis,
 * lowered and compiled like any other, run on the inputs and tangents. The same answer as {@link
 * Jvp#evaluate}, from native code; an item whose result or derivative does not exist is named from the
 * kernel's status output.
 */
public final class BatchedJvp {
    private BatchedJvp() {}

    /**
     * The outputs of {@code p} at {@code inputs} and their tangents along {@code tangents} (null: zero), every
     * value with axis 0 as the batch axis; {@code what} names the computation in errors.
     */
    public static Jvp.Evaluated evaluate(String what, Program p, List<Tensor> inputs, List<Tensor> tangents,
            BatchedBackend backend, int threads) {
        boolean[] nonZero = new boolean[inputs.size()];
        List<Tensor> args = new ArrayList<>(inputs);
        for (int i = 0; i < nonZero.length; i++) {
            nonZero[i] = tangents.get(i) != null && inputs.get(i).dtype().isFloating();
            if (nonZero[i]) {
                args.add(tangents.get(i));
            }
        }
        Jvp.Result r = Jvp.transform(p, nonZero, null);
        List<String> in = new ArrayList<>();
        for (int i = 0; i < r.program().params().size(); i++) {
            in.add("in" + i);
        }
        List<String> out = new ArrayList<>();
        for (int i = 0; i < r.program().results().size(); i++) {
            out.add("out" + i);
        }
        BatchedCompiler.Compiled c = BatchedCompiler.compile(what.replaceAll("[^A-Za-z0-9_]", "_") + "_jvp", r.program(), in, out,
                BatchedCompiler.unrollBudget());
        BatchedKernel kernel = backend.load(c.kernel());
        BatchedExecution.Result result = BatchedExecution.run(c, kernel, args, threads);
        boolean anyTangent = false;
        for (boolean b : nonZero) {
            anyTangent |= b;
        }
        for (int item = 0; item < result.status().length; item++) {
            int code = result.status()[item];
            // A zero pivot leaves a complete factorization (LAPACK's info > 0); only its derivative does not exist.
            if (code != 0 && (anyTangent || code != BatchStatus.ZERO_PIVOT.code())) {
                throw new StreamfoldException(BatchedExecution.describe(what, item, code));
            }
        }
        int n = p.results().size();
        List<Tensor> dOut = new ArrayList<>();
        int k = n;
        for (int i = 0; i < n; i++) {
            dOut.add(r.nonZeroOut()[i] ? result.outputs().get(k++) : null);
        }
        return new Jvp.Evaluated(result.outputs().subList(0, n), dOut);
    }
}
