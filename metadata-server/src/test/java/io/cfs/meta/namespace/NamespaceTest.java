package io.cfs.meta.namespace;

import static io.cfs.meta.TestTopologies.BLOCK;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cfs.meta.TestTopologies;
import io.cfs.protocol.CfsException;
import io.cfs.protocol.ErrorCode;
import io.cfs.protocol.message.DirEntry;
import io.cfs.protocol.message.Extent;
import io.cfs.protocol.message.FileAttr;
import io.cfs.protocol.message.FileType;
import io.cfs.protocol.message.SetAttrRequest;
import io.cfs.protocol.message.Timespec;
import io.cfs.topology.PairId;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

class NamespaceTest {
    static final long ROOT = Namespace.ROOT;
    static final PairId P1 = new PairId("p1");
    static final PairId P2 = new PairId("p2");

    final Harness h = new Harness(TestTopologies.twoPairs(Path.of("/tmp")));

    static CfsException fails(ErrorCode code, Executable action) {
        CfsException e = assertThrows(CfsException.class, action);
        assertEquals(code, e.code(), e.getMessage());
        return e;
    }

    Timespec now() {
        return Timespec.of(h.clock.instant());
    }

    // ------------------------------------------------------------ basics and names

    @Test
    void rootIsAnEmptyDirectoryOwnedByRoot() {
        FileAttr root = h.attr(ROOT);
        assertEquals(FileType.DIRECTORY, root.type());
        assertEquals(0755, root.mode());
        assertEquals(0, root.uid());
        assertEquals(0, root.gid());
        assertEquals(2, root.nlink());
        assertEquals(Harness.CREATED, root.mtime());
        assertEquals(List.of(), h.ns.readDir(ROOT, "", 10).entries());
    }

    @Test
    void makeDirSetsAttributesAndUpdatesTheParent() {
        h.clock.advance(Duration.ofSeconds(7));
        long dir = h.run(h.planner.makeDir(ROOT, "videos", 0100755, 1000, 100)).inode();
        FileAttr a = h.attr(dir);
        assertEquals(FileType.DIRECTORY, a.type());
        assertEquals(0755, a.mode(), "type bits are masked off");
        assertEquals(2, a.nlink());
        assertEquals(now(), a.mtime());
        assertEquals(now(), a.ctime());
        FileAttr root = h.attr(ROOT);
        assertEquals(3, root.nlink());
        assertEquals(now(), root.mtime());
        assertEquals(now(), root.ctime());
        assertEquals(dir, h.ns.lookup(ROOT, "videos").inode());
    }

    @Test
    void nameRules() {
        fails(ErrorCode.INVALID_ARGUMENT, () -> h.mkdir(ROOT, ""));
        fails(ErrorCode.INVALID_ARGUMENT, () -> h.mkdir(ROOT, "."));
        fails(ErrorCode.INVALID_ARGUMENT, () -> h.create(ROOT, ".."));
        fails(ErrorCode.INVALID_ARGUMENT, () -> h.create(ROOT, "a/b"));
        fails(ErrorCode.INVALID_ARGUMENT, () -> h.create(ROOT, "a\0b"));
        fails(ErrorCode.NAME_TOO_LONG, () -> h.create(ROOT, "x".repeat(256)));
        fails(ErrorCode.NAME_TOO_LONG, () -> h.create(ROOT, "\u00e9".repeat(128)));
        h.create(ROOT, "x".repeat(255));
        h.create(ROOT, "\u00e9".repeat(127));
        fails(ErrorCode.INVALID_ARGUMENT, () -> h.rename(ROOT, "x".repeat(255), ROOT, "a/b"));
        assertEquals(2, h.ns.readDir(ROOT, "", 10).entries().size());
    }

    @Test
    void lookupErrorsNameTheObject() {
        long file = h.create(ROOT, "f");
        CfsException e = fails(ErrorCode.NOT_FOUND, () -> h.ns.lookup(ROOT, "foo"));
        assertEquals("no entry 'foo' in directory 1", e.getMessage());
        fails(ErrorCode.NOT_A_DIRECTORY, () -> h.ns.lookup(file, "x"));
        fails(ErrorCode.NOT_FOUND, () -> h.ns.attr(999));
        fails(ErrorCode.NOT_A_DIRECTORY, () -> h.mkdir(file, "x"));
    }

