package dev.streamfold.compiler.kir.passes;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.streamfold.compiler.kir.KInstr;
import dev.streamfold.compiler.kir.Kernel;
import dev.streamfold.compiler.kir.KirVerifier;
import dev.streamfold.compiler.kir.KirWalk;
import dev.streamfold.compiler.kir.RandomKernels;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Every pass, alone and in the pipeline, keeps the evaluator's results of random kernels bit for bit. */
class PassEquivalenceTest {
    private static final int SEEDS = 300;

    static Stream<KirPass> passes() {
        return Stream.of(new UnrollLoops(0), new UnrollLoops(12), new UnrollLoops(KirPipeline.DEFAULT_UNROLL_BUDGET),
                new FoldConstants(), new CommonSubexpressions(), new ForwardStores(), new EliminateDeadValues());
    }

    @ParameterizedTest
    @MethodSource("passes")
    void passKeepsResults(KirPass pass) {
        for (long seed = 0; seed < SEEDS; seed++) {
            Kernel k = RandomKernels.generate(seed, 40);
            Kernel out = KirVerifier.verify(pass.run(k));
            RandomKernels.assertSameResults(k, out, seed, 3);
        }
    }

    /** The passes after unrolling, where most indices are constants: what forwarding and folding work on. */
    @ParameterizedTest
    @MethodSource("passes")
    void passKeepsResultsOfUnrolledKernels(KirPass pass) {
        UnrollLoops unroll = new UnrollLoops(KirPipeline.DEFAULT_UNROLL_BUDGET);
        FoldConstants fold = new FoldConstants();
        for (long seed = 0; seed < SEEDS; seed++) {
            Kernel k = KirVerifier.verify(fold.run(unroll.run(RandomKernels.generate(seed, 40))));
            Kernel out = KirVerifier.verify(pass.run(k));
            RandomKernels.assertSameResults(k, out, seed, 3);
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 8, 64, KirPipeline.DEFAULT_UNROLL_BUDGET})
    void pipelineKeepsResults(int budget) {
        for (long seed = 0; seed < SEEDS; seed++) {
            Kernel k = RandomKernels.generate(seed, 60);
            Kernel out = KirPipeline.optimize(k, budget);
            RandomKernels.assertSameResults(k, out, seed, 3);
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 8, KirPipeline.DEFAULT_UNROLL_BUDGET})
    void pipelineTwiceKeepsResults(int budget) {
        for (long seed = 0; seed < 100; seed++) {
            Kernel once = KirPipeline.optimize(RandomKernels.generate(seed, 60), budget);
            Kernel twice = KirPipeline.optimize(once, budget);
            if (once.body().stream().noneMatch(i -> i instanceof KInstr.Loop)) {
                assertTrue(KirWalk.size(twice.body()) <= KirWalk.size(once.body()), "seed " + seed);
            }
            RandomKernels.assertSameResults(once, twice, seed, 2);
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 1, 8, 12, 64, KirPipeline.DEFAULT_UNROLL_BUDGET})
    void unrolledSizeIsTheSizeOfTheUnrolledKernel(int budget) {
        UnrollLoops unroll = new UnrollLoops(budget);
        for (long seed = 0; seed < SEEDS; seed++) {
            Kernel k = RandomKernels.generate(seed, 60);
            assertEquals(KirWalk.size(unroll.run(k).body()), unroll.unrolledSize(k), "seed " + seed);
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {KirPipeline.DEFAULT_UNROLL_BUDGET})
    void fullyUnrolledKernelsHaveNoLoopsLeft(int budget) {
        for (long seed = 0; seed < 100; seed++) {
            Kernel out = KirPipeline.optimize(RandomKernels.generate(seed, 40), budget);
            List<KInstr> loops = out.body().stream().filter(i -> i instanceof KInstr.Loop).toList();
            assertTrue(loops.isEmpty(), "seed " + seed + "\n" + out);
        }
    }
}
