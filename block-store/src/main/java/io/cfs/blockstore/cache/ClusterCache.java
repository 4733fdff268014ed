package io.cfs.blockstore.cache;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.cfs.topology.VolumeId;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongPredicate;

/**
 * The cache memory of a storage system (Fig 39): whole clusters of volume data, keyed by (volume,
 * cluster), bounded in bytes. A cached cluster always holds exactly what its volume file holds:
 * every write invalidates the clusters it touched once its bytes are on the volume and before it is
 * acknowledged (see {@link io.cfs.blockstore.volume.Volume#write}), and a mirror's clusters are also
 * dropped when they are marked stale, so a stale cluster is never cached as the mirror's data.
 *
 * <p>A reader that missed fills the cache with what it read from the disk only if no invalidation
 * of that cluster happened since it took the cluster's {@link #generation} (before reading) and the
 * cluster is still valid for that volume: both are checked atomically with the insertion, so a
 * fill racing a write can never leave the older bytes behind.
 *
 * <p>Entries are immutable heap arrays: serving copies from them, eviction needs no release. The
 * weight of an entry is its bytes plus {@value #ENTRY_OVERHEAD} bytes of bookkeeping. Eviction runs
 * inline on the threads using the cache (no background executor): an insertion returns within the
 * bound, except that while another thread is running the eviction, the clusters being inserted at
 * that moment may pass it until that thread has evicted for them. Thread-safe.
 */
public final class ClusterCache {
    /** Memory an entry costs beyond its bytes (key, node, array header), counted in the bound. */
    public static final int ENTRY_OVERHEAD = 128;
    /** Invalidation generations are kept per stripe of (volume, cluster); a power of two. */
    private static final int STRIPES = 4096;

    private record Key(VolumeId volume, long cluster) {}

    private final int clusterSize;
    private final long maxBytes;
    private final Cache<Key, byte[]> cache;
    private final ConcurrentMap<Key, byte[]> map;
    private final AtomicLongArray generations = new AtomicLongArray(STRIPES);
    private final LongAdder hits = new LongAdder();
    private final LongAdder misses = new LongAdder();

    /**
     * @param maxBytes    the bound on the memory held (0: no cache; every read goes to the disk)
     * @param clusterSize the cluster size of the topology: the unit cached
     */
    public ClusterCache(long maxBytes, int clusterSize) {
        if (maxBytes < 0) {
            throw new IllegalArgumentException("cache of " + maxBytes + " bytes: expected >= 0 (0: no cache)");
        }
        if (clusterSize < 1) {
            throw new IllegalArgumentException("cluster size " + clusterSize + ": expected at least 1 byte");
        }
        this.clusterSize = clusterSize;
        this.maxBytes = maxBytes;
        if (maxBytes == 0) {
            this.cache = null;
            this.map = null;
        } else {
            this.cache = Caffeine.newBuilder()
                    .maximumWeight(maxBytes)
                    .weigher((Key k, byte[] v) -> v.length + ENTRY_OVERHEAD)
                    .executor(Runnable::run)
                    .recordStats()
                    .build();
            this.map = cache.asMap();
        }
    }

    /** No cache: for volumes opened outside a storage system (tests, tools). */
    public static ClusterCache disabled(int clusterSize) {
        return new ClusterCache(0, clusterSize);
    }

    /**
     * The cache size to use in a JVM whose heap holds at most {@code maxHeap} bytes: what was asked
     * for, but at most half the heap (the entries live there; a bigger cache would end the daemon
     * with an OutOfMemoryError instead of evicting).
     */
    public static long fitToHeap(long requested, long maxHeap) {
        return Math.min(requested, maxHeap / 2);
    }

    public boolean enabled() {
        return cache != null;
    }

    public int clusterSize() {
        return clusterSize;
    }

    /** The bound on the bytes held (0: disabled). */
    public long maxBytes() {
        return maxBytes;
    }

    /** The cached bytes of a cluster or null, counting a hit or a miss. */
    public byte[] get(VolumeId volume, long cluster) {
        byte[] bytes = peek(volume, cluster);
        (bytes != null ? hits : misses).increment();
        return bytes;
    }

    /** The cached bytes of a cluster or null, counting nothing (see {@link #recordHits}). */
    public byte[] peek(VolumeId volume, long cluster) {
        return cache == null ? null : cache.getIfPresent(new Key(volume, cluster));
    }

    /** Counts {@code clusters} hits of a read served wholly with {@link #peek}. */
    public void recordHits(long clusters) {
        hits.add(clusters);
    }

    /** The invalidation generation of a cluster: take it before reading the cluster from the disk. */
    public long generation(VolumeId volume, long cluster) {
        return generations.get(stripe(volume, cluster));
    }

    /**
     * Caches the bytes of a cluster read from the disk after {@link #generation} returned
     * {@code generation}, unless the cluster was invalidated since or {@code valid} now says the
     * cluster is stale for this volume. The array must not change afterwards.
     */
    public void put(VolumeId volume, long cluster, byte[] bytes, long generation, LongPredicate valid) {
        if (cache == null) {
            return;
        }
        int stripe = stripe(volume, cluster);
        map.compute(new Key(volume, cluster), (k, old) -> old != null ? old
                : generations.get(stripe) == generation && valid.test(cluster) ? bytes : null);
    }

    /**
     * Drops {@code count} clusters of a volume from {@code first} and makes fills that read them
     * before now fail. Call after the volume's bytes changed (or the clusters became stale).
     */
    public void invalidate(VolumeId volume, long first, long count) {
        if (cache == null || count <= 0) {
            return;
        }
        if (count > STRIPES) {
            for (int s = 0; s < STRIPES; s++) {
                generations.incrementAndGet(s);
            }
            long end = first + count;
            map.keySet().removeIf(k -> k.volume().equals(volume) && k.cluster() >= first && k.cluster() < end);
            return;
        }
        for (long c = first; c < first + count; c++) {
            generations.incrementAndGet(stripe(volume, c));
            map.remove(new Key(volume, c));
        }
    }

    /** Whether a cluster is cached (counting nothing). */
    public boolean contains(VolumeId volume, long cluster) {
        return peek(volume, cluster) != null;
    }

    /** Cluster lookups served from memory. */
    public long hits() {
        return hits.sum();
    }

    /** Cluster lookups that went to the disk (or to the master). */
    public long misses() {
        return misses.sum();
    }

    /** Clusters evicted to stay within the bound. */
    public long evictions() {
        return cache == null ? 0 : cache.stats().evictionCount();
    }

    /** Bytes (with each entry's bookkeeping) evicted to stay within the bound. */
    public long evictedBytes() {
        return cache == null ? 0 : cache.stats().evictionWeight();
    }

    /** The memory held now: cached bytes plus the bookkeeping of each entry. */
    public long bytes() {
        return cache == null ? 0 : cache.policy().eviction().orElseThrow().weightedSize().orElse(0);
    }

    private static int stripe(VolumeId volume, long cluster) {
        long h = volume.hashCode() * 0x9E3779B97F4A7C15L + cluster;
        h = (h ^ (h >>> 30)) * 0xBF58476D1CE4E5B9L;
        h ^= h >>> 31;
        return (int) h & (STRIPES - 1);
    }

    @Override
    public String toString() {
        return cache == null ? "no cache" : "cache of " + maxBytes + " bytes (" + bytes() + " held)";
    }
}
