package io.cfs.blockstore;

import static io.cfs.blockstore.MirroringTest.CLUSTER;
import static io.cfs.blockstore.TestCluster.awaitEquals;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cfs.blockstore.cache.ClusterCache;
import io.cfs.topology.VolumeId;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/** The cache memory of real storage systems: hits, writes on every path, stale mirror clusters, the bound. */
class CacheTest extends ClusterTestCase {
    static final Duration CONVERGE = MirroringTest.CONVERGE;

    CacheTest() {
        super(MirroringTest.TOPOLOGY, 11);
    }

    void startBoth() throws Exception {
        cluster.start("ss1");
        cluster.start("ss2");
        for (String[] v : new String[][] {{"ss1", "s0"}, {"ss1", "a0"}, {"ss2", "s2"}, {"ss2", "a2"}}) {
            awaitEquals(CONVERGE, v[0] + ":" + v[1] + " valid", 0L, () -> cluster.invalid(v[0], v[1]));
        }
    }

    ClusterCache cache(String ss) {
        return cluster.store(ss).cache();
    }

    boolean cached(String ss, String volume, long c) {
        return cache(ss).contains(new VolumeId(volume), c);
    }

    long diskReads(String ss, String volume) {
        return cluster.store(ss).volume(volume).diskReads();
    }

    @Test
    void manyReadersOfOnePopularVideoAreServedFromMemory() throws Exception {
        startBoth();
        byte[] video = randomBytes(32 * CLUSTER);
        cluster.write("ss1", "s0", 0, video);
        String[][] members = {{"ss1", "s0"}, {"ss1", "s1"}, {"ss2", "s2"}};
        for (String[] m : members) {
            assertArrayEquals(video, cluster.read(m[0], m[1], 0, video.length), m[1] + " first read");
        }
        long[] reads = new long[members.length];
        for (int i = 0; i < members.length; i++) {
            reads[i] = diskReads(members[i][0], members[i][1]);
        }
        long hits = cache("ss1").hits();
        ExecutorService players = Executors.newFixedThreadPool(6);
        try {
            List<Future<?>> done = new ArrayList<>();
            for (int p = 0; p < 6; p++) {
                String[] m = members[p % members.length];
                done.add(players.submit(() -> {
                    for (int i = 0; i < 10; i++) {
                        int chunk = 4 * CLUSTER;
                        int at = (i % 8) * chunk;
                        byte[] got = cluster.read(m[0], m[1], at, chunk);
                        assertArrayEquals(java.util.Arrays.copyOfRange(video, at, at + chunk), got);
                    }
                    return null;
                }));
            }
            for (Future<?> f : done) {
                f.get();
            }
        } finally {
            players.shutdownNow();
        }
        for (int i = 0; i < members.length; i++) {
            assertEquals(reads[i], diskReads(members[i][0], members[i][1]), members[i][1] + " was not read again");
        }
        assertEquals(hits + 4 * 10 * 4, cache("ss1").hits(), "4 players x 10 reads x 4 clusters on ss1");
    }

    @Test
    void aWriteThenAReadReturnsTheNewBytesOnEveryMember() throws Exception {
        startBoth();
        long offset = 5 * CLUSTER + 300;
        byte[] old = randomBytes(3 * CLUSTER);
        cluster.write("ss1", "s0", offset, old);
        String[][] members = {{"ss1", "s0"}, {"ss1", "s1"}, {"ss2", "s2"}};
        for (String[] m : members) {
            assertArrayEquals(old, cluster.read(m[0], m[1], offset, old.length));
            assertTrue(cached(m[0], m[1], 6), m[1] + " cluster 6 cached");
        }
        // Client write on the master, a local mirror copy and a replica write: each invalidates before the ack.
        byte[] now = randomBytes(CLUSTER);
        cluster.write("ss1", "s0", 6 * CLUSTER - 10, now);
        for (String[] m : members) {
            assertArrayEquals(now, cluster.read(m[0], m[1], 6 * CLUSTER - 10, now.length), m[1]);
            byte[] whole = cluster.read(m[0], m[1], offset, old.length);
            assertArrayEquals(now, java.util.Arrays.copyOfRange(whole, CLUSTER - 310, 2 * CLUSTER - 310), m[1]);
        }
    }