    @Test
    void createRules() {
        long file = h.create(ROOT, "f");
        h.mkdir(ROOT, "d");
        assertEquals(0644, h.attr(file).mode());
        assertEquals(1, h.attr(file).nlink());
        fails(ErrorCode.ALREADY_EXISTS, () -> h.create(ROOT, "f"));
        assertTrue(h.planner.createFile(ROOT, "f", 0600, 1, 1, false).isEmpty(), "non-exclusive create returns the file");
        fails(ErrorCode.IS_A_DIRECTORY, () -> h.planner.createFile(ROOT, "d", 0600, 1, 1, false));
        fails(ErrorCode.ALREADY_EXISTS, () -> h.planner.createFile(ROOT, "d", 0600, 1, 1, true));
        fails(ErrorCode.ALREADY_EXISTS, () -> h.mkdir(ROOT, "f"));
    }

    @Test
    void racingCreatesAreResolvedWhenApplied() {
        Operation first = h.planner.createFile(ROOT, "x", 0644, 1, 1, true).orElseThrow();
        Operation exclusive = h.planner.createFile(ROOT, "x", 0644, 1, 1, true).orElseThrow();
        Operation plain = h.planner.createFile(ROOT, "x", 0644, 1, 1, false).orElseThrow();
        long x = h.run(first).inode();
        fails(ErrorCode.ALREADY_EXISTS, () -> h.run(exclusive));
        assertEquals(x, h.run(plain).inode());
        assertEquals(1, h.ns.readDir(ROOT, "", 10).entries().size());
        assertTrue(h.mkdir(ROOT, "y") > ((Operation.CreateFile) plain).inode(), "numbers handed out are not reused");
    }

    // ------------------------------------------------------------ remove

    @Test
    void removeRules() {
        long d = h.mkdir(ROOT, "d");
        h.create(d, "inner");
        h.create(ROOT, "f");
        fails(ErrorCode.NOT_EMPTY, () -> h.remove(ROOT, "d", true));
        fails(ErrorCode.NOT_A_DIRECTORY, () -> h.remove(ROOT, "f", true));
        fails(ErrorCode.IS_A_DIRECTORY, () -> h.remove(ROOT, "d", false));
        fails(ErrorCode.NOT_FOUND, () -> h.remove(ROOT, "nothing", false));
        h.remove(d, "inner", false);
        h.clock.advance(Duration.ofSeconds(3));
        assertEquals(3, h.attr(ROOT).nlink());
        h.remove(ROOT, "d", true);
        assertEquals(2, h.attr(ROOT).nlink());
        assertEquals(now(), h.attr(ROOT).mtime());
        fails(ErrorCode.NOT_FOUND, () -> h.attr(d));
    }

    @Test
    void unlinkKeepsTheBlocksUntilTheOrphanIsFreed() {
        long f = h.create(ROOT, "movie");
        h.allocate(f, 0, 3L * BLOCK);
        long free = h.ns.space().freeBytes();
        Outcome out = h.remove(ROOT, "movie", false);
        assertEquals(f, out.orphaned());
        assertEquals(0, h.attr(f).nlink(), "an open handle still sees the file");
        assertEquals(free, h.ns.space().freeBytes(), "the blocks stay while the file may be open");
        assertTrue(h.ns.isOrphan(f));
        fails(ErrorCode.NOT_FOUND, () -> h.ns.openable(f));
        h.free(f);
        assertEquals(free + 3L * BLOCK, h.ns.space().freeBytes());
        assertFalse(h.ns.isOrphan(f));
        fails(ErrorCode.NOT_FOUND, () -> h.attr(f));
        fails(ErrorCode.NOT_FOUND, () -> h.free(f));
    }

    @Test
    void anOrphanIsFreedByOnePlannedOperation() {
        long f = h.create(ROOT, "movie");
        h.remove(ROOT, "movie", false);
        Operation free = h.planner.freeOrphan(f).orElseThrow();
        assertTrue(h.planner.freeOrphan(f).isEmpty(), "a free is already on its way to the journal");
        h.run(free);
        fails(ErrorCode.NOT_FOUND, () -> h.planner.freeOrphan(f));
    }

