package io.cfs.blockstore;

import static io.cfs.blockstore.MirroringTest.CAPACITY;
import static io.cfs.blockstore.MirroringTest.CLUSTER;
import static io.cfs.blockstore.TestCluster.awaitEquals;
import static io.cfs.blockstore.TestCluster.failure;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cfs.protocol.CfsException;
import io.cfs.protocol.ErrorCode;
import io.cfs.protocol.message.ChecksumRequest;
import io.cfs.protocol.message.OkReply;
import io.cfs.protocol.message.ChecksumReply;
import io.cfs.topology.VolumeId;
import java.io.RandomAccessFile;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** CHECKSUMS, COUNT_INVALID and MARK_INVALID: what a scrub compares, counts and repairs. */
class ScrubTest extends ClusterTestCase {
    static final Duration CONVERGE = MirroringTest.CONVERGE;
    static final int CLUSTERS = CAPACITY / CLUSTER;

    ScrubTest() {
        super(MirroringTest.TOPOLOGY, 5);
    }

    void awaitValid() {
        for (String[] v : new String[][] {{"ss1", "a0"}, {"ss1", "s0"}, {"ss2", "a2"}, {"ss2", "s2"}}) {
            awaitEquals(CONVERGE, v[0] + ":" + v[1] + " valid", 0L, () -> cluster.invalid(v[0], v[1]));
        }
    }

    List<Long> sums(String ss, String volume) {
        return cluster.checksums(ss, volume, 0, CLUSTERS);
    }

    /** The clusters whose checksums differ. */
    static List<Integer> differing(List<Long> a, List<Long> b) {
        List<Integer> out = new ArrayList<>();
        for (int i = 0; i < a.size(); i++) {
            if (!a.get(i).equals(b.get(i))) {
                out.add(i);
            }
        }
        return out;
    }

    /** Overwrites bytes of a volume file directly, as a failing disk would (its storage system stopped). */
    void corrupt(String ss, String volume, long offset, int length) throws Exception {
        try (RandomAccessFile f = new RandomAccessFile(cluster.file(ss, volume).toFile(), "rw")) {
            f.seek(offset);
            f.write(randomBytes(length));
        }
    }

    @Test
    void aCorruptedMirrorIsFoundByChecksumsAndRepairedByMarkInvalid() throws Exception {
        cluster.start("ss1");
        cluster.start("ss2");
        byte[] data = randomBytes(12 * CLUSTER);
        cluster.write("ss1", "a0", 2 * CLUSTER, data);
        awaitValid();
        List<Long> master = sums("ss1", "a0");
        assertEquals(CLUSTERS, master.size());
        assertEquals(master, sums("ss1", "a1"));
        assertEquals(master, sums("ss2", "a2"));

        cluster.stop("ss2");
        corrupt("ss2", "a2", 5 * CLUSTER + 100, 10);
        cluster.start("ss2");
        awaitValid();
        assertEquals(List.of(5), differing(master, sums("ss2", "a2")));
        assertEquals(0, cluster.countInvalid("ss1", "pa", 2, 5L * CLUSTER, CLUSTER), "the master does not know");
        byte[] expected = Arrays.copyOfRange(data, 3 * CLUSTER, 4 * CLUSTER);
        assertNotEquals(-1, Arrays.mismatch(expected, cluster.read("ss2", "a2", 5 * CLUSTER, CLUSTER)),
                "the mirror serves (and caches) its corrupted cluster");

        cluster.store("ss1").pauseSync(true);
        cluster.markInvalid("ss1", "pa", 2, 5, 1);
        assertEquals(1, cluster.countInvalid("ss1", "pa", 2, 0, CAPACITY));
        assertArrayEquals(expected, cluster.read("ss2", "a2", 5 * CLUSTER, CLUSTER),
                "marked stale on ss2 too: served from the master at once");
        cluster.store("ss1").pauseSync(false);
        awaitEquals(CONVERGE, "the Sync Daemon's repair", 0L, () -> cluster.countInvalid("ss1", "pa", 2, 0, CAPACITY));
        awaitValid();
        assertEquals(master, sums("ss2", "a2"));
        assertArrayEquals(expected, cluster.read("ss2", "a2", 5 * CLUSTER, CLUSTER));

        // A mirror on the master's own storage system, corrupted while it was stopped.
        cluster.stop("ss1");
        corrupt("ss1", "a1", 9L * CLUSTER, CLUSTER);
        cluster.start("ss1");
        awaitValid();
        assertEquals(List.of(9), differing(master, sums("ss1", "a1")));
        cluster.markInvalid("ss1", "pa", 1, 9, 1);
        awaitEquals(CONVERGE, "the local repair", List.of(), () -> differing(master, sums("ss1", "a1")));
        assertArrayEquals(Arrays.copyOfRange(data, 7 * CLUSTER, 8 * CLUSTER),
                cluster.read("ss1", "a1", 9L * CLUSTER, CLUSTER));
        assertEquals(0, cluster.countInvalid("ss1", "pa", 1, 0, CAPACITY));
    }

