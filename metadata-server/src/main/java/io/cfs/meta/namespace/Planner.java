package io.cfs.meta.namespace;

import io.cfs.meta.allocation.FileExtents;
import io.cfs.meta.allocation.Range;
import io.cfs.meta.allocation.Reservations;
import io.cfs.protocol.CfsException;
import io.cfs.protocol.ErrorCode;
import io.cfs.protocol.message.Extent;
import io.cfs.protocol.message.FileType;
import io.cfs.protocol.message.SetAttrRequest;
import io.cfs.protocol.message.Timespec;
import io.cfs.topology.PairId;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns requests into {@link Operation}s: checks them against the applied state and decides
 * everything that must not be decided at apply time (the time from the injected clock, new inode
 * numbers, the pair of a new file, the extents of an allocation). Operations it planned may still
 * be waiting for the journal when it plans the next ones, so it keeps what they hold aside: the
 * inode numbers it handed out, the space their allocations {@link Reservations reserve} and the
 * orphans they free, until
 * {@link #settled} is called for each. Not thread-safe: used under the server's lock, like the
 * {@link Namespace}.
 */
public final class Planner {
    private static final Logger log = LoggerFactory.getLogger(Planner.class);

    private final Namespace namespace;
    private final Clock clock;
    private final Reservations reserved = new Reservations();
    /** Extents of planned allocations per file, until applied; at most the operations in flight. */
    private final Map<Long, List<Extent>> planned = new HashMap<>();
    /** Orphans whose free is planned, until applied; at most the operations in flight. */
    private final Set<Long> freeing = new HashSet<>();
    /** Pinned pairs found full and not since seen with room: at most one entry per pair (to log a spill once). */
    private final Set<PairId> fullPins = new HashSet<>();
    private long nextInode;

    public Planner(Namespace namespace, Clock clock) {
        this.namespace = namespace;
        this.clock = clock;
        this.nextInode = namespace.lastInode() + 1;
    }

    private Timespec now() {
        return Timespec.of(clock.instant());
    }

    public Operation makeDir(long parent, String name, int mode, int uid, int gid) {
        Names.check(name);
        namespace.checkAbsent(namespace.directory(parent), name);
        return new Operation.MakeDir(parent, name, nextInode++, mode & Namespace.PERMISSIONS, uid, gid, now());
    }

    /**
     * A create, or empty when a non-exclusive create finds the regular file already there. The file
     * is placed on the pin of its directory or of the nearest ancestor that has one (looked up now,
     * so a pin set on a directory applies to files created anywhere beneath it later); else on the
     * pair with the most free space.
     */
    public Optional<Operation> createFile(long parent, String name, int mode, int uid, int gid, boolean exclusive) {
        Names.check(name);
        Inode dir = namespace.directory(parent);
        if (namespace.checkCreate(dir, name, exclusive) != null) {
            return Optional.empty();
        }
        PairId pin = namespace.pinFor(dir);
        PairId pair = pin != null ? pin : namespace.space().mostAvailable(reserved);
        return Optional.of(new Operation.CreateFile(parent, name, nextInode++, mode & Namespace.PERMISSIONS, uid, gid,
                exclusive, pair, pin != null, now()));
    }

    public Operation symlink(long parent, String name, String target, int uid, int gid) {
        Names.check(name);
        Names.checkTarget(target);
        namespace.checkAbsent(namespace.directory(parent), name);
        return new Operation.Symlink(parent, name, nextInode++, target, uid, gid, now());
    }

    public Operation link(long inode, long newParent, String newName) {
        Names.check(newName);
        namespace.checkLink(inode, newParent, newName);
        return new Operation.Link(inode, newParent, newName, now());
    }

    public Operation makeNode(long parent, String name, FileType type, int mode, int rdev, int uid, int gid) {
        Names.check(name);
        Namespace.checkNodeType(type);
        namespace.checkAbsent(namespace.directory(parent), name);
        return new Operation.MakeNode(parent, name, nextInode++, type, mode & Namespace.PERMISSIONS, rdev, uid, gid,
                now());
    }

    public Operation setPair(long inode, PairId pair) {
        namespace.directory(inode);
        namespace.checkPair(pair);
        return new Operation.SetPair(inode, pair);
    }

    public Operation remove(long parent, String name, boolean directory) {
        Names.check(name);
        namespace.checkRemove(namespace.directory(parent), name, directory);
        return new Operation.Remove(parent, name, directory, now());
    }

    /** A rename, or empty when it is a no-op (onto itself). */
    public Optional<Operation> rename(long srcParent, String srcName, long dstParent, String dstName) {
        Names.check(srcName);
        Names.check(dstName);
        if (namespace.checkRename(srcParent, srcName, dstParent, dstName) == null) {
            return Optional.empty();
        }
        return Optional.of(new Operation.Rename(srcParent, srcName, dstParent, dstName, now()));
    }

    /** A change of attributes, or empty when {@code valid} selects none. */
    public Optional<Operation> setAttr(long inode, int valid, int mode, int uid, int gid, long size, Timespec atime,
                                       Timespec mtime) {
        Namespace.checkSetAttrBits(valid);
        if ((valid & SetAttrRequest.SIZE) != 0) {
            namespace.checkSize(inode, size);
        } else {
            namespace.inode(inode);
        }
        if (valid == 0) {
            return Optional.empty();
        }
        return Optional.of(new Operation.SetAttr(inode, valid, mode & Namespace.PERMISSIONS, uid, gid, size, atime,
                mtime, now()));
    }

    public Operation commitWrite(long inode, long size, Timespec mtime) {
        namespace.checkSize(inode, size);
        return new Operation.CommitWrite(inode, size, mtime, now());
    }

    /** Frees an orphan, or empty when a free of it is already planned and not yet applied. */
    public Optional<Operation> freeOrphan(long inode) {
        namespace.checkOrphan(inode);
        if (!freeing.add(inode)) {
            return Optional.empty();
        }
        return Optional.of(new Operation.FreeOrphan(inode));
    }

    /**
     * Blocks for every block of {@code [offset, offset+length)} not yet backed, or empty when all
     * are. An unpinned file's first allocation goes to the pair with the most free space; a pinned
     * file's to its pin; later ones stay on its pair while it has space, then spill (see {@link
     * io.cfs.meta.allocation.AllocationTable#place}). A pinned pair found full is logged once,
     * until an allocation fits on it again.
     */
    public Optional<Operation> allocate(long inode, long offset, long length) {
        Inode file = namespace.regular(inode);
        if (offset < 0 || length < 0) {
            throw new CfsException(ErrorCode.INVALID_ARGUMENT, "allocate " + offset + "+" + length + " of file " + inode
                    + ": expected a non-negative offset and length");
        }
        if (length > Namespace.MAX_FILE_SIZE || offset > Namespace.MAX_FILE_SIZE - length) {
            throw new CfsException(ErrorCode.FILE_TOO_LARGE, "allocate " + offset + "+" + length + " of file " + inode
                    + ": expected the range to end by " + Namespace.MAX_FILE_SIZE);
        }
        if (length == 0) {
            return Optional.empty();
        }
        long block = namespace.blockSize();
        long start = offset / block * block;
        long end = (offset + length + block - 1) / block * block;
        List<Extent> mine = planned.getOrDefault(inode, List.of());
        List<Range> holes = FileExtents.subtract(file.extents.holes(start, end - start), mine);
        if (holes.isEmpty()) {
            return Optional.empty();
        }
        boolean first = file.extents.isEmpty() && mine.isEmpty();
        PairId home = first && !file.pinned ? namespace.space().mostAvailable(reserved) : file.pair;
        List<Extent> placed = namespace.space().place(inode, home, holes, at -> before(file, mine, at), reserved);
        int count = file.extents.size() + mine.size() + placed.size();
        if (count > Namespace.MAX_FILE_EXTENTS) {
            placed.forEach(reserved::release);
            throw new CfsException(ErrorCode.FILE_TOO_LARGE, "file " + inode + " would have " + count
                    + " extents, more than the " + Namespace.MAX_FILE_EXTENTS
                    + " a reply can carry: the free space is too fragmented");
        }
        if (file.pinned) {
            notePinnedPlacement(inode, home, placed);
        }
        planned.computeIfAbsent(inode, k -> new ArrayList<>()).addAll(placed);
        return Optional.of(new Operation.Allocate(inode, placed));
    }

    private void notePinnedPlacement(long inode, PairId home, List<Extent> placed) {
        List<PairId> elsewhere = placed.stream().map(Extent::pair).filter(p -> !p.equals(home)).distinct().toList();
        if (elsewhere.isEmpty()) {
            fullPins.remove(home);
        } else if (fullPins.add(home)) {
            log.warn("pair {}, pinned for file {}, is full: placing its new blocks on {} instead (logged once until"
                    + " {} has room again)", home, inode, elsewhere, home);
        }
    }

    /** The extent of the file, applied or planned, that starts last before {@code at}. */
    private static Extent before(Inode file, List<Extent> mine, long at) {
        Extent best = file.extents.before(at);
        for (Extent e : mine) {
            if (e.fileOffset() < at && (best == null || e.fileOffset() > best.fileOffset())) {
                best = e;
            }
        }
        return best;
    }

    /** Forgets what a planned operation held, once it is applied, failed or will never be logged. */
    public void settled(Operation op) {
        if (op instanceof Operation.FreeOrphan f) {
            freeing.remove(f.inode());
        } else if (op instanceof Operation.Allocate a) {
            a.extents().forEach(reserved::release);
            List<Extent> mine = planned.get(a.inode());
            if (mine != null) {
                mine.removeAll(a.extents());
                if (mine.isEmpty()) {
                    planned.remove(a.inode());
                }
            }
        }
    }
}
