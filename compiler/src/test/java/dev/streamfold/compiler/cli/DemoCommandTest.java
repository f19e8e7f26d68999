package dev.streamfold.compiler.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The demo's noise median leaves out the warm-up steps and says how many. */
class DemoCommandTest {
    @Test
    void theMedianLeavesOutTheWarmUpSteps() {
        double[] ms = {100, 90, 1, 2, 3, 4, 5, 6};
        assertEquals(4, DemoCommand.medianAfterWarmUp(ms, 2));
        assertEquals(5, DemoCommand.medianAfterWarmUp(ms, 0), "with the slow first steps the median would be higher");
    }

    @Test
    void theNoiseLineNamesTheStepsItCounts() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int status = Main.run(new String[] {"demo", "--dim", "4096", "--steps", "2", "--threads", "1"},
                new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
        String text = out.toString(StandardCharsets.UTF_8);
        assertEquals(0, status, err.toString(StandardCharsets.UTF_8));
        int last = DemoCommand.NOISE_WARM_UP_STEPS + DemoCommand.NOISE_TIMED_STEPS - 1;
        assertTrue(text.contains("ms per step over steps " + DemoCommand.NOISE_WARM_UP_STEPS + ".." + last + " (the first "
                + DemoCommand.NOISE_WARM_UP_STEPS + " are warm-up, not counted)"), text);
        assertTrue(text.contains(last + 1 + "/" + (last + 1) + " steps"), text);
    }
}
