package io.cfs.meta.allocation;

import io.cfs.protocol.message.Extent;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * One file's row of the File Allocation Table: its extents by file offset, never overlapping, in
 * master coordinates. An extent that continues its neighbour both in the file and on the same
 * pair's volume is merged into it, so a file written in order stays a short list. Extents are
 * block aligned. Size: one entry per extent, bounded by the planner's per-file extent limit.
 */
public final class FileExtents {
    private final TreeMap<Long, Extent> byOffset = new TreeMap<>();

    public List<Extent> list() {
        return List.copyOf(byOffset.values());
    }

    public int size() {
        return byOffset.size();
    }

    public boolean isEmpty() {
        return byOffset.isEmpty();
    }

    /** The extent starting last before {@code fileOffset}, or null. */
    public Extent before(long fileOffset) {
        Map.Entry<Long, Extent> e = byOffset.lowerEntry(fileOffset);
        return e == null ? null : e.getValue();
    }

    /** Whether any byte of {@code [offset, offset+length)} is backed. */
    public boolean overlaps(long offset, long length) {
        Map.Entry<Long, Extent> floor = byOffset.floorEntry(offset);
        if (floor != null && floor.getValue().fileEnd() > offset) {
            return true;
        }
        Long next = byOffset.higherKey(offset);
        return next != null && next < offset + length;
    }

    /** The extents holding any byte of {@code [offset, offset+length)} (whole, not cut to the range), in order. */
    public List<Extent> overlapping(long offset, long length) {
        if (length == 0) {
            return List.of();
        }
        List<Extent> out = new ArrayList<>();
        Map.Entry<Long, Extent> floor = byOffset.floorEntry(offset);
        if (floor != null && floor.getValue().fileEnd() > offset) {
            out.add(floor.getValue());
        }
        out.addAll(byOffset.subMap(offset, false, offset + length, false).values());
        return out;
    }

    /** The parts of {@code [offset, offset+length)} that no extent backs, in order. */
    public List<Range> holes(long offset, long length) {
        return subtract(List.of(new Range(offset, length)), byOffset.values());
    }

    /** {@code ranges} (sorted, disjoint) without the bytes any of {@code extents} covers. */
    public static List<Range> subtract(List<Range> ranges, Collection<Extent> extents) {
        TreeMap<Long, Extent> covered = new TreeMap<>();
        for (Extent e : extents) {
            covered.put(e.fileOffset(), e);
        }
        List<Range> out = new ArrayList<>();
        for (Range r : ranges) {
            long at = r.offset();
            Map.Entry<Long, Extent> floor = covered.floorEntry(at);
            if (floor != null && floor.getValue().fileEnd() > at) {
                at = Math.min(floor.getValue().fileEnd(), r.end());
            }
            for (Extent e : covered.subMap(at, true, r.end(), false).values()) {
                if (e.fileOffset() > at) {
                    out.add(new Range(at, e.fileOffset() - at));
                }
                at = Math.max(at, Math.min(e.fileEnd(), r.end()));
            }
            if (at < r.end()) {
                out.add(new Range(at, r.end() - at));
            }
        }
        return out;
    }

    /** Adds an extent over unbacked bytes, merging it with the neighbours it continues. */
    public void add(Extent e) {
        if (overlaps(e.fileOffset(), e.length())) {
            throw new IllegalStateException("extent " + describe(e) + " overlaps bytes the file already has");
        }
        Extent merged = e;
        Map.Entry<Long, Extent> lower = byOffset.lowerEntry(e.fileOffset());
        if (lower != null && continues(lower.getValue(), merged)) {
            Extent l = lower.getValue();
            byOffset.remove(l.fileOffset());
            merged = new Extent(l.fileOffset(), l.length() + merged.length(), l.pair(), l.volumeOffset());
        }
        Extent higher = byOffset.get(merged.fileEnd());
        if (higher != null && continues(merged, higher)) {
            byOffset.remove(higher.fileOffset());
            merged = new Extent(merged.fileOffset(), merged.length() + higher.length(), merged.pair(),
                    merged.volumeOffset());
        }
        byOffset.put(merged.fileOffset(), merged);
    }

    /** Whether {@code b} starts exactly where {@code a} ends, in the file and on the same volume. */
    public static boolean continues(Extent a, Extent b) {
        return a.pair().equals(b.pair()) && a.fileEnd() == b.fileOffset()
                && a.volumeOffset() + a.length() == b.volumeOffset();
    }

    /** Drops every byte at or past {@code end} (block aligned) and returns the pieces dropped. */
    public List<Extent> truncate(long end) {
        List<Extent> dropped = new ArrayList<>();
        Map.Entry<Long, Extent> floor = byOffset.lowerEntry(end);
        if (floor != null && floor.getValue().fileEnd() > end) {
            Extent e = floor.getValue();
            long keep = end - e.fileOffset();
            byOffset.put(e.fileOffset(), new Extent(e.fileOffset(), keep, e.pair(), e.volumeOffset()));
            dropped.add(new Extent(end, e.length() - keep, e.pair(), e.volumeOffset() + keep));
        }
        Map<Long, Extent> tail = byOffset.tailMap(end, true);
        dropped.addAll(tail.values());
        tail.clear();
        return dropped;
    }

    static String describe(Extent e) {
        return "[" + e.fileOffset() + ", " + e.fileEnd() + ") at " + e.pair() + ":" + e.volumeOffset();
    }
}
