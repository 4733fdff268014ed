package io.cfs.meta.namespace;

import static io.cfs.meta.TestTopologies.BLOCK;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cfs.meta.TestTopologies;
import io.cfs.protocol.CfsException;
import io.cfs.protocol.ErrorCode;
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

/** Symbolic links, hard links, FIFO/socket/device nodes, directory pins and LOCATE, on the state machine. */
class LinksNodesAndPinsTest {
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

    // ------------------------------------------------------------ symbolic links

    @Test
    void aSymlinkStoresItsTargetWithMode777AndTheTargetLengthAsSize() {
        h.clock.advance(Duration.ofSeconds(4));
        long link = h.symlink(ROOT, "l", "d\u00e9j\u00e0/vu");
        FileAttr a = h.attr(link);
        assertEquals(FileType.SYMLINK, a.type());
        assertEquals(0777, a.mode());
        assertEquals(9, a.size(), "UTF-8 bytes of the target");
        assertEquals(1, a.nlink());
        assertEquals(1000, a.uid());
        assertEquals(now(), a.ctime());
        assertEquals(now(), h.attr(ROOT).mtime());
        assertEquals("d\u00e9j\u00e0/vu", h.ns.readLink(link));
        assertEquals(link, h.ns.lookup(ROOT, "l").inode());
        assertEquals(FileType.SYMLINK, h.ns.readDir(ROOT, "", 10).entries().get(0).type());
    }

    @Test
    void symlinkRules() {
        long file = h.create(ROOT, "f");
        fails(ErrorCode.ALREADY_EXISTS, () -> h.symlink(ROOT, "f", "x"));
        fails(ErrorCode.INVALID_ARGUMENT, () -> h.symlink(ROOT, "l", ""));
        fails(ErrorCode.INVALID_ARGUMENT, () -> h.symlink(ROOT, "l", "a\0b"));
        fails(ErrorCode.INVALID_ARGUMENT, () -> h.symlink(ROOT, "a/b", "x"));
        CfsException tooLong = fails(ErrorCode.NAME_TOO_LONG, () -> h.symlink(ROOT, "l", "t".repeat(4096)));
        assertTrue(tooLong.getMessage().contains("4096 bytes long: expected at most 4095"), tooLong.getMessage());
        assertEquals(4095, h.attr(h.symlink(ROOT, "longest", "t".repeat(4095))).size());
        fails(ErrorCode.NOT_A_DIRECTORY, () -> h.symlink(file, "l", "x"));
        CfsException notLink = fails(ErrorCode.INVALID_ARGUMENT, () -> h.ns.readLink(file));
        assertEquals("inode " + file + " is a regular file: expected a symbolic link", notLink.getMessage());
        fails(ErrorCode.NOT_FOUND, () -> h.ns.readLink(999));
        long link = h.ns.lookup(ROOT, "longest").inode();
        fails(ErrorCode.INVALID_ARGUMENT, () -> h.ns.openable(link));
        fails(ErrorCode.INVALID_ARGUMENT, () -> h.planner.setAttr(link, SetAttrRequest.SIZE, 0, 0, 0, 0, now(), now()));
        fails(ErrorCode.ALREADY_EXISTS, () -> h.planner.createFile(ROOT, "longest", 0644, 0, 0, false));
    }

    @Test
    void removingASymlinkRemovesItAndNotItsTarget() {
        long file = h.create(ROOT, "f");
        long link = h.symlink(ROOT, "l", "f");
        Outcome out = h.remove(ROOT, "l", false);
        assertEquals(0, out.orphaned(), "a symlink has no blocks to free later");
        fails(ErrorCode.NOT_FOUND, () -> h.attr(link));
        assertEquals(1, h.attr(file).nlink());
        assertEquals(List.of(), h.ns.orphans());
    }

    // ------------------------------------------------------------ hard links

