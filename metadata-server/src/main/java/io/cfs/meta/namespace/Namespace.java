package io.cfs.meta.namespace;

import io.cfs.meta.allocation.AllocationTable;
import io.cfs.protocol.CfsException;
import io.cfs.protocol.ErrorCode;
import io.cfs.protocol.message.DirEntry;
import io.cfs.protocol.message.Extent;
import io.cfs.protocol.message.FileAttr;
import io.cfs.protocol.message.FileType;
import io.cfs.protocol.message.SetAttrRequest;
import io.cfs.protocol.message.Timespec;
import io.cfs.topology.PairId;
import io.cfs.topology.Topology;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.NavigableSet;
import java.util.TreeSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The deterministic state machine of the metadata server: the namespace (directories, regular
 * files, symbolic links, FIFOs, sockets and device nodes, with hard links), the File Allocation
 * Table (each regular file's extents), the directories' pair pins, and the free space of the
 * master volumes derived from the extents. It changes only by {@link #apply}, which validates an
 * {@link Operation} against the current state and then either changes the state completely or
 * throws a {@link CfsException} and changes nothing; given the same operations in the same order
 * it always ends in the same state. Not thread-safe: the server guards it with one lock, and only
 * the journal writer thread applies operations (so it may also read it for a snapshot unlocked).
 *
 * <p>The checks are shared with the {@link Planner}, which runs them before logging so that most
 * errors are answered without touching the journal; {@code apply} runs them again because other
 * operations may have been applied in between.
 */
public final class Namespace {
    public static final long ROOT = 1;
    /** Largest file size and offset accepted (1 EiB): far above any volume, far below overflow. */
    public static final long MAX_FILE_SIZE = 1L << 60;
    /**
     * Most extents one file may have, so that its whole extent list fits in one OPEN or ALLOCATE
     * reply (an extent with a 32-character pair id takes 58 bytes of a 4 MiB frame).
     */
    public static final int MAX_FILE_EXTENTS = 65_536;
    static final int PERMISSIONS = 07777;
    private static final int SET_ATTR_BITS = SetAttrRequest.MODE | SetAttrRequest.UID | SetAttrRequest.GID
            | SetAttrRequest.SIZE | SetAttrRequest.ATIME | SetAttrRequest.MTIME;
    private static final Logger log = LoggerFactory.getLogger(Namespace.class);

    private final int blockSize;
    private final AllocationTable space;
    /** Every live inode, linked or orphaned: as many as the filesystem has files and directories. */
    private final Map<Long, Inode> inodes = new HashMap<>();
    /** Regular files unlinked while open, waiting for {@link Operation.FreeOrphan}. */
    private final NavigableSet<Long> orphans = new TreeSet<>();
    private long lastInode = ROOT;

    /**
     * An empty filesystem: the root directory (mode 0755, owned by 0:0).
     *
     * @param created when the filesystem was made (from the journal header), the root's times
     */
    public Namespace(Topology topology, Timespec created) {
        this.blockSize = topology.blockSize();
        this.space = new AllocationTable(topology);
        inodes.put(ROOT, Inode.directory(ROOT, ROOT, 0755, 0, 0, created));
    }

    /**
     * The state a snapshot holds: its inodes (checked by {@link NamespaceSnapshot}) and the highest
     * inode number handed out. The free space and the orphans are derived from them.
     *
     * @throws IllegalStateException when two files claim the same volume space
     */
    Namespace(Topology topology, Map<Long, Inode> restored, long lastInode) {
        this.blockSize = topology.blockSize();
        this.space = new AllocationTable(topology);
        this.inodes.putAll(restored);
        this.lastInode = lastInode;
        for (Inode n : restored.values()) {
            if (n.isRegular()) {
                for (Extent e : n.extents.list()) {
                    space.take(e);
                }
                if (n.nlink == 0) {
                    orphans.add(n.number);
                }
            }
        }
    }

    /** Every inode, for {@link NamespaceSnapshot}; read-only by contract. */
    Map<Long, Inode> inodes() {
        return inodes;
    }

    // ---------------------------------------------------------------- queries

    public int blockSize() {
        return blockSize;
    }

    public AllocationTable space() {
        return space;
    }

    public FileAttr attr(long inode) {
        return inode(inode).attr();
    }

    /** Whether {@code inode} exists (an unlinked file still open does). */
    public boolean exists(long inode) {
        return inodes.containsKey(inode);
    }

    public FileAttr lookup(long parent, String name) {
        return child(directory(parent), name).attr();
    }

    /** A page of a directory listing. */
    public record DirPage(List<DirEntry> entries, boolean more) {}

    /** Up to {@code limit} entries of a directory in name order, after {@code after} (empty: from the start). */
    public DirPage readDir(long dir, String after, int limit) {
        Inode d = directory(dir);
        NavigableMap<String, Long> tail = after.isEmpty() ? d.entries : d.entries.tailMap(after, false);
        List<DirEntry> page = new ArrayList<>();
        Iterator<Map.Entry<String, Long>> it = tail.entrySet().iterator();
        while (page.size() < limit && it.hasNext()) {
            Map.Entry<String, Long> e = it.next();
            page.add(new DirEntry(e.getKey(), e.getValue(), inode(e.getValue()).type));
        }
        return new DirPage(page, it.hasNext());
    }

    /** A regular file's extents in file order. */
    public List<Extent> extents(long file) {
        return regular(file).extents.list();
    }

    /** A regular file's extents that hold any byte of {@code [offset, offset+length)}, in file order. */
    public List<Extent> extents(long file, long offset, long length) {
        Inode f = regular(file);
        if (offset < 0 || length < 0) {
            throw new CfsException(ErrorCode.INVALID_ARGUMENT, "layout range " + offset + "+" + length + " of file "
                    + file + ": expected a non-negative offset and length");
        }
        return f.extents.overlapping(offset, Math.min(length, Long.MAX_VALUE - offset));
    }

    /** A symbolic link's target. */
    public String readLink(long link) {
        Inode n = inode(link);
        if (n.type != FileType.SYMLINK) {
            throw new CfsException(ErrorCode.INVALID_ARGUMENT, "inode " + link + " is a " + n.kind()
                    + ": expected a symbolic link");
        }
        return n.target;
    }

    /**
     * Where an inode lives: for a regular file its pair and extents; for a directory the pair it is
     * pinned to (not inherited) and no extents; for anything else no pair and no extents.
     */
    public record Location(PairId pair, List<Extent> extents) {}

    public Location locate(long number) {
        Inode n = inode(number);
        if (n.isRegular()) {
            return new Location(n.pair, n.extents.list());
        }
        return new Location(n.isDirectory() ? n.pin : null, List.of());
    }

    /** The pair a file's data goes to first: where its first block is, or where it was placed at create. */
    public PairId pairOf(long file) {
        return regular(file).pair;
    }

    /** The attributes of a file that may be opened: a regular file that still has a name. */
    public FileAttr openable(long file) {
        Inode f = regular(file);
        if (f.nlink == 0) {
            throw new CfsException(ErrorCode.NOT_FOUND, "file " + file + " has been removed: expected a file with a name");
        }
        return f.attr();
    }

    public boolean isOrphan(long inode) {
        return orphans.contains(inode);
    }

    /** The files unlinked while open whose blocks are not freed yet. */
    public List<Long> orphans() {
        return List.copyOf(orphans);
    }

    public long inodeCount() {
        return inodes.size();
    }

    /** The highest inode number ever created; numbers are never reused. */
    public long lastInode() {
        return lastInode;
    }

    // ---------------------------------------------------------------- checks shared with the Planner

    Inode inode(long number) {
        Inode n = inodes.get(number);
        if (n == null) {
            throw new CfsException(ErrorCode.NOT_FOUND, "no inode " + number);
        }
        return n;
    }

    Inode directory(long number) {
        Inode n = inode(number);
        if (!n.isDirectory()) {
            throw new CfsException(ErrorCode.NOT_A_DIRECTORY, "inode " + number + " is a " + n.kind()
                    + ": expected a directory");
        }
        return n;
    }

    Inode regular(long number) {
        Inode n = inode(number);
        if (n.isDirectory()) {
            throw new CfsException(ErrorCode.IS_A_DIRECTORY, "inode " + number + " is a directory: expected a regular file");
        }
        if (!n.isRegular()) {
            throw new CfsException(ErrorCode.INVALID_ARGUMENT, "inode " + number + " is a " + n.kind()
                    + ": expected a regular file");
        }
        return n;
    }

    /** The pin of a directory or of its nearest ancestor that has one, or null: where a file created in it goes. */
    PairId pinFor(Inode dir) {
        Inode at = dir;
        while (at.pin == null && at.number != ROOT) {
            at = inodes.get(at.parent);
        }
        return at.pin;
    }

    /** Throws INVALID_ARGUMENT for a pair the topology does not have. */
    void checkPair(PairId pair) {
        if (!space.pairs().contains(pair)) {
            throw new CfsException(ErrorCode.INVALID_ARGUMENT, "pair " + pair + " is not in the topology: expected one of "
                    + space.pairs());
        }
    }

    /**
     * Checks a hard link of {@code number} as {@code newName} in {@code newParent}: the inode gets
     * PERMISSION_DENIED if it is a directory (link(2) answers EPERM), NOT_FOUND if it is a file
     * with no name left (as linkat(2) answers ENOENT), ALREADY_EXISTS if the name is taken.
     */
    Inode checkLink(long number, long newParent, String newName) {
        Inode n = inode(number);
        Inode dir = directory(newParent);
        if (n.isDirectory()) {
            throw new CfsException(ErrorCode.PERMISSION_DENIED, "inode " + number
                    + " is a directory: hard links to directories are not allowed, expected a non-directory");
        }
        if (n.nlink == 0) {
            throw new CfsException(ErrorCode.NOT_FOUND, "inode " + number + " (a " + n.kind()
                    + ") has been removed: expected an inode with a name");
        }
        checkAbsent(dir, newName);
        return n;
    }

    /** Throws INVALID_ARGUMENT unless MAKE_NODE can create this type. */
    static void checkNodeType(FileType type) {
        if (type != FileType.FIFO && type != FileType.SOCKET && type != FileType.CHAR_DEVICE
                && type != FileType.BLOCK_DEVICE) {
            throw new CfsException(ErrorCode.INVALID_ARGUMENT, "cannot make a node of type " + Inode.kind(type)
                    + ": expected a FIFO, socket, character or block device (create files, directories and"
                    + " symbolic links with their own requests)");
        }
    }

    Inode child(Inode dir, String name) {
        Long child = dir.entries.get(name);
        if (child == null) {
            throw new CfsException(ErrorCode.NOT_FOUND, "no entry '" + Names.printable(name) + "' in directory " + dir.number);
        }
        return inode(child);
    }

    void checkAbsent(Inode dir, String name) {
        Long existing = dir.entries.get(name);
        if (existing != null) {
            throw new CfsException(ErrorCode.ALREADY_EXISTS, "'" + Names.printable(name) + "' already exists in directory "
                    + dir.number + " (inode " + existing + ")");
        }
    }

    /**
     * Checks a create of {@code name} in {@code dir}: the existing regular file a non-exclusive
     * create returns, or null when the name is free.
     */
    Long checkCreate(Inode dir, String name, boolean exclusive) {
        Long existing = dir.entries.get(name);
        if (existing == null) {
            return null;
        }
        if (exclusive) {
            checkAbsent(dir, name);
        }
        Inode n = inode(existing);
        if (n.isDirectory()) {
            throw new CfsException(ErrorCode.IS_A_DIRECTORY, "'" + Names.printable(name) + "' in directory " + dir.number
                    + " is a directory (inode " + existing + "): expected a regular file");
        }
        if (!n.isRegular()) {
            throw new CfsException(ErrorCode.ALREADY_EXISTS, "'" + Names.printable(name) + "' in directory "
                    + dir.number + " is a " + n.kind() + " (inode " + existing + "): expected a regular file");
        }
        return existing;
    }

    Inode checkRemove(Inode dir, String name, boolean directory) {
        Inode child = child(dir, name);
        String what = "'" + Names.printable(name) + "' in directory " + dir.number + " (inode " + child.number + ")";
        if (directory && !child.isDirectory()) {
            throw new CfsException(ErrorCode.NOT_A_DIRECTORY, what + " is a " + child.kind() + ": expected a directory");
        }
        if (directory && !child.entries.isEmpty()) {
            throw new CfsException(ErrorCode.NOT_EMPTY, "directory " + what + " has " + child.entries.size()
                    + " entries: expected an empty directory");
        }
        if (!directory && child.isDirectory()) {
            throw new CfsException(ErrorCode.IS_A_DIRECTORY, what + " is a directory: expected a file (use rmdir)");
        }
        return child;
    }

    /** A checked rename: the moved inode and the one it replaces (or null). */
    record RenamePlan(Inode srcDir, Inode src, Inode dstDir, Inode replaced) {}

    /**
     * Checks a rename; null when it is a no-op: an entry renamed onto itself, or onto another name
     * of the same inode (two hard links), which POSIX rename leaves both in place.
     */
    RenamePlan checkRename(long srcParent, String srcName, long dstParent, String dstName) {
        Inode srcDir = directory(srcParent);
        Inode dstDir = directory(dstParent);
        Inode src = child(srcDir, srcName);
        Long existing = dstDir.entries.get(dstName);
        Inode replaced = existing == null ? null : inode(existing);
        if (replaced == src) {
            return null;
        }
        String from = "'" + Names.printable(srcName) + "' (inode " + src.number + ")";
        if (src.isDirectory()) {
            if (isInSubtree(dstDir, src)) {
                throw new CfsException(ErrorCode.INVALID_ARGUMENT, "cannot move directory " + from
                        + " into its own subtree (directory " + dstDir.number + ")");
            }
            if (replaced != null && !replaced.isDirectory()) {
                throw new CfsException(ErrorCode.NOT_A_DIRECTORY, "cannot replace '" + Names.printable(dstName)
                        + "' in directory " + dstDir.number + ", a " + replaced.kind() + ", with directory " + from);
            }
            if (replaced != null && !replaced.entries.isEmpty()) {
                throw new CfsException(ErrorCode.NOT_EMPTY, "cannot replace directory '" + Names.printable(dstName)
                        + "' in directory " + dstDir.number + ": it has " + replaced.entries.size()
                        + " entries, expected an empty directory");
            }
        } else if (replaced != null && replaced.isDirectory()) {
            throw new CfsException(ErrorCode.IS_A_DIRECTORY, "cannot replace directory '" + Names.printable(dstName)
                    + "' in directory " + dstDir.number + " with " + src.kind() + " " + from);
        }
        return new RenamePlan(srcDir, src, dstDir, replaced);
    }

    /** Whether {@code dir} is {@code top} or below it. */
    private boolean isInSubtree(Inode dir, Inode top) {
        Inode at = dir;
        while (at != top) {
            if (at.number == ROOT) {
                return false;
            }
            at = inodes.get(at.parent);
        }
        return true;
    }

    static void checkSetAttrBits(int valid) {
        if ((valid & ~SET_ATTR_BITS) != 0) {
            throw new CfsException(ErrorCode.INVALID_ARGUMENT, "setattr valid bits 0x" + Integer.toHexString(valid)
                    + ": expected a combination of 0x" + Integer.toHexString(SET_ATTR_BITS));
        }
    }

    /** Checks a new size for an inode (SETATTR SIZE or COMMIT_WRITE). */
    Inode checkSize(long inode, long size) {
        Inode f = regular(inode);
        if (size < 0) {
            throw new CfsException(ErrorCode.INVALID_ARGUMENT, "size " + size + " for file " + inode + ": expected >= 0");
        }
        if (size > MAX_FILE_SIZE) {
            throw new CfsException(ErrorCode.FILE_TOO_LARGE, "size " + size + " for file " + inode
                    + ": expected at most " + MAX_FILE_SIZE);
        }
        return f;
    }

    Inode checkOrphan(long inode) {
        if (!orphans.contains(inode)) {
            throw new CfsException(ErrorCode.NOT_FOUND, "inode " + inode
                    + " is not an unlinked file waiting to be freed");
        }
        return inodes.get(inode);
    }

    // ---------------------------------------------------------------- apply

    /**
     * Applies an operation: checks it against the current state, then changes the state; on a
     * {@link CfsException} nothing changed. An {@link IllegalStateException} means the operation
     * contradicts the state in a way no race explains (a corrupt journal or a bug).
     */
    public Outcome apply(Operation op) {
        if (op instanceof Operation.MakeDir o) {
            return makeDir(o);
        } else if (op instanceof Operation.CreateFile o) {
            return createFile(o);
        } else if (op instanceof Operation.Remove o) {
            return remove(o);
        } else if (op instanceof Operation.Rename o) {
            return rename(o);
        } else if (op instanceof Operation.SetAttr o) {
            return setAttr(o);
        } else if (op instanceof Operation.Allocate o) {
            return allocate(o);
        } else if (op instanceof Operation.CommitWrite o) {
            return commitWrite(o);
        } else if (op instanceof Operation.FreeOrphan o) {
            return freeOrphan(o);
        } else if (op instanceof Operation.Symlink o) {
            return symlink(o);
        } else if (op instanceof Operation.Link o) {
            return link(o);
        } else if (op instanceof Operation.MakeNode o) {
            return makeNode(o);
        } else if (op instanceof Operation.SetPair o) {
            return setPair(o);
        }
        throw new IllegalArgumentException("unknown operation " + op);
    }

    /**
     * Applies a logged operation during replay. One that failed when it was first applied (it
     * lost a race with an operation logged before it) fails the same way again and is skipped.
     */
    public void replay(Operation op) {
        try {
            apply(op);
        } catch (CfsException e) {
            log.debug("replay: {} failed as it did when first applied: {}", op, e.getMessage());
        }
    }

    private Outcome makeDir(Operation.MakeDir op) {
        Inode parent = directory(op.parent());
        checkAbsent(parent, op.name());
        checkNewInode(op.inode());
        Inode dir = Inode.directory(op.inode(), parent.number, op.mode() & PERMISSIONS, op.uid(), op.gid(), op.time());
        inodes.put(dir.number, dir);
        parent.entries.put(op.name(), dir.number);
        parent.nlink++;
        parent.touch(op.time());
        lastInode = op.inode();
        return new Outcome(dir.number, 0);
    }

    private Outcome createFile(Operation.CreateFile op) {
        Inode parent = directory(op.parent());
        Long existing = checkCreate(parent, op.name(), op.exclusive());
        if (existing != null) {
            return new Outcome(existing, 0);
        }
        checkNewInode(op.inode());
        checkPair(op.pair());
        return added(parent, op.name(), Inode.file(op.inode(), op.mode() & PERMISSIONS, op.uid(), op.gid(), op.pair(),
                op.pinned(), op.time()));
    }

    private Outcome symlink(Operation.Symlink op) {
        Names.checkTarget(op.target());
        Inode parent = directory(op.parent());
        checkAbsent(parent, op.name());
        checkNewInode(op.inode());
        return added(parent, op.name(), Inode.symlink(op.inode(), op.target(), op.uid(), op.gid(), op.time()));
    }

    private Outcome makeNode(Operation.MakeNode op) {
        checkNodeType(op.type());
        Inode parent = directory(op.parent());
        checkAbsent(parent, op.name());
        checkNewInode(op.inode());
        return added(parent, op.name(), Inode.node(op.inode(), op.type(), op.mode() & PERMISSIONS, op.rdev(), op.uid(),
                op.gid(), op.time()));
    }

    /** Enters a new non-directory inode under {@code name}. */
    private Outcome added(Inode parent, String name, Inode n) {
        inodes.put(n.number, n);
        parent.entries.put(name, n.number);
        parent.touch(n.ctime);
        lastInode = n.number;
        return new Outcome(n.number, 0);
    }

    private Outcome link(Operation.Link op) {
        Inode n = checkLink(op.inode(), op.newParent(), op.newName());
        Inode dir = inodes.get(op.newParent());
        dir.entries.put(op.newName(), n.number);
        dir.touch(op.time());
        n.nlink++;
        n.ctime = op.time();
        return new Outcome(n.number, 0);
    }

    private Outcome setPair(Operation.SetPair op) {
        Inode dir = directory(op.inode());
        checkPair(op.pair());
        dir.pin = op.pair();
        return new Outcome(dir.number, 0);
    }

    private void checkNewInode(long number) {
        if (number <= lastInode) {
            throw new IllegalStateException("operation creates inode " + number + " but inodes up to " + lastInode
                    + " were already handed out: expected increasing inode numbers");
        }
    }

    private Outcome remove(Operation.Remove op) {
        Inode parent = directory(op.parent());
        Inode child = checkRemove(parent, op.name(), op.directory());
        parent.entries.remove(op.name());
        parent.touch(op.time());
        if (child.isDirectory()) {
            parent.nlink--;
            inodes.remove(child.number);
            return new Outcome(child.number, 0);
        }
        return new Outcome(child.number, dropLink(child, op.time()));
    }

    /**
     * Drops one name of a non-directory (its entry already removed). With names left it only loses
     * a link. A regular file losing its last name lives on, blocks and all, as an orphan until
     * freed: the returned number, which the caller frees once no handle holds it (0 otherwise).
     * Anything else losing its last name is gone at once: it has no blocks and no handles.
     */
    private long dropLink(Inode n, Timespec time) {
        n.nlink--;
        n.ctime = time;
        if (n.nlink > 0) {
            return 0;
        }
        if (n.isRegular()) {
            orphans.add(n.number);
            return n.number;
        }
        inodes.remove(n.number);
        return 0;
    }

    private Outcome rename(Operation.Rename op) {
        RenamePlan plan = checkRename(op.srcParent(), op.srcName(), op.dstParent(), op.dstName());
        if (plan == null) {
            return new Outcome(directory(op.srcParent()).entries.get(op.srcName()), 0);
        }
        Inode src = plan.src();
        Inode srcDir = plan.srcDir();
        Inode dstDir = plan.dstDir();
        long orphaned = 0;
        if (plan.replaced() != null) {
            Inode replaced = plan.replaced();
            dstDir.entries.remove(op.dstName());
            if (replaced.isDirectory()) {
                dstDir.nlink--;
                inodes.remove(replaced.number);
            } else {
                orphaned = dropLink(replaced, op.time());
            }
        }
        srcDir.entries.remove(op.srcName());
        dstDir.entries.put(op.dstName(), src.number);
        if (src.isDirectory() && srcDir != dstDir) {
            srcDir.nlink--;
            dstDir.nlink++;
            src.parent = dstDir.number;
        }
        srcDir.touch(op.time());
        dstDir.touch(op.time());
        src.ctime = op.time();
        return new Outcome(src.number, orphaned);
    }

    private Outcome setAttr(Operation.SetAttr op) {
        checkSetAttrBits(op.valid());
        Inode n = (op.valid() & SetAttrRequest.SIZE) != 0 ? checkSize(op.inode(), op.size()) : inode(op.inode());
        if ((op.valid() & SetAttrRequest.SIZE) != 0) {
            resize(n, op.size());
            n.mtime = op.time();
        }
        if ((op.valid() & SetAttrRequest.MODE) != 0) {
            n.mode = op.mode() & PERMISSIONS;
        }
        if ((op.valid() & SetAttrRequest.UID) != 0) {
            n.uid = op.uid();
        }
        if ((op.valid() & SetAttrRequest.GID) != 0) {
            n.gid = op.gid();
        }
        if ((op.valid() & SetAttrRequest.ATIME) != 0) {
            n.atime = op.atime();
        }
        if ((op.valid() & SetAttrRequest.MTIME) != 0) {
            n.mtime = op.mtime();
        }
        n.ctime = op.time();
        return new Outcome(n.number, 0);
    }

    /**
     * Sets a file's size and frees every block past the end of the smaller of the old and new
     * sizes: a shrink drops the blocks past the new end, a grow is sparse (a hole, read as zeros)
     * and so never exposes blocks allocated past the old end but not committed. The bytes of the
     * partial last block past the new size are not zeroed here: that is the client's job, since
     * only it writes block contents.
     */
    private void resize(Inode file, long size) {
        long keep = roundUp(Math.min(file.size, size));
        for (Extent e : file.extents.truncate(keep)) {
            space.give(e);
        }
        file.size = size;
    }

    private long roundUp(long bytes) {
        return (bytes + blockSize - 1) / blockSize * blockSize;
    }

    private Outcome allocate(Operation.Allocate op) {
        Inode file = regular(op.inode());
        List<Extent> byVolume = new ArrayList<>(op.extents());
        byVolume.sort(Comparator.comparing((Extent e) -> e.pair().value()).thenComparingLong(Extent::volumeOffset));
        for (int i = 0; i < byVolume.size(); i++) {
            Extent e = byVolume.get(i);
            if (e.fileOffset() % blockSize != 0 || e.length() % blockSize != 0 || e.volumeOffset() % blockSize != 0) {
                throw new IllegalStateException("extent " + e + " of file " + file.number
                        + " is not aligned to the block size " + blockSize);
            }
            if (file.extents.overlaps(e.fileOffset(), e.length())) {
                throw new IllegalStateException("extent " + e + " of file " + file.number
                        + " covers bytes the file already has");
            }
            if (!space.isFree(e)) {
                throw new IllegalStateException("extent " + e + " of file " + file.number + " is not free space");
            }
            if (i > 0 && byVolume.get(i - 1).pair().equals(e.pair())
                    && byVolume.get(i - 1).volumeOffset() + byVolume.get(i - 1).length() > e.volumeOffset()) {
                throw new IllegalStateException("extents " + byVolume.get(i - 1) + " and " + e + " of file "
                        + file.number + " share volume space");
            }
        }
        for (int i = 1; i < op.extents().size(); i++) {
            if (op.extents().get(i - 1).fileEnd() > op.extents().get(i).fileOffset()) {
                throw new IllegalStateException("extents of file " + file.number + " overlap or are out of file order: "
                        + op.extents());
            }
        }
        boolean first = file.extents.isEmpty();
        for (Extent e : op.extents()) {
            space.take(e);
            file.extents.add(e);
        }
        if (first && !op.extents().isEmpty() && !op.extents().get(0).pair().equals(file.pair)) {
            file.pair = op.extents().get(0).pair();
            file.pinned = false;
        }
        return new Outcome(file.number, 0);
    }

    private Outcome commitWrite(Operation.CommitWrite op) {
        Inode file = checkSize(op.inode(), op.size());
        file.size = Math.max(file.size, op.size());
        file.mtime = op.mtime();
        file.ctime = op.time();
        return new Outcome(file.number, 0);
    }

    private Outcome freeOrphan(Operation.FreeOrphan op) {
        Inode file = checkOrphan(op.inode());
        for (Extent e : file.extents.truncate(0)) {
            space.give(e);
        }
        orphans.remove(file.number);
        inodes.remove(file.number);
        return new Outcome(file.number, 0);
    }
}