    @Test
    void aStaleMirrorClusterIsNeverCachedAsTheMirrorsData() throws Exception {
        startBoth();
        byte[] old = randomBytes(4 * CLUSTER);
        cluster.write("ss1", "a0", 8 * CLUSTER, old);
        for (String[] v : new String[][] {{"ss1", "a0"}, {"ss2", "a2"}}) {
            awaitEquals(CONVERGE, v[1] + " valid", 0L, () -> cluster.invalid(v[0], v[1]));
        }
        assertArrayEquals(old, cluster.read("ss1", "a1", 8 * CLUSTER, old.length));
        assertArrayEquals(old, cluster.read("ss2", "a2", 8 * CLUSTER, old.length));
        assertTrue(cached("ss1", "a1", 9) && cached("ss2", "a2", 9));

        cluster.store("ss1").pauseSync(true);
        byte[] now = randomBytes(CLUSTER);
        cluster.write("ss1", "a0", 9 * CLUSTER, now); // cluster 9 stale on both mirrors until the daemon copies it
        assertFalse(cached("ss1", "a1", 9), "the same-SS mirror's copy was dropped when its bit was set");
        assertFalse(cached("ss2", "a2", 9), "the cross-SS mirror's copy was dropped by the invalidation");
        for (int round = 0; round < 2; round++) {
            assertArrayEquals(now, cluster.read("ss1", "a1", 9 * CLUSTER, CLUSTER), "a1 via Check Invalid");
            assertArrayEquals(now, cluster.read("ss2", "a2", 9 * CLUSTER, CLUSTER), "a2 via Check Invalid");
            assertFalse(cached("ss1", "a1", 9) || cached("ss2", "a2", 9), "served stale, never cached as the mirror's");
        }
        assertTrue(cached("ss1", "a0", 9), "the same-SS mirror read it through the master's cache");
        assertTrue(cached("ss1", "a1", 8) && cached("ss2", "a2", 10), "the valid neighbours stay");

        cluster.store("ss1").pauseSync(false);
        awaitEquals(CONVERGE, "the resync", 0L, () -> cluster.invalid("ss1", "a0"));
        awaitEquals(CONVERGE, "a2 valid", 0L, () -> cluster.invalid("ss2", "a2"));
        assertArrayEquals(now, cluster.read("ss1", "a1", 9 * CLUSTER, CLUSTER));
        assertArrayEquals(now, cluster.read("ss2", "a2", 9 * CLUSTER, CLUSTER));
        assertTrue(cached("ss1", "a1", 9) && cached("ss2", "a2", 9), "valid again: cached as the mirror's");
    }

    @Test
    void theCacheNeverExceedsItsBound() throws Exception {
        long bound = 6L * CLUSTER;
        cluster.start("ss1", BlockStoreOptions.defaults().withCacheBytes(bound));
        cluster.write("ss1", "a0", 0, randomBytes(MirroringTest.CAPACITY));
        for (String volume : new String[] {"a0", "a1", "s0", "s1"}) {
            for (long at = 0; at < MirroringTest.CAPACITY; at += 3 * CLUSTER + 100) {
                cluster.read("ss1", volume, at, (int) Math.min(2 * CLUSTER, MirroringTest.CAPACITY - at));
                long held = cluster.store("ss1").status().cacheBytes();
                assertTrue(held <= bound, volume + " at " + at + ": " + held + " bytes held, bound " + bound);
            }
        }
        assertTrue(cache("ss1").hits() + cache("ss1").misses() > 0);
    }

    @Test
    void withoutACacheEveryReadGoesToTheDisk() throws Exception {
        cluster.start("ss1", BlockStoreOptions.defaults().withCacheBytes(0));
        cluster.write("ss1", "a0", 0, randomBytes(CLUSTER));
        long reads = diskReads("ss1", "a0");
        cluster.read("ss1", "a0", 0, CLUSTER);
        cluster.read("ss1", "a0", 0, CLUSTER);
        assertEquals(reads + 2, diskReads("ss1", "a0"));
        var status = cluster.store("ss1").status();
        assertEquals(0, status.cacheHits() + status.cacheMisses() + status.cacheBytes());
    }
}