    @Test
    void hardLinksCountNamesAndUnlinkingOneKeepsTheOthers() {
        long d = h.mkdir(ROOT, "d");
        long f = h.create(ROOT, "f");
        h.allocate(f, 0, 2L * BLOCK);
        long free = h.ns.space().freeBytes();
        h.clock.advance(Duration.ofSeconds(3));
        assertEquals(f, h.link(f, d, "g"));
        assertEquals(2, h.attr(f).nlink());
        assertEquals(now(), h.attr(f).ctime());
        assertEquals(now(), h.attr(d).mtime());
        assertEquals(h.attr(f), h.ns.lookup(d, "g"));
        h.link(f, ROOT, "h");
        assertEquals(3, h.attr(f).nlink());

        assertEquals(0, h.remove(ROOT, "f", false).orphaned());
        assertEquals(2, h.attr(f).nlink());
        assertEquals(0, h.remove(d, "g", false).orphaned());
        assertEquals(1, h.attr(f).nlink());
        assertEquals(free, h.ns.space().freeBytes(), "the data stays while a name does");
        assertEquals(List.of(new Extent(0, 2L * BLOCK, P1, 0)), h.ns.extents(f));
        assertEquals(f, h.remove(ROOT, "h", false).orphaned(), "the last name: the file waits to be freed");
        assertTrue(h.ns.isOrphan(f));
        h.free(f);
        assertEquals(free + 2L * BLOCK, h.ns.space().freeBytes());
    }

    @Test
    void linkRules() {
        long d = h.mkdir(ROOT, "d");
        long f = h.create(ROOT, "f");
        CfsException dir = fails(ErrorCode.PERMISSION_DENIED, () -> h.link(d, ROOT, "d2"));
        assertTrue(dir.getMessage().contains("is a directory: hard links to directories are not allowed"),
                dir.getMessage());
        CfsException taken = fails(ErrorCode.ALREADY_EXISTS, () -> h.link(f, ROOT, "d"));
        assertEquals("'d' already exists in directory 1 (inode " + d + ")", taken.getMessage());
        fails(ErrorCode.ALREADY_EXISTS, () -> h.link(f, ROOT, "f"));
        fails(ErrorCode.NOT_FOUND, () -> h.link(999, ROOT, "x"));
        fails(ErrorCode.NOT_A_DIRECTORY, () -> h.link(d, f, "x"));
        fails(ErrorCode.NOT_A_DIRECTORY, () -> h.link(f, f, "x"));
        fails(ErrorCode.INVALID_ARGUMENT, () -> h.link(f, d, ".."));
        h.remove(ROOT, "f", false);
        CfsException gone = fails(ErrorCode.NOT_FOUND, () -> h.link(f, d, "back"));
        assertTrue(gone.getMessage().contains("has been removed"), gone.getMessage());
        long link = h.symlink(ROOT, "s", "f");
        h.link(link, d, "s2");
        assertEquals(2, h.attr(link).nlink(), "symbolic links and nodes may have hard links too");
        h.remove(ROOT, "s", false);
        assertEquals("f", h.ns.readLink(link));
        h.remove(d, "s2", false);
        fails(ErrorCode.NOT_FOUND, () -> h.attr(link));
    }

    @Test
    void renamingALinkOntoAnotherLinkOfTheSameFileIsANoOp() {
        long d = h.mkdir(ROOT, "d");
        long f = h.create(ROOT, "f");
        h.link(f, d, "g");
        FileAttr before = h.attr(f);
        h.clock.advance(Duration.ofSeconds(1));
        assertTrue(h.planner.rename(ROOT, "f", d, "g").isEmpty(), "POSIX: both names stay");
        h.run(new Operation.Rename(ROOT, "f", d, "g", now()));
        assertEquals(before, h.attr(f));
        assertEquals(f, h.ns.lookup(ROOT, "f").inode());
        assertEquals(f, h.ns.lookup(d, "g").inode());
    }

    @Test
    void renamingOverAHardLinkDropsOnlyThatName() {
        long a = h.create(ROOT, "a");
        long b = h.create(ROOT, "b");
        h.link(b, ROOT, "b2");
        Outcome out = h.run(h.planner.rename(ROOT, "a", ROOT, "b").orElseThrow());
        assertEquals(0, out.orphaned());
        assertEquals(a, h.ns.lookup(ROOT, "b").inode());
        assertEquals(1, h.attr(b).nlink());
        assertEquals(b, h.ns.lookup(ROOT, "b2").inode());
        out = h.run(h.planner.rename(ROOT, "b", ROOT, "b2").orElseThrow());
        assertEquals(b, out.orphaned(), "its last name replaced: an orphan");
    }

