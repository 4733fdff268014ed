package io.cfs.blockstore;

import static io.cfs.blockstore.TestCluster.await;
import static io.cfs.blockstore.TestCluster.awaitEquals;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cfs.blockstore.sync.MirrorProgress;
import io.cfs.blockstore.sync.ReplicaProgress;
import io.cfs.topology.VolumeAddress;
import io.micrometer.core.instrument.search.RequiredSearch;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * Real storage systems on loopback ports: a sync pair with a mirror on the same storage system
 * and one on another, an async pair likewise, mirrors going away and coming back, and a mirror
 * created empty.
 */
class MirroringTest extends ClusterTestCase {
    static final int CLUSTER = 16 << 10;
    static final int CAPACITY = 2 << 20;
    static final Duration CONVERGE = Duration.ofSeconds(20);
    static final String TOPOLOGY = """
            cluster  block-size=64KiB cluster-size=16KiB
            metadata address=127.0.0.1:{meta} data=meta
            storage  ss1 address=127.0.0.1:{ss1} data=ss1
            storage  ss2 address=127.0.0.1:{ss2} data=ss2
            volume   ss1:s0 capacity=2MiB
            volume   ss1:s1 capacity=2MiB
            volume   ss2:s2 capacity=2MiB
            volume   ss1:a0 capacity=2MiB
            volume   ss1:a1 capacity=2MiB
            volume   ss2:a2 capacity=2MiB
            pair     ps mode=sync  master=ss1:s0 mirrors=ss1:s1,ss2:s2
            pair     pa mode=async master=ss1:a0 mirrors=ss1:a1,ss2:a2
            """;

    MirroringTest() {
        super(TOPOLOGY, 42);
    }

    /** Starts both storage systems and waits until every mirror is valid (all volumes start empty: nothing to copy). */
    void startConverged() throws Exception {
        cluster.start("ss1");
        cluster.start("ss2");
        awaitConverged();
    }

    void awaitConverged() {
        for (String[] v : new String[][] {{"ss1", "s0"}, {"ss1", "s1"}, {"ss2", "s2"}, {"ss1", "a0"}, {"ss1", "a1"},
                {"ss2", "a2"}}) {
            awaitEquals(CONVERGE, v[0] + ":" + v[1] + " to have no invalid cluster", 0L,
                    () -> cluster.invalid(v[0], v[1]));
        }
    }

    void assertSameFiles(String masterSs, String master, String mirrorSs, String mirror) throws Exception {
        byte[] a = cluster.fileBytes(masterSs, master);
        byte[] b = cluster.fileBytes(mirrorSs, mirror);
        assertEquals(a.length, b.length);
        int diff = Arrays.mismatch(a, b);
        assertEquals(-1, diff, mirrorSs + ":" + mirror + " differs from " + masterSs + ":" + master
                + " first at byte " + diff + " (cluster " + (diff / CLUSTER) + ")");
    }

    MirrorProgress progress(String ss, String mirror) {
        VolumeAddress a = VolumeAddress.parse(mirror);
        return cluster.store(ss).syncProgress().stream().filter(p -> p.mirror().equals(a)).findFirst().orElseThrow();
    }

    static RequiredSearch mirrorMeter(SimpleMeterRegistry meters, String name, String mirror) {
        return meters.get(name).tag("mirror", mirror);
    }

    ReplicaProgress replica(String ss, String mirror) {
        VolumeAddress a = VolumeAddress.parse(mirror);
        return cluster.store(ss).replicaProgress().stream().filter(p -> p.mirror().equals(a)).findFirst().orElseThrow();
    }

    @Test
    void syncWriteIsOnEveryMirrorBeforeTheAck() throws Exception {
        startConverged();
        long offset = 3 * CLUSTER + 1000; // unaligned, spans several clusters
        byte[] data = randomBytes(5 * CLUSTER + 77);
        cluster.write("ss1", "s0", offset, data);

        assertArrayEquals(data, cluster.read("ss1", "s0", offset, data.length), "master");
        assertArrayEquals(data, cluster.read("ss1", "s1", offset, data.length), "same-SS mirror");
        assertArrayEquals(data, cluster.read("ss2", "s2", offset, data.length), "cross-SS mirror");
        // A sync copy leaves nothing for the Sync Daemon, and the mirrors' files hold the bytes themselves.
        assertEquals(0, cluster.invalid("ss1", "s0"));
        assertEquals(0, cluster.invalid("ss2", "s2"));
        cluster.flush("ss1", "s0");
        assertSameFiles("ss1", "s0", "ss1", "s1");
        assertSameFiles("ss1", "s0", "ss2", "s2");
        assertEquals(0, progress("ss1", "ss2:s2").bytesCopied(), "the Sync Daemon copied nothing");
    }

