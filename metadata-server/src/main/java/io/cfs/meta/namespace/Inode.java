package io.cfs.meta.namespace;

import io.cfs.meta.allocation.FileExtents;
import io.cfs.protocol.message.FileAttr;
import io.cfs.protocol.message.FileType;
import io.cfs.protocol.message.Timespec;
import io.cfs.topology.PairId;
import java.util.NavigableMap;
import java.util.TreeMap;

/** One inode of the namespace: a directory or a regular file. Mutated only by {@link Namespace}. */
final class Inode {
    final long number;
    final FileType type;
    int mode;
    int uid;
    int gid;
    int nlink;
    long size;
    Timespec atime;
    Timespec mtime;
    Timespec ctime;

    /** Directories: the parent directory (the root is its own parent). */
    long parent;
    /** Directories: name to inode, in name order; bounded by the entries clients create. */
    final NavigableMap<String, Long> entries;

    /** Regular files: the File Allocation Table row. */
    final FileExtents extents;
    /** Regular files: the home pair (where new blocks go while it has space). */
    PairId pair;

    private Inode(long number, FileType type, int mode, int uid, int gid, Timespec time,
                  NavigableMap<String, Long> entries, FileExtents extents) {
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
    }

    static Inode directory(long number, long parent, int mode, int uid, int gid, Timespec time) {
        Inode dir = new Inode(number, FileType.DIRECTORY, mode, uid, gid, time, new TreeMap<>(), null);
        dir.parent = parent;
        dir.nlink = 2;
        return dir;
    }

    static Inode file(long number, int mode, int uid, int gid, PairId pair, Timespec time) {
        Inode file = new Inode(number, FileType.REGULAR, mode, uid, gid, time, null, new FileExtents());
        file.pair = pair;
        file.nlink = 1;
        return file;
    }

    boolean isDirectory() {
        return type == FileType.DIRECTORY;
    }

    /** Sets mtime and ctime, as a change of a directory's entries does. */
    void touch(Timespec time) {
        mtime = time;
        ctime = time;
    }

    FileAttr attr() {
        return new FileAttr(number, type, mode, nlink, uid, gid, 0, size, atime, mtime, ctime);
    }
}
