package io.cfs.meta.allocation;

import io.cfs.protocol.CfsException;
import io.cfs.protocol.ErrorCode;
import io.cfs.protocol.message.Extent;
import io.cfs.topology.PairId;
import io.cfs.topology.PairSpec;
import io.cfs.topology.Topology;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.StringJoiner;
import java.util.TreeMap;
import java.util.function.LongFunction;

/**
 * The free space of every pair's master volume and the placement of new blocks. Allocations are
 * in master coordinates; a mirror holds the same blocks at the same offsets. The free space is
 * derived from the files' extents (rebuilt by replaying the journal).
 */
public final class AllocationTable {
    private final int blockSize;
    private final Map<PairId, VolumeSpace> spaces = new TreeMap<>((a, b) -> a.value().compareTo(b.value()));

    public AllocationTable(Topology topology) {
        this.blockSize = topology.blockSize();
        for (PairSpec pair : topology.pairs().values()) {
            spaces.put(pair.id(), new VolumeSpace("master volume " + pair.master() + " of pair " + pair.id(),
                    topology.volume(pair.master()).capacity()));
        }
    }

    public int blockSize() {
        return blockSize;
    }

    /** The pairs, in id order. */
    public List<PairId> pairs() {
        return List.copyOf(spaces.keySet());
    }

    public VolumeSpace space(PairId pair) {
        VolumeSpace space = spaces.get(pair);
        if (space == null) {
            throw new IllegalStateException("pair " + pair + " is not in the topology: expected one of " + spaces.keySet());
        }
        return space;
    }

    public long capacityBytes() {
        return spaces.values().stream().mapToLong(VolumeSpace::capacity).sum();
    }

    public long freeBytes() {
        return spaces.values().stream().mapToLong(VolumeSpace::freeBytes).sum();
    }

    /** Free bytes on a pair's master volume that no planned allocation holds. */
    public long available(PairId pair, Reservations reserved) {
        return space(pair).freeBytes() - reserved.bytes(pair);
    }

    /** The pair whose master volume has the most available space; ties go to the lowest id. */
    public PairId mostAvailable(Reservations reserved) {
        PairId best = null;
        long bestBytes = -1;
        for (PairId pair : spaces.keySet()) {
            long bytes = available(pair, reserved);
            if (bytes > bestBytes) {
                best = pair;
                bestBytes = bytes;
            }
        }
        return best;
    }

    public boolean isFree(Extent e) {
        return space(e.pair()).isFree(e.volumeOffset(), e.length());
    }

    public void take(Extent e) {
        space(e.pair()).take(e.volumeOffset(), e.length());
    }

    public void give(Extent e) {
        space(e.pair()).give(e.volumeOffset(), e.length());
    }

    /**
     * Chooses blocks for the holes of a file and reserves them. They go on {@code home} while it
     * has space, then spill to the pair with the most available space; on each pair the space
     * right after the file's preceding extent is preferred, so extents merge. All or nothing:
     * NO_SPACE, reserving nothing, when the pairs together cannot hold the holes.
     *
     * @param inode  the file, for messages
     * @param holes  block-aligned file ranges to back, sorted and disjoint
     * @param before the file's extent starting last before a file offset (or null), planned ones included
     * @return the new extents in file order, adjacent ones merged
     */
    public List<Extent> place(long inode, PairId home, List<Range> holes, LongFunction<Extent> before,
                              Reservations reserved) {
        long needed = holes.stream().mapToLong(Range::length).sum();
        long available = 0;
        for (PairId pair : spaces.keySet()) {
            available += available(pair, reserved);
        }
        if (needed > available) {
            throw new CfsException(ErrorCode.NO_SPACE, "no space for file " + inode + ": it needs " + needed
                    + " more bytes (" + needed / blockSize + " blocks of " + blockSize + ") but the master volumes have "
                    + available + " free (" + describe(reserved) + ")");
        }
        List<Extent> placed = new ArrayList<>();
        for (Range hole : holes) {
            long at = hole.offset();
            long left = hole.length();
            while (left > 0) {
                PairId pair = available(home, reserved) > 0 ? home : mostAvailable(reserved);
                long want = Math.min(left, available(pair, reserved));
                long near = near(pair, at, before, placed);
                long got = 0;
                for (Range run : space(pair).choose(want, near, reserved.on(pair))) {
                    Extent e = new Extent(at, run.length(), pair, run.offset());
                    reserved.reserve(e);
                    appendMerged(placed, e);
                    at += run.length();
                    got += run.length();
                }
                if (got == 0) {
                    throw new IllegalStateException("pair " + pair + " reports " + want
                            + " bytes available but offers none");
                }
                left -= got;
            }
        }
        return placed;
    }

    /** The volume offset that continues the file's preceding extent if it is on {@code pair}, else -1. */
    private long near(PairId pair, long at, LongFunction<Extent> before, List<Extent> placed) {
        Extent prev = before.apply(at);
        if (!placed.isEmpty()) {
            Extent last = placed.get(placed.size() - 1);
            if (prev == null || last.fileOffset() > prev.fileOffset()) {
                prev = last;
            }
        }
        if (prev == null || !prev.pair().equals(pair)) {
            return -1;
        }
        long near = prev.volumeOffset() + (at - prev.fileOffset());
        return near < space(pair).capacity() ? near : -1;
    }

    private static void appendMerged(List<Extent> placed, Extent e) {
        if (!placed.isEmpty()) {
            Extent last = placed.get(placed.size() - 1);
            if (FileExtents.continues(last, e)) {
                placed.set(placed.size() - 1, new Extent(last.fileOffset(), last.length() + e.length(), last.pair(),
                        last.volumeOffset()));
                return;
            }
        }
        placed.add(e);
    }

    private String describe(Reservations reserved) {
        StringJoiner j = new StringJoiner(", ");
        for (PairId pair : spaces.keySet()) {
            j.add(pair + ": " + available(pair, reserved));
        }
        return j.toString();
    }
}
