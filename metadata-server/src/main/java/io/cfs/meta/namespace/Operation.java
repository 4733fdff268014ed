package io.cfs.meta.namespace;

import io.cfs.protocol.message.Extent;
import io.cfs.protocol.message.FileType;
import io.cfs.protocol.message.Timespec;
import io.cfs.topology.PairId;
import java.util.List;

/**
 * A mutation of the metadata, as the journal logs it. Each carries everything needed to apply it
 * deterministically: timestamps, new inode numbers and chosen extents are decided by the {@link
 * Planner} before the operation is logged, never when it is applied, so replaying the journal (or,
 * later, a replicated log on another server) rebuilds exactly the same state.
 */
public sealed interface Operation {
    /** Creates directory {@code inode} as {@code name} in {@code parent}. */
    record MakeDir(long parent, String name, long inode, int mode, int uid, int gid, Timespec time)
            implements Operation {}

    /**
     * Creates regular file {@code inode} as {@code name} in {@code parent}, placed on {@code pair}.
     * When {@code pinned} the pair is the pin of a directory above it and the first allocation
     * keeps it; otherwise the first allocation goes to the pair with the most free space then. If
     * the name exists by then, an exclusive create fails and a non-exclusive one returns the
     * existing regular file.
     */
    record CreateFile(long parent, String name, long inode, int mode, int uid, int gid, boolean exclusive,
                      PairId pair, boolean pinned, Timespec time) implements Operation {}

    /** Creates symbolic link {@code inode} as {@code name} in {@code parent}, pointing at {@code target}. */
    record Symlink(long parent, String name, long inode, String target, int uid, int gid, Timespec time)
            implements Operation {}

    /** Gives existing non-directory {@code inode} one more name: {@code newName} in {@code newParent}. */
    record Link(long inode, long newParent, String newName, Timespec time) implements Operation {}

    /** Creates a FIFO, socket or device node {@code inode} as {@code name} in {@code parent}. */
    record MakeNode(long parent, String name, long inode, FileType type, int mode, int rdev, int uid, int gid,
                    Timespec time) implements Operation {}

    /** Pins directory {@code inode} to {@code pair}: files created beneath it from then on are placed there. */
    record SetPair(long inode, PairId pair) implements Operation {}

    /**
     * Removes {@code name} from {@code parent}: a directory (rmdir) or one name of anything else
     * (unlink); a regular file losing its last name becomes an orphan until {@link FreeOrphan}.
     */
    record Remove(long parent, String name, boolean directory, Timespec time) implements Operation {}

    /** Moves an entry, replacing the target as POSIX rename does. */
    record Rename(long srcParent, String srcName, long dstParent, String dstName, Timespec time)
            implements Operation {}

    /** Sets the attributes selected by {@code valid} (bits of {@link io.cfs.protocol.message.SetAttrRequest}). */
    record SetAttr(long inode, int valid, int mode, int uid, int gid, long size, Timespec atime, Timespec mtime,
                   Timespec time) implements Operation {}

    /** Backs unbacked bytes of a file with the given extents of free space, in file order. */
    record Allocate(long inode, List<Extent> extents) implements Operation {
        public Allocate {
            extents = List.copyOf(extents);
        }
    }

    /** Records written data: size grows to {@code size} if larger; mtime is set. */
    record CommitWrite(long inode, long size, Timespec mtime, Timespec time) implements Operation {}

    /** Frees a file that was unlinked while open, now that no handle holds it. */
    record FreeOrphan(long inode) implements Operation {}
}
