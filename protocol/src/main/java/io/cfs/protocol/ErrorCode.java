package io.cfs.protocol;

/**
 * Every error any CFS daemon can answer with, in one place. The wire carries {@link #code()};
 * the FUSE driver maps each to one errno in its own single table.
 */
public enum ErrorCode {
    NOT_FOUND(1),
    ALREADY_EXISTS(2),
    NOT_A_DIRECTORY(3),
    IS_A_DIRECTORY(4),
    NOT_EMPTY(5),
    NO_SPACE(6),
    INVALID_ARGUMENT(7),
    NAME_TOO_LONG(8),
    /** An offset or length outside a volume or a file. */
    OUT_OF_RANGE(9),
    /** A client write sent to a volume that is not a pair's master. */
    NOT_MASTER(10),
    UNKNOWN_VOLUME(11),
    IO_ERROR(12),
    /** The daemon (or one it depends on) cannot be reached, or did not answer in time. */
    UNAVAILABLE(13),
    /** An open-file handle the server does not know. */
    BAD_HANDLE(14),
    /** An operation only the owner (or root) may make: chmod, chown, utimes, a sticky directory's entries (EPERM). */
    PERMISSION_DENIED(15),
    FILE_TOO_LARGE(16),
    /** A request that is well-formed on the wire but makes no sense here (wrong opcode for the daemon). */
    UNSUPPORTED(17),
    /** A bug: the server failed in a way it did not expect. The detail says where. */
    INTERNAL(18),
    /** A client session the metadata server no longer has (its lease expired): open files must be reopened. */
    SESSION_EXPIRED(19),
    /** The peer does not hold the cluster secret (or a different one): the connection is closed. */
    AUTHENTICATION_FAILED(20),
    /** The caller's user and groups lack the read, write or search permission the mode bits require (EACCES). */
    ACCESS_DENIED(21);

    private static final ErrorCode[] BY_CODE = new ErrorCode[32];

    static {
        for (ErrorCode c : values()) {
            BY_CODE[c.code] = c;
        }
    }

    private final int code;

    ErrorCode(int code) {
        this.code = code;
    }

    public int code() {
        return code;
    }

    /** The code for a wire value; an unknown value is a malformed frame. */
    public static ErrorCode of(int code) {
        ErrorCode c = code >= 0 && code < BY_CODE.length ? BY_CODE[code] : null;
        if (c == null) {
            throw new io.netty.handler.codec.CorruptedFrameException("unknown error code " + code);
        }
        return c;
    }
}
