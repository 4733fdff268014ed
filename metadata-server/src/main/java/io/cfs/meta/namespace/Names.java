package io.cfs.meta.namespace;

import io.cfs.protocol.CfsException;
import io.cfs.protocol.ErrorCode;
import java.nio.charset.StandardCharsets;

/** The rules for one path component and for a symbolic link's target. */
public final class Names {
    /** Longest name in UTF-8 bytes, as Linux's NAME_MAX. */
    public static final int MAX_BYTES = 255;
    /** Longest symbolic link target in UTF-8 bytes: Linux's PATH_MAX (4096) less the terminating NUL. */
    public static final int MAX_TARGET_BYTES = 4095;

    private Names() {}

    /** Throws INVALID_ARGUMENT or NAME_TOO_LONG for a name that cannot be a directory entry. */
    public static void check(String name) {
        if (name.isEmpty()) {
            throw new CfsException(ErrorCode.INVALID_ARGUMENT, "empty name: expected 1.." + MAX_BYTES + " bytes");
        }
        if (name.equals(".") || name.equals("..")) {
            throw new CfsException(ErrorCode.INVALID_ARGUMENT, "name '" + name
                    + "' is reserved: expected a name other than . and ..");
        }
        if (name.indexOf('/') >= 0 || name.indexOf('\0') >= 0) {
            throw new CfsException(ErrorCode.INVALID_ARGUMENT, "name '" + printable(name)
                    + "' contains '/' or NUL: expected a single path component");
        }
        int bytes = name.getBytes(StandardCharsets.UTF_8).length;
        if (bytes > MAX_BYTES) {
            throw new CfsException(ErrorCode.NAME_TOO_LONG, "name '" + printable(name) + "' is " + bytes
                    + " bytes long: expected at most " + MAX_BYTES);
        }
    }

    /**
     * Throws INVALID_ARGUMENT (empty, or a NUL inside) or NAME_TOO_LONG (over {@link
     * #MAX_TARGET_BYTES}) for a target a symbolic link cannot hold. Any other text is stored as
     * given: a target is not resolved by the server.
     */
    public static void checkTarget(String target) {
        if (target.isEmpty()) {
            throw new CfsException(ErrorCode.INVALID_ARGUMENT, "empty symbolic link target: expected 1.."
                    + MAX_TARGET_BYTES + " bytes");
        }
        if (target.indexOf('\0') >= 0) {
            throw new CfsException(ErrorCode.INVALID_ARGUMENT, "symbolic link target '" + printable(target)
                    + "' contains NUL: expected a path");
        }
        int bytes = targetBytes(target);
        if (bytes > MAX_TARGET_BYTES) {
            throw new CfsException(ErrorCode.NAME_TOO_LONG, "symbolic link target '" + printable(target) + "' is "
                    + bytes + " bytes long: expected at most " + MAX_TARGET_BYTES);
        }
    }

    static int targetBytes(String target) {
        return target.getBytes(StandardCharsets.UTF_8).length;
    }

    /** The name as a message can show it: NULs visible, long names shortened. */
    static String printable(String name) {
        String visible = name.replace("\0", "\\0");
        return visible.length() > 64 ? visible.substring(0, 61) + "..." : visible;
    }
}
