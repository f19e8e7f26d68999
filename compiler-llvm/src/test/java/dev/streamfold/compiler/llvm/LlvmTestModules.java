package dev.streamfold.compiler.llvm;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

/** The hand-written {@code .ll} modules next to the LLVM tests. */
final class LlvmTestModules {
    /** Host {@code axpy} (float) and {@code axpy_f64}: {@code void (i64 n, T a, ptr x, ptr y)}. */
    static final String AXPY_HOST = read("axpy_host.ll");

    /** The same two functions as {@code ptx_kernel}s, one thread per element. */
    static final String AXPY_NVPTX = read("axpy_nvptx.ll");

    /** Verifies, but NVPTX instruction selection aborts on its x86 intrinsic. */
    static final String NVPTX_ABORTS = """
            ; ModuleID = 'x86_intrinsic_on_gpu.ll'
            target triple = "nvptx64-nvidia-cuda"

            declare void @llvm.x86.sse2.pause()

            define ptx_kernel void @spin() {
              call void @llvm.x86.sse2.pause()
              ret void
            }
            """;

    private LlvmTestModules() {}

    private static String read(String name) {
        try (InputStream in = LlvmTestModules.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalStateException("missing test resource " + name);
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
