/**
 * The CUDA driver API, bound with {@code java.lang.foreign} (no JNI, no native library of our own), and
 * a small safe API over it for loading PTX and running kernels.
 *
 * <p>{@link dev.streamfold.runtime.cuda.CudaDriver#isAvailable()} says whether {@code libcuda.so.1} can
 * be used; where it cannot, every entry point throws
 * {@link dev.streamfold.runtime.cuda.CudaUnavailableException} with one message saying so. Errors from
 * the driver become {@link dev.streamfold.runtime.cuda.CudaException}s naming the call and the error.
 * {@link dev.streamfold.runtime.cuda.CudaContext} owns the modules, buffers, streams and events made
 * from it; each is closed on its own or with the context, and using a closed one throws
 * {@link java.lang.IllegalStateException}.
 *
 * <p>Needs {@code --enable-native-access=ALL-UNNAMED}.
 */
package dev.streamfold.runtime.cuda;