    @Test
    void checksumsReadTheVolumeAsStoredNotThroughCheckInvalid() throws Exception {
        cluster.start("ss1");
        cluster.start("ss2");
        awaitValid();
        cluster.store("ss1").pauseSync(true);
        cluster.write("ss1", "a0", 0, randomBytes(CLUSTER));
        List<Long> master = cluster.checksums("ss1", "a0", 0, 2);
        // Reads of the stale mirror get the new bytes, its checksums are of what it holds.
        List<Long> mirror = cluster.checksums("ss2", "a2", 0, 2);
        assertEquals(List.of(0), differing(master, mirror));
        assertEquals(master.get(1), mirror.get(1));
        assertEquals(1, cluster.countInvalid("ss1", "pa", 2, 0, 2 * CLUSTER), "a pending resync, not a mismatch");
    }

    @Test
    void countInvalidCountsTheClustersTheRangeTouches() throws Exception {
        cluster.start("ss1");
        cluster.store("ss1").pauseSync(true);
        cluster.write("ss1", "a0", 3 * CLUSTER + 1, new byte[CLUSTER]); // clusters 3 and 4
        assertEquals(2, cluster.countInvalid("ss1", "pa", 1, 0, CAPACITY));
        assertEquals(2, cluster.countInvalid("ss1", "pa", 2, 0, CAPACITY));
        assertEquals(0, cluster.countInvalid("ss1", "pa", 1, 0, 3 * CLUSTER));
        assertEquals(1, cluster.countInvalid("ss1", "pa", 1, 3 * CLUSTER - 1, 2));
        assertEquals(1, cluster.countInvalid("ss1", "pa", 1, 4 * CLUSTER + 10, 5));
        assertEquals(2, cluster.countInvalid("ss1", "pa", 1, 4 * CLUSTER - 1, 2));
        assertEquals(0, cluster.countInvalid("ss1", "pa", 1, 4 * CLUSTER, 0));
        assertEquals(0, cluster.countInvalid("ss1", "pa", 0, 0, CAPACITY), "member 0 is the master");
        assertEquals(0, cluster.countInvalid("ss1", "ps", 1, 0, CAPACITY));
    }

    @Test
    void rejectsBadRequestsWithClearErrors() throws Exception {
        cluster.start("ss1");
        cluster.start("ss2");

        CfsException e = failure(() -> cluster.countInvalid("ss2", "pa", 1, 0, CLUSTER));
        assertEquals(ErrorCode.NOT_MASTER, e.code());
        assertTrue(e.getMessage().contains("ss1:a0") && e.getMessage().contains("not on ss2"), e.getMessage());
        e = failure(() -> cluster.markInvalid("ss2", "pa", 1, 0, 1));
        assertEquals(ErrorCode.NOT_MASTER, e.code());
        e = failure(() -> cluster.countInvalid("ss1", "nope", 1, 0, CLUSTER));
        assertEquals(ErrorCode.NOT_FOUND, e.code());
        assertTrue(e.getMessage().contains("nope") && e.getMessage().contains("[pa, ps]"), e.getMessage());
        e = failure(() -> cluster.countInvalid("ss1", "pa", 3, 0, CLUSTER));
        assertEquals(ErrorCode.INVALID_ARGUMENT, e.code());
        assertTrue(e.getMessage().contains("1..2"), e.getMessage());
        e = failure(() -> cluster.countInvalid("ss1", "pa", 1, CAPACITY - 10, 11));
        assertEquals(ErrorCode.OUT_OF_RANGE, e.code());
        assertTrue(e.getMessage().contains(Long.toString(CAPACITY - 10)) && e.getMessage().contains("ss1:a0"),
                e.getMessage());
        e = failure(() -> cluster.markInvalid("ss1", "pa", 0, 0, 1));
        assertEquals(ErrorCode.INVALID_ARGUMENT, e.code());
        assertTrue(e.getMessage().contains("master"), e.getMessage());
        e = failure(() -> cluster.markInvalid("ss1", "pa", 1, CLUSTERS - 1, 2));
        assertEquals(ErrorCode.OUT_OF_RANGE, e.code());
        assertTrue(e.getMessage().contains("0.." + (CLUSTERS - 1)), e.getMessage());

        e = failure(() -> cluster.checksums("ss1", "nope", 0, 1));
        assertEquals(ErrorCode.UNKNOWN_VOLUME, e.code());
        e = failure(() -> cluster.checksums("ss1", "a1", CLUSTERS - 1, 2));
        assertEquals(ErrorCode.OUT_OF_RANGE, e.code());
        assertTrue(e.getMessage().contains("a1") && e.getMessage().contains("0.." + (CLUSTERS - 1)), e.getMessage());
        e = failure(() -> cluster.client("ss1").call(new ChecksumRequest(new VolumeId("a0"), 0, 65537),
                ChecksumReply.class));
        assertEquals(ErrorCode.INVALID_ARGUMENT, e.code());
        // The server is fine after all of that.
        cluster.client("ss1").call(new io.cfs.protocol.message.FlushRequest(new VolumeId("a0")), OkReply.class);
    }
}