    // ------------------------------------------------------------ rename

    @Test
    void renameFileOverFileReplacesIt() {
        long a = h.create(ROOT, "a");
        long b = h.create(ROOT, "b");
        h.allocate(b, 0, BLOCK);
        Outcome out = h.run(h.planner.rename(ROOT, "a", ROOT, "b").orElseThrow());
        assertEquals(b, out.orphaned());
        assertEquals(a, h.ns.lookup(ROOT, "b").inode());
        fails(ErrorCode.NOT_FOUND, () -> h.ns.lookup(ROOT, "a"));
        assertTrue(h.ns.isOrphan(b));
    }

    @Test
    void renameDirOverEmptyDirReplacesIt() {
        long src = h.mkdir(ROOT, "src");
        long dst = h.mkdir(ROOT, "dst");
        h.create(src, "file");
        assertEquals(4, h.attr(ROOT).nlink());
        h.rename(ROOT, "src", ROOT, "dst");
        assertEquals(src, h.ns.lookup(ROOT, "dst").inode());
        fails(ErrorCode.NOT_FOUND, () -> h.attr(dst));
        assertEquals(3, h.attr(ROOT).nlink());
        assertEquals(List.of("file"), names(src));
    }

    @Test
    void renameDirOverNonEmptyDirIsNotEmpty() {
        h.mkdir(ROOT, "src");
        long dst = h.mkdir(ROOT, "dst");
        h.create(dst, "keep");
        fails(ErrorCode.NOT_EMPTY, () -> h.rename(ROOT, "src", ROOT, "dst"));
        assertEquals(List.of("keep"), names(dst));
    }

    @Test
    void renameFileOverDirIsADirectory() {
        h.create(ROOT, "f");
        h.mkdir(ROOT, "d");
        fails(ErrorCode.IS_A_DIRECTORY, () -> h.rename(ROOT, "f", ROOT, "d"));
    }

    @Test
    void renameDirOverFileIsNotADirectory() {
        h.mkdir(ROOT, "d");
        h.create(ROOT, "f");
        fails(ErrorCode.NOT_A_DIRECTORY, () -> h.rename(ROOT, "d", ROOT, "f"));
    }

    @Test
    void renameDirIntoItsOwnSubtreeIsInvalid() {
        long a = h.mkdir(ROOT, "a");
        long b = h.mkdir(a, "b");
        long c = h.mkdir(b, "c");
        fails(ErrorCode.INVALID_ARGUMENT, () -> h.rename(ROOT, "a", a, "x"));
        fails(ErrorCode.INVALID_ARGUMENT, () -> h.rename(ROOT, "a", c, "x"));
        h.rename(b, "c", ROOT, "c");
        h.rename(ROOT, "a", c, "a");
        assertEquals(a, h.ns.lookup(c, "a").inode());
        fails(ErrorCode.INVALID_ARGUMENT, () -> h.rename(ROOT, "c", b, "c"));
    }

    @Test
    void renameOntoItselfIsANoOp() {
        long f = h.create(ROOT, "f");
        FileAttr before = h.attr(ROOT);
        h.clock.advance(Duration.ofSeconds(1));
        assertTrue(h.planner.rename(ROOT, "f", ROOT, "f").isEmpty());
        Outcome out = h.run(new Operation.Rename(ROOT, "f", ROOT, "f", now()));
        assertEquals(f, out.inode());
        assertEquals(before, h.attr(ROOT));
        fails(ErrorCode.NOT_FOUND, () -> h.rename(ROOT, "missing", ROOT, "missing"));
    }

    @Test
    void renameAcrossDirectoriesMovesLinkCountsAndTimes() {
        long a = h.mkdir(ROOT, "a");
        long b = h.mkdir(ROOT, "b");
        long sub = h.mkdir(a, "sub");
        h.clock.advance(Duration.ofSeconds(5));
        h.rename(a, "sub", b, "moved");
        assertEquals(2, h.attr(a).nlink());
        assertEquals(3, h.attr(b).nlink());
        assertEquals(now(), h.attr(a).mtime());
        assertEquals(now(), h.attr(b).mtime());
        assertEquals(now(), h.attr(sub).ctime());
        assertEquals(List.of("moved"), names(b));
        assertEquals(List.of(), names(a));
    }

