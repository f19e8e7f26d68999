package dev.streamfold.compiler.kir;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;

/**
 * Builds a {@link Kernel}: declares buffers and arguments, then appends instructions to the current block
 * (the kernel body, or the body of the loop being built). Operand types are checked as instructions are
 * made, so a lowering error surfaces where it happens; {@link KirVerifier} checks the finished kernel.
 */
public final class KBuilder {
    /** The body of a loop: given its index and carried values, emits instructions and returns the next carried values. */
    @FunctionalInterface
    public interface LoopBody {
        List<KValue> emit(KValue index, List<KValue> carried);
    }

    /** The body of a loop that carries nothing. */
    @FunctionalInterface
    public interface RangeBody {
        void emit(KValue index);
    }

    private final String name;
    private final List<KBuffer> buffers = new ArrayList<>();
    private final List<KType> args = new ArrayList<>();
    private final Deque<List<KInstr>> blocks = new ArrayDeque<>();
    private int nextId;

    public KBuilder(String name) {
        this.name = name;
        blocks.push(new ArrayList<>());
    }

    /** Declares a buffer; returns its index in the buffer table. */
    public int buffer(String bufferName, KBuffer.Role role, KType type, int elements) {
        for (KBuffer b : buffers) {
            if (b.name().equals(bufferName)) {
                throw new IllegalArgumentException("buffer " + bufferName + " declared twice");
            }
        }
        buffers.add(new KBuffer(bufferName, role, type, elements));
        return buffers.size() - 1;
    }

    public KBuffer bufferAt(int index) {
        return buffers.get(index);
    }

    /** Declares a scalar argument of the kernel; returns its index. */
    public int declareArg(KType type) {
        args.add(type);
        return args.size() - 1;
    }

    public KValue arg(int index) {
        return emit(new KInstr.Arg(fresh(args.get(index), false), index));
    }

    public KValue length(int buffer) {
        return emit(new KInstr.Length(fresh(KType.I64, false), buffer));
    }

    public KValue constF(KType type, double value) {
        require(type.isFloat(), "constF of " + type);
        return emit(new KInstr.ConstF(fresh(type, false), value));
    }

    public KValue constI(KType type, long value) {
        require(!type.isFloat(), "constI of " + type);
        return emit(new KInstr.ConstI(fresh(type, false), value));
    }

    /** An i32 constant, the type of loop indices and buffer indices. */
    public KValue index(int value) {
        return constI(KType.I32, value);
    }

    public KValue bool(boolean value) {
        return constI(KType.BOOL, value ? 1 : 0);
    }

    public KValue load(int buffer, KValue index) {
        requireIndex(index);
        KBuffer b = buffers.get(buffer);
        return emit(new KInstr.Load(fresh(b.type(), b.role().batched()), buffer, index));
    }

    public KValue load(int buffer, int index) {
        return load(buffer, index(index));
    }

    public void store(int buffer, KValue index, KValue value) {
        requireIndex(index);
        KBuffer b = buffers.get(buffer);
        require(b.role().batched() && b.role() != KBuffer.Role.IN, "store to " + b.role() + " buffer " + b.name());
        require(value.type() == b.type(), "store of " + value.type() + " to " + b.type() + " buffer " + b.name());
        current().add(new KInstr.Store(buffer, index, value));
    }

    public void store(int buffer, int index, KValue value) {
        store(buffer, index(index), value);
    }

    public KValue unary(KInstr.UnaryKind kind, KValue a) {
        if (kind == KInstr.UnaryKind.NOT) {
            require(!a.type().isFloat(), "not of " + a.type());
        } else {
            require(a.type() != KType.BOOL, kind + " of bool");
        }
        return emit(new KInstr.Unary(fresh(a.type(), a.lane()), kind, a));
    }

    public KValue binary(KInstr.BinaryKind kind, KValue a, KValue b) {
        require(a.type() == b.type(), kind + " of " + a.type() + " and " + b.type());
        switch (kind) {
            case AND, OR, XOR -> require(!a.type().isFloat(), kind + " of " + a.type());
            case POW -> require(a.type().isFloat(), "pow of " + a.type());
            case ADD, SUB, MUL, DIV, MIN, MAX, REM -> require(a.type() != KType.BOOL, kind + " of bool");
        }
        return emit(new KInstr.Binary(fresh(a.type(), a.lane() || b.lane()), kind, a, b));
    }

    public KValue add(KValue a, KValue b) {
        return binary(KInstr.BinaryKind.ADD, a, b);
    }

    public KValue sub(KValue a, KValue b) {
        return binary(KInstr.BinaryKind.SUB, a, b);
    }

    public KValue mul(KValue a, KValue b) {
        return binary(KInstr.BinaryKind.MUL, a, b);
    }

    public KValue div(KValue a, KValue b) {
        return binary(KInstr.BinaryKind.DIV, a, b);
    }

    public KValue min(KValue a, KValue b) {
        return binary(KInstr.BinaryKind.MIN, a, b);
    }