    // ------------------------------------------------------------ nodes

    @Test
    void nodesOfEveryKind() {
        long fifo = h.mknod(ROOT, "fifo", FileType.FIFO, 77);
        long sock = h.mknod(ROOT, "sock", FileType.SOCKET, 77);
        long chr = h.mknod(ROOT, "null", FileType.CHAR_DEVICE, (1 << 8) | 3);
        long blk = h.mknod(ROOT, "sda", FileType.BLOCK_DEVICE, 8 << 8);
        assertEquals(FileType.FIFO, h.attr(fifo).type());
        assertEquals(0, h.attr(fifo).rdev(), "only devices have a device number");
        assertEquals(0, h.attr(sock).rdev());
        assertEquals(FileType.SOCKET, h.attr(sock).type());
        assertEquals(259, h.attr(chr).rdev());
        assertEquals(FileType.BLOCK_DEVICE, h.attr(blk).type());
        assertEquals(2048, h.attr(blk).rdev());
        assertEquals(0640, h.attr(blk).mode());
        assertEquals(0, h.attr(blk).size());
        assertEquals(0640, h.attr(h.run(h.planner.makeNode(ROOT, "masked", FileType.FIFO, 0170640, 0, 0, 0))
                .inode()).mode(), "type bits are masked off");
        for (FileType wrong : List.of(FileType.REGULAR, FileType.DIRECTORY, FileType.SYMLINK)) {
            fails(ErrorCode.INVALID_ARGUMENT, () -> h.mknod(ROOT, "x", wrong, 0));
        }
        fails(ErrorCode.ALREADY_EXISTS, () -> h.mknod(ROOT, "fifo", FileType.FIFO, 0));
        fails(ErrorCode.INVALID_ARGUMENT, () -> h.ns.openable(chr));
        fails(ErrorCode.INVALID_ARGUMENT, () -> h.planner.allocate(chr, 0, 1));
        h.rename(ROOT, "fifo", ROOT, "sock");
        assertEquals(fifo, h.ns.lookup(ROOT, "sock").inode());
        fails(ErrorCode.NOT_FOUND, () -> h.attr(sock));
        assertEquals(0, h.remove(ROOT, "null", false).orphaned());
        fails(ErrorCode.NOT_FOUND, () -> h.attr(chr));
        fails(ErrorCode.NOT_A_DIRECTORY, () -> h.remove(ROOT, "sda", true));
    }

    // ------------------------------------------------------------ pins and locate

    @Test
    void filesArePlacedOnThePinOfTheirNearestPinnedAncestor() {
        long videos = h.mkdir(ROOT, "videos");
        long hd = h.mkdir(videos, "hd");
        long sd = h.mkdir(videos, "sd");
        assertEquals(P1, h.ns.pairOf(h.create(hd, "before")), "no pin yet: the pair with the most space");
        h.pin(videos, P2);
        long inherited = h.create(hd, "a");
        assertEquals(P2, h.ns.pairOf(inherited), "a pin applies to directories made before it");
        assertEquals(P2, h.allocate(inherited, 0, BLOCK).get(0).pair(), "the first allocation keeps the pin");
        h.pin(sd, P1);
        assertEquals(P1, h.ns.pairOf(h.create(sd, "b")), "the nearest pin wins");
        assertEquals(P2, h.ns.pairOf(h.create(videos, "c")));
        assertEquals(P1, h.ns.pairOf(h.create(ROOT, "d")));
        assertEquals(P2, h.ns.locate(videos).pair());
        assertNull(h.ns.locate(hd).pair(), "locate shows a directory's own pin, not an inherited one");
    }

    @Test
    void renamingADirectoryCarriesItsPin() {
        long a = h.mkdir(ROOT, "a");
        long pinned = h.mkdir(a, "pinned");
        long b = h.mkdir(ROOT, "b");
        h.pin(a, P2);
        h.rename(a, "pinned", b, "moved");
        assertEquals(P1, h.ns.pairOf(h.create(pinned, "f")), "it no longer inherits from a");
        h.pin(pinned, P2);
        h.rename(b, "moved", ROOT, "top");
        assertEquals(P2, h.ns.locate(pinned).pair());
        assertEquals(P2, h.ns.pairOf(h.create(pinned, "g")));
    }

