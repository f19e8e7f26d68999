package dev.streamfold.ir;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Printed programs with one character deleted, duplicated or replaced either parse to a program that
 * verifies or are refused with a positioned {@link StreamfoldException}; nothing else escapes.
 */
class IrParserMutationTest {
    private static final String REPLACEMENTS = "%:=,{}[]()#\n -09xfbtr_";

    @Test
    void mutatedTextIsParsedOrRefusedWithAPosition() {
        Random r = new Random(11);
        int refused = 0;
        int parsed = 0;
        for (OpTable.Row row : OpTable.rows()) {
            Program p = row.testCase().program();
            boolean[] all = new boolean[p.params().size()];
            Arrays.fill(all, true);
            for (Program q : List.of(p, Jvp.transform(p, all, null).program())) {
                String text = Printer.print(q);
                for (int trial = 0; trial < 4; trial++) {
                    int at = r.nextInt(text.length());
                    char c = REPLACEMENTS.charAt(r.nextInt(REPLACEMENTS.length()));
                    String mutated = switch (trial % 3) {
                        case 0 -> text.substring(0, at) + text.substring(at + 1);
                        case 1 -> text.substring(0, at) + text.charAt(at) + text.substring(at);
                        default -> text.substring(0, at) + c + text.substring(at + 1);
                    };
                    try {
                        Verifier.verify(IrParser.parse(mutated));
                        parsed++;
                    } catch (StreamfoldException e) {
                        assertTrue(e.getMessage().matches("\\d+:\\d+: .+"), e.getMessage());
                        refused++;
                    } catch (RuntimeException e) {
                        fail("parsing " + mutated + " threw " + e, e);
                    }
                }
            }
        }
        assertTrue(refused > 1000 && parsed > 100, refused + " refused, " + parsed + " parsed");
    }
}
