package dev.streamfold.ir;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The reference interpreter: the executable definition of every op. Computes in float64 and rounds
 * each float32-typed result to float32, as a float32 kernel stores it.
 */
public final class Interpreter {
    private Interpreter() {}

    /** Runs {@code p} on {@code args} (one per parameter, of the parameter's type). */
    public static List<Tensor> run(Program p, List<Tensor> args) {
        if (args.size() != p.params().size()) {
            throw new IllegalArgumentException("program takes " + p.params().size() + " arguments, got " + args.size());
        }
        Map<Integer, Tensor> env = new HashMap<>();
        for (int i = 0; i < args.size(); i++) {
            Var v = p.params().get(i);
            Tensor a = args.get(i);
            if (!a.type().equals(v.type())) {
                throw new IllegalArgumentException("argument " + i + " is " + a.type() + ", expected " + v.type());
            }
            env.put(v.id(), a);
        }
        for (Eqn e : p.eqns()) {
            List<Tensor> ins = new ArrayList<>(e.ins().size());
            for (Var v : e.ins()) {
                ins.add(env.get(v.id()));
            }
            List<Tensor> outs = apply(e.op(), ins, e.outs());
            for (int i = 0; i < outs.size(); i++) {
                env.put(e.outs().get(i).id(), outs.get(i));
            }
        }
        List<Tensor> res = new ArrayList<>();
        for (Var r : p.results()) {
            res.add(env.get(r.id()));
        }
        return res;
    }

    private static List<Tensor> apply(Op op, List<Tensor> in, List<Var> outVars) {
        Type ot = outVars.get(0).type();
        return switch (op) {
            case Constant c -> List.of(c.value());
            case Unary u -> List.of(map(ot, in.get(0), u.kind()::apply));
            case Binary b -> {
                double[] x = in.get(0).raw();
                double[] y = in.get(1).raw();
                double[] z = new double[x.length];
                for (int i = 0; i < z.length; i++) {
                    z[i] = ot.dtype().round(b.kind().apply(x[i], y[i]));
                }
                yield List.of(new Tensor(ot.dtype(), ot.shape(), z));
            }
            case Compare c -> {
                double[] x = in.get(0).raw();
                double[] y = in.get(1).raw();
                double[] z = new double[x.length];
                for (int i = 0; i < z.length; i++) {
                    z[i] = c.kind().apply(x[i], y[i]) ? 1 : 0;
                }
                yield List.of(new Tensor(DType.BOOL, ot.shape(), z));
            }
            case Select s -> {
                double[] p = in.get(0).raw();
                double[] x = in.get(1).raw();
                double[] y = in.get(2).raw();
                double[] z = new double[x.length];
                for (int i = 0; i < z.length; i++) {
                    z[i] = p[i] != 0 ? x[i] : y[i];
                }
                yield List.of(new Tensor(ot.dtype(), ot.shape(), z));
            }
            case Convert c -> List.of(map(ot, in.get(0), v -> switch (c.to()) {
                case I32 -> (double) (int) v;
                case BOOL -> v != 0 ? 1 : 0;
                case F32, F64 -> v;
            }));
            case Broadcast b -> List.of(broadcast(in.get(0), b, ot));
            case Reshape r -> List.of(new Tensor(ot.dtype(), ot.shape(), in.get(0).raw()));
            case Reduce r -> List.of(reduce(in.get(0), r, ot));
            case TakeClipped t -> {
                Tensor a = in.get(0);
                int len = a.shape().dim(0);
                int idx = (int) Math.max(0, Math.min(len - 1, in.get(1).item()));
                int block = (int) ot.shape().size();
                yield List.of(new Tensor(ot.dtype(), ot.shape(), Arrays.copyOfRange(a.raw(), idx * block, (idx + 1) * block)));
            }
            case RingDot d -> List.of(ringDot(in.get(0), in.get(1), (long) in.get(2).item(), d, ot));
            case RingPush r -> List.of(ringPush(in.get(0), (long) in.get(1).item(), in.get(2)));
            case Iota i -> List.of(iota(i));
            case Transpose t -> List.of(transpose(in.get(0), t.perm(), ot));
            case MatMul m -> List.of(matmul(in.get(0), in.get(1), ot));
            case Slice s -> List.of(slice(in.get(0), s, ot));
            case Concatenate c -> List.of(concatenate(in, c.axis(), ot));
            case Scan s -> scan(s, in);
            case GatherRows g -> g.evaluate(in);
            case Triangle t -> t.evaluate(in);
            case DiagPart d -> d.evaluate(in);
            case DiagEmbed d -> d.evaluate(in);
            case TriangularSolve t -> t.evaluate(in);
            case Cholesky c -> c.evaluate(in);
            case Lu l -> l.evaluate(in);
            case Qr q -> q.evaluate(in);
            case Svd s -> s.evaluate(in);
            case Eigh e -> e.evaluate(in);
            case DerivativeGuard g -> g.evaluate(in);
        };
    }