    @Test
    void setPairRules() {
        long f = h.create(ROOT, "f");
        fails(ErrorCode.NOT_A_DIRECTORY, () -> h.pin(f, P2));
        CfsException unknown = fails(ErrorCode.INVALID_ARGUMENT, () -> h.pin(ROOT, new PairId("p9")));
        assertEquals("pair p9 is not in the topology: expected one of [p1, p2]", unknown.getMessage());
        fails(ErrorCode.NOT_FOUND, () -> h.pin(999, P2));
        h.pin(ROOT, P2);
        h.pin(ROOT, P1);
        assertEquals(P1, h.ns.locate(ROOT).pair(), "a later pin replaces an earlier one");
    }

    @Test
    void aFullPinnedPairSpillsToTheOthers() {
        long d = h.mkdir(ROOT, "d");
        h.pin(d, P2);
        long big = h.create(d, "big");
        assertEquals(List.of(new Extent(0, 4L * BLOCK, P2, 0)), h.allocate(big, 0, 4L * BLOCK));
        long more = h.create(d, "more");
        assertEquals(P2, h.ns.pairOf(more));
        List<Extent> spilled = h.allocate(more, 0, 2L * BLOCK);
        assertEquals(List.of(new Extent(0, 2L * BLOCK, P1, 0)), spilled);
        assertEquals(P1, h.ns.pairOf(more), "its home is where its first block went");
        long grow = h.create(d, "grow");
        h.remove(d, "big", false);
        h.free(big);
        assertEquals(List.of(new Extent(0, BLOCK, P2, 0)), h.allocate(grow, 0, BLOCK), "room again on the pin");
    }

    @Test
    void locateWithoutOpening() {
        long d = h.mkdir(ROOT, "d");
        long f = h.create(d, "f");
        h.allocate(f, 0, 2L * BLOCK);
        Namespace.Location at = h.ns.locate(f);
        assertEquals(P1, at.pair());
        assertEquals(List.of(new Extent(0, 2L * BLOCK, P1, 0)), at.extents());
        assertEquals(new Namespace.Location(null, List.of()), h.ns.locate(d));
        assertEquals(new Namespace.Location(null, List.of()), h.ns.locate(h.symlink(d, "l", "f")));
        h.remove(d, "f", false);
        assertEquals(at, h.ns.locate(f), "an unlinked file still open somewhere keeps its blocks");
        fails(ErrorCode.NOT_FOUND, () -> h.ns.locate(999));
    }

    @Test
    void layoutRangesSelectTheOverlappingExtents() {
        long a = h.create(ROOT, "a");
        long b = h.create(ROOT, "b");
        h.allocate(a, 0, BLOCK);
        h.allocate(b, 0, BLOCK);
        h.allocate(a, BLOCK, BLOCK);
        h.allocate(a, 4L * BLOCK, BLOCK);
        List<Extent> all = h.ns.extents(a);
        assertEquals(3, all.size(), all.toString());
        assertEquals(all, h.ns.extents(a, 0, Long.MAX_VALUE));
        assertEquals(List.of(all.get(0)), h.ns.extents(a, 0, 1));
        assertEquals(List.of(all.get(1)), h.ns.extents(a, BLOCK + 5, 10));
        assertEquals(List.of(all.get(1), all.get(2)), h.ns.extents(a, BLOCK, 3L * BLOCK + 1));
        assertEquals(List.of(), h.ns.extents(a, 2L * BLOCK, 2L * BLOCK), "a hole");
        assertEquals(List.of(), h.ns.extents(a, 0, 0));
        assertEquals(List.of(), h.ns.extents(a, 9L * BLOCK, Long.MAX_VALUE));
        fails(ErrorCode.INVALID_ARGUMENT, () -> h.ns.extents(a, -1, 1));
        fails(ErrorCode.INVALID_ARGUMENT, () -> h.ns.extents(a, 0, -1));
        assertFalse(h.ns.extents(b, 0, BLOCK).isEmpty());
    }
}
