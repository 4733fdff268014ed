package io.cfs.meta.namespace;

import io.cfs.protocol.message.Extent;
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
     * Creates regular file {@code inode} as {@code name} in {@code parent}, placed on {@code pair}
     * until its first allocation. If the name exists by then, an exclusive create fails and a
     * non-exclusive one returns the existing file.
     */
    record CreateFile(long parent, String name, long inode, int mode, int uid, int gid, boolean exclusive,
                      PairId pair, Timespec time) implements Operation {}

    /** Removes {@code name} from {@code parent}: a directory (rmdir) or anything else (unlink). */
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