    private interface DoubleOp {
        double apply(double v);
    }

    private static Tensor map(Type ot, Tensor x, DoubleOp f) {
        double[] a = x.raw();
        double[] z = new double[a.length];
        for (int i = 0; i < z.length; i++) {
            z[i] = ot.dtype().round(f.apply(a[i]));
        }
        return new Tensor(ot.dtype(), ot.shape(), z);
    }

    private static int[] strides(int[] dims) {
        int[] s = new int[dims.length];
        int acc = 1;
        for (int i = dims.length - 1; i >= 0; i--) {
            s[i] = acc;
            acc *= dims[i];
        }
        return s;
    }

    private static Tensor broadcast(Tensor x, Broadcast b, Type ot) {
        int[] od = ot.shape().dims();
        int[] idims = x.shape().dims();
        int[] is = strides(idims);
        int[] map = b.dims();
        double[] src = x.raw();
        double[] z = new double[(int) ot.shape().size()];
        int[] idx = new int[od.length];
        for (int flat = 0; flat < z.length; flat++) {
            int off = 0;
            for (int i = 0; i < map.length; i++) {
                off += idims[i] == 1 ? 0 : idx[map[i]] * is[i];
            }
            z[flat] = src[off];
            increment(idx, od);
        }
        return new Tensor(ot.dtype(), ot.shape(), z);
    }

    private static void increment(int[] idx, int[] dims) {
        for (int i = dims.length - 1; i >= 0; i--) {
            if (++idx[i] < dims[i]) {
                return;
            }
            idx[i] = 0;
        }
    }

    private static Tensor reduce(Tensor x, Reduce r, Type ot) {
        int[] dims = x.shape().dims();
        int[] axes = r.axes();
        int[] os = strides(ot.shape().dims());
        double[] z = new double[(int) ot.shape().size()];
        Arrays.fill(z, r.kind().identity());
        int[] idx = new int[dims.length];
        double[] src = x.raw();
        for (int flat = 0; flat < src.length; flat++) {
            int off = 0;
            int j = 0;
            for (int i = 0; i < dims.length; i++) {
                if (Arrays.binarySearch(axes, i) < 0) {
                    off += idx[i] * os[j++];
                }
            }
            z[off] = r.kind().combine(z[off], src[flat]);
            increment(idx, dims);
        }
        for (int i = 0; i < z.length; i++) {
            z[i] = ot.dtype().round(z[i]);
        }
        return new Tensor(ot.dtype(), ot.shape(), z);
    }

    private static Tensor iota(Iota i) {
        Type t = i.type();
        int[] dims = t.shape().dims();
        double[] z = new double[(int) t.shape().size()];
        int[] idx = new int[dims.length];
        for (int flat = 0; flat < z.length; flat++) {
            z[flat] = idx[i.dimension()];
            increment(idx, dims);
        }
        return new Tensor(t.dtype(), t.shape(), z);
    }

    private static Tensor transpose(Tensor x, int[] perm, Type ot) {
        int[] od = ot.shape().dims();
        int[] is = strides(x.shape().dims());
        double[] src = x.raw();
        double[] z = new double[src.length];
        int[] idx = new int[od.length];
        for (int flat = 0; flat < z.length; flat++) {
            int off = 0;
            for (int i = 0; i < od.length; i++) {
                off += idx[i] * is[perm[i]];
            }
            z[flat] = src[off];
            increment(idx, od);
        }
        return new Tensor(ot.dtype(), ot.shape(), z);
    }

    private static Tensor ringDot(Tensor ring, Tensor coef, long t, RingDot d, Type ot) {
        int rows = ring.shape().dim(0);
        int block = (int) ot.shape().size();
        double[] r = ring.raw();
        double[] c = coef.raw();
        double[] z = new double[block];
        for (int row = 0; row < rows; row++) {
            double w = ot.dtype().round(c[d.weightIndex(coef.shape(), t, (int) Math.floorMod(t - 1 - row, (long) rows))]);
            for (int i = 0; i < block; i++) {
                z[i] = ot.dtype().round(Math.fma(w, r[row * block + i], z[i]));
            }
        }
        return new Tensor(ot.dtype(), ot.shape(), z);
    }

