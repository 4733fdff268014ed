package io.cfs.blockstore.cache;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cfs.protocol.LeakCheck;
import io.cfs.topology.VolumeId;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.buffer.UnpooledByteBufAllocator;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.function.LongPredicate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The cache memory on its own: fills that race invalidations, slots, CLOCK, counters, racing readers, close. */
@ExtendWith(LeakCheck.Collecting.class)
class ClusterCacheTest {
    static final int CLUSTER = 1024;
    static final VolumeId V = new VolumeId("v");
    static final VolumeId W = new VolumeId("w");

    static byte[] bytes(int value) {
        byte[] b = new byte[CLUSTER];
        Arrays.fill(b, (byte) value);
        return b;
    }

    /** Fills a cluster with {@code content} as if read from the disk; returns what the fill copied out. */
    static byte[] fill(ClusterCache cache, VolumeId v, long c, byte[] content, LongPredicate valid) throws Exception {
        byte[] out = new byte[content.length];
        cache.fill(v, c, content.length, into -> into.put(content), valid, Unpooled.wrappedBuffer(out), 0, 0,
                content.length);
        return out;
    }

    static void fill(ClusterCache cache, VolumeId v, long c, byte[] content) throws Exception {
        fill(cache, v, c, content, x -> true);
    }

    /** The cached bytes of a cluster, or null (counting nothing). */
    static byte[] peek(ClusterCache cache, VolumeId v, long c) {
        byte[] out = new byte[CLUSTER];
        return cache.peek(v, c, 0, CLUSTER, Unpooled.wrappedBuffer(out), 0) ? out : null;
    }

    static long directMemoryUsed() {
        return UnpooledByteBufAllocator.DEFAULT.metric().usedDirectMemory();
    }

    @Test
    void aFillIsKeptUnlessTheClusterWasInvalidatedSinceItBegan() throws Exception {
        try (ClusterCache cache = new ClusterCache(1 << 20, CLUSTER)) {
            assertArrayEquals(bytes(1), fill(cache, V, 3, bytes(1), c -> true));
            assertArrayEquals(bytes(1), peek(cache, V, 3));

            // A write lands (and invalidates) while the reader reads the disk.
            byte[] out = new byte[CLUSTER];
            cache.fill(V, 4, CLUSTER, into -> {
                into.put(bytes(2));
                cache.invalidate(V, 4, 1);
            }, c -> true, Unpooled.wrappedBuffer(out), 0, 0, CLUSTER);
            assertArrayEquals(bytes(2), out, "the reader still gets what it read");
            assertFalse(cache.contains(V, 4), "a fill that read before a write must not be kept");
            fill(cache, V, 4, bytes(3));
            assertArrayEquals(bytes(3), peek(cache, V, 4));

            assertArrayEquals(bytes(4), fill(cache, V, 5, bytes(4), c -> c != 5));
            assertFalse(cache.contains(V, 5), "a cluster that is stale for this volume is not cached");
            fill(cache, V, 3, bytes(9));
            assertArrayEquals(bytes(1), peek(cache, V, 3), "the first fill cached stays");
            assertEquals(cache.maxBytes() / CLUSTER - 2, cache.freeSlots(), "every slot not kept was given back");
            cache.checkSlots();
        }
    }

    /**
     * A wide invalidation walks the index; it must not pass by a fill that checked the old
     * generation and is still inserting (CI once served a version older than the last write).
     * The fill is held inside its insertion, after the generation check, by its validity check.
     */
    @Test
    void aWideInvalidationWaitsForAFillStillInsertingWhatItRead() throws Exception {
        ExecutorService threads = Executors.newFixedThreadPool(2);
        CountDownLatch inserting = new CountDownLatch(1);
        CountDownLatch letGo = new CountDownLatch(1);
        try (ClusterCache cache = new ClusterCache(1 << 20, CLUSTER)) {
            Future<byte[]> filling = threads.submit(() -> fill(cache, V, 6, bytes(1), c -> {
                inserting.countDown();
                await(letGo);
                return true;
            }));
            assertTrue(inserting.await(10, TimeUnit.SECONDS));
            Thread[] invalidator = new Thread[1];
            Future<?> invalidating = threads.submit(() -> {
                invalidator[0] = Thread.currentThread();
                cache.invalidate(V, 0, 5000); // the write of cluster 6 is on the disk
            });
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (!invalidating.isDone() && (invalidator[0] == null || invalidator[0].getState() != Thread.State.WAITING)
                    && System.nanoTime() < deadline) {
                Thread.onSpinWait();
            }
            letGo.countDown();
            invalidating.get(10, TimeUnit.SECONDS);
            assertArrayEquals(bytes(1), filling.get(10, TimeUnit.SECONDS));
            assertFalse(cache.contains(V, 6), "the bytes read before the write must not stay cached");
            cache.checkSlots();
        } finally {
            letGo.countDown();
            threads.shutdownNow();
        }
    }