    public KValue max(KValue a, KValue b) {
        return binary(KInstr.BinaryKind.MAX, a, b);
    }

    public KValue neg(KValue a) {
        return unary(KInstr.UnaryKind.NEG, a);
    }

    public KValue abs(KValue a) {
        return unary(KInstr.UnaryKind.ABS, a);
    }

    public KValue sqrt(KValue a) {
        return unary(KInstr.UnaryKind.SQRT, a);
    }

    public KValue not(KValue a) {
        return unary(KInstr.UnaryKind.NOT, a);
    }

    public KValue and(KValue a, KValue b) {
        return binary(KInstr.BinaryKind.AND, a, b);
    }

    public KValue or(KValue a, KValue b) {
        return binary(KInstr.BinaryKind.OR, a, b);
    }

    /** {@code a * b + c} rounded once. */
    public KValue fma(KValue a, KValue b, KValue c) {
        require(a.type().isFloat() && a.type() == b.type() && a.type() == c.type(),
                "fma of " + a.type() + ", " + b.type() + ", " + c.type());
        return emit(new KInstr.Fma(fresh(a.type(), a.lane() || b.lane() || c.lane()), a, b, c));
    }

    public KValue compare(KInstr.CompareKind kind, KValue a, KValue b) {
        require(a.type() == b.type(), kind + " of " + a.type() + " and " + b.type());
        return emit(new KInstr.Compare(fresh(KType.BOOL, a.lane() || b.lane()), kind, a, b));
    }

    public KValue select(KValue cond, KValue a, KValue b) {
        require(cond.type() == KType.BOOL, "select on " + cond.type());
        require(a.type() == b.type(), "select of " + a.type() + " and " + b.type());
        return emit(new KInstr.Select(fresh(a.type(), cond.lane() || a.lane() || b.lane()), cond, a, b));
    }

    public KValue convert(KType type, KValue a) {
        if (a.type() == type) {
            return a;
        }
        return emit(new KInstr.Convert(fresh(type, a.lane()), a));
    }

    /**
     * Emits a loop over {@code [start, end)} carrying {@code inits}; returns the carried values after it. A
     * carried value is a lane value when its initial value or any yielded value is one (the body is emitted
     * again when a yield turns out to vary per item), and the yielded values are converted to nothing: their
     * types must equal the initial ones.
     */
    public List<KValue> loop(int start, int end, List<KValue> inits, LoopBody body) {
        boolean[] lane = new boolean[inits.size()];
        for (int i = 0; i < lane.length; i++) {
            lane[i] = inits.get(i).lane();
        }
        for (int attempt = 0; ; attempt++) {
            KValue index = fresh(KType.I32, false);
            List<KValue> params = new ArrayList<>();
            for (int i = 0; i < lane.length; i++) {
                params.add(fresh(inits.get(i).type(), lane[i]));
            }
            blocks.push(new ArrayList<>());
            List<KValue> yields;
            List<KInstr> inner;
            try {
                yields = List.copyOf(body.emit(index, List.copyOf(params)));
            } finally {
                inner = blocks.pop();
            }
            require(yields.size() == inits.size(), "loop body yields " + yields.size() + " values for " + inits.size() + " carried");
            boolean widened = false;
            for (int i = 0; i < lane.length; i++) {
                require(yields.get(i).type() == inits.get(i).type(),
                        "loop carries " + inits.get(i).type() + " but yields " + yields.get(i).type());
                if (yields.get(i).lane() && !lane[i]) {
                    lane[i] = true;
                    widened = true;
                }
            }
            if (widened) {
                require(attempt <= lane.length, "loop carried values do not settle");
                continue;
            }
            List<KValue> results = new ArrayList<>();
            for (int i = 0; i < lane.length; i++) {
                results.add(fresh(inits.get(i).type(), lane[i]));
            }
            current().add(new KInstr.Loop(index, start, end, params, inits, inner, yields, results));
            return results;
        }
    }

    /** A loop over {@code [start, end)} that carries nothing. */
    public void forRange(int start, int end, RangeBody body) {
        loop(start, end, List.of(), (i, c) -> {
            body.emit(i);
            return List.of();
        });
    }

    public Kernel build() {
        require(blocks.size() == 1, "build inside a loop body");
        return new Kernel(name, buffers, args, blocks.peek(), nextId);
    }

    private KValue fresh(KType type, boolean lane) {
        return new KValue(nextId++, type, lane);
    }

    private KValue emit(KInstr i) {
        current().add(i);
        return i.dst();
    }

    private List<KInstr> current() {
        return blocks.peek();
    }

    private static void requireIndex(KValue index) {
        require(!index.lane() && index.type().isInteger(), "index " + index + " must be a uniform integer, is "
                + (index.lane() ? "lane " : "") + index.type());
    }

    private static void require(boolean ok, String what) {
        if (!ok) {
            throw new IllegalArgumentException("kernel IR: " + what);
        }
    }
}