    @Test
    void asyncMirrorServesNewBytesFromTheMasterUntilCopied() throws Exception {
        startConverged();
        cluster.store("ss1").pauseSync(true);
        byte[] before = cluster.fileBytes("ss2", "a2");
        long offset = 7 * CLUSTER - 300;
        byte[] data = randomBytes(3 * CLUSTER);
        cluster.write("ss1", "a0", offset, data);

        // The invalidation reached ss2 before the write was acknowledged.
        assertEquals(4, cluster.invalid("ss2", "a2"), "clusters 6..9 stale on the cross-SS mirror");
        assertEquals(8, cluster.invalid("ss1", "a0"), "4 clusters for each of 2 mirrors");
        assertArrayEquals(data, cluster.read("ss2", "a2", offset, data.length), "cross-SS mirror, Check Invalid");
        assertArrayEquals(data, cluster.read("ss1", "a1", offset, data.length), "same-SS mirror, Check Invalid");
        // A read mixing valid and stale clusters is assembled from both.
        byte[] wide = cluster.read("ss2", "a2", 4 * CLUSTER, 8 * CLUSTER);
        byte[] expected = Arrays.copyOfRange(before, 4 * CLUSTER, 12 * CLUSTER);
        System.arraycopy(data, 0, expected, (int) (offset - 4 * CLUSTER), data.length);
        assertArrayEquals(expected, wide, "mixed read");
        // ... and the mirror's own file does not have them yet: they came from the master.
        assertArrayEquals(before, cluster.fileBytes("ss2", "a2"), "mirror file untouched while the daemon is paused");

        cluster.store("ss1").pauseSync(false);
        awaitConverged();
        assertSameFiles("ss1", "a0", "ss2", "a2");
        assertSameFiles("ss1", "a0", "ss1", "a1");
        assertEquals(4L * CLUSTER, progress("ss1", "ss2:a2").bytesCopied(), "exactly the 4 stale clusters copied");
    }

