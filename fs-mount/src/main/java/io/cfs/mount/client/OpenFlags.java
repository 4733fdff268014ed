package io.cfs.mount.client;

/** The open(2) flags the client acts on (Linux values). */
public final class OpenFlags {
    public static final int ACCESS_MODE = 03;
    public static final int READ_ONLY = 0;
    public static final int WRITE_ONLY = 01;
    public static final int READ_WRITE = 02;
    public static final int CREATE = 0100;
    public static final int EXCLUSIVE = 0200;
    public static final int TRUNCATE = 01000;
    public static final int APPEND = 02000;

    private OpenFlags() {}

    public static boolean writable(int flags) {
        return (flags & ACCESS_MODE) != READ_ONLY;
    }
}
