package dev.streamfold.compiler.lower;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.streamfold.ir.DType;
import dev.streamfold.ir.Eigh;
import dev.streamfold.ir.Op;
import dev.streamfold.ir.ProgramBuilder;
import dev.streamfold.ir.Qr;
import dev.streamfold.ir.StreamfoldException;
import dev.streamfold.ir.Svd;
import dev.streamfold.ir.Type;
import dev.streamfold.ir.Var;
import dev.streamfold.ir.stream.StepProgram;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class LowerStepToKirDecompositionTest {
    @ParameterizedTest
    @CsvSource({"qr, QR decompositions", "svd, singular value decompositions", "eigh, eigendecompositions"})
    void aDecompositionInAStepIsRefusedByName(String name, String what) {
        Op op = switch (name) {
            case "qr" -> new Qr(false);
            case "svd" -> new Svd(false, true);
            default -> new Eigh(true, true);
        };
        Type slice = Type.of(DType.F64, 2, 2);
        ProgramBuilder b = new ProgramBuilder();
        b.param(Type.scalar(DType.I32));
        Var x = b.param(slice);
        List<Var> outs = b.emit(op, List.of(x));
        StepProgram step = new StepProgram(b.build(outs.get(outs.size() - 1)), 0, 0, slice);
        StreamfoldException e = assertThrows(StreamfoldException.class, () -> LowerStepToKir.run(step));
        assertEquals("cannot fuse " + name + " into a streaming step kernel (" + what + " are not supported there)",
                e.getMessage());
    }
}
