package dev.streamfold.compiler.kir;

import java.util.BitSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Checks a kernel's invariants: every value is defined once in the whole kernel, before it is used and in scope; operand types
 * match their instruction; a value is a lane value exactly when the rules of {@link KInstr} make it one
 * (loads from batched buffers, instructions with a lane operand, loop values that carry one); indices are
 * uniform integers; stores go to batched buffers other than inputs and match their type. Returns the kernel.
 */
public final class KirVerifier {
    private KirVerifier() {}

    public static Kernel verify(Kernel k) {
        new Check(k, new BitSet()).block(k.body(), new HashMap<>());
        return k;
    }

    /** {@code defined}: every id defined so far anywhere in the kernel, so that sibling loop bodies cannot share an id. */
    private record Check(Kernel k, BitSet defined) {
        /** Checks {@code body} in the scope {@code outer}; returns the scope at its end. */
        Map<Integer, KValue> block(List<KInstr> body, Map<Integer, KValue> outer) {
            Map<Integer, KValue> scope = new HashMap<>(outer);
            for (KInstr i : body) {
                for (KValue v : i.operands()) {
                    use(scope, v, i);
                }
                switch (i) {
                    case KInstr.ConstF c -> require(c.dst().type().isFloat() && !c.dst().lane(), i, "a uniform float constant");
                    case KInstr.ConstI c -> require(!c.dst().type().isFloat() && !c.dst().lane()
                            && (c.dst().type() != KType.BOOL || c.value() == 0 || c.value() == 1), i, "a uniform integer constant");
                    case KInstr.Arg a -> require(a.index() >= 0 && a.index() < k.args().size()
                            && k.args().get(a.index()) == a.dst().type() && !a.dst().lane(), i, "a declared argument");
                    case KInstr.Length l -> require(buffer(l.buffer()) != null && buffer(l.buffer()).role() == KBuffer.Role.PARAM
                            && l.dst().type() == KType.I64 && !l.dst().lane(), i, "the i64 length of a param buffer");
                    case KInstr.Load l -> {
                        KBuffer b = buffer(l.buffer());
                        require(b != null, i, "a declared buffer");
                        index(l.index(), i);
                        require(l.dst().type() == b.type() && l.dst().lane() == b.role().batched(), i,
                                "the buffer's type, lane exactly when batched");
                    }
                    case KInstr.Store s -> {
                        KBuffer b = buffer(s.buffer());
                        require(b != null && b.role().batched() && b.role() != KBuffer.Role.IN, i, "a writable batched buffer");
                        index(s.index(), i);
                        require(s.value().type() == b.type(), i, "a value of the buffer's type");
                    }
                    case KInstr.Unary u -> {
                        require(u.kind() == KInstr.UnaryKind.NOT ? !u.a().type().isFloat() : u.a().type() != KType.BOOL, i,
                                "an operand type the operation takes");
                        same(u.dst(), u.a().type(), u.a().lane(), i);
                    }
                    case KInstr.Binary b -> {
                        require(b.a().type() == b.b().type(), i, "operands of one type");
                        boolean bitwise = b.kind() == KInstr.BinaryKind.AND || b.kind() == KInstr.BinaryKind.OR
                                || b.kind() == KInstr.BinaryKind.XOR;
                        require(bitwise ? !b.a().type().isFloat()
                                : b.kind() == KInstr.BinaryKind.POW ? b.a().type().isFloat() : b.a().type() != KType.BOOL, i,
                                "an operand type the operation takes");
                        same(b.dst(), b.a().type(), b.a().lane() || b.b().lane(), i);
                    }
                    case KInstr.Fma f -> {
                        require(f.a().type().isFloat() && f.a().type() == f.b().type() && f.a().type() == f.c().type(), i,
                                "three floats of one type");
                        same(f.dst(), f.a().type(), f.a().lane() || f.b().lane() || f.c().lane(), i);
                    }
                    case KInstr.Compare c -> {
                        require(c.a().type() == c.b().type(), i, "operands of one type");
                        same(c.dst(), KType.BOOL, c.a().lane() || c.b().lane(), i);
                    }
                    case KInstr.Select s -> {
                        require(s.cond().type() == KType.BOOL && s.a().type() == s.b().type(), i, "a bool and two values of one type");
                        same(s.dst(), s.a().type(), s.cond().lane() || s.a().lane() || s.b().lane(), i);
                    }
                    case KInstr.Convert c -> require(c.dst().lane() == c.a().lane(), i, "the operand's lane-ness");
                    case KInstr.Loop l -> {
                        require(l.index().type() == KType.I32 && !l.index().lane(), i, "a uniform i32 index");
                        Map<Integer, KValue> inner = new HashMap<>(scope);
                        define(inner, l.index(), i);
                        for (int j = 0; j < l.params().size(); j++) {
                            KValue p = l.params().get(j);
                            require(p.type() == l.inits().get(j).type() && (p.lane() || !l.inits().get(j).lane()), i,
                                    "carried values typed as their initial values");
                            define(inner, p, i);
                        }
                        Map<Integer, KValue> bodyScope = block(l.body(), inner);
                        for (int j = 0; j < l.yields().size(); j++) {
                            KValue y = l.yields().get(j);
                            use(bodyScope, y, i);
                            KValue p = l.params().get(j);
                            require(y.type() == p.type() && (p.lane() || !y.lane()), i, "yields typed as their carried values");
                            KValue r = l.results().get(j);
                            require(r.type() == p.type() && r.lane() == p.lane(), i, "results typed as their carried values");
                        }
                        for (KValue r : l.results()) {
                            define(scope, r, i);
                        }
                    }
                }
                if (i.dst() != null) {
                    define(scope, i.dst(), i);
                }
            }
            return scope;
        }

        KBuffer buffer(int index) {
            return index >= 0 && index < k.buffers().size() ? k.buffers().get(index) : null;
        }

        void index(KValue v, KInstr i) {
            require(v.type().isInteger() && !v.lane(), i, "a uniform integer index");
        }

        void same(KValue dst, KType type, boolean lane, KInstr i) {
            require(dst.type() == type && dst.lane() == lane, i, "a result of type " + type + (lane ? ", lane" : ", uniform"));
        }

        void use(Map<Integer, KValue> scope, KValue v, KInstr i) {
            KValue d = scope.get(v.id());
            require(d != null, i, v + " defined before it is used");
            require(d.equals(v), i, v + " used with the type it was defined with");
        }

        void define(Map<Integer, KValue> scope, KValue v, KInstr i) {
            require(v.id() >= 0 && v.id() < k.nextId(), i, v + " below the kernel's next id");
            require(!defined.get(v.id()), i, v + " defined once");
            defined.set(v.id());
            scope.put(v.id(), v);
        }

        void require(boolean ok, KInstr i, String what) {
            if (!ok) {
                throw new IllegalStateException("kernel " + k.name() + ": instruction " + i + " must have " + what);
            }
        }
    }
}
