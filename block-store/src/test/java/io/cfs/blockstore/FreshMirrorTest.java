package io.cfs.blockstore;

import static io.cfs.blockstore.MirroringTest.CAPACITY;
import static io.cfs.blockstore.MirroringTest.CLUSTER;
import static io.cfs.blockstore.MirroringTest.TOPOLOGY;
import static io.cfs.blockstore.TestCluster.await;
import static io.cfs.blockstore.TestCluster.awaitEquals;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cfs.blockstore.sync.MirrorProgress;
import io.cfs.blockstore.sync.ReplicaProgress;
import io.cfs.topology.StorageId;
import io.cfs.topology.VolumeAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.BitSet;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * Mirror volumes created empty (a first start, a replaced disk) get exactly the clusters ever
 * written on their master, pushed by the master's Sync Daemon; nothing else is copied or pulled.
 */
class FreshMirrorTest extends ClusterTestCase {
    static final Duration QUICKLY = Duration.ofSeconds(3);
    static final Duration CONVERGE = Duration.ofSeconds(20);
    static final String[][] MIRRORS = {{"ss1", "s1"}, {"ss2", "s2"}, {"ss1", "a1"}, {"ss2", "a2"}};

    FreshMirrorTest() {
        super(TOPOLOGY, 7);
    }

    MirrorProgress progress(String ss, String mirror) {
        VolumeAddress a = VolumeAddress.parse(mirror);
        return cluster.store(ss).syncProgress().stream().filter(p -> p.mirror().equals(a)).findFirst().orElseThrow();
    }

    ReplicaProgress replica(String ss, String mirror) {
        VolumeAddress a = VolumeAddress.parse(mirror);
        return cluster.store(ss).replicaProgress().stream().filter(p -> p.mirror().equals(a)).findFirst().orElseThrow();
    }

    void awaitConverged(Duration timeout) {
        for (String[] v : new String[][] {{"ss1", "s0"}, {"ss1", "a0"}, MIRRORS[0], MIRRORS[1], MIRRORS[2], MIRRORS[3]}) {
            awaitEquals(timeout, v[0] + ":" + v[1] + " to have no invalid cluster", 0L, () -> cluster.invalid(v[0], v[1]));
        }
    }

    void assertSameFiles(String masterSs, String master, String mirrorSs, String mirror) throws Exception {
        byte[] a = cluster.fileBytes(masterSs, master);
        byte[] b = cluster.fileBytes(mirrorSs, mirror);
        int diff = Arrays.mismatch(a, b);
        assertEquals(-1, diff, mirrorSs + ":" + mirror + " differs from " + masterSs + ":" + master
                + " first at byte " + diff + " (cluster " + (diff / CLUSTER) + ")");
    }

    /**
     * Writes to master {@code volume} of ss1: whole, unaligned and tiny writes, some clusters
     * twice. Returns the clusters written.
     */
    BitSet writeSome(String volume) {
        BitSet written = new BitSet();
        long[][] writes = {{3L * CLUSTER, CLUSTER}, {10L * CLUSTER + 500, 2 * CLUSTER}, {40L * CLUSTER + 7, 100},
                {3L * CLUSTER + 9, 10}, {CAPACITY - 30, 30}, {77L * CLUSTER - 1, 2}};
        for (long[] w : writes) {
            byte[] b = new byte[(int) w[1]];
            random.nextBytes(b);
            cluster.write("ss1", volume, w[0], b);
            written.set((int) (w[0] / CLUSTER), (int) ((w[0] + w[1] - 1) / CLUSTER) + 1);
        }
        return written;
    }

    /** Reads a whole volume through storage system {@code ss}. */
    byte[] readAll(String ss, String volume) {
        return cluster.read(ss, volume, 0, CAPACITY);
    }

    /** (a) A first start: every volume is new, nothing was ever written, nothing is stale or copied. */
    @Test
    void aFreshClusterConvergesAtOnceWithoutCopying() throws Exception {
        cluster.start("ss1");
        cluster.start("ss2");
        awaitConverged(QUICKLY);
        for (String m : new String[] {"ss2:s2", "ss2:a2"}) {
            ReplicaProgress r = replica("ss2", m);
            assertTrue(r.confirmed(), m + " confirmed");
            assertEquals(0, r.bytesPulled(), m + " pulled nothing");
            assertFalse(Files.exists(cluster.freshFile("ss2", VolumeAddress.parse(m).volume().value())),
                    m + ": the fresh mark is gone once confirmed");
        }
        for (MirrorProgress p : cluster.store("ss1").syncProgress()) {
            assertEquals(0, p.bytesCopied(), "the Sync Daemon copied nothing to " + p.mirror());
        }
        // Nothing stale is left behind for a later quiet check either.
        Thread.sleep(300);
        for (MirrorProgress p : cluster.store("ss1").syncProgress()) {
            assertEquals(0, p.bytesCopied(), "the Sync Daemon copied nothing to " + p.mirror());
        }
    }