    private static Tensor ringPush(Tensor ring, long t, Tensor value) {
        int rows = ring.shape().dim(0);
        double[] z = ring.raw().clone();
        int block = z.length / rows;
        System.arraycopy(value.raw(), 0, z, RingDot.rowOf(t, rows) * block, block);
        return new Tensor(ring.dtype(), ring.shape(), z);
    }

    private static Tensor matmul(Tensor a, Tensor b, Type ot) {
        int[] da = a.shape().dims();
        int r = da.length;
        int m = da[r - 2];
        int k = da[r - 1];
        int n = b.shape().dim(r - 1);
        int batch = 1;
        for (int i = 0; i < r - 2; i++) {
            batch *= da[i];
        }
        double[] x = a.raw();
        double[] y = b.raw();
        double[] z = new double[batch * m * n];
        for (int q = 0; q < batch; q++) {
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < n; j++) {
                    double s = 0;
                    for (int l = 0; l < k; l++) {
                        s += x[q * m * k + i * k + l] * y[q * k * n + l * n + j];
                    }
                    z[q * m * n + i * n + j] = ot.dtype().round(s);
                }
            }
        }
        return new Tensor(ot.dtype(), ot.shape(), z);
    }

    private static Tensor slice(Tensor x, Slice s, Type ot) {
        int[] od = ot.shape().dims();
        int[] is = strides(x.shape().dims());
        int[] start = s.start();
        double[] src = x.raw();
        double[] z = new double[(int) ot.shape().size()];
        int[] idx = new int[od.length];
        for (int flat = 0; flat < z.length; flat++) {
            int off = 0;
            for (int i = 0; i < od.length; i++) {
                off += (idx[i] + start[i]) * is[i];
            }
            z[flat] = src[off];
            increment(idx, od);
        }
        return new Tensor(ot.dtype(), ot.shape(), z);
    }

    private static Tensor concatenate(List<Tensor> parts, int axis, Type ot) {
        int[] od = ot.shape().dims();
        int outer = 1;
        for (int i = 0; i < axis; i++) {
            outer *= od[i];
        }
        double[] z = new double[(int) ot.shape().size()];
        int pos = 0;
        for (int o = 0; o < outer; o++) {
            for (Tensor p : parts) {
                int block = (int) (p.shape().size() / Math.max(1, outer));
                System.arraycopy(p.raw(), o * block, z, pos, block);
                pos += block;
            }
        }
        return new Tensor(ot.dtype(), ot.shape(), z);
    }

    private static List<Tensor> scan(Scan s, List<Tensor> in) {
        int nc = s.numConsts();
        int nk = s.numCarries();
        int nx = s.numXs();
        int ny = s.numYs();
        List<Tensor> consts = in.subList(0, nc);
        List<Tensor> carries = new ArrayList<>(in.subList(nc, nc + nk));
        List<Tensor> xs = in.subList(nc + nk, nc + nk + nx);
        List<Type> yTypes = s.body().resultTypes().subList(nk, nk + ny);
        double[][] ys = new double[ny][];
        for (int j = 0; j < ny; j++) {
            ys[j] = new double[(int) (yTypes.get(j).shape().size() * s.length())];
        }
        List<Type> xTypes = s.body().paramTypes().subList(nc + nk, nc + nk + nx);
        for (int step = 0; step < s.length(); step++) {
            int t = s.reverse() ? s.length() - 1 - step : step;
            List<Tensor> args = new ArrayList<>(consts);
            args.addAll(carries);
            for (int j = 0; j < nx; j++) {
                Type xt = xTypes.get(j);
                int block = (int) xt.shape().size();
                args.add(new Tensor(xt.dtype(), xt.shape(), Arrays.copyOfRange(xs.get(j).raw(), t * block, (t + 1) * block)));
            }
            List<Tensor> res = run(s.body(), args);
            carries = new ArrayList<>(res.subList(0, nk));
            for (int j = 0; j < ny; j++) {
                double[] y = res.get(nk + j).raw();
                System.arraycopy(y, 0, ys[j], t * y.length, y.length);
            }
        }
        List<Tensor> out = new ArrayList<>(carries);
        for (int j = 0; j < ny; j++) {
            Type yt = yTypes.get(j);
            out.add(new Tensor(yt.dtype(), yt.shape().prepend(s.length()), ys[j]));
        }
        return out;
    }
}
