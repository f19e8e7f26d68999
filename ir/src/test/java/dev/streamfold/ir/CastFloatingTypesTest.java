package dev.streamfold.ir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** {@link CastFloatingTypes}: a float64 program cast to float32 is the program written in float32. */
class CastFloatingTypesTest {
    @Test
    void everyFloat32RowIsItsFloat64ReferenceCast() {
        int checked = 0;
        for (OpTable.Row row : OpTable.rows()) {
            if (row.dtype() != DType.F32 || row.label().startsWith("convert")) {
                continue;
            }
            Program cast = Verifier.verify(CastFloatingTypes.apply(row.reference().program(), DType.F32));
            assertEquals(Printer.print(row.testCase().program()), Printer.print(cast), row.toString());
            checked++;
        }
        assertTrue(checked > 100, "only " + checked + " rows");
    }

    @Test
    void conversionsToFloatsFollowAndIntegersStay() {
        ProgramBuilder b = new ProgramBuilder();
        Var k = b.param(Type.of(DType.I32, 2));
        Var x = b.param(Type.of(DType.F32, 2));
        Var kf = b.convert(k, DType.F64);
        Var y = b.add(kf, b.convert(x, DType.F64));
        Var back = b.convert(y, DType.I32);
        Program p = b.build(y, back, b.constant(Tensor.vector(DType.F64, 0.1)));
        Program cast = CastFloatingTypes.apply(p, DType.F32);
        assertEquals(List.of(Type.of(DType.I32, 2), Type.of(DType.F32, 2)), cast.paramTypes());
        assertEquals(List.of(Type.of(DType.F32, 2), Type.of(DType.I32, 2), Type.of(DType.F32, 1)), cast.resultTypes());
        List<Tensor> out = Interpreter.run(cast, List.of(Tensor.vector(DType.I32, 1, 2), Tensor.vector(DType.F32, 0.5, 0.25)));
        assertEquals(Tensor.vector(DType.F32, 0.1).astype(DType.F32), out.get(2));
    }
}