    /** (a) The same when the mirrors' storage system starts first and waits for its master. */
    @Test
    void aFreshClusterConvergesWhicheverStartsFirst() throws Exception {
        cluster.start("ss2");
        assertFalse(replica("ss2", "ss2:a2").confirmed());
        assertEquals(CAPACITY / CLUSTER, cluster.invalid("ss2", "a2"), "unconfirmed: all served from the master");
        cluster.start("ss1");
        awaitConverged(QUICKLY);
        for (MirrorProgress p : cluster.store("ss1").syncProgress()) {
            assertEquals(0, p.bytesCopied(), "the Sync Daemon copied nothing to " + p.mirror());
        }
        assertEquals(0, replica("ss2", "ss2:a2").bytesPulled());
    }

    /** (b) A replaced disk under a cross-SS mirror: only the written clusters are copied. */
    @Test
    void aReplacedCrossSsMirrorGetsExactlyTheWrittenClusters() throws Exception {
        cluster.start("ss1");
        cluster.start("ss2");
        awaitConverged(QUICKLY);
        BitSet written = writeSome("a0");
        int n = written.cardinality();
        awaitConverged(CONVERGE);
        long copiedBefore = progress("ss1", "ss2:a2").bytesCopied();
        long syncPairCopiedBefore = progress("ss1", "ss2:s2").bytesCopied();

        cluster.stop("ss2");
        Files.delete(cluster.file("ss2", "a2"));
        cluster.store("ss1").pauseSync(true);
        cluster.start("ss2");
        byte[] master = readAll("ss1", "a0");
        assertArrayEquals(master, readAll("ss2", "a2"), "read before or during the confirmation: the master's bytes");
        await(QUICKLY, "ss2:a2 to be confirmed", () -> replica("ss2", "ss2:a2").confirmed());
        assertEquals(n, cluster.invalid("ss2", "a2"), "stale here: exactly the clusters the master marked");
        assertEquals(n, progress("ss1", "ss2:a2").invalidClusters(), "marked by the master: the written clusters");
        assertFalse(Files.exists(cluster.freshFile("ss2", "a2")));
        assertArrayEquals(master, readAll("ss2", "a2"), "read during the resync: the master's bytes");

        cluster.store("ss1").pauseSync(false);
        awaitConverged(CONVERGE);
        assertEquals((long) n * CLUSTER, progress("ss1", "ss2:a2").bytesCopied() - copiedBefore,
                "exactly the written clusters copied");
        assertEquals(syncPairCopiedBefore, progress("ss1", "ss2:s2").bytesCopied(), "the kept volume got nothing");
        assertEquals(0, replica("ss2", "ss2:a2").bytesPulled(), "nothing pulled");
        assertSameFiles("ss1", "a0", "ss2", "a2");
        assertArrayEquals(master, readAll("ss2", "a2"));
    }

    /** (c) A replaced disk under a mirror on the master's own storage system. */
    @Test
    void aReplacedSameSsMirrorGetsExactlyTheWrittenClusters() throws Exception {
        cluster.start("ss1");
        cluster.start("ss2");
        awaitConverged(QUICKLY);
        BitSet written = writeSome("a0");
        int n = written.cardinality();
        awaitConverged(CONVERGE);

        cluster.stop("ss1");
        Files.delete(cluster.file("ss1", "a1"));
        // A standing clock and a rate of one cluster a second: one copy, then one more per tick.
        AtomicLong now = new AtomicLong();
        cluster.start("ss1", BlockStoreOptions.defaults().withSyncRate(CLUSTER).withTicker(now::get)
                .withPeerTimeout(Duration.ofSeconds(5)));
        awaitEquals(CONVERGE, "the first cluster copied", (long) n - 1, () -> cluster.invalid("ss1", "a1"));
        assertEquals(n - 1, cluster.invalid("ss1", "a0"), "nothing stale for the other mirror");
        byte[] master = readAll("ss1", "a0");
        assertArrayEquals(master, readAll("ss1", "a1"), "read during the resync: the master's bytes");
        for (long left = n - 2; left >= 0; left--) {
            now.addAndGet(Duration.ofSeconds(1).toNanos());
            long expected = left;
            awaitEquals(CONVERGE, "one more cluster copied", expected, () -> cluster.invalid("ss1", "a1"));
        }
        assertEquals((long) n * CLUSTER, progress("ss1", "ss1:a1").bytesCopied(), "exactly the written clusters");
        assertEquals(0, progress("ss1", "ss2:a2").bytesCopied(), "the cross-SS mirror got nothing");
        assertSameFiles("ss1", "a0", "ss1", "a1");

        // The next start finds the volume: nothing more to copy.
        cluster.stop("ss1");
        cluster.start("ss1");
        assertEquals(0, cluster.invalid("ss1", "a0"));
    }

