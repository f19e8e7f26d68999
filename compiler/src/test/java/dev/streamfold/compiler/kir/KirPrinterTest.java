package dev.streamfold.compiler.kir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The printed form of a small kernel with a loop, against {@code src/test/resources/kir/golden/}. Run with
 * {@code -Dstreamfold.updateGolden=true} to rewrite the file after an intended change of the text form.
 */
class KirPrinterTest {
    private static final Path GOLDEN = Path.of("src/test/resources/kir/golden/clamped-sum.kir");

    /** out[0] = sum over i of min(in[i], p[0]) * scale; out[1] = the param's length as f32; a flag when any clamped. */
    static Kernel clampedSum() {
        KBuilder b = new KBuilder("clamped_sum");
        int in = b.buffer("in", KBuffer.Role.IN, KType.F32, 4);
        int p = b.buffer("p", KBuffer.Role.PARAM, KType.F32, -1);
        int s = b.buffer("s", KBuffer.Role.SCRATCH, KType.F32, 1);
        int out = b.buffer("out", KBuffer.Role.OUT, KType.F32, 2);
        int flag = b.buffer("flag", KBuffer.Role.OUT, KType.I32, 1);
        KValue scale = b.arg(b.declareArg(KType.F32));
        KValue limit = b.load(p, 0);
        List<KValue> r = b.loop(0, 4, List.of(b.constF(KType.F32, 0), b.bool(false)), (i, c) -> {
            KValue x = b.load(in, i);
            KValue over = b.compare(KInstr.CompareKind.GT, x, limit);
            b.store(s, 0, b.select(over, limit, x));
            return List.of(b.fma(b.load(s, 0), scale, c.get(0)), b.or(c.get(1), over));
        });
        b.store(out, 0, r.get(0));
        b.store(out, 1, b.convert(KType.F32, b.length(p)));
        b.store(flag, 0, b.convert(KType.I32, r.get(1)));
        return b.build();
    }

    @Test
    void printsTheGoldenText() throws IOException {
        String text = KirPrinter.print(clampedSum());
        if (Boolean.getBoolean("streamfold.updateGolden")) {
            Files.createDirectories(GOLDEN.getParent());
            Files.writeString(GOLDEN, text, StandardCharsets.UTF_8);
        }
        assertTrue(Files.exists(GOLDEN), GOLDEN.toAbsolutePath() + " is missing: run with -Dstreamfold.updateGolden=true");
        assertEquals(Files.readString(GOLDEN, StandardCharsets.UTF_8), text);
    }

    @Test
    void kernelsThatDifferPrintDifferently() {
        Kernel k = clampedSum();
        Kernel renumbered = k.withBody(k.body().subList(0, k.body().size() - 1), k.nextId());
        assertNotEquals(KirPrinter.print(k), KirPrinter.print(renumbered));
        assertEquals(KirPrinter.print(k), k.toString());
    }
}
