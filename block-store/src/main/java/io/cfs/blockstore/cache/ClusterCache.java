package io.cfs.blockstore.cache;

import io.cfs.topology.VolumeId;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.UnpooledByteBufAllocator;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;
import java.util.concurrent.locks.StampedLock;
import java.util.function.LongPredicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The cache memory of a storage system (Fig 39): whole clusters of volume data, keyed by (volume,
 * cluster), bounded in bytes. A cached cluster always holds exactly what its volume file holds:
 * every write invalidates the clusters it touched once its bytes are on the volume and before it is
 * acknowledged (see {@link io.cfs.blockstore.volume.Volume#write}), and a mirror's clusters are also
 * dropped when they are marked stale, so a stale cluster is never cached as the mirror's data.
 *
 * <p>A reader that missed {@linkplain #fill fills} the cache with what it reads from the disk only
 * if no invalidation of that cluster happened since the fill took the cluster's generation (before
 * reading) and the cluster is still valid for that volume: both are checked atomically with the
 * insertion into the index, so a fill racing a write can never leave the older bytes behind.
 * An invalidation of a few clusters bumps their generations and then removes each key, which waits
 * for a fill inserting that key. One of a range wider than the generations bumps them all and then
 * walks the index; a walk does not see an entry whose insertion is still running, so fills insert
 * under the shared side of {@link #publishing} and the wide invalidation bumps the generations
 * under its exclusive side: a fill that checked the old generation has finished inserting before
 * the walk begins, and the walk removes what it inserted.
 *
 * <h2>Off the heap</h2>
 * The bytes live in native (direct) memory, not in the Java heap: a sequential read of a big
 * file through a heap cache allocated a 64 KiB array per cluster that survived into the old
 * generation only to be evicted, so every such read cost young and full collections that stalled
 * every stream served by the daemon. Here the memory is allocated once, at construction, as
 * {@code maxBytes / clusterSize} fixed slots of one cluster each, carved out of a few direct
 * buffers of at most {@value #MAX_CHUNK} bytes, and released by {@link #close}. A miss reads the
 * cluster from the disk straight into a slot and serves the request from there; a hit copies from
 * the slot into the reply's (direct) buffer: memory to memory, no heap array on either path. The
 * heap holds only the index: about 200 bytes per slot (the slot, its lock, the key and the
 * map node), 0.3% of the cache with 64 KiB clusters.
 *
 * <h2>Slots</h2>
 * A slot is {@code FREE} (on the free list), {@code FILLING} (owned by one fill or being reclaimed:
 * in no index entry, its bytes private) or {@code CACHED} (in the index under its key). The index,
 * a {@link ConcurrentHashMap} from key to slot, is the only way to reach a cached slot, and a slot
 * leaves it exactly once: whoever removes the entry ({@link #invalidate} with {@code remove(key)},
 * the eviction with {@code remove(key, slot)}) owns the slot and frees or reuses it, so an
 * invalidation and an eviction never both free one slot.
 *
 * <p>Readers take no lock. Each slot has a {@link StampedLock}; its write lock is held whenever the
 * slot's key or bytes become visible or stop being so (publication, reclaim). A reader looks the
 * key up, takes an optimistic stamp, checks that the slot still holds that key (it may have been
 * evicted and reused between the lookup and the stamp), copies, and then {@linkplain
 * StampedLock#validate validates} the stamp: if a writer came in between, the copy is discarded
 * and the read counts as a miss (the caller's fill overwrites those bytes of its buffer). A slot
 * is refilled only after it left the index and its key was cleared under the write lock, so a
 * reader either sees a whole cluster of the key it asked for, or a miss.
 *
 * <h2>Eviction and admission</h2>
 * CLOCK (second chance) over the slots picks the victim: a hit sets the slot's referenced bit, a
 * fill leaves it clear. A fill takes a free slot if there is one, else sweeps: the hand clears the
 * bits it passes and stops at the first cached slot whose bit was already clear. TinyLFU admission
 * then decides ({@link FrequencySketch}: reads of each cluster counted lately, hits and fills): the
 * victim is reclaimed only if the newcomer was read more often than it, else the newcomer is not
 * cached and the victim stays next in line. CLOCK alone, like LRU, keeps nothing of a loop over a
 * file bigger than the cache (each cluster is evicted just before it is read again); with the
 * admission the first clusters cached stay and later passes hit them. Clusters read by several
 * hosts (a popular video) outcount those read once and take their place; the counts are halved
 * regularly, so yesterday's popular clusters give way. Allocation and the sweep run under one lock
 * (no background thread); hits take no lock at all. When no slot can be had (the newcomer lost, or
 * every slot is being filled at once) or after {@link #close}, a fill reads into a pooled buffer
 * and caches nothing.
 *
 * <p>The memory is never more than {@link #maxBytes}: what {@link #bytes} reports is the part
 * holding clusters. Thread-safe. {@link #close} waits (boundedly) for the reads and fills running
 * in the cache memory before it releases it; every later call is a miss that caches nothing.
 */
public final class ClusterCache implements AutoCloseable {
    /** The largest direct buffer the slots are carved from. */
    public static final int MAX_CHUNK = 1 << 30;
    /** Invalidation generations are kept per stripe of (volume, cluster); a power of two. */
    private static final int STRIPES = 4096;
    /** How long {@link #close} waits for the reads and fills in progress before it gives up. */
    private static final long CLOSE_WAIT_NANOS = TimeUnit.SECONDS.toNanos(10);

    private static final Logger log = LoggerFactory.getLogger(ClusterCache.class);

    /** Reads one cluster from the disk: fills {@code into} from its position to its limit. */
    @FunctionalInterface
    public interface ClusterReader {
        void read(ByteBuffer into) throws IOException;
    }

    private record Key(VolumeId volume, long cluster) {}

    private enum State { FREE, FILLING, CACHED }

    /** One cluster's worth of the cache memory: bytes {@code [offset, offset+clusterSize)} of {@code memory}. */
    private static final class Slot {
        final ByteBuf memory;
        final int offset;
        final StampedLock lock = new StampedLock();
        /** The cluster held while CACHED, else null; changed under the write lock. */
        volatile Key key;
        /** The bytes of that cluster (the last cluster of a volume may be short); changed under the write lock. */
        int length;
        volatile boolean referenced;
        /** FREE to FILLING and back, CACHED to FILLING or FREE: under the allocation lock; FILLING to CACHED under the slot's write lock. */
        volatile State state = State.FREE;

        Slot(ByteBuf memory, int offset) {
            this.memory = memory;
            this.offset = offset;
        }

        /** Makes the slot hold {@code k}: called inside the index's compute, so nothing sees it before. */
        Slot publish(Key k, int bytes) {
            long stamp = lock.writeLock();
            key = k;
            length = bytes;
            referenced = false;
            state = State.CACHED;
            lock.unlockWrite(stamp);
            return this;
        }

        /** Makes every reader still copying from the slot fail its validation, and later ones miss. */
        void clear() {
            long stamp = lock.writeLock();
            key = null;
            length = 0;
            lock.unlockWrite(stamp);
        }
    }

    private final int clusterSize;
    /** The direct buffers the slots are carved from, as allocated (leak-tracked); empty when disabled. */
    private final List<ByteBuf> chunks;
    private final Slot[] slots;
    private final ConcurrentHashMap<Key, Slot> index = new ConcurrentHashMap<>();
    private final AtomicLongArray generations = new AtomicLongArray(STRIPES);
    /** Shared by fills while they check a generation and insert; exclusive while every generation is bumped. */
    private final StampedLock publishing = new StampedLock();
    private final FrequencySketch frequencies;
    private final ReentrantLock allocation = new ReentrantLock();
    /** Guarded by {@link #allocation}. */
    private final ArrayDeque<Slot> free;
    /** The CLOCK hand: the next slot the sweep looks at. Guarded by {@link #allocation}. */
    private int hand;
    /** Calls using the cache memory now, see {@link #enter}. */
    private final AtomicLong users = new AtomicLong();
    private volatile boolean closed;
    private final AtomicLong cachedSlots = new AtomicLong();
    private final LongAdder hits = new LongAdder();
    private final LongAdder misses = new LongAdder();
    private final LongAdder evictions = new LongAdder();

    /**
     * Allocates the cache memory: {@code maxBytes / clusterSize} slots of one cluster (a bound under
     * one cluster is no cache).
     *
     * @param maxBytes    the bound on the memory held (0: no cache; every read goes to the disk)
     * @param clusterSize the cluster size of the topology: the unit cached
     * @throws IllegalStateException if the direct memory limit of the JVM cannot hold it (see
     *                               {@link #fitToDirectMemory})
     */
    public ClusterCache(long maxBytes, int clusterSize) {
        if (maxBytes < 0) {
            throw new IllegalArgumentException("cache of " + maxBytes + " bytes: expected >= 0 (0: no cache)");
        }
        if (clusterSize < 1 || clusterSize > MAX_CHUNK) {
            throw new IllegalArgumentException("cluster size " + clusterSize + ": expected 1.." + MAX_CHUNK + " bytes");
        }
        long count = maxBytes / clusterSize;
        if (count > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("cache of " + maxBytes + " bytes in clusters of " + clusterSize
                    + " bytes: expected at most " + (Integer.MAX_VALUE - 8) + " clusters");
        }
        this.clusterSize = clusterSize;
        this.slots = new Slot[(int) count];
        this.free = new ArrayDeque<>(slots.length);
        this.frequencies = new FrequencySketch(slots.length);
        this.chunks = new ArrayList<>();
        int perChunk = MAX_CHUNK / clusterSize;
        try {
            for (int first = 0; first < slots.length; first += perChunk) {
                int n = Math.min(perChunk, slots.length - first);
                ByteBuf chunk = UnpooledByteBufAllocator.DEFAULT.directBuffer(n * clusterSize, n * clusterSize);
                chunks.add(chunk);
                // Copies go through the bare buffer: a leak-aware wrapper would record every access.
                ByteBuf memory = chunk.unwrap() != null ? chunk.unwrap() : chunk;
                for (int i = 0; i < n; i++) {
                    slots[first + i] = new Slot(memory, i * clusterSize);
                    free.add(slots[first + i]);
                }
            }
        } catch (OutOfMemoryError e) {
            chunks.forEach(ByteBuf::release);
            throw new IllegalStateException("cache memory of " + maxBytes + " bytes: the JVM's direct memory limit "
                    + "cannot hold it (" + e.getMessage() + "); raise -XX:MaxDirectMemorySize (CFS_DIRECT_MEMORY) "
                    + "or lower --cache-bytes", e);
        }
    }

    /** No cache: for volumes opened outside a storage system (tests, tools). */
    public static ClusterCache disabled(int clusterSize) {
        return new ClusterCache(0, clusterSize);
    }

    /**
     * The cache size to use in a JVM whose direct memory is limited to {@code maxDirectMemory}
     * bytes: what was asked for, but at most half of it (the rest is for Netty's buffers: requests
     * and replies in flight, resyncs). A bigger cache would leave no room for them.
     */
    public static long fitToDirectMemory(long requested, long maxDirectMemory) {
        return Math.min(requested, maxDirectMemory / 2);
    }

    public boolean enabled() {
        return slots.length > 0;
    }

    public int clusterSize() {
        return clusterSize;
    }

    /** The memory allocated for clusters, the bound on what is held: whole clusters of the bound asked (0: disabled). */
    public long maxBytes() {
        return (long) slots.length * clusterSize;
    }

    /**
     * Copies bytes {@code [from, from+n)} of a cluster into {@code dst} at {@code dstIndex} if it
     * is cached, counting a hit; else counts a miss and returns false (the bytes of {@code dst} in
     * that range are then undefined: the caller {@linkplain #fill fills} them).
     */
    public boolean read(VolumeId volume, long cluster, int from, int n, ByteBuf dst, int dstIndex) {
        boolean hit = peek(volume, cluster, from, n, dst, dstIndex);
        (hit ? hits : misses).increment();
        return hit;
    }

    /** {@link #read}, counting nothing (see {@link #recordHits}). */
    public boolean peek(VolumeId volume, long cluster, int from, int n, ByteBuf dst, int dstIndex) {
        checkPart(from, n);
        if (!enter()) {
            return false;
        }
        try {
            Key key = new Key(volume, cluster);
            Slot slot = index.get(key);
            if (slot == null) {
                return false;
            }
            long stamp = slot.lock.tryOptimisticRead();
            if (stamp == 0 || !key.equals(slot.key) || from + n > slot.length) {
                return false;
            }
            slot.memory.getBytes(slot.offset + from, dst, dstIndex, n);
            if (!slot.lock.validate(stamp)) {
                return false;
            }
            if (!slot.referenced) {
                slot.referenced = true;
            }
            frequencies.increment(hash(volume, cluster));
            return true;
        } finally {
            exit();
        }
    }

    /** Counts {@code clusters} hits of a read served wholly with {@link #peek}. */
    public void recordHits(long clusters) {
        hits.add(clusters);
    }

    /**
     * Reads a cluster of {@code length} bytes from the disk with {@code reader} into a slot, copies
     * its bytes {@code [from, from+n)} into {@code dst} at {@code dstIndex}, and caches it unless the
     * cluster was invalidated since this call began or {@code valid} now says the cluster is stale
     * for this volume (or another fill cached it first). Without a slot to fill (the cache is full
     * of clusters read at least as often lately, every slot is being filled, or the cache is
     * closed), reads into a pooled buffer and caches nothing. Blocks on the disk.
     */
    public void fill(VolumeId volume, long cluster, int length, ClusterReader reader, LongPredicate valid,
                     ByteBuf dst, int dstIndex, int from, int n) throws IOException {
        if (length < 1 || length > clusterSize) {
            throw new IllegalArgumentException("cluster " + cluster + " of volume " + volume + " of " + length
                    + " bytes: expected 1.." + clusterSize);
        }
        checkPart(from, n);
        if (from + n > length) {
            throw new IllegalArgumentException("bytes " + from + ".." + (from + n) + " of cluster " + cluster
                    + " of volume " + volume + ": expected within its " + length + " bytes");
        }
        if (!enter()) {
            readAround(reader, length, dst, dstIndex, from, n);
            return;
        }
        try {
            long hash = hash(volume, cluster);
            int stripe = (int) hash & (STRIPES - 1);
            long generation = generations.get(stripe);
            frequencies.increment(hash);
            Slot slot = allocate(frequencies.frequency(hash));
            if (slot == null) {
                readAround(reader, length, dst, dstIndex, from, n);
                return;
            }
            boolean cached = false;
            try {
                reader.read(slot.memory.nioBuffer(slot.offset, length));
                slot.memory.getBytes(slot.offset + from, dst, dstIndex, n);
                long shared = publishing.readLock();
                try {
                    cached = index.compute(new Key(volume, cluster), (k, old) -> old != null ? old
                            : generations.get(stripe) == generation && valid.test(cluster) ? slot.publish(k, length)
                            : null) == slot;
                } finally {
                    publishing.unlockRead(shared);
                }
                if (cached) {
                    cachedSlots.incrementAndGet();
                }
            } finally {
                if (!cached) {
                    release(slot);
                }
            }
        } finally {
            exit();
        }
    }

    private static void readAround(ClusterReader reader, int length, ByteBuf dst, int dstIndex, int from, int n)
            throws IOException {
        ByteBuf buf = ByteBufAllocator.DEFAULT.directBuffer(length, length);
        try {
            reader.read(buf.nioBuffer(0, length));
            buf.getBytes(from, dst, dstIndex, n);
        } finally {
            buf.release();
        }
    }

    private void checkPart(int from, int n) {
        if (from < 0 || n < 0 || from > clusterSize - n) {
            throw new IllegalArgumentException("bytes " + from + ".." + ((long) from + n) + " of a cluster: expected "
                    + "within its " + clusterSize + " bytes");
        }
    }

    /**
     * A slot to fill with a cluster read {@code frequency} times lately, taken FILLING: a free one,
     * else one the CLOCK reclaims from a cluster read less often; null if none can be had.
     */
    private Slot allocate(int frequency) {
        allocation.lock();
        try {
            Slot slot = free.poll();
            if (slot == null) {
                slot = sweep(frequency);
            }
            if (slot != null) {
                slot.state = State.FILLING;
            }
            return slot;
        } finally {
            allocation.unlock();
        }
    }

    /**
     * Moves the hand to the first cached slot not referenced since it last passed (clearing the
     * bits it passes; two turns at most) and reclaims it if its cluster was read less often than
     * {@code frequency}; else leaves it as the next victim and returns null (the newcomer is not
     * admitted). Under {@link #allocation}.
     */
    private Slot sweep(int frequency) {
        for (int step = 0; step < 2 * slots.length; step++) {
            Slot slot = slots[hand];
            Key key = slot.key;
            if (slot.state != State.CACHED || key == null) {
                advance();
                continue;
            }
            if (slot.referenced) {
                slot.referenced = false;
                advance();
                continue;
            }
            if (frequencies.frequency(hash(key.volume(), key.cluster())) >= frequency) {
                return null;
            }
            advance();
            if (index.remove(key, slot)) {
                slot.clear();
                cachedSlots.decrementAndGet();
                evictions.increment();
                return slot;
            }
        }
        return null;
    }

    private void advance() {
        hand = hand + 1 == slots.length ? 0 : hand + 1;
    }

    /** Gives back a slot this thread owns (a fill's that was not cached, or one it removed from the index). */
    private void release(Slot slot) {
        allocation.lock();
        try {
            slot.state = State.FREE;
            free.push(slot);
        } finally {
            allocation.unlock();
        }
    }

    /** Frees a cached slot this thread removed from the index. */
    private void retire(Slot slot) {
        slot.clear();
        cachedSlots.decrementAndGet();
        release(slot);
    }

    /**
     * Drops {@code count} clusters of a volume from {@code first} and makes fills that began before
     * now fail to cache. Call after the volume's bytes changed (or the clusters became stale).
     */
    public void invalidate(VolumeId volume, long first, long count) {
        if (!enabled() || count <= 0) {
            return;
        }
        if (count > STRIPES) {
            long exclusive = publishing.writeLock();
            try {
                for (int s = 0; s < STRIPES; s++) {
                    generations.incrementAndGet(s);
                }
            } finally {
                publishing.unlockWrite(exclusive);
            }
            long end = first + count;
            for (Map.Entry<Key, Slot> e : index.entrySet()) {
                Key k = e.getKey();
                if (k.volume().equals(volume) && k.cluster() >= first && k.cluster() < end
                        && index.remove(k, e.getValue())) {
                    retire(e.getValue());
                }
            }
            return;
        }
        for (long c = first; c < first + count; c++) {
            generations.incrementAndGet(stripe(volume, c));
            Slot slot = index.remove(new Key(volume, c));
            if (slot != null) {
                retire(slot);
            }
        }
    }

    /** Whether a cluster is cached (counting nothing). */
    public boolean contains(VolumeId volume, long cluster) {
        return index.containsKey(new Key(volume, cluster));
    }

    /** Cluster lookups served from memory. */
    public long hits() {
        return hits.sum();
    }

    /** Cluster lookups that went to the disk (or to the master). */
    public long misses() {
        return misses.sum();
    }

    /** Clusters evicted to make room for others. */
    public long evictions() {
        return evictions.sum();
    }

    /** Bytes of cache memory evicted to make room for others: a whole slot per eviction. */
    public long evictedBytes() {
        return evictions() * clusterSize;
    }

    /** The cache memory holding a cluster now (a whole slot per cluster); at most {@link #maxBytes}. */
    public long bytes() {
        return cachedSlots.get() * clusterSize;
    }

    /** The slots on the free list (for tests: with the cached ones and those being filled, every slot). */
    int freeSlots() {
        allocation.lock();
        try {
            return free.size();
        } finally {
            allocation.unlock();
        }
    }

    /**
     * For tests, at rest (no call running): checks that every slot is either free once or cached
     * under its own key in the index, and that {@link #bytes} counts the cached ones.
     *
     * @throws IllegalStateException naming the first slot that is not
     */
    void checkSlots() {
        allocation.lock();
        try {
            Set<Slot> freed = Collections.newSetFromMap(new IdentityHashMap<>());
            for (Slot slot : free) {
                if (!freed.add(slot) || slot.state != State.FREE || slot.key != null) {
                    throw new IllegalStateException("slot at " + slot.offset + " is on the free list twice or not free: "
                            + slot.state + " " + slot.key);
                }
            }
            Set<Slot> held = Collections.newSetFromMap(new IdentityHashMap<>());
            for (Map.Entry<Key, Slot> e : index.entrySet()) {
                Slot slot = e.getValue();
                if (freed.contains(slot) || !held.add(slot) || slot.state != State.CACHED
                        || !e.getKey().equals(slot.key)) {
                    throw new IllegalStateException(e.getKey() + " is cached in a slot that is free, shared or holds "
                            + slot.key + " (" + slot.state + ")");
                }
            }
            if (freed.size() + held.size() != slots.length || held.size() * (long) clusterSize != bytes()) {
                throw new IllegalStateException(freed.size() + " free and " + held.size() + " cached slots of "
                        + slots.length + ", " + bytes() + " bytes counted");
            }
        } finally {
            allocation.unlock();
        }
    }

    /**
     * Registers a call that uses the cache memory; false (nothing registered) once closed. The
     * count goes up before the flag is read and {@link #close} sets the flag before it reads the
     * count, so a call that saw the cache open is seen by close.
     */
    private boolean enter() {
        if (slots.length == 0) {
            return false;
        }
        users.incrementAndGet();
        if (closed) {
            users.decrementAndGet();
            return false;
        }
        return true;
    }

    private void exit() {
        users.decrementAndGet();
    }

    /**
     * Empties the cache and releases its memory once the reads and fills using it have finished
     * (waiting up to 10 s: a fill stuck on the disk longer leaves the memory to the end of the
     * process rather than risk a crash). Later reads miss and later fills
     * cache nothing. Idempotent.
     */
    @Override
    public void close() {
        allocation.lock();
        try {
            if (closed) {
                return;
            }
            closed = true;
        } finally {
            allocation.unlock();
        }
        long deadline = System.nanoTime() + CLOSE_WAIT_NANOS;
        while (users.get() > 0) {
            if (System.nanoTime() - deadline > 0) {
                log.warn("{}: {} reads or fills still use it after {} s; its memory is not released",
                        this, users.get(), TimeUnit.NANOSECONDS.toSeconds(CLOSE_WAIT_NANOS));
                return;
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
        }
        index.clear();
        cachedSlots.set(0);
        chunks.forEach(ByteBuf::release);
    }

    private static int stripe(VolumeId volume, long cluster) {
        return (int) hash(volume, cluster) & (STRIPES - 1);
    }

    private static long hash(VolumeId volume, long cluster) {
        long h = volume.hashCode() * 0x9E3779B97F4A7C15L + cluster;
        h = (h ^ (h >>> 30)) * 0xBF58476D1CE4E5B9L;
        return h ^ (h >>> 31);
    }

    @Override
    public String toString() {
        if (!enabled()) {
            return "no cache";
        }
        return "cache of " + maxBytes() + " bytes of direct memory in " + slots.length + " clusters of "
                + clusterSize + " bytes (" + bytes() + " held" + (closed ? ", closed" : "") + ")";
    }
}