    // ------------------------------------------------------------ readdir

    @Test
    void readDirPagesInNameOrder() {
        for (String n : List.of("d", "b", "e", "a", "c")) {
            h.create(ROOT, n);
        }
        h.mkdir(ROOT, "dir");
        Namespace.DirPage first = h.ns.readDir(ROOT, "", 2);
        assertEquals(List.of("a", "b"), first.entries().stream().map(DirEntry::name).toList());
        assertTrue(first.more());
        Namespace.DirPage next = h.ns.readDir(ROOT, "b", 3);
        assertEquals(List.of("c", "d", "dir"), next.entries().stream().map(DirEntry::name).toList());
        assertTrue(next.more());
        Namespace.DirPage last = h.ns.readDir(ROOT, "dir", 3);
        assertEquals(List.of("e"), last.entries().stream().map(DirEntry::name).toList());
        assertFalse(last.more());
        assertEquals(FileType.DIRECTORY, next.entries().get(2).type());
        assertEquals(FileType.REGULAR, next.entries().get(0).type());
        Namespace.DirPage between = h.ns.readDir(ROOT, "da", 10);
        assertEquals(List.of("dir", "e"), between.entries().stream().map(DirEntry::name).toList());
        assertFalse(between.more());
    }

    // ------------------------------------------------------------ attributes and sizes

    @Test
    void setAttrChangesSelectedFields() {
        long f = h.create(ROOT, "f");
        h.clock.advance(Duration.ofSeconds(9));
        Timespec t = new Timespec(42, 7);
        h.run(h.planner.setAttr(f, SetAttrRequest.MODE | SetAttrRequest.UID | SetAttrRequest.ATIME | SetAttrRequest.MTIME,
                04711, 5, 6, 0, t, t).orElseThrow());
        FileAttr a = h.attr(f);
        assertEquals(04711, a.mode());
        assertEquals(5, a.uid());
        assertEquals(100, a.gid(), "gid was not selected");
        assertEquals(t, a.atime());
        assertEquals(t, a.mtime());
        assertEquals(now(), a.ctime());
        fails(ErrorCode.INVALID_ARGUMENT, () -> h.planner.setAttr(f, 1 << 10, 0, 0, 0, 0, t, t));
        fails(ErrorCode.IS_A_DIRECTORY, () -> h.planner.setAttr(ROOT, SetAttrRequest.SIZE, 0, 0, 0, 0, t, t));
        fails(ErrorCode.INVALID_ARGUMENT, () -> h.planner.setAttr(f, SetAttrRequest.SIZE, 0, 0, 0, -1, t, t));
        fails(ErrorCode.FILE_TOO_LARGE, () -> h.planner.setAttr(f, SetAttrRequest.SIZE, 0, 0, 0,
                Namespace.MAX_FILE_SIZE + 1, t, t));
        assertTrue(h.planner.setAttr(f, 0, 0, 0, 0, 0, t, t).isEmpty());
    }

    @Test
    void truncateShrinkFreesWholeBlocksPastTheNewSize() {
        long f = h.create(ROOT, "f");
        h.allocate(f, 0, 4L * BLOCK);
        h.commit(f, 4L * BLOCK);
        long free = h.ns.space().freeBytes();
        h.clock.advance(Duration.ofSeconds(1));
        h.run(h.planner.setAttr(f, SetAttrRequest.SIZE, 0, 0, 0, BLOCK + 10, now(), now()).orElseThrow());
        assertEquals(BLOCK + 10, h.attr(f).size());
        assertEquals(now(), h.attr(f).mtime());
        Extent e = h.ns.extents(f).get(0);
        assertEquals(List.of(new Extent(0, 2L * BLOCK, e.pair(), e.volumeOffset())), h.ns.extents(f),
                "the partial block stays");
        assertEquals(free + 2L * BLOCK, h.ns.space().freeBytes());
        h.run(h.planner.setAttr(f, SetAttrRequest.SIZE, 0, 0, 0, 0, now(), now()).orElseThrow());
        assertEquals(List.of(), h.ns.extents(f));
        assertEquals(free + 4L * BLOCK, h.ns.space().freeBytes());
    }

