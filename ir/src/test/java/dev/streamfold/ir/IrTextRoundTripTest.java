package dev.streamfold.ir;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** What {@link Printer} prints, {@link IrParser} reads back: the same program, text and results. */
class IrTextRoundTripTest {
    static Stream<OpTable.Row> rows() {
        return OpTable.rows().stream();
    }

    @Test
    void parserReadsEveryOp() {
        assertEquals(Set.of(Op.class.getPermittedSubclasses()), IrParser.parsedOpClasses());
    }

    @Test
    void everyOpNameInTheTableIsExercised() {
        Set<String> printed = new HashSet<>();
        for (OpTable.Row r : OpTable.rows()) {
            printed.add(r.testCase().op().name());
        }
        assertEquals(IrParser.opNames(), printed);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("rows")
    void oneOpProgramRoundTrips(OpTable.Row row) {
        Program p = row.testCase().program();
        assertRoundTrip(p);
        List<Tensor> x = row.testCase().sample(new Random(7));
        assertEquals(Interpreter.run(p, x), Interpreter.run(IrParser.parse(Printer.print(p)), x), row.toString());
    }

    /** JVP programs hold broadcast constants, selects and scans of scans: they round-trip too. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("rows")
    void jvpProgramRoundTrips(OpTable.Row row) {
        Program p = row.testCase().program();
        boolean[] all = new boolean[p.params().size()];
        Arrays.fill(all, true);
        assertRoundTrip(Jvp.transform(p, all, null).program());
    }

    @Test
    void namesOnTheOuterProgramRoundTrip() {
        ProgramBuilder b = new ProgramBuilder();
        Var x = b.param(Type.of(DType.F64, 3));
        Var k = b.param(Type.scalar(DType.I32));
        Var y = b.mul(x, x);
        Program p = b.build(y, x, k);
        NamedProgram np = new NamedProgram(p, List.of("x", ""), List.of("y_sq", "", "k"));
        String text = Printer.print(np);
        assertEquals("""
                program(x=%0: f64[3], %1: i32[]) {
                  %2: f64[3] = mul %0, %0
                  return y_sq=%2, %0, k=%1
                }
                """, text);
        NamedProgram back = IrParser.parseNamed(text, "p.ir");
        assertEquals(np, back);
        assertEquals(text, Printer.print(back));
    }

    @Test
    void constantsKeepEveryValueExactly() {
        double[] v = new double[20];
        for (int i = 0; i < v.length; i++) {
            v[i] = Math.PI * (i - 10) / 3 + Math.ulp(1.0) * i;
        }
        v[3] = -0.0;
        v[4] = Double.MIN_VALUE;
        v[5] = Double.MAX_VALUE;
        v[6] = Double.NaN;
        v[7] = Double.NEGATIVE_INFINITY;
        ProgramBuilder b = new ProgramBuilder();
        Var c = b.constant(new Tensor(DType.F64, new Shape(4, 5), v));
        Var f = b.constant(Tensor.vector(DType.F32, 0.1, 1e-30).astype(DType.F32));
        Var i = b.constant(Tensor.vector(DType.I32, -2147483648.0, 2147483647.0, 0));
        Var t = b.constant(Tensor.vector(DType.BOOL, 1, 0));
        assertRoundTrip(b.build(c, f, i, t));
        assertEquals("%2: i32[3] = constant{i32[3] [-2147483648, 2147483647, 0]}",
                Printer.print(b.build(i)).lines().toList().get(3).trim());
        assertEquals("%3: bool[2] = constant{bool[2] [true, false]}", Printer.print(b.build(t)).lines().toList().get(4).trim());
    }

    @Test
    void scanBodiesNestAndKeepTheirOwnIds() {
        ProgramBuilder inner = new ProgramBuilder();
        Var c = inner.param(Type.of(DType.F64, 2));
        Var x = inner.param(Type.of(DType.F64, 2));
        Program innerBody = inner.build(inner.add(c, x));
        ProgramBuilder outer = new ProgramBuilder();
        Var c2 = outer.param(Type.of(DType.F64, 2));
        Var xs = outer.param(Type.of(DType.F64, 3, 2));
        Var s = outer.scan(innerBody, 3, List.of(), List.of(c2), List.of(xs), false).get(0);
        Program outerBody = outer.build(outer.mul(s, s));
        ProgramBuilder top = new ProgramBuilder();
        Var init = top.param(Type.of(DType.F64, 2));
        Var xss = top.param(Type.of(DType.F64, 4, 3, 2));
        Program p = top.build(top.scan(outerBody, 4, List.of(), List.of(init), List.of(xss), true));
        String text = Printer.print(p);
        assertEquals("""
                program(%0: f64[2], %1: f64[4,3,2]) {
                  %2: f64[2] = scan{consts=0 carries=1 length=4 reverse} %0, %1 body program(%0: f64[2], %1: f64[3,2]) {
                    %2: f64[2] = scan{consts=0 carries=1 length=3} %0, %1 body program(%0: f64[2], %1: f64[2]) {
                      %2: f64[2] = add %0, %1
                      return %2
                    }
                    %3: f64[2] = mul %2, %2
                    return %3
                  }
                  return %2
                }
                """, text);
        assertRoundTrip(p);
    }

    /** The example of README.md's "The IR text format", word for word: printed as written, and its values. */
    @Test
    void readmeExample() {
        String text = """
                program(a=%0: f64[2], xs=%1: f64[4,2]) {
                  %2: f64[2] = constant{f64[2] [0.5, 0.25]}
                  %3: f64[2], %4: f64[4,2] = scan{consts=1 carries=1 length=4} %2, %0, %1 body program(%0: f64[2], %1: f64[2], %2: f64[2]) {
                    %3: f64[2] = mul %0, %1
                    %4: f64[2] = add %3, %2
                    return %4, %4
                  }
                  return last=%3, all=%4
                }
                """;
        NamedProgram np = IrParser.parseNamed(text, "README.md");
        assertEquals(text, Printer.print(np));
        List<Tensor> out = Interpreter.run(np.program(), List.of(Tensor.vector(DType.F64, 1, 2),
                Tensor.of(DType.F64, new Shape(4, 2), 1, 1, 1, 1, 1, 1, 1, 1)));
        assertEquals(Tensor.vector(DType.F64, 1.9375, 1.3359375), out.get(0));
    }

    @Test
    void commentsBlankLinesAndSpacingAreAccepted() {
        String text = """
                # squares its input
                program( x = %0 : f64[2] ) {

                  %5 : f64[2] = mul %0 ,%0   # x * x
                  return  y = %5
                }

                """;
        NamedProgram np = IrParser.parseNamed(text, null);
        assertEquals("""
                program(x=%0: f64[2]) {
                  %5: f64[2] = mul %0, %0
                  return y=%5
                }
                """, Printer.print(np));
    }

    static void assertRoundTrip(Program p) {
        String text = Printer.print(p);
        Program back = IrParser.parse(text);
        assertEquals(p, back, text);
        assertEquals(text, Printer.print(back));
    }
}
