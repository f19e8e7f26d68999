package dev.streamfold.runtime.cuda;

/**
 * A driver call returned a {@code CUresult} other than {@code CUDA_SUCCESS}. The message names the call,
 * the error and its description, then any detail such as the JIT log of a PTX module that failed to
 * load: {@code cuModuleLoadDataEx failed: CUDA_ERROR_INVALID_PTX (a PTX JIT compilation failed): <log>}.
 */
public final class CudaException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final String call;
    private final int result;
    private final String errorName;
    private final String detail;

    CudaException(String call, int result, String errorName, String description, String detail) {
        super(message(call, errorName, description, detail));
        this.call = call;
        this.result = result;
        this.errorName = errorName;
        this.detail = detail == null ? "" : detail;
    }

    static String message(String call, String errorName, String description, String detail) {
        StringBuilder sb = new StringBuilder(call).append(" failed: ").append(errorName);
        if (description != null && !description.isBlank()) {
            sb.append(" (").append(description).append(')');
        }
        if (detail != null && !detail.isBlank()) {
            sb.append(": ").append(detail);
        }
        return sb.toString();
    }

    /** The driver entry point that failed, e.g. {@code cuMemAlloc_v2}. */
    public String call() {
        return call;
    }

    /** The {@code CUresult} code; compare with the constants of {@link CudaResult}. */
    public int result() {
        return result;
    }

    /** The error's enumerator name, e.g. {@code CUDA_ERROR_OUT_OF_MEMORY}. */
    public String errorName() {
        return errorName;
    }

    /** Context the driver gave beyond the code (a JIT log, a symbol name), or the empty string. */
    public String detail() {
        return detail;
    }
}
