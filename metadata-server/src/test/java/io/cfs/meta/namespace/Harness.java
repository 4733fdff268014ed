package io.cfs.meta.namespace;

import io.cfs.meta.MutableClock;
import io.cfs.protocol.message.Extent;
import io.cfs.protocol.message.FileAttr;
import io.cfs.protocol.message.FileType;
import io.cfs.protocol.message.Timespec;
import io.cfs.topology.PairId;
import io.cfs.topology.Topology;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * The request path without the journal: plan, then apply at once (and settle), as the server does
 * once an operation is durable. Every applied operation is also handed to {@code log}.
 */
public final class Harness {
    public static final Timespec CREATED = new Timespec(1_600_000_000L, 5);

    public final MutableClock clock = new MutableClock(Instant.ofEpochSecond(1_700_000_000L, 123_456_789));
    public final Namespace ns;
    public final Planner planner;
    private final Consumer<Operation> log;

    public Harness(Topology topology) {
        this(new Namespace(topology, CREATED), op -> { });
    }

    public Harness(Namespace ns, Consumer<Operation> log) {
        this.ns = ns;
        this.planner = new Planner(ns, clock);
        this.log = log;
    }

    public Outcome run(Operation op) {
        try {
            log.accept(op);
            return ns.apply(op);
        } finally {
            planner.settled(op);
        }
    }

    public long mkdir(long parent, String name) {
        return run(planner.makeDir(parent, name, 0755, 1000, 100)).inode();
    }

    public long create(long parent, String name) {
        return run(planner.createFile(parent, name, 0644, 1000, 100, true).orElseThrow()).inode();
    }

    public List<Extent> allocate(long inode, long offset, long length) {
        planner.allocate(inode, offset, length).ifPresent(this::run);
        return ns.extents(inode);
    }

    public Outcome remove(long parent, String name, boolean directory) {
        return run(planner.remove(parent, name, directory));
    }

    public void rename(long srcParent, String srcName, long dstParent, String dstName) {
        planner.rename(srcParent, srcName, dstParent, dstName).ifPresent(this::run);
    }

    public void commit(long inode, long size) {
        run(planner.commitWrite(inode, size, Timespec.of(clock.instant())));
    }

    public void free(long inode) {
        run(planner.freeOrphan(inode).orElseThrow());
    }

    public long symlink(long parent, String name, String target) {
        return run(planner.symlink(parent, name, target, 1000, 100)).inode();
    }

    public long link(long inode, long newParent, String newName) {
        return run(planner.link(inode, newParent, newName)).inode();
    }

    public long mknod(long parent, String name, FileType type, int rdev) {
        return run(planner.makeNode(parent, name, type, 0640, rdev, 1000, 100)).inode();
    }

    public void pin(long dir, PairId pair) {
        run(planner.setPair(dir, pair));
    }

    public FileAttr attr(long inode) {
        return ns.attr(inode);
    }

    /**
     * Everything observable about the state, as text: the tree with attributes, extents, link
     * targets and pins, the orphans, the space.
     */
    public static String dump(Namespace ns) {
        List<String> lines = new ArrayList<>();
        dumpDir(ns, Namespace.ROOT, "/", lines);
        for (long orphan : ns.orphans()) {
            lines.add("orphan " + ns.attr(orphan) + " " + ns.extents(orphan));
        }
        lines.add("inodes=" + ns.inodeCount() + " last=" + ns.lastInode() + " free=" + ns.space().freeBytes());
        for (var pair : ns.space().pairs()) {
            lines.add(pair + " free=" + ns.space().space(pair).freeBytes());
        }
        return String.join("\n", lines);
    }

    private static void dumpDir(Namespace ns, long dir, String path, List<String> lines) {
        lines.add(path + " " + ns.attr(dir) + " pin=" + ns.locate(dir).pair());
        for (var e : ns.readDir(dir, "", Integer.MAX_VALUE).entries()) {
            String entry = path + e.name() + " " + ns.attr(e.inode());
            switch (e.type()) {
                case DIRECTORY -> dumpDir(ns, e.inode(), path + e.name() + "/", lines);
                case REGULAR -> lines.add(entry + " pair=" + ns.pairOf(e.inode()) + " " + ns.extents(e.inode()));
                case SYMLINK -> lines.add(entry + " -> " + ns.readLink(e.inode()));
                default -> lines.add(entry);
            }
        }
    }
}
