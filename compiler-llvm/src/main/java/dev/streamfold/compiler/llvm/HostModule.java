package dev.streamfold.compiler.llvm;

import static org.bytedeco.llvm.global.LLVM.LLVMOrcDisposeLLJIT;
import static org.bytedeco.llvm.global.LLVM.LLVMOrcLLJITLookup;

import java.lang.foreign.MemorySegment;
import org.bytedeco.llvm.LLVM.LLVMOrcLLJITRef;

/**
 * A module compiled for this process by {@link LlvmToolchain#jitHost}. Its functions are called through
 * {@code java.lang.foreign}: {@code Linker.nativeLinker().downcallHandle(module.lookup("f"), descriptor)}.
 *
 * <p>Closing frees the machine code: addresses looked up before, and handles bound to them, must not be used
 * after {@link #close()}. Lookups and closing may come from any thread.
 */
public final class HostModule implements AutoCloseable {
    private final String name;
    private LLVMOrcLLJITRef jit;

    HostModule(LLVMOrcLLJITRef jit, String name) {
        this.jit = jit;
        this.name = name;
    }

    /** The module's name (see {@link LlvmToolchain}). */
    public String name() {
        return name;
    }

    /**
     * The address of a function or global the module defines, compiling it on first request.
     *
     * @param symbol the name as written in the IR, without {@code @}
     * @return a zero-length segment holding only the address
     * @throws LlvmException if the module defines no such symbol or it fails to compile
     * @throws IllegalStateException if the module is closed
     */
    public synchronized MemorySegment lookup(String symbol) {
        if (jit == null) {
            throw new IllegalStateException("module '" + name + "' is closed");
        }
        long[] address = new long[1];
        LlvmToolchain.check(LLVMOrcLLJITLookup(jit, address, symbol),
                "cannot look up '" + symbol + "' in module '" + name + "'");
        return MemorySegment.ofAddress(address[0]);
    }

    /** Frees the JIT and all code it compiled; further calls do nothing. */
    @Override
    public synchronized void close() {
        if (jit != null) {
            LLVMOrcLLJITRef closing = jit;
            jit = null;
            LlvmToolchain.check(LLVMOrcDisposeLLJIT(closing), "cannot free module '" + name + "'");
        }
    }
}