    @Test
    void truncateGrowIsSparse() {
        long f = h.create(ROOT, "f");
        h.allocate(f, 0, BLOCK);
        h.commit(f, 100);
        List<Extent> before = h.ns.extents(f);
        long free = h.ns.space().freeBytes();
        h.run(h.planner.setAttr(f, SetAttrRequest.SIZE, 0, 0, 0, 1L << 40, now(), now()).orElseThrow());
        assertEquals(1L << 40, h.attr(f).size());
        assertEquals(before, h.ns.extents(f));
        assertEquals(free, h.ns.space().freeBytes());
    }

    @Test
    void growFreesUncommittedBlocksPastTheOldSize() {
        long f = h.create(ROOT, "f");
        h.allocate(f, 0, 3L * BLOCK);
        h.commit(f, 10);
        long free = h.ns.space().freeBytes();
        h.run(h.planner.setAttr(f, SetAttrRequest.SIZE, 0, 0, 0, 5L * BLOCK, now(), now()).orElseThrow());
        assertEquals(BLOCK, h.ns.extents(f).get(0).length(), "blocks past the old end would expose stale data");
        assertEquals(free + 2L * BLOCK, h.ns.space().freeBytes());
    }

    @Test
    void commitWriteGrowsTheSizeAndSetsTimes() {
        long f = h.create(ROOT, "f");
        Timespec written = new Timespec(1234, 5);
        h.clock.advance(Duration.ofSeconds(2));
        h.run(h.planner.commitWrite(f, 5000, written));
        h.run(h.planner.commitWrite(f, 10, written));
        FileAttr a = h.attr(f);
        assertEquals(5000, a.size());
        assertEquals(written, a.mtime());
        assertEquals(now(), a.ctime());
        fails(ErrorCode.IS_A_DIRECTORY, () -> h.planner.commitWrite(ROOT, 1, written));
        fails(ErrorCode.INVALID_ARGUMENT, () -> h.planner.commitWrite(f, -1, written));
    }

    // ------------------------------------------------------------ allocation

    @Test
    void sequentialAllocationsMergeIntoOneExtent() {
        long f = h.create(ROOT, "f");
        for (int i = 0; i < 4; i++) {
            h.allocate(f, (long) i * BLOCK + 100, 10);
        }
        List<Extent> extents = h.ns.extents(f);
        assertEquals(1, extents.size(), extents.toString());
        assertEquals(new Extent(0, 4L * BLOCK, P1, 0), extents.get(0));
        assertTrue(h.planner.allocate(f, 0, 4L * BLOCK).isEmpty(), "an allocated range needs nothing");
    }

    @Test
    void allocationFillsOnlyTheHolesKeepingTheFileContiguous() {
        long f = h.create(ROOT, "f");
        h.allocate(f, 0, BLOCK);
        assertEquals(List.of(new Extent(0, BLOCK, P1, 0), new Extent(2L * BLOCK, BLOCK, P1, 2L * BLOCK)),
                h.allocate(f, 2L * BLOCK, BLOCK), "a sparse block goes where it would be in a contiguous file");
        List<Extent> extents = h.allocate(f, 0, 4L * BLOCK);
        assertEquals(4L * BLOCK, h.ns.space().capacityBytes() - h.ns.space().freeBytes());
        assertEquals(List.of(new Extent(0, 4L * BLOCK, P1, 0)), extents, "the holes filled in place, so all merge");
    }

    @Test
    void firstAllocationGoesToThePairWithTheMostFreeSpace() {
        long big = h.create(ROOT, "big");
        long f = h.create(ROOT, "f");
        assertEquals(P1, h.ns.pairOf(f), "placed on p1 at create: it had the most free space then");
        h.allocate(big, 0, 5L * BLOCK);
        List<Extent> extents = h.allocate(f, 0, BLOCK);
        assertEquals(P2, extents.get(0).pair(), "p2 has 4 MiB free, p1 only 3 MiB");
        assertEquals(P2, h.ns.pairOf(f));
    }

    @Test
    void allocationSpillsToAnotherPairWhenItsPairIsFull() {
        long f = h.create(ROOT, "f");
        List<Extent> extents = h.allocate(f, 0, 10L * BLOCK);
        assertEquals(List.of(new Extent(0, 8L * BLOCK, P1, 0), new Extent(8L * BLOCK, 2L * BLOCK, P2, 0)), extents);
        assertEquals(P1, h.ns.pairOf(f));
    }

