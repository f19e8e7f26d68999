package dev.streamfold.runtime.cuda;

/**
 * The CUDA driver cannot be used on this machine: {@code libcuda.so.1} is missing, lacks an entry point
 * this runtime binds, or does not initialize. The message says which, and what to use instead.
 */
public final class CudaUnavailableException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    CudaUnavailableException(String message) {
        super(message);
    }

    CudaUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
