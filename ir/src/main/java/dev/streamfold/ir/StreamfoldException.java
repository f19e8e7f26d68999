package dev.streamfold.ir;

/**
 * A user-facing error: bad input, a violated parameter constraint, an unsupported request. The
 * message names what is wrong and where; the CLI prints it as one {@code error:} line.
 */
public class StreamfoldException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public StreamfoldException(String message) {
        super(message);
    }

    public StreamfoldException(String message, Throwable cause) {
        super(message, cause);
    }
}
