package dev.streamfold.tests;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import dev.streamfold.compiler.KernelEval;
import dev.streamfold.ir.DType;
import dev.streamfold.runtime.StreamingRunner;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.junit.jupiter.api.Test;

/** A step on a generated input equals the step on the same input read from memory, bit for bit. */
class GeneratedInputTest {
    static float value(long step, long i) {
        return (float) Math.sin(step * 1000003L + i);
    }

    @Test
    void generatedInputMatchesInputFromMemoryForAnyThreadCount() {
        KernelEval.Bound b = KernelEval.bind(OperatorTable.compose3(), dev.streamfold.ir.stream.Bindings.NONE, DType.F32);
        long d = 3 * StreamingRunner.CHUNK + 4097;
        StreamingRunner.InputSource source = (step, from, dst, count) -> {
            for (int j = 0; j < count; j++) {
                dst.setAtIndex(ValueLayout.JAVA_FLOAT, j, value(step, from + j));
            }
        };
        try (Arena arena = Arena.ofShared();
                StreamingRunner fromMemory = new StreamingRunner(b.kernel(), b.params(), d, 1);
                StreamingRunner generated1 = new StreamingRunner(b.kernel(), b.params(), d, 1);
                StreamingRunner generated3 = new StreamingRunner(b.kernel(), b.params(), d, 3)) {
            MemorySegment x = arena.allocate(d * 4);
            MemorySegment y0 = arena.allocate(d * 4);
            MemorySegment y1 = arena.allocate(d * 4);
            MemorySegment y3 = arena.allocate(d * 4);
            for (int t = 0; t < 4; t++) {
                for (long i = 0; i < d; i++) {
                    x.setAtIndex(ValueLayout.JAVA_FLOAT, i, value(t, i));
                }
                fromMemory.next(x, y0);
                generated1.next(source, y1);
                generated3.next(source, y3);
                float[] want = y0.toArray(ValueLayout.JAVA_FLOAT);
                assertArrayEquals(want, y1.toArray(ValueLayout.JAVA_FLOAT), "step " + t + ", 1 thread");
                assertArrayEquals(want, y3.toArray(ValueLayout.JAVA_FLOAT), "step " + t + ", 3 threads");
            }
        }
    }
}
