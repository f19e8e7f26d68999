package dev.streamfold.runtime.noise;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class Philox4x32Test {
    /** Random123 kat_vectors, philox4x32 with 10 rounds: counter, key, expected output. */
    private static final int[][][] KNOWN_ANSWERS = {
        {{0, 0, 0, 0}, {0, 0}, {0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8}},
        {{-1, -1, -1, -1}, {-1, -1}, {0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd}},
        {{0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344}, {0xa4093822, 0x299f31d0},
            {0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1}},
    };

    @Test
    void matchesRandom123KnownAnswers() {
        for (int[][] kat : KNOWN_ANSWERS) {
            int[] c = kat[0];
            int[] k = kat[1];
            int[] out = new int[4];
            Philox4x32.block(c[0], c[1], c[2], c[3], k[0], k[1], out);
            assertArrayEquals(kat[2], out);
            for (int i = 0; i < 4; i++) {
                assertEquals(kat[2][i], Philox4x32.word(c[0], c[1], c[2], c[3], k[0], k[1], i));
            }
        }
    }

    @Test
    void wordPairPacksTwoWordsLowFirst() {
        SplittableRandom random = new SplittableRandom(7);
        int[] out = new int[4];
        for (int trial = 0; trial < 1000; trial++) {
            int c0 = random.nextInt(), c1 = random.nextInt(), c2 = random.nextInt(), c3 = random.nextInt();
            int k0 = random.nextInt(), k1 = random.nextInt();
            Philox4x32.block(c0, c1, c2, c3, k0, k1, out);
            for (int pair = 0; pair < 2; pair++) {
                long expected = (long) out[2 * pair + 1] << 32 | (out[2 * pair] & 0xFFFFFFFFL);
                assertEquals(expected, Philox4x32.wordPair(c0, c1, c2, c3, k0, k1, pair));
            }
        }
    }
}
