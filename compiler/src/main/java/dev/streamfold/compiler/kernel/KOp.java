package dev.streamfold.compiler.kernel;

import dev.streamfold.ir.Binary;
import dev.streamfold.ir.Unary;

/**
 * An operation of the kernel (loop) IR. Scalar ops run once per step, before the loop over the
 * slice; lane ops run per element inside it. Operands are ids of earlier statements.
 */
public sealed interface KOp {
    /** True for per-element ops, false for per-step scalars. */
    boolean isLane();

    /** Value of a scalar parameter slot (its only element). */
    record ParamScalar(int param) implements KOp {
        @Override
        public boolean isLane() {
            return false;
        }
    }

    /** {@code param[min(t, len-1)]}: a per-step array read with clip indexing. */
    record ParamAtStep(int param) implements KOp {
        @Override
        public boolean isLane() {
            return false;
        }
    }

    /** {@code param[min(index, len-1)]}: one entry of an array parameter (e.g. a per-buffer value). */
    record ParamElement(int param, int index) implements KOp {
        @Override
        public boolean isLane() {
            return false;
        }
    }

    record ScalarConst(double value) implements KOp {
        @Override
        public boolean isLane() {
            return false;
        }
    }

    record ScalarUnary(Unary.Kind kind, int a) implements KOp {
        @Override
        public boolean isLane() {
            return false;
        }
    }

    record ScalarBinary(Binary.Kind kind, int a, int b) implements KOp {
        @Override
        public boolean isLane() {
            return false;
        }
    }

    /** A per-step scalar in every lane. */
    record Splat(int scalar) implements KOp {
        @Override
        public boolean isLane() {
            return true;
        }
    }

    /** The step's input element. */
    record LoadX() implements KOp {
        @Override
        public boolean isLane() {
            return true;
        }
    }

    /** The element of a state buffer, as it was before this step. */
    record LoadState(int buffer) implements KOp {
        @Override
        public boolean isLane() {
            return true;
        }
    }

    record LaneUnary(Unary.Kind kind, int a) implements KOp {
        @Override
        public boolean isLane() {
            return true;
        }
    }

    record LaneBinary(Binary.Kind kind, int a, int b) implements KOp {
        @Override
        public boolean isLane() {
            return true;
        }
    }

    /** {@code a * b + c} rounded once. */
    record Fma(int a, int b, int c) implements KOp {
        @Override
        public boolean isLane() {
            return true;
        }
    }

    /** Writes the state buffer's element for the next step; defines no value. */
    record StoreState(int buffer, int value) implements KOp {
        @Override
        public boolean isLane() {
            return true;
        }
    }

    /** Writes the step's output element; defines no value. */
    record StoreY(int value) implements KOp {
        @Override
        public boolean isLane() {
            return true;
        }
    }
}
