package io.cfs.protocol.message;

/** The kind of a namespace entry. Wire: one byte, {@link #code()}. */
public enum FileType {
    DIRECTORY(1), REGULAR(2), SYMLINK(3), FIFO(4), CHAR_DEVICE(5), BLOCK_DEVICE(6), SOCKET(7);

    private final int code;

    FileType(int code) {
        this.code = code;
    }

    public int code() {
        return code;
    }

    public static FileType of(int code) {
        for (FileType t : values()) {
            if (t.code == code) {
                return t;
            }
        }
        throw new IllegalArgumentException("file type " + code + ": expected 1..7");
    }
}