    @Test
    void noSpaceAllocatesNothing() {
        long f = h.create(ROOT, "f");
        long free = h.ns.space().freeBytes();
        CfsException e = fails(ErrorCode.NO_SPACE, () -> h.allocate(f, 0, 13L * BLOCK));
        assertTrue(e.getMessage().contains("file " + f), e.getMessage());
        assertEquals(free, h.ns.space().freeBytes());
        assertEquals(List.of(), h.ns.extents(f));
        h.allocate(f, 0, 12L * BLOCK);
        assertEquals(0, h.ns.space().freeBytes());
        fails(ErrorCode.NO_SPACE, () -> h.allocate(f, 12L * BLOCK, 1));
    }

    @Test
    void freedBlocksAreReused() {
        long a = h.create(ROOT, "a");
        long b = h.create(ROOT, "b");
        h.allocate(a, 0, 4L * BLOCK);
        h.allocate(b, 0, 4L * BLOCK);
        assertEquals(4L * BLOCK, h.ns.extents(b).get(0).volumeOffset());
        h.remove(ROOT, "a", false);
        h.free(a);
        long c = h.create(ROOT, "c");
        assertEquals(List.of(new Extent(0, 4L * BLOCK, P1, 0)), h.allocate(c, 0, 4L * BLOCK));
    }

    @Test
    void allocationsInFlightNeverShareBlocks() {
        long a = h.create(ROOT, "a");
        long b = h.create(ROOT, "b");
        Operation first = h.planner.allocate(a, 0, 2L * BLOCK).orElseThrow();
        Operation second = h.planner.allocate(b, 0, 2L * BLOCK).orElseThrow();
        Operation again = h.planner.allocate(a, 0, 3L * BLOCK).orElseThrow();
        assertEquals(List.of(new Extent(2L * BLOCK, BLOCK, P1, 2L * BLOCK + 2L * BLOCK)),
                ((Operation.Allocate) again).extents(), "only the block not planned yet, after the planned ones");
        h.run(first);
        h.run(second);
        h.run(again);
        assertEquals(List.of(new Extent(0, 2L * BLOCK, P1, 0), new Extent(2L * BLOCK, BLOCK, P1, 4L * BLOCK)),
                h.ns.extents(a));
        assertEquals(List.of(new Extent(0, 2L * BLOCK, P1, 2L * BLOCK)), h.ns.extents(b));
        assertEquals(7L * BLOCK, h.ns.space().freeBytes());
    }

    @Test
    void allocateChecksItsRange() {
        long f = h.create(ROOT, "f");
        fails(ErrorCode.INVALID_ARGUMENT, () -> h.planner.allocate(f, -1, 1));
        fails(ErrorCode.INVALID_ARGUMENT, () -> h.planner.allocate(f, 0, -1));
        fails(ErrorCode.FILE_TOO_LARGE, () -> h.planner.allocate(f, Namespace.MAX_FILE_SIZE, 1));
        fails(ErrorCode.FILE_TOO_LARGE, () -> h.planner.allocate(f, Long.MAX_VALUE, Long.MAX_VALUE));
        fails(ErrorCode.IS_A_DIRECTORY, () -> h.planner.allocate(ROOT, 0, 1));
        assertTrue(h.planner.allocate(f, 5, 0).isEmpty());
    }

    @Test
    void applyRefusesAnAllocationOfUsedSpace() {
        long a = h.create(ROOT, "a");
        long b = h.create(ROOT, "b");
        h.allocate(a, 0, BLOCK);
        long free = h.ns.space().freeBytes();
        Operation bad = new Operation.Allocate(b, List.of(new Extent(0, BLOCK, P2, 0), new Extent(BLOCK, BLOCK, P1, 0)));
        assertThrows(IllegalStateException.class, () -> h.ns.apply(bad));
        assertEquals(List.of(), h.ns.extents(b), "a refused operation changes nothing");
        assertEquals(free, h.ns.space().freeBytes());
    }

    private List<String> names(long dir) {
        return h.ns.readDir(dir, "", 100).entries().stream().map(DirEntry::name).toList();
    }
}
