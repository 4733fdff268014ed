package io.cfs.meta.allocation;

import static io.cfs.meta.TestTopologies.BLOCK;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cfs.meta.TestTopologies;
import io.cfs.protocol.CfsException;
import io.cfs.protocol.ErrorCode;
import io.cfs.protocol.message.Extent;
import io.cfs.topology.PairId;
import java.nio.file.Path;
import java.util.List;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

class AllocationTest {
    static final PairId P1 = new PairId("p1");
    static final PairId P2 = new PairId("p2");
    static final long B = BLOCK;

    @Test
    void takeAndGiveCoalesce() {
        VolumeSpace v = new VolumeSpace("v", 8 * B);
        v.take(2 * B, 2 * B);
        v.take(6 * B, B);
        assertEquals(5 * B, v.freeBytes());
        assertFalse(v.isFree(3 * B, B));
        assertTrue(v.isFree(4 * B, 2 * B));
        assertFalse(v.isFree(4 * B, 3 * B));
        v.give(2 * B, B);
        v.give(3 * B, B);
        v.give(6 * B, B);
        assertEquals(8 * B, v.freeBytes());
        assertTrue(v.isFree(0, 8 * B), "all runs merged back into one");
    }

    @Test
    void doubleFreeAndTakingUsedSpaceAreRefused() {
        VolumeSpace v = new VolumeSpace("v", 4 * B);
        v.take(B, 2 * B);
        assertThrows(IllegalStateException.class, () -> v.take(2 * B, 2 * B));
        assertThrows(IllegalStateException.class, () -> v.give(0, 2 * B));
        assertThrows(IllegalStateException.class, () -> v.give(3 * B, 2 * B));
        v.give(B, 2 * B);
        assertThrows(IllegalStateException.class, () -> v.give(B, B));
        assertEquals(4 * B, v.freeBytes());
    }

    @Test
    void choosePrefersNearThenFirstFitThenLargest() {
        VolumeSpace v = new VolumeSpace("v", 16 * B);
        v.take(0, B);
        v.take(3 * B, B);
        v.take(10 * B, B);
        // free: [1,3) [4,10) [11,16)
        TreeMap<Long, Long> none = new TreeMap<>();
        assertEquals(List.of(new Range(4 * B, 3 * B)), v.choose(3 * B, 4 * B, none), "at near");
        assertEquals(List.of(new Range(1 * B, 2 * B), new Range(4 * B, B)), v.choose(3 * B, B, none),
                "near first, then the lowest run that holds the rest");
        assertEquals(List.of(new Range(4 * B, 6 * B)), v.choose(6 * B, -1, none), "first fit");
        assertEquals(List.of(new Range(4 * B, 6 * B), new Range(11 * B, 3 * B)), v.choose(9 * B, -1, none),
                "no run holds it: the largest first");
        TreeMap<Long, Long> reserved = new TreeMap<>();
        reserved.put(4 * B, 2 * B);
        assertEquals(List.of(new Range(1 * B, 2 * B)), v.choose(2 * B, 4 * B, reserved), "reserved space is skipped");
        assertEquals(List.of(new Range(6 * B, 4 * B)), v.choose(4 * B, -1, reserved));
    }

    @Test
    void fileExtentsMergeAndReportHoles() {
        FileExtents f = new FileExtents();
        f.add(new Extent(0, B, P1, 5 * B));
        f.add(new Extent(B, B, P1, 6 * B));
        f.add(new Extent(3 * B, B, P1, 8 * B));
        f.add(new Extent(4 * B, B, P2, 9 * B));
        assertEquals(List.of(new Extent(0, 2 * B, P1, 5 * B), new Extent(3 * B, B, P1, 8 * B),
                new Extent(4 * B, B, P2, 9 * B)), f.list(), "only same-pair continuations merge");
        f.add(new Extent(2 * B, B, P1, 7 * B));
        assertEquals(List.of(new Extent(0, 4 * B, P1, 5 * B), new Extent(4 * B, B, P2, 9 * B)), f.list(),
                "filling the gap merges both sides");
        assertEquals(List.of(new Range(5 * B, 2 * B)), f.holes(B, 6 * B));
        assertThrows(IllegalStateException.class, () -> f.add(new Extent(3 * B, 2 * B, P1, 0)));
        assertTrue(f.overlaps(4 * B + 1, 1));
        assertFalse(f.overlaps(5 * B, B));
    }

    @Test
    void truncateSplitsTheExtentAtTheCut() {
        FileExtents f = new FileExtents();
        f.add(new Extent(0, 4 * B, P1, 2 * B));
        f.add(new Extent(6 * B, B, P2, 0));
        List<Extent> dropped = f.truncate(B);
        assertEquals(List.of(new Extent(B, 3 * B, P1, 3 * B), new Extent(6 * B, B, P2, 0)), dropped);
        assertEquals(List.of(new Extent(0, B, P1, 2 * B)), f.list());
        assertEquals(List.of(), f.truncate(B));
    }

    @Test
    void placementIsAllOrNothing() {
        AllocationTable table = new AllocationTable(TestTopologies.twoPairs(Path.of("/tmp")));
        Reservations reserved = new Reservations();
        CfsException e = assertThrows(CfsException.class, () -> table.place(7, P2, List.of(new Range(0, 13 * B)),
                at -> null, reserved));
        assertEquals(ErrorCode.NO_SPACE, e.code());
        assertTrue(e.getMessage().contains("p1: " + 8 * B) && e.getMessage().contains("p2: " + 4 * B), e.getMessage());
        assertEquals(0, reserved.bytes(P1) + reserved.bytes(P2));
        List<Extent> placed = table.place(7, P2, List.of(new Range(0, 6 * B)), at -> null, reserved);
        assertEquals(List.of(new Extent(0, 4 * B, P2, 0), new Extent(4 * B, 2 * B, P1, 0)), placed);
        assertEquals(4 * B, reserved.bytes(P2));
        assertEquals(6 * B, table.available(P1, reserved));
        placed.forEach(reserved::release);
        assertEquals(8 * B, table.available(P1, reserved));
        assertEquals(P1, table.mostAvailable(reserved));
    }
}
