package io.cfs.meta.namespace;

import io.cfs.protocol.CfsException;
import io.cfs.protocol.ErrorCode;
import java.nio.charset.StandardCharsets;

/** The rules for one path component. */
public final class Names {
    /** Longest name in UTF-8 bytes, as Linux's NAME_MAX. */
    public static final int MAX_BYTES = 255;

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

    /** The name as a message can show it: NULs visible, long names shortened. */
    static String printable(String name) {
        String visible = name.replace("\0", "\\0");
        return visible.length() > 64 ? visible.substring(0, 61) + "..." : visible;
    }
}
