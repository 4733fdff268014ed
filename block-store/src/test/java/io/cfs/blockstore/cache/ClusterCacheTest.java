package io.cfs.blockstore.cache;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cfs.topology.VolumeId;
import org.junit.jupiter.api.Test;

/** The cache memory on its own: fills that race invalidations, the byte bound, counters. */
class ClusterCacheTest {
    static final int CLUSTER = 1024;
    static final VolumeId V = new VolumeId("v");
    static final VolumeId W = new VolumeId("w");

    static byte[] bytes(int value) {
        byte[] b = new byte[CLUSTER];
        java.util.Arrays.fill(b, (byte) value);
        return b;
    }

    @Test
    void aFillIsKeptUnlessTheClusterWasInvalidatedSinceItsGenerationWasTaken() {
        ClusterCache cache = new ClusterCache(1 << 20, CLUSTER);
        long generation = cache.generation(V, 3);
        cache.put(V, 3, bytes(1), generation, c -> true);
        assertArrayEquals(bytes(1), cache.peek(V, 3));

        long before = cache.generation(V, 4);
        cache.invalidate(V, 4, 1); // a write landed while the reader read the disk
        cache.put(V, 4, bytes(2), before, c -> true);
        assertFalse(cache.contains(V, 4), "a fill that read before a write must not be kept");
        cache.put(V, 4, bytes(3), cache.generation(V, 4), c -> true);
        assertArrayEquals(bytes(3), cache.peek(V, 4));

        cache.put(V, 5, bytes(4), cache.generation(V, 5), c -> c != 5);
        assertFalse(cache.contains(V, 5), "a cluster that is stale for this volume is not cached");
    }

    @Test
    void invalidationDropsExactlyTheRangeOfThatVolume() {
        ClusterCache cache = new ClusterCache(64 << 20, CLUSTER);
        for (long c = 0; c < 6000; c++) {
            cache.put(V, c, bytes(1), cache.generation(V, c), x -> true);
            cache.put(W, c, bytes(2), cache.generation(W, c), x -> true);
        }
        cache.invalidate(V, 10, 2);
        assertTrue(cache.contains(V, 9) && cache.contains(V, 12));
        assertFalse(cache.contains(V, 10) || cache.contains(V, 11));
        cache.invalidate(V, 100, 5000); // a range beyond the generation stripes takes the other path
        assertTrue(cache.contains(V, 99) && cache.contains(V, 5100));
        assertFalse(cache.contains(V, 100) || cache.contains(V, 2000) || cache.contains(V, 5099));
        for (long c = 0; c < 6000; c++) {
            assertTrue(cache.contains(W, c), "volume w untouched, cluster " + c);
        }
    }

    @Test
    void neverHoldsMoreThanItsBoundCountingTheBookkeeping() {
        long bound = 10L * (CLUSTER + ClusterCache.ENTRY_OVERHEAD) + 100;
        ClusterCache cache = new ClusterCache(bound, CLUSTER);
        for (long c = 0; c < 1000; c++) {
            cache.put(V, c, bytes((int) c), cache.generation(V, c), x -> true);
            assertTrue(cache.bytes() <= bound, "holds " + cache.bytes() + " bytes after " + (c + 1) + " fills");
        }
        assertTrue(cache.bytes() >= 5L * CLUSTER, "still caches: " + cache.bytes());
        assertEquals(bound, cache.maxBytes());
        long held = cache.bytes() / (CLUSTER + ClusterCache.ENTRY_OVERHEAD);
        assertEquals(1000 - held, cache.evictions(), "every cluster not held was evicted");
        assertEquals(cache.evictions() * (CLUSTER + ClusterCache.ENTRY_OVERHEAD), cache.evictedBytes());
    }

    @Test
    void countsHitsAndMisses() {
        ClusterCache cache = new ClusterCache(1 << 20, CLUSTER);
        assertNull(cache.get(V, 0));
        cache.put(V, 0, bytes(1), cache.generation(V, 0), c -> true);
        assertArrayEquals(bytes(1), cache.get(V, 0));
        cache.peek(V, 0);
        cache.recordHits(3);
        assertEquals(4, cache.hits());
        assertEquals(1, cache.misses());
        assertEquals(CLUSTER + ClusterCache.ENTRY_OVERHEAD, cache.bytes());
    }

    @Test
    void aDisabledCacheHoldsNothing() {
        ClusterCache cache = ClusterCache.disabled(CLUSTER);
        assertFalse(cache.enabled());
        cache.put(V, 0, bytes(1), cache.generation(V, 0), c -> true);
        assertNull(cache.peek(V, 0));
        assertEquals(0, cache.bytes());
        cache.invalidate(V, 0, 10);
    }

    @Test
    void takesAtMostHalfTheHeap() {
        assertEquals(256L << 20, ClusterCache.fitToHeap(256L << 20, 4L << 30));
        assertEquals(128L << 20, ClusterCache.fitToHeap(256L << 20, 256L << 20));
        assertEquals(0, ClusterCache.fitToHeap(0, 256L << 20));
    }
}
