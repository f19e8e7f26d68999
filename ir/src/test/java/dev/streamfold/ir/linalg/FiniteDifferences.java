package dev.streamfold.ir.linalg;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.streamfold.ir.Interpreter;
import dev.streamfold.ir.Jvp;
import dev.streamfold.ir.Op;
import dev.streamfold.ir.Program;
import dev.streamfold.ir.ProgramBuilder;
import dev.streamfold.ir.Tensor;
import dev.streamfold.ir.Var;
import dev.streamfold.ir.Verifier;
import java.util.ArrayList;
import java.util.List;

/**
 * Checks an op's JVP rule against central finite differences: the JVP program of a one-op program,
 * run by the interpreter, against Richardson-extrapolated {@code (f(x + h dx) - f(x - h dx)) / 2h}
 * in float64 (truncation error O(h^4)).
 */
final class FiniteDifferences {
    /** The step of the coarser central difference; the finer one uses h / 2. */
    static final double STEP = 1e-3;

    private FiniteDifferences() {}

    /** A program applying {@code op} once to parameters of the primals' types, returning all its outputs. */
    static Program oneOp(Op op, List<Tensor> primals) {
        ProgramBuilder b = new ProgramBuilder();
        List<Var> params = new ArrayList<>();
        for (Tensor t : primals) {
            params.add(b.param(t.type()));
        }
        return b.build(b.emit(op, params));
    }

    /**
     * Asserts that the JVP of {@code op} at {@code primals} in the directions {@code tangents} (null
     * where an input has no tangent) matches finite differences within {@code tolerance} relative to
     * the largest difference quotient (at least 1), and that integer outputs get no tangent.
     *
     * @return the tangents of the outputs as the JVP program computed them (zeros where symbolic)
     */
    static List<Tensor> check(Op op, List<Tensor> primals, List<Tensor> tangents, double tolerance) {
        Program p = oneOp(op, primals);
        Jvp.Result jvp = transform(p, tangents);
        List<Tensor> run = Interpreter.run(jvp.program(), arguments(primals, tangents));
        List<Tensor> direct = Interpreter.run(p, primals);
        int nOut = p.results().size();
        for (int k = 0; k < nOut; k++) {
            assertEquals(direct.get(k), run.get(k), "primal output " + k + " of the JVP program of " + op);
        }
        List<Tensor> fd = richardson(p, primals, tangents);
        List<Tensor> result = new ArrayList<>();
        int next = nOut;
        for (int k = 0; k < nOut; k++) {
            Tensor out = direct.get(k);
            if (!out.dtype().isFloating()) {
                assertFalse(jvp.nonZeroOut()[k], "integer output " + k + " of " + op + " got a tangent");
                for (double v : fd.get(k).raw()) {
                    assertEquals(0.0, v, "the perturbation moved integer output " + k + " of " + op);
                }
                result.add(Tensor.zeros(out.type()));
                continue;
            }
            Tensor got = jvp.nonZeroOut()[k] ? run.get(next++) : Tensor.zeros(out.type());
            result.add(got);
            double[] expect = fd.get(k).raw();
            double scale = 1;
            for (double v : expect) {
                scale = Math.max(scale, Math.abs(v));
            }
            double worst = 0;
            int at = -1;
            for (int i = 0; i < expect.length; i++) {
                double d = Math.abs(got.raw()[i] - expect[i]);
                assertTrue(Double.isFinite(got.raw()[i]), "tangent of output " + k + " of " + op + " is not finite");
                if (d > worst) {
                    worst = d;
                    at = i;
                }
            }
            double limit = tolerance * scale;
            if (worst > limit) {
                throw new AssertionError("tangent of output " + k + " of " + op + " at flat index " + at + ": jvp "
                        + got.raw()[at] + ", finite differences " + expect[at] + " (error " + worst + " > " + limit
                        + ")");
            }
        }
        return result;
    }

    /**
     * The tangents of {@code op}'s outputs computed by its verified JVP program, in the dtype of the
     * inputs, with zeros where a tangent is symbolic.
     */
    static List<Tensor> tangents(Op op, List<Tensor> primals, List<Tensor> tangents) {
        Program p = oneOp(op, primals);
        Jvp.Result jvp = transform(p, tangents);
        List<Tensor> run = Interpreter.run(jvp.program(), arguments(primals, tangents));
        List<Tensor> out = new ArrayList<>();
        int next = p.results().size();
        for (int k = 0; k < p.results().size(); k++) {
            out.add(jvp.nonZeroOut()[k] ? run.get(next++) : Tensor.zeros(run.get(k).type()));
        }
        return out;
    }

    private static Jvp.Result transform(Program p, List<Tensor> tangents) {
        boolean[] nonZeroIn = new boolean[tangents.size()];
        for (int i = 0; i < nonZeroIn.length; i++) {
            nonZeroIn[i] = tangents.get(i) != null;
        }
        Jvp.Result jvp = Jvp.transform(p, nonZeroIn, null);
        Verifier.verify(jvp.program());
        return jvp;
    }

    private static List<Tensor> arguments(List<Tensor> primals, List<Tensor> tangents) {
        List<Tensor> args = new ArrayList<>(primals);
        for (Tensor t : tangents) {
            if (t != null) {
                args.add(t);
            }
        }
        return args;
    }

    /** Asserts that {@code actual} matches {@code expected} within {@code tolerance} in every entry. */
    static void assertClose(Tensor expected, Tensor actual, double tolerance, String what) {
        assertEquals(expected.type(), actual.type(), what);
        assertArrayEquals(expected.raw(), actual.raw(), tolerance, what);
    }

    private static List<Tensor> richardson(Program p, List<Tensor> x, List<Tensor> dx) {
        List<Tensor> coarse = central(p, x, dx, STEP);
        List<Tensor> fine = central(p, x, dx, STEP / 2);
        List<Tensor> out = new ArrayList<>();
        for (int k = 0; k < coarse.size(); k++) {
            double[] c = coarse.get(k).raw();
            double[] f = fine.get(k).raw();
            double[] z = new double[c.length];
            for (int i = 0; i < z.length; i++) {
                z[i] = (4 * f[i] - c[i]) / 3;
            }
            out.add(new Tensor(coarse.get(k).dtype(), coarse.get(k).shape(), z));
        }
        return out;
    }

    private static List<Tensor> central(Program p, List<Tensor> x, List<Tensor> dx, double h) {
        List<Tensor> plus = Interpreter.run(p, shifted(x, dx, h));
        List<Tensor> minus = Interpreter.run(p, shifted(x, dx, -h));
        List<Tensor> out = new ArrayList<>();
        for (int k = 0; k < plus.size(); k++) {
            double[] a = plus.get(k).raw();
            double[] c = minus.get(k).raw();
            double[] z = new double[a.length];
            for (int i = 0; i < z.length; i++) {
                z[i] = (a[i] - c[i]) / (2 * h);
            }
            out.add(new Tensor(plus.get(k).dtype(), plus.get(k).shape(), z));
        }
        return out;
    }

    private static List<Tensor> shifted(List<Tensor> x, List<Tensor> dx, double h) {
        List<Tensor> out = new ArrayList<>();
        for (int i = 0; i < x.size(); i++) {
            Tensor t = x.get(i);
            if (dx.get(i) == null) {
                out.add(t);
                continue;
            }
            double[] z = t.data();
            double[] d = dx.get(i).raw();
            for (int j = 0; j < z.length; j++) {
                z[j] += h * d[j];
            }
            out.add(new Tensor(t.dtype(), t.shape(), z));
        }
        return out;
    }
}