    @Test
    void concurrentWritesConvergeOnEveryMirror() throws Exception {
        startConverged();
        ExecutorService writers = Executors.newFixedThreadPool(4);
        try {
            List<Future<?>> done = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                long seed = t;
                done.add(writers.submit(() -> {
                    Random r = new Random(seed);
                    for (int i = 0; i < 150; i++) {
                        // Overlapping, unaligned writes over a small region: the daemon races them all the time.
                        int length = 1 + r.nextInt(3 * CLUSTER);
                        long offset = r.nextInt(16 * CLUSTER);
                        byte[] b = new byte[length];
                        r.nextBytes(b);
                        cluster.write("ss1", i % 2 == 0 ? "a0" : "s0", offset, b);
                    }
                    return null;
                }));
            }
            for (Future<?> f : done) {
                f.get();
            }
        } finally {
            writers.shutdownNow();
        }
        awaitConverged();
        assertSameFiles("ss1", "a0", "ss2", "a2");
        assertSameFiles("ss1", "a0", "ss1", "a1");
        assertSameFiles("ss1", "s0", "ss2", "s2");
        assertSameFiles("ss1", "s0", "ss1", "s1");
    }

    @Test
    void writesWhileAMirrorIsDownAreResyncedWhenItReturns() throws Exception {
        SimpleMeterRegistry meters = new SimpleMeterRegistry();
        cluster.start("ss1", BlockStoreOptions.defaults().withPeerTimeout(Duration.ofSeconds(5)).withMetrics(meters));
        cluster.start("ss2");
        awaitConverged();
        cluster.stop("ss2");
        // clusters 2..4 of the sync pair, 10..10 and 20..21 of the async pair
        byte[] s = randomBytes(2 * CLUSTER + 10);
        cluster.write("ss1", "s0", 2 * CLUSTER + 5, s);
        byte[] a1 = randomBytes(100);
        cluster.write("ss1", "a0", 10 * CLUSTER + 50, a1);
        byte[] a2 = randomBytes(2 * CLUSTER);
        cluster.write("ss1", "a0", 20 * CLUSTER, a2);
        assertEquals(3, cluster.invalid("ss1", "s0"), "the sync pair is degraded on ss2:s2 only");
        awaitEquals(CONVERGE, "the local async mirror to be copied", 3L, () -> cluster.invalid("ss1", "a0"));
        await(CONVERGE, "the Sync Daemon to find ss2 unreachable", () -> !progress("ss1", "ss2:s2").reachable());
        long syncCopied = progress("ss1", "ss2:s2").bytesCopied();
        long asyncCopied = progress("ss1", "ss2:a2").bytesCopied();
        assertEquals(3, mirrorMeter(meters, "cfs.mirror.invalid.clusters", "ss2:s2").gauge().value());
        assertEquals(0, mirrorMeter(meters, "cfs.mirror.reachable", "ss2:s2").gauge().value());
        assertEquals(3, meters.get("cfs.rpc.server.requests").tags("op", "WRITE_DATA", "result", "ok").timer().count());
        assertTrue(meters.get("cfs.volume.written").tag("volume", "s0").functionCounter().count() >= s.length);

        cluster.start("ss2");
        // Right away, before or after the resync, ss2 never serves the old bytes.
        assertArrayEquals(s, cluster.read("ss2", "s2", 2 * CLUSTER + 5, s.length));
        assertArrayEquals(a2, cluster.read("ss2", "a2", 20 * CLUSTER, a2.length));
        awaitConverged();
        assertEquals(3L * CLUSTER, progress("ss1", "ss2:s2").bytesCopied() - syncCopied, "sync pair resync");
        assertEquals(3L * CLUSTER, progress("ss1", "ss2:a2").bytesCopied() - asyncCopied, "async pair resync");
        assertTrue(replica("ss2", "ss2:a2").confirmed());
        assertEquals(0, mirrorMeter(meters, "cfs.mirror.invalid.clusters", "ss2:s2").gauge().value());
        assertEquals(1, mirrorMeter(meters, "cfs.mirror.reachable", "ss2:s2").gauge().value());
        assertEquals(progress("ss1", "ss2:s2").bytesCopied(),
                mirrorMeter(meters, "cfs.resync", "ss2:s2").functionCounter().count());
        assertSameFiles("ss1", "s0", "ss2", "s2");
        assertSameFiles("ss1", "a0", "ss2", "a2");
    }

    @Test
    void aMirrorCreatedEmptyIsServedFromTheMasterAndFilledIn() throws Exception {
        cluster.start("ss1");
        byte[] data = randomBytes(CAPACITY / 2);
        cluster.write("ss1", "a0", 0, data);
        cluster.write("ss1", "s0", CAPACITY / 2, data);

        cluster.start("ss2"); // first start: its volumes are created empty (while ss1's daemon is retrying them)
        assertArrayEquals(data, cluster.read("ss2", "a2", 0, data.length));
        assertArrayEquals(data, cluster.read("ss2", "s2", CAPACITY / 2, data.length));
        awaitConverged();
        assertSameFiles("ss1", "a0", "ss2", "a2");
        assertSameFiles("ss1", "s0", "ss2", "s2");
        int half = CAPACITY / 2;
        // A cluster pushed before ss2's fresh request reached ss1 may be pushed twice; nothing is pulled.
        for (String m : new String[] {"ss2:a2", "ss2:s2"}) {
            assertEquals(0, replica("ss2", m).bytesPulled(), m + ": ss2 pulled nothing");
            long copied = progress("ss1", m).bytesCopied();
            assertTrue(copied >= half && copied <= 2L * half, m + ": copied " + copied + " bytes for " + half
                    + " written");
        }
    }

    @Test
    void continuousWritesConvergeSecondsAfterTheyStop() throws Exception {
        startConverged();
        byte[] chunk = randomBytes(1 << 20);
        long start = System.nanoTime();
        for (int round = 0; round < 200; round++) { // 200 MiB over a 2 MiB volume
            chunk[round] ^= 1;
            cluster.write("ss1", "a0", (round % 2) * (1 << 20), chunk);
        }
        long written = System.nanoTime();
        awaitConverged();
        long converged = System.nanoTime();
        assertSameFiles("ss1", "a0", "ss2", "a2");
        assertTrue(converged - written < Duration.ofSeconds(5).toNanos(), "converged "
                + (converged - written) / 1_000_000 + " ms after the writes stopped (writing took "
                + (written - start) / 1_000_000 + " ms)");
    }

    @Test
    void theSyncDaemonHonoursItsRateLimit() throws Exception {
        AtomicLong now = new AtomicLong();
        cluster.start("ss1", BlockStoreOptions.defaults().withSyncRate(CLUSTER).withTicker(now::get));
        cluster.start("ss2");
        awaitConverged();
        cluster.write("ss1", "a0", 0, randomBytes(4 * CLUSTER)); // 4 clusters for each of 2 mirrors
        // One second's worth of tokens (one cluster) is there from the start; then the clock must move.
        awaitEquals(CONVERGE, "one cluster copied", 7L, () -> cluster.invalid("ss1", "a0"));
        Thread.sleep(300); // nothing may happen while the clock stands still: no await can show an absence
        assertEquals(7, cluster.invalid("ss1", "a0"));
        now.addAndGet(Duration.ofSeconds(1).toNanos());
        awaitEquals(CONVERGE, "one more cluster after a second", 6L, () -> cluster.invalid("ss1", "a0"));
        now.addAndGet(Duration.ofSeconds(60).toNanos());
        awaitEquals(CONVERGE, "idle time to bank one second only", 5L, () -> cluster.invalid("ss1", "a0"));
        Thread.sleep(300);
        assertEquals(5, cluster.invalid("ss1", "a0"));
        assertEquals(3L * CLUSTER, progress("ss1", "ss2:a2").bytesCopied() + progress("ss1", "ss1:a1").bytesCopied());
    }

    @Test
    void aMasterRestartKeepsItsBitmapTable() throws Exception {
        startConverged();
        cluster.store("ss1").pauseSync(true);
        byte[] data = randomBytes(CLUSTER);
        cluster.write("ss1", "a0", 5 * CLUSTER, data);
        assertEquals(2, cluster.invalid("ss1", "a0"));
        cluster.stop("ss1");
        cluster.start("ss1");
        awaitConverged();
        assertSameFiles("ss1", "a0", "ss2", "a2");
        assertSameFiles("ss1", "a0", "ss1", "a1");
        await(CONVERGE, "mirror progress to show ss2:a2 copied", () -> progress("ss1", "ss2:a2").bytesCopied() == CLUSTER);
    }
}