    /**
     * (d) The mirror's storage system stops after its fresh request reached the master and before
     * it recorded the answer: it asks as fresh again, which only marks the written clusters again.
     */
    @Test
    void aStopBetweenTheFreshRequestAndItsRecordIsHarmless() throws Exception {
        cluster.start("ss1");
        cluster.start("ss2");
        awaitConverged(QUICKLY);
        BitSet writtenA = writeSome("a0");
        BitSet writtenS = writeSome("s0");
        awaitConverged(CONVERGE);

        // Replaced disk, first start while the master is away: fresh and unconfirmed, and it stays fresh.
        cluster.stop("ss2");
        cluster.stop("ss1");
        Files.delete(cluster.file("ss2", "a2"));
        Files.delete(cluster.file("ss2", "s2"));
        cluster.start("ss2");
        assertTrue(Files.exists(cluster.freshFile("ss2", "a2")) && Files.exists(cluster.freshFile("ss2", "s2")));
        Thread.sleep(300); // an attempt or two fail
        assertFalse(replica("ss2", "ss2:a2").confirmed());
        cluster.stop("ss2");
        assertTrue(Files.exists(cluster.freshFile("ss2", "a2")), "unconfirmed: still fresh at the next start");

        // The master gets the fresh requests, but their answers never reach a record (ss2 is down).
        cluster.start("ss1");
        cluster.store("ss1").pauseSync(true);
        assertEquals(writtenA, cluster.mirrorBitmap("ss1", "pa", 2, true), "the master marked the written clusters");
        assertEquals(writtenS, cluster.mirrorBitmap("ss1", "ps", 2, true));
        assertEquals(writtenA, cluster.mirrorBitmap("ss1", "pa", 2, false), "persisted in the row");

        cluster.start("ss2");
        await(QUICKLY, "ss2's mirrors to be confirmed",
                () -> replica("ss2", "ss2:a2").confirmed() && replica("ss2", "ss2:s2").confirmed());
        assertFalse(Files.exists(cluster.freshFile("ss2", "a2")) || Files.exists(cluster.freshFile("ss2", "s2")));
        assertEquals(writtenA.cardinality(), cluster.invalid("ss2", "a2"), "asking again marked nothing more");
        assertEquals(writtenS.cardinality(), cluster.invalid("ss2", "s2"));
        assertArrayEquals(readAll("ss1", "s0"), readAll("ss2", "s2"), "the master's bytes meanwhile");
        cluster.store("ss1").pauseSync(false);
        awaitConverged(CONVERGE);
        assertEquals((long) writtenA.cardinality() * CLUSTER, progress("ss1", "ss2:a2").bytesCopied());
        assertEquals((long) writtenS.cardinality() * CLUSTER, progress("ss1", "ss2:s2").bytesCopied());
        assertEquals(0, replica("ss2", "ss2:a2").bytesPulled() + replica("ss2", "ss2:s2").bytesPulled());
        assertSameFiles("ss1", "a0", "ss2", "a2");
        assertSameFiles("ss1", "s0", "ss2", "s2");

        // Recorded: the next start is not fresh and copies nothing.
        cluster.stop("ss2");
        cluster.start("ss2");
        await(QUICKLY, "ss2:a2 to be confirmed", () -> replica("ss2", "ss2:a2").confirmed());
        awaitConverged(QUICKLY);
        assertEquals((long) writtenA.cardinality() * CLUSTER, progress("ss1", "ss2:a2").bytesCopied());
        assertEquals((long) writtenS.cardinality() * CLUSTER, progress("ss1", "ss2:s2").bytesCopied());
    }

    /** A master volume from before written bitmaps were kept counts as written everywhere. */
    @Test
    void aMasterWithoutAWrittenBitmapCountsAsWrittenEverywhere() throws Exception {
        cluster.start("ss1");
        cluster.start("ss2");
        awaitConverged(QUICKLY);
        writeSome("a0");
        awaitConverged(CONVERGE);
        cluster.stop("ss1");
        Path bitmaps = cluster.topology.storage(new StorageId("ss1")).data().resolve("bitmaps");
        Files.delete(bitmaps.resolve("pa-written.bits"));
        Files.delete(cluster.file("ss1", "a1"));
        cluster.start("ss1");
        long all = CAPACITY / CLUSTER;
        awaitConverged(CONVERGE);
        assertSameFiles("ss1", "a0", "ss1", "a1");
        assertEquals(all * CLUSTER, progress("ss1", "ss1:a1").bytesCopied());
    }
}
