package io.cfs.mount.fuse;

import io.cfs.protocol.ErrorCode;
import java.util.EnumMap;
import java.util.Map;
import ru.serce.jnrfuse.ErrorCodes;

/** The one table from CFS error codes to the errno a FUSE callback returns (negated). */
final class Errno {
    private static final Map<ErrorCode, Integer> TABLE = new EnumMap<>(ErrorCode.class);

    static {
        TABLE.put(ErrorCode.NOT_FOUND, ErrorCodes.ENOENT());
        TABLE.put(ErrorCode.ALREADY_EXISTS, ErrorCodes.EEXIST());
        TABLE.put(ErrorCode.NOT_A_DIRECTORY, ErrorCodes.ENOTDIR());
        TABLE.put(ErrorCode.IS_A_DIRECTORY, ErrorCodes.EISDIR());
        TABLE.put(ErrorCode.NOT_EMPTY, ErrorCodes.ENOTEMPTY());
        TABLE.put(ErrorCode.NO_SPACE, ErrorCodes.ENOSPC());
        TABLE.put(ErrorCode.INVALID_ARGUMENT, ErrorCodes.EINVAL());
        TABLE.put(ErrorCode.NAME_TOO_LONG, ErrorCodes.ENAMETOOLONG());
        TABLE.put(ErrorCode.OUT_OF_RANGE, ErrorCodes.EINVAL());
        TABLE.put(ErrorCode.NOT_MASTER, ErrorCodes.EIO());
        TABLE.put(ErrorCode.UNKNOWN_VOLUME, ErrorCodes.EIO());
        TABLE.put(ErrorCode.IO_ERROR, ErrorCodes.EIO());
        TABLE.put(ErrorCode.UNAVAILABLE, ErrorCodes.EIO());
        TABLE.put(ErrorCode.BAD_HANDLE, ErrorCodes.EBADF());
        TABLE.put(ErrorCode.PERMISSION_DENIED, ErrorCodes.EPERM());
        TABLE.put(ErrorCode.ACCESS_DENIED, ErrorCodes.EACCES());
        TABLE.put(ErrorCode.FILE_TOO_LARGE, ErrorCodes.EFBIG());
        TABLE.put(ErrorCode.UNSUPPORTED, ErrorCodes.EOPNOTSUPP());
        TABLE.put(ErrorCode.INTERNAL, ErrorCodes.EIO());
        TABLE.put(ErrorCode.SESSION_EXPIRED, ErrorCodes.EIO());
        TABLE.put(ErrorCode.AUTHENTICATION_FAILED, ErrorCodes.EACCES());
        for (ErrorCode code : ErrorCode.values()) {
            if (!TABLE.containsKey(code)) {
                throw new ExceptionInInitializerError("no errno for " + code);
            }
        }
    }

    private Errno() {}

    /** The negative errno FUSE expects for a CFS error. */
    static int of(ErrorCode code) {
        return -TABLE.get(code);
    }

    /** The symbolic name of a (positive) errno, such as ENOENT, or errno-N when the platform has none. */
    static String name(int errno) {
        jnr.constants.platform.Errno e = jnr.constants.platform.Errno.valueOf(errno);
        return e == jnr.constants.platform.Errno.__UNKNOWN_CONSTANT__ ? "errno-" + errno : e.name();
    }

    static int eio() {
        return -ErrorCodes.EIO();
    }

    /** A change refused because the mount is read-only. */
    static int readOnly() {
        return -ErrorCodes.EROFS();
    }
}
