package dev.streamfold.ir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The JVP of every op of the IR, one-op programs over {@link OpTable}: the tangent of {@link
 * Jvp#transform} against central finite differences taken in float64; integer and bool outputs have
 * structurally zero tangents.
 */
class JvpTableTest {
    private static final double H = 1e-6;

    static Stream<OpTable.Row> rows() {
        return OpTable.rows().stream();
    }

    @Test
    void tableCoversEveryOp() {
        Set<Class<?>> covered = new HashSet<>();
        for (OpTable.Row r : OpTable.rows()) {
            covered.add(r.testCase().op().getClass());
        }
        assertEquals(Set.of(Op.class.getPermittedSubclasses()), covered);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("rows")
    void tangentMatchesFiniteDifferences(OpTable.Row row) {
        OpTable.Case c = row.testCase();
        Program p = Verifier.verify(c.program());
        int n = p.params().size();
        boolean[] nonZeroIn = new boolean[n];
        Arrays.fill(nonZeroIn, true);
        Jvp.Result jvp = Jvp.transform(p, nonZeroIn, null);
        Verifier.verify(jvp.program());
        Random r = new Random(row.label().hashCode());
        for (int trial = 0; trial < 3; trial++) {
            List<Tensor> x = c.sample(r);
            List<Tensor> dx = new ArrayList<>();
            List<Tensor> args = new ArrayList<>(x);
            for (int i = 0; i < n; i++) {
                Type t = p.params().get(i).type();
                Tensor d = t.dtype().isFloating() ? random(t, r) : Tensor.zeros(t);
                dx.add(d);
                if (t.dtype().isFloating()) {
                    args.add(d);
                }
            }
            List<Tensor> out = Interpreter.run(jvp.program(), args);
            List<Tensor> primal = Interpreter.run(p, x);
            int k = p.results().size();
            for (int i = 0; i < k; i++) {
                assertEquals(primal.get(i), out.get(i), row + ": primal output " + i + " of the JVP program");
            }
            double[][] fd = finiteDifferences(row.reference().program(), x, dx);
            for (int i = 0; i < k; i++) {
                Type t = p.results().get(i).type();
                if (!t.dtype().isFloating()) {
                    assertFalse(jvp.nonZeroOut()[i], row + ": output " + i + " of type " + t + " has a tangent");
                    continue;
                }
                double[] want = fd[i];
                if (!jvp.nonZeroOut()[i]) {
                    for (double w : want) {
                        assertEquals(0.0, w, 1e-9, row + ": output " + i + " has a symbolic-zero tangent");
                    }
                    continue;
                }
                double[] got = out.get(k + tangentIndex(jvp.nonZeroOut(), i)).raw();
                double tol = t.dtype() == DType.F32 || anyF32(p) ? 2e-4 : 1e-6;
                for (int e = 0; e < want.length; e++) {
                    assertEquals(want[e], got[e], tol * (1 + Math.abs(want[e])), row + ": output " + i + " entry " + e);
                }
            }
        }
    }

    /** Every integer or bool output stays a symbolic zero even when tangents of all inputs are given. */
    @Test
    void integerOutputsHaveZeroTangents() {
        int checked = 0;
        for (OpTable.Row row : OpTable.rows()) {
            Program p = row.testCase().program();
            boolean[] all = new boolean[p.params().size()];
            Arrays.fill(all, true);
            boolean[] nz = Jvp.transform(p, all, null).nonZeroOut();
            for (int i = 0; i < nz.length; i++) {
                if (!p.results().get(i).type().dtype().isFloating()) {
                    assertFalse(nz[i], row + " output " + i);
                    checked++;
                }
            }
        }
        assertTrue(checked > 20, "only " + checked + " integer outputs in the table");
    }

    private static boolean anyF32(Program p) {
        return p.params().stream().anyMatch(v -> v.type().dtype() == DType.F32);
    }

    private static int tangentIndex(boolean[] nonZero, int i) {
        int j = 0;
        for (int q = 0; q < i; q++) {
            j += nonZero[q] ? 1 : 0;
        }
        return j;
    }

    private static Tensor random(Type t, Random r) {
        double[] d = new double[Math.toIntExact(t.shape().size())];
        for (int i = 0; i < d.length; i++) {
            d[i] = t.dtype().round(2 * r.nextDouble() - 1);
        }
        return new Tensor(t.dtype(), t.shape(), d);
    }

    /** (f(x + h dx) - f(x - h dx)) / 2h of every output, on float64 copies of the floating inputs. */
    static double[][] finiteDifferences(Program reference, List<Tensor> x, List<Tensor> dx) {
        List<Tensor> plus = new ArrayList<>();
        List<Tensor> minus = new ArrayList<>();
        for (int i = 0; i < x.size(); i++) {
            Tensor xi = x.get(i);
            DType refType = reference.params().get(i).type().dtype();
            if (!xi.dtype().isFloating()) {
                plus.add(xi);
                minus.add(xi);
                continue;
            }
            double[] p = xi.data();
            double[] m = xi.data();
            double[] d = dx.get(i).raw();
            for (int e = 0; e < p.length; e++) {
                p[e] += H * d[e];
                m[e] -= H * d[e];
            }
            plus.add(new Tensor(refType, xi.shape(), p));
            minus.add(new Tensor(refType, xi.shape(), m));
        }
        List<Tensor> fp = Interpreter.run(reference, plus);
        List<Tensor> fm = Interpreter.run(reference, minus);
        double[][] out = new double[fp.size()][];
        for (int i = 0; i < out.length; i++) {
            double[] a = fp.get(i).raw();
            double[] b = fm.get(i).raw();
            out[i] = new double[a.length];
            for (int e = 0; e < a.length; e++) {
                out[i][e] = (a[e] - b[e]) / (2 * H);
            }
        }
        return out;
    }
}