    private static void await(CountDownLatch latch) {
        try {
            assertTrue(latch.await(10, TimeUnit.SECONDS));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    @Test
    void aPartOfAClusterIsServedAndTheShortLastClusterAtItsLength() throws Exception {
        try (ClusterCache cache = new ClusterCache(1 << 20, CLUSTER)) {
            byte[] data = new byte[CLUSTER];
            ThreadLocalRandom.current().nextBytes(data);
            byte[] part = new byte[110];
            cache.fill(V, 0, CLUSTER, into -> into.put(data), c -> true, Unpooled.wrappedBuffer(part), 10, 100, 100);
            assertArrayEquals(Arrays.copyOfRange(data, 100, 200), Arrays.copyOfRange(part, 10, 110));
            byte[] again = new byte[CLUSTER - 1000];
            assertTrue(cache.read(V, 0, 1000, CLUSTER - 1000, Unpooled.wrappedBuffer(again), 0));
            assertArrayEquals(Arrays.copyOfRange(data, 1000, CLUSTER), again);

            byte[] tail = Arrays.copyOf(data, 300);
            cache.fill(V, 7, 300, into -> into.put(tail), c -> true, Unpooled.wrappedBuffer(new byte[300]), 0, 0, 300);
            byte[] out = new byte[300];
            assertTrue(cache.peek(V, 7, 0, 300, Unpooled.wrappedBuffer(out), 0));
            assertArrayEquals(tail, out);
            assertFalse(cache.peek(V, 7, 0, 301, Unpooled.wrappedBuffer(new byte[301]), 0), "beyond the cluster's end");

            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> cache.fill(V, 8, CLUSTER + 1, into -> { }, c -> true, Unpooled.wrappedBuffer(new byte[0]), 0, 0, 0));
            assertTrue(e.getMessage().contains("cluster 8 of volume v") && e.getMessage().contains("1..1024"),
                    e.getMessage());
            assertThrows(IllegalArgumentException.class,
                    () -> cache.peek(V, 0, 1000, 100, Unpooled.wrappedBuffer(new byte[100]), 0));
        }
    }

    @Test
    void invalidatingARangeDropsOnlyThoseClusters() throws Exception {
        try (ClusterCache cache = new ClusterCache(16 << 20, CLUSTER)) {
            for (long c = 0; c < 6000; c++) {
                fill(cache, V, c, bytes(1));
                fill(cache, W, c, bytes(2));
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
            assertEquals((12000 - 5002) * (long) CLUSTER, cache.bytes());
            assertEquals(cache.maxBytes() / CLUSTER - (12000 - 5002), cache.freeSlots(), "the dropped slots are free");
            cache.checkSlots();
        }
    }

    /** Reads cluster {@code c} whole as a volume does: from the cache, else filled from {@code content}. */
    static void readThrough(ClusterCache cache, VolumeId v, long c, byte[] content) throws Exception {
        byte[] out = new byte[content.length];
        ByteBuf dst = Unpooled.wrappedBuffer(out);
        if (!cache.read(v, c, 0, content.length, dst, 0)) {
            cache.fill(v, c, content.length, into -> into.put(content), x -> true, dst, 0, 0, content.length);
        }
        assertArrayEquals(content, out, "cluster " + c);
    }

    @Test
    void theBoundIsRespectedAndEvictionsReuseSlots() throws Exception {
        long bound = 10L * CLUSTER + 100; // ten slots: the rest of a cluster is not allocated
        try (ClusterCache cache = new ClusterCache(bound, CLUSTER)) {
            assertEquals(10L * CLUSTER, cache.maxBytes());
            for (long c = 0; c < 1000; c++) {
                for (int host = 0; host < 3; host++) { // each cluster read by three hosts
                    readThrough(cache, V, c, bytes((int) c));
                }
                assertTrue(cache.bytes() <= cache.maxBytes(), "holds " + cache.bytes() + " bytes after " + (c + 1) + " fills");
            }
            assertEquals(10L * CLUSTER, cache.bytes(), "full");
            assertEquals(0, cache.freeSlots());
            cache.checkSlots();
            long held = 0;
            for (long c = 0; c < 1000; c++) {
                byte[] cached = peek(cache, V, c);
                if (cached != null) {
                    held++;
                    assertArrayEquals(bytes((int) c), cached);
                }
            }
            assertEquals(10, held);
            // Equally popular clusters do not displace each other; as the counts age, newer ones do.
            assertTrue(cache.evictions() > 250, cache.evictions() + " evictions");
            assertEquals(cache.evictions() * CLUSTER, cache.evictedBytes());
        }
    }

    @Test
    void theClockGivesClustersReadAgainASecondChance() throws Exception {
        try (ClusterCache cache = new ClusterCache(8L * CLUSTER, CLUSTER)) {
            for (long c = 0; c < 8; c++) {
                readThrough(cache, V, c, bytes((int) c));
            }
            readThrough(cache, V, 2, bytes(2)); // another stream reads 2 and 5 again
            readThrough(cache, V, 5, bytes(5));
            for (long c = 100; c < 106; c++) { // six clusters each read by three hosts take six slots
                for (int host = 0; host < 3; host++) {
                    readThrough(cache, V, c, bytes((int) c));
                }
            }
            assertArrayEquals(bytes(2), peek(cache, V, 2));
            assertArrayEquals(bytes(5), peek(cache, V, 5));
            for (long c = 100; c < 106; c++) {
                assertArrayEquals(bytes((int) c), peek(cache, V, c));
            }
            for (long c : new long[] {0, 1, 3, 4, 6, 7}) {
                assertNull(peek(cache, V, c), "cluster " + c + ", read once, is gone");
            }
            assertEquals(6, cache.evictions());
        }
    }

    @Test
    void aLoopOverAFileBiggerThanTheCacheKeepsWhatFitsInsteadOfChurning() throws Exception {
        try (ClusterCache cache = new ClusterCache(8L * CLUSTER, CLUSTER)) {
            for (int pass = 0; pass < 4; pass++) {
                for (long c = 0; c < 16; c++) {
                    readThrough(cache, V, c, bytes((int) c));
                }
            }
            assertEquals(3 * 8, cache.hits(), "the first half of the file hits in every later pass");
            assertEquals(0, cache.evictions());
            cache.checkSlots();
        }
    }

    @Test
    void hitsAndMissesAreCounted() throws Exception {
        try (ClusterCache cache = new ClusterCache(1 << 20, CLUSTER)) {
            ByteBuf dst = Unpooled.wrappedBuffer(new byte[CLUSTER]);
            assertFalse(cache.read(V, 0, 0, CLUSTER, dst, 0));
            fill(cache, V, 0, bytes(1));
            assertTrue(cache.read(V, 0, 0, CLUSTER, dst, 0));
            assertArrayEquals(bytes(1), dst.array());
            peek(cache, V, 0);
            cache.recordHits(3);
            assertEquals(4, cache.hits());
            assertEquals(1, cache.misses());
            assertEquals(CLUSTER, cache.bytes());
            assertEquals(0, cache.evictions());
        }
    }

    @Test
    void aDisabledCacheCachesNothing() throws Exception {
        try (ClusterCache cache = ClusterCache.disabled(CLUSTER)) {
            assertFalse(cache.enabled());
            assertArrayEquals(bytes(1), fill(cache, V, 0, bytes(1), c -> true), "a fill still reads");
            assertNull(peek(cache, V, 0));
            assertEquals(0, cache.bytes());
            assertEquals(0, cache.maxBytes());
            cache.invalidate(V, 0, 10);
        }
        try (ClusterCache tiny = new ClusterCache(CLUSTER - 1, CLUSTER)) {
            assertFalse(tiny.enabled(), "less than one cluster is no cache");
        }
    }

    @Test
    void theCacheTakesAtMostHalfTheDirectMemory() {
        assertEquals(256L << 20, ClusterCache.fitToDirectMemory(256L << 20, 4L << 30));
        assertEquals(256L << 20, ClusterCache.fitToDirectMemory(256L << 20, 512L << 20));
        assertEquals(128L << 20, ClusterCache.fitToDirectMemory(256L << 20, 256L << 20));
        assertEquals(0, ClusterCache.fitToDirectMemory(0, 256L << 20));
    }

    @Test
    void closeReleasesTheMemoryAndLaterCallsMissAndCacheNothing() throws Exception {
        long before = directMemoryUsed();
        ClusterCache cache = new ClusterCache(4L << 20, 64 << 10);
        assertEquals(before + (4L << 20), directMemoryUsed(), "allocated once, at start");
        byte[] cluster = new byte[64 << 10];
        Arrays.fill(cluster, (byte) 7);
        cache.fill(V, 0, cluster.length, into -> into.put(cluster), c -> true,
                Unpooled.wrappedBuffer(new byte[cluster.length]), 0, 0, cluster.length);
        assertEquals(before + (4L << 20), directMemoryUsed(), "a fill allocates nothing more");
        cache.close();
        assertEquals(before, directMemoryUsed());
        assertEquals(0, cache.bytes());
        assertFalse(cache.peek(V, 0, 0, 100, Unpooled.wrappedBuffer(new byte[100]), 0));
        byte[] out = new byte[cluster.length];
        cache.fill(V, 1, cluster.length, into -> into.put(cluster), c -> true, Unpooled.wrappedBuffer(out), 0, 0,
                cluster.length);
        assertArrayEquals(cluster, out, "a fill after close still reads");
        assertFalse(cache.contains(V, 1));
        cache.close();
        assertEquals(before, directMemoryUsed());
    }

    @Test
    void closeWaitsForAFillInProgress() throws Exception {
        long before = directMemoryUsed();
        ClusterCache cache = new ClusterCache(1 << 20, CLUSTER);
        CountDownLatch reading = new CountDownLatch(1);
        CountDownLatch disk = new CountDownLatch(1);
        byte[] out = new byte[CLUSTER];
        ExecutorService threads = Executors.newFixedThreadPool(2);
        try {
            Future<?> filling = threads.submit(() -> {
                cache.fill(V, 0, CLUSTER, into -> {
                    reading.countDown();
                    try {
                        disk.await();
                    } catch (InterruptedException e) {
                        throw new java.io.InterruptedIOException();
                    }
                    into.put(bytes(5));
                }, c -> true, Unpooled.wrappedBuffer(out), 0, 0, CLUSTER);
                return null;
            });
            reading.await();
            Future<?> closing = threads.submit(cache::close);
            assertThrows(java.util.concurrent.TimeoutException.class, () -> closing.get(200, TimeUnit.MILLISECONDS),
                    "close must not release the memory a fill is writing");
            disk.countDown();
            filling.get(10, TimeUnit.SECONDS);
            closing.get(10, TimeUnit.SECONDS);
            assertArrayEquals(bytes(5), out);
            assertEquals(before, directMemoryUsed());
        } finally {
            disk.countDown();
            threads.shutdownNow();
        }
    }

    /** Version {@code v} of cluster {@code c}: every long of it is {@code c << 32 | v}. */
    static void pattern(ByteBuffer into, long c, long v) {
        while (into.remaining() >= 8) {
            into.putLong(c << 32 | v);
        }
    }

    /** Null if {@code bytes} hold one whole version of cluster {@code c} in {@code [lo, hi]}, else what is wrong. */
    static String check(byte[] bytes, long c, long lo, long hi) {
        ByteBuffer b = ByteBuffer.wrap(bytes);
        long first = b.getLong(0);
        for (int i = 8; i < bytes.length; i += 8) {
            if (b.getLong(i) != first) {
                return "cluster " + c + " torn: " + Long.toHexString(first) + " then " + Long.toHexString(b.getLong(i))
                        + " at byte " + i;
            }
        }
        long cluster = first >>> 32;
        long version = first & 0xFFFFFFFFL;
        if (cluster != c) {
            return "cluster " + c + " served the bytes of cluster " + cluster;
        }
        if (version < lo || version > hi) {
            return "cluster " + c + " served version " + version + ", expected " + lo + ".." + hi;
        }
        return null;
    }

    @Test
    void readersRacingRefillsEvictionsAndInvalidationsNeverSeeWrongBytes() throws Exception {
        int cluster = 64 << 10; // big copies: wide windows for a reader to overlap a reuse of its slot
        int clusters = 16;
        int slots = 8;
        AtomicLongArray onDisk = new AtomicLongArray(clusters); // the version the "disk" holds
        AtomicLongArray invalidated = new AtomicLongArray(clusters); // the last version whose write returned
        List<String> errors = new ArrayList<>();
        AtomicBoolean stop = new AtomicBoolean();
        ExecutorService threads = Executors.newFixedThreadPool(3);
        try (ClusterCache cache = new ClusterCache((long) slots * cluster, cluster)) {
            Future<?> writer = threads.submit(() -> {
                ThreadLocalRandom random = ThreadLocalRandom.current();
                for (int round = 0; !stop.get(); round++) {
                    if (round % 200 == 199) { // a range beyond the stripes: the index walk
                        for (int c = 0; c < clusters; c++) {
                            onDisk.incrementAndGet(c);
                        }
                        cache.invalidate(V, 0, 5000);
                        for (int c = 0; c < clusters; c++) {
                            invalidated.set(c, onDisk.get(c));
                        }
                    } else {
                        int c = random.nextInt(clusters);
                        long v = onDisk.incrementAndGet(c); // the write reaches the disk...
                        cache.invalidate(V, c, 1); // ...then invalidates, and returns
                        invalidated.set(c, v);
                    }
                    Thread.onSpinWait();
                }
                return null;
            });
            List<Future<?>> readers = new ArrayList<>();
            for (int t = 0; t < 2; t++) {
                readers.add(threads.submit(() -> {
                    ThreadLocalRandom random = ThreadLocalRandom.current();
                    byte[] out = new byte[cluster];
                    ByteBuf dst = Unpooled.wrappedBuffer(out);
                    for (int i = 0; i < 20_000; i++) {
                        int c = random.nextInt(clusters);
                        long lo = invalidated.get(c);
                        if (!cache.read(V, c, 0, cluster, dst, 0)) {
                            cache.fill(V, c, cluster, into -> pattern(into, c, onDisk.get(c)), x -> true, dst, 0, 0,
                                    cluster);
                        }
                        String wrong = check(out, c, lo, onDisk.get(c));
                        if (wrong != null) {
                            synchronized (errors) {
                                errors.add("read " + i + ": " + wrong);
                            }
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> r : readers) {
                r.get(60, TimeUnit.SECONDS);
            }
            stop.set(true);
            writer.get(10, TimeUnit.SECONDS);

            assertEquals(List.of(), errors.subList(0, Math.min(errors.size(), 5)));
            assertTrue(cache.hits() > 1000 && cache.evictions() > 1000,
                    "the race was run: " + cache.hits() + " hits, " + cache.evictions() + " evictions");
            cache.checkSlots(); // every slot free once or held once: none freed twice
            long held = cache.bytes() / cluster;
            int found = 0;
            for (int c = 0; c < clusters; c++) {
                byte[] out = new byte[cluster];
                if (cache.peek(V, c, 0, cluster, Unpooled.wrappedBuffer(out), 0)) {
                    found++;
                    assertEquals(null, check(out, c, onDisk.get(c), onDisk.get(c)), "at rest, the latest version");
                }
            }
            assertEquals(held, found, "the clusters counted are the ones in the index");
        } finally {
            stop.set(true);
            threads.shutdownNow();
        }
    }
}
