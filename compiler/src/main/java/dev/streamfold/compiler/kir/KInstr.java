package dev.streamfold.compiler.kir;

import java.util.List;
import java.util.Objects;

/**
 * An instruction of kernel IR v2. The body of a {@link Kernel} runs once per batch item; a value is a lane
 * value when any operand is one (a uniform operand is broadcast), so the same instruction is a scalar or a
 * SIMD operation depending on its values. Indices into buffers are always uniform: items differ only in the
 * data they hold, which keeps every batched access a contiguous structure-of-arrays load or store; per-item
 * choices (a pivot row, a rotation) are made with {@link Compare} and {@link Select}.
 */
public sealed interface KInstr {
    /** The value this instruction defines, or null for stores and loops (a loop defines {@link Loop#results}). */
    KValue dst();

    /** The values this instruction reads directly (a loop: its initial carried values). */
    List<KValue> operands();

    enum UnaryKind {
        NEG, ABS, SQRT, EXP, LOG, RECIPROCAL, SIGN, NOT
    }

    enum BinaryKind {
        ADD, SUB, MUL, DIV, MIN, MAX, POW, REM, AND, OR, XOR
    }

    enum CompareKind {
        LT, LE, GT, GE, EQ, NE
    }

    /** A floating constant. */
    record ConstF(KValue dst, double value) implements KInstr {
        @Override
        public List<KValue> operands() {
            return List.of();
        }
    }

    /** An integer or boolean (0/1) constant. */
    record ConstI(KValue dst, long value) implements KInstr {
        @Override
        public List<KValue> operands() {
            return List.of();
        }
    }

    /** The kernel's scalar argument {@code index} (uniform). */
    record Arg(KValue dst, int index) implements KInstr {
        @Override
        public List<KValue> operands() {
            return List.of();
        }
    }

    /** The length of the {@link KBuffer.Role#PARAM} buffer {@code buffer}, as i64 (uniform). */
    record Length(KValue dst, int buffer) implements KInstr {
        @Override
        public List<KValue> operands() {
            return List.of();
        }
    }

    /** Element {@code index} of buffer {@code buffer}: a lane value for batched buffers, uniform for params. */
    record Load(KValue dst, int buffer, KValue index) implements KInstr {
        public Load {
            Objects.requireNonNull(index);
        }

        @Override
        public List<KValue> operands() {
            return List.of(index);
        }
    }

    /** Writes {@code value} (converted to nothing: types must match) to element {@code index} of a batched buffer. */
    record Store(int buffer, KValue index, KValue value) implements KInstr {
        @Override
        public KValue dst() {
            return null;
        }

        @Override
        public List<KValue> operands() {
            return List.of(index, value);
        }
    }

    record Unary(KValue dst, UnaryKind kind, KValue a) implements KInstr {
        @Override
        public List<KValue> operands() {
            return List.of(a);
        }
    }

    record Binary(KValue dst, BinaryKind kind, KValue a, KValue b) implements KInstr {
        @Override
        public List<KValue> operands() {
            return List.of(a, b);
        }
    }

    /** {@code a * b + c} rounded once. */
    record Fma(KValue dst, KValue a, KValue b, KValue c) implements KInstr {
        @Override
        public List<KValue> operands() {
            return List.of(a, b, c);
        }
    }

    /** A boolean from comparing two values of one type (floating comparisons with NaN are false, except NE). */
    record Compare(KValue dst, CompareKind kind, KValue a, KValue b) implements KInstr {
        @Override
        public List<KValue> operands() {
            return List.of(a, b);
        }
    }

    /** {@code cond ? a : b}, per item. */
    record Select(KValue dst, KValue cond, KValue a, KValue b) implements KInstr {
        @Override
        public List<KValue> operands() {
            return List.of(cond, a, b);
        }
    }

    /**
     * {@code a} converted to {@code dst}'s type: floating to integer truncates toward zero, bool is 0/1,
     * numbers to bool are {@code != 0}, f64 to f32 rounds to nearest.
     */
    record Convert(KValue dst, KValue a) implements KInstr {
        @Override
        public List<KValue> operands() {
            return List.of(a);
        }
    }

    /**
     * A static counted loop: {@code for (index = start; index < end; index++)}, uniform trip count. Each
     * iteration runs {@code body} with {@code params} bound to the carried values ({@code inits} at entry,
     * then {@code yields} of the previous iteration); after the loop, {@code results} hold the last carried
     * values. Values defined in the body are not visible after it.
     */
    record Loop(KValue index, int start, int end, List<KValue> params, List<KValue> inits, List<KInstr> body,
            List<KValue> yields, List<KValue> results) implements KInstr {
        public Loop {
            params = List.copyOf(params);
            inits = List.copyOf(inits);
            body = List.copyOf(body);
            yields = List.copyOf(yields);
            results = List.copyOf(results);
            if (params.size() != inits.size() || params.size() != yields.size() || params.size() != results.size()) {
                throw new IllegalArgumentException("loop carries " + params.size() + " params, " + inits.size() + " inits, "
                        + yields.size() + " yields and " + results.size() + " results");
            }
        }

        @Override
        public KValue dst() {
            return null;
        }

        @Override
        public List<KValue> operands() {
            return inits;
        }

        public int trips() {
            return Math.max(0, end - start);
        }
    }
}
