package io.cfs.meta.allocation;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeMap;

/**
 * The free space of one master volume: a coalesced map of free runs (offset to length, in bytes,
 * block aligned). It is derived state, rebuilt on replay from the allocations and frees of the
 * journal. Its size is bounded by the number of free runs, at most one per allocated extent plus one.
 */
public final class VolumeSpace {
    private final String name;
    private final long capacity;
    private final TreeMap<Long, Long> free = new TreeMap<>();
    private long freeBytes;

    /**
     * @param name     how error messages name the volume (e.g. {@code pair p1 master ss1:v1})
     * @param capacity the volume's size in bytes, all of it free at first
     */
    public VolumeSpace(String name, long capacity) {
        this.name = name;
        this.capacity = capacity;
        free.put(0L, capacity);
        freeBytes = capacity;
    }

    public long capacity() {
        return capacity;
    }

    public long freeBytes() {
        return freeBytes;
    }

    /** Whether every byte of {@code [offset, offset+length)} is free. */
    public boolean isFree(long offset, long length) {
        Map.Entry<Long, Long> run = free.floorEntry(offset);
        return run != null && offset + length <= run.getKey() + run.getValue();
    }

    /** Marks a free range used; it must lie inside one free run. */
    public void take(long offset, long length) {
        Map.Entry<Long, Long> run = free.floorEntry(offset);
        if (run == null || offset + length > run.getKey() + run.getValue()) {
            throw new IllegalStateException(name + ": bytes [" + offset + ", " + (offset + length)
                    + ") are not free: expected an allocation of free space only");
        }
        long start = run.getKey();
        long end = start + run.getValue();
        free.remove(start);
        if (start < offset) {
            free.put(start, offset - start);
        }
        if (offset + length < end) {
            free.put(offset + length, end - offset - length);
        }
        freeBytes -= length;
    }

    /** Returns a used range to the free space, merging it with free neighbours. */
    public void give(long offset, long length) {
        long end = offset + length;
        if (offset < 0 || end > capacity) {
            throw new IllegalStateException(name + ": cannot free bytes [" + offset + ", " + end
                    + "): expected a range inside the volume's " + capacity + " bytes");
        }
        Map.Entry<Long, Long> before = free.floorEntry(offset);
        Map.Entry<Long, Long> after = free.ceilingEntry(offset);
        if ((before != null && before.getKey() + before.getValue() > offset)
                || (after != null && after.getKey() < end)) {
            throw new IllegalStateException(name + ": cannot free bytes [" + offset + ", " + end
                    + "): part of them is already free (freed twice?)");
        }
        long start = offset;
        if (before != null && before.getKey() + before.getValue() == offset) {
            start = before.getKey();
            free.remove(start);
        }
        if (after != null && after.getKey() == end) {
            end = after.getKey() + after.getValue();
            free.remove(after.getKey());
        }
        free.put(start, end - start);
        freeBytes += length;
    }

    /**
     * Chooses {@code wanted} bytes among the free runs that are not {@code reserved} (by
     * allocations planned but not yet applied). Preference: the space right at {@code near} (so
     * the file's extent grows in place and merges), then the lowest run that holds all that is
     * left (first fit), then the largest runs. Returns fewer bytes only if fewer are available.
     *
     * @param near     the preferred volume offset, or -1 for none
     * @param reserved reserved runs (offset to length), each inside a free run
     */
    public List<Range> choose(long wanted, long near, NavigableMap<Long, Long> reserved) {
        List<Range> chosen = new ArrayList<>();
        long left = wanted;
        TreeMap<Long, Long> excluded = new TreeMap<>(reserved);
        if (near >= 0) {
            long here = Math.min(availableAt(near, reserved), left);
            if (here > 0) {
                chosen.add(new Range(near, here));
                excluded.put(near, here);
                left -= here;
            }
        }
        if (left == 0) {
            return chosen;
        }
        List<Range> gaps = gaps(excluded);
        for (Range gap : gaps) {
            if (gap.length() >= left) {
                chosen.add(new Range(gap.offset(), left));
                return chosen;
            }
        }
        gaps.sort(Comparator.comparingLong(Range::length).reversed().thenComparingLong(Range::offset));
        for (Range gap : gaps) {
            if (left == 0) {
                break;
            }
            long take = Math.min(gap.length(), left);
            chosen.add(new Range(gap.offset(), take));
            left -= take;
        }
        return chosen;
    }

    /** How many bytes are free and unreserved from {@code offset} on without a break. */
    private long availableAt(long offset, NavigableMap<Long, Long> reserved) {
        Map.Entry<Long, Long> run = free.floorEntry(offset);
        if (run == null || run.getKey() + run.getValue() <= offset) {
            return 0;
        }
        Map.Entry<Long, Long> covering = reserved.floorEntry(offset);
        if (covering != null && covering.getKey() + covering.getValue() > offset) {
            return 0;
        }
        long end = run.getKey() + run.getValue();
        Long nextReserved = reserved.ceilingKey(offset);
        if (nextReserved != null && nextReserved < end) {
            end = nextReserved;
        }
        return end - offset;
    }

    /** The free runs minus the excluded ones, in offset order. */
    private List<Range> gaps(NavigableMap<Long, Long> excluded) {
        List<Range> gaps = new ArrayList<>();
        for (Map.Entry<Long, Long> run : free.entrySet()) {
            long at = run.getKey();
            long end = at + run.getValue();
            for (Map.Entry<Long, Long> x : excluded.subMap(at, true, end, false).entrySet()) {
                if (x.getKey() > at) {
                    gaps.add(new Range(at, x.getKey() - at));
                }
                at = Math.max(at, x.getKey() + x.getValue());
            }
            if (at < end) {
                gaps.add(new Range(at, end - at));
            }
        }
        return gaps;
    }
}
