package dev.streamfold.compiler.passes;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.streamfold.ir.DType;
import dev.streamfold.ir.ProgramBuilder;
import dev.streamfold.ir.Reduce;
import dev.streamfold.ir.StreamfoldException;
import dev.streamfold.ir.Type;
import dev.streamfold.ir.Var;
import dev.streamfold.ir.stream.StepProgram;
import org.junit.jupiter.api.Test;

class LowerStepToKernelTest {
    @Test
    void aLinearAlgebraOpInAStepIsRefusedByName() {
        Type slice = Type.of(DType.F64, 4);
        ProgramBuilder b = new ProgramBuilder();
        b.param(Type.scalar(DType.I32));
        Var x = b.param(slice);
        Var y = b.reduce(Reduce.Kind.SUM, b.diagEmbed(x), 1);
        StepProgram step = new StepProgram(b.build(y), 0, 0, slice);
        StreamfoldException e = assertThrows(StreamfoldException.class, () -> LowerStepToKernel.run(step));
        assertEquals(
                "cannot fuse diag_embed into a streaming step kernel (diagonal embeddings are not supported there)",
                e.getMessage());
    }
}
