package io.cfs.mount.client;

/**
 * The open(2) flags the client acts on (Linux values). The kernel turns O_TRUNC into a truncate
 * and O_APPEND into write offsets before the file system sees them.
 */
public final class OpenFlags {
    public static final int ACCESS_MODE = 03;
    public static final int READ_ONLY = 0;
    public static final int WRITE_ONLY = 01;
    public static final int EXCLUSIVE = 0200;
    public static final int TRUNCATE = 01000;
    /** The kernel's FMODE_EXEC, set in the flags of the open of a file being executed. */
    public static final int EXEC = 040;

    private OpenFlags() {}

    public static boolean writable(int flags) {
        return (flags & ACCESS_MODE) != READ_ONLY;
    }
}
