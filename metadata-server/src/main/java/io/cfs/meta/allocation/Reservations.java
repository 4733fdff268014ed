package io.cfs.meta.allocation;

import io.cfs.protocol.message.Extent;
import io.cfs.topology.PairId;
import java.util.Collections;
import java.util.HashMap;
import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeMap;

/**
 * Volume space chosen for allocations that are planned and waiting for the journal but not yet
 * applied, so that two allocations in flight never choose the same blocks. Planner state only (not
 * part of the replicated state); it holds at most the extents of the operations in flight.
 */
public final class Reservations {
    private final Map<PairId, TreeMap<Long, Long>> runs = new HashMap<>();
    private final Map<PairId, Long> bytes = new HashMap<>();

    public void reserve(Extent e) {
        runs.computeIfAbsent(e.pair(), p -> new TreeMap<>()).put(e.volumeOffset(), e.length());
        bytes.merge(e.pair(), e.length(), Long::sum);
    }

    /** Releases every reserved run inside the extent's volume range. */
    public void release(Extent e) {
        TreeMap<Long, Long> pairRuns = runs.get(e.pair());
        if (pairRuns == null) {
            return;
        }
        NavigableMap<Long, Long> inside = pairRuns.subMap(e.volumeOffset(), true, e.volumeOffset() + e.length(), false);
        long released = inside.values().stream().mapToLong(Long::longValue).sum();
        inside.clear();
        if (pairRuns.isEmpty()) {
            runs.remove(e.pair());
            bytes.remove(e.pair());
        } else {
            bytes.merge(e.pair(), -released, Long::sum);
        }
    }

    /** The reserved runs on a pair's master volume (offset to length), read-only. */
    public NavigableMap<Long, Long> on(PairId pair) {
        TreeMap<Long, Long> pairRuns = runs.get(pair);
        return pairRuns == null ? Collections.emptyNavigableMap() : Collections.unmodifiableNavigableMap(pairRuns);
    }

    public long bytes(PairId pair) {
        return bytes.getOrDefault(pair, 0L);
    }
}
