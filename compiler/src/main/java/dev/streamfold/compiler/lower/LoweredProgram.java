package dev.streamfold.compiler.lower;

import dev.streamfold.compiler.kir.Kernel;
import dev.streamfold.ir.Type;
import java.util.List;

/**
 * What a lowered program is: its kernel and which buffers hold which program values. Buffer {@code
 * inputBuffers.get(i)} holds parameter {@code i} and {@code outputBuffers.get(i)} result {@code i}, one item
 * (the program value without its batch axis, typed {@code itemInputTypes.get(i)} / {@code itemOutputTypes.get(i)})
 * per batch item; {@code statusBuffer} is the int32 per-item status (0 when every check passed).
 */
public record LoweredProgram(Kernel kernel, List<Integer> inputBuffers, List<Integer> outputBuffers,
        int statusBuffer, List<Type> itemInputTypes, List<Type> itemOutputTypes) {
    public LoweredProgram {
        inputBuffers = List.copyOf(inputBuffers);
        outputBuffers = List.copyOf(outputBuffers);
        itemInputTypes = List.copyOf(itemInputTypes);
        itemOutputTypes = List.copyOf(itemOutputTypes);
    }
}
