package io.cfs.meta.namespace;

import io.cfs.meta.allocation.FileExtents;
import io.cfs.protocol.message.FileAttr;
import io.cfs.protocol.message.FileType;
import io.cfs.protocol.message.Timespec;
import io.cfs.topology.PairId;
import java.util.NavigableMap;
import java.util.TreeMap;

/**
 * One inode of the namespace: a directory, a regular file, a symbolic link, or a node (FIFO,
 * socket, character or block device). Mutated only by {@link Namespace} (and built by {@link
 * NamespaceSnapshot} when a snapshot is loaded).
 */
final class Inode {
    final long number;
    final FileType type;
    int mode;
    int uid;
    int gid;
    /** Directories: 2 plus the subdirectories; anything else: the names it has (hard links). */
    int nlink;
    long size;
    Timespec atime;
    Timespec mtime;
    Timespec ctime;

    /** Directories: the parent directory (the root is its own parent). */
    long parent;
    /** Directories: name to inode, in name order; bounded by the entries clients create. */
    final NavigableMap<String, Long> entries;
    /** Directories: the pair new files beneath it are placed on, or null (see {@link Namespace#pinFor}). */
    PairId pin;

    /** Regular files: the File Allocation Table row. */
    final FileExtents extents;
    /** Regular files: the home pair (where new blocks go while it has space). */
    PairId pair;
    /**
     * Regular files: the home pair is the pin of a directory the file was created under, so the
     * first allocation keeps it (an unpinned file's first allocation goes to the pair with the most
     * free space then). Cleared if the first block lands elsewhere (the pinned pair was full).
     */
    boolean pinned;

    /** Symbolic links: the target, as given. */
    final String target;
    /** Character and block devices: the device number. */
    final int rdev;

    private Inode(long number, FileType type, int mode, int uid, int gid, Timespec time,
                  NavigableMap<String, Long> entries, FileExtents extents, String target, int rdev) {
        this.number = number;
        this.type = type;
        this.mode = mode;
        this.uid = uid;
        this.gid = gid;
        this.atime = time;
        this.mtime = time;
        this.ctime = time;
        this.entries = entries;
        this.extents = extents;
        this.target = target;
        this.rdev = rdev;
    }

    static Inode directory(long number, long parent, int mode, int uid, int gid, Timespec time) {
        Inode dir = new Inode(number, FileType.DIRECTORY, mode, uid, gid, time, new TreeMap<>(), null, null, 0);
        dir.parent = parent;
        dir.nlink = 2;
        return dir;
    }

    static Inode file(long number, int mode, int uid, int gid, PairId pair, boolean pinned, Timespec time) {
        Inode file = new Inode(number, FileType.REGULAR, mode, uid, gid, time, null, new FileExtents(), null, 0);
        file.pair = pair;
        file.pinned = pinned;
        file.nlink = 1;
        return file;
    }

    /** A symbolic link: mode 0777, its size the target's length in UTF-8 bytes. */
    static Inode symlink(long number, String target, int uid, int gid, Timespec time) {
        Inode link = new Inode(number, FileType.SYMLINK, 0777, uid, gid, time, null, null, target, 0);
        link.size = Names.targetBytes(target);
        link.nlink = 1;
        return link;
    }

    /** A FIFO or socket ({@code rdev} ignored) or a character or block device. */
    static Inode node(long number, FileType type, int mode, int rdev, int uid, int gid, Timespec time) {
        boolean device = type == FileType.CHAR_DEVICE || type == FileType.BLOCK_DEVICE;
        Inode node = new Inode(number, type, mode, uid, gid, time, null, null, null, device ? rdev : 0);
        node.nlink = 1;
        return node;
    }

    boolean isDirectory() {
        return type == FileType.DIRECTORY;
    }

    boolean isRegular() {
        return type == FileType.REGULAR;
    }

    /** Sets mtime and ctime, as a change of a directory's entries does. */
    void touch(Timespec time) {
        mtime = time;
        ctime = time;
    }

    FileAttr attr() {
        return new FileAttr(number, type, mode, nlink, uid, gid, rdev, size, atime, mtime, ctime);
    }

    /** The kind as messages name it. */
    String kind() {
        return kind(type);
    }

    static String kind(FileType type) {
        return switch (type) {
            case DIRECTORY -> "directory";
            case REGULAR -> "regular file";
            case SYMLINK -> "symbolic link";
            case FIFO -> "FIFO";
            case CHAR_DEVICE -> "character device";
            case BLOCK_DEVICE -> "block device";
            case SOCKET -> "socket";
        };
    }
}
