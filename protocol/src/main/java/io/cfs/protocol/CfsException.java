package io.cfs.protocol;

/** A failure with an {@link ErrorCode}: thrown by servers, sent as an error reply, rethrown by clients. */
public final class CfsException extends RuntimeException {
    private final ErrorCode code;

    public CfsException(ErrorCode code, String message) {
        super(message);
        this.code = code;
    }

    public CfsException(ErrorCode code, String message, Throwable cause) {
        super(message, cause);
        this.code = code;
    }

    public ErrorCode code() {
        return code;
    }

    @Override
    public String toString() {
        return code + ": " + getMessage();
    }
}
