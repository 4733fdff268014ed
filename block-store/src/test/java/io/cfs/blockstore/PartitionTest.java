package io.cfs.blockstore;

import static io.cfs.blockstore.TestCluster.await;
import static io.cfs.blockstore.TestCluster.awaitEquals;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cfs.blockstore.mirror.GrantedLease;
import io.cfs.blockstore.sync.ReplicaProgress;
import io.cfs.protocol.CfsException;
import io.cfs.protocol.ErrorCode;
import io.cfs.protocol.FreePorts;
import io.cfs.topology.StorageId;
import io.cfs.topology.VolumeAddress;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Real storage systems on loopback ports, partitioned: a storage system that binds a port other
 * than its topology address is reachable by this test's client but not by its peers, which only
 * know the topology; on its topology address a socket of this test accepts connections and never
 * answers, as a link that drops every packet. The master's storage system then cannot tell the
 * mirror's that clusters went stale, and the write is acknowledged only once the mirror's read
 * lease has expired: the mirror never serves the old bytes after the acknowledgement.
 */
class PartitionTest extends ClusterTestCase {
    static final int CLUSTER = 16 << 10;
    static final Duration LEASE = Duration.ofMillis(600);
    static final long BOUND_NANOS = LEASE.toNanos() + GrantedLease.patienceOf(LEASE.toNanos())
            + GrantedLease.marginOf(LEASE.toNanos());
    static final Duration CONVERGE = Duration.ofSeconds(20);
    static final String TOPOLOGY = """
            cluster  block-size=64KiB cluster-size=16KiB
            metadata address=127.0.0.1:{meta} data=meta
            storage  ss1 address=127.0.0.1:{ss1} data=ss1
            storage  ss2 address=127.0.0.1:{ss2} data=ss2
            volume   ss1:s0 capacity=1MiB
            volume   ss2:s2 capacity=1MiB
            volume   ss1:a0 capacity=1MiB
            volume   ss2:a2 capacity=1MiB
            pair     ps mode=sync  master=ss1:s0 mirrors=ss2:s2
            pair     pa mode=async master=ss1:a0 mirrors=ss2:a2
            """;

    final Map<String, ServerSocket> silent = new HashMap<>();

    PartitionTest() {
        super(TOPOLOGY, 0);
    }

    @AfterEach
    void closeSilentPorts() throws Exception {
        for (ServerSocket s : silent.values()) {
            s.close();
        }
    }

    static BlockStoreOptions options() {
        return BlockStoreOptions.defaults().withPeerTimeout(Duration.ofSeconds(5)).withMirrorLease(LEASE);
    }

    /**
     * Restarts {@code ss} on a port none of its peers knows, its topology address silent: its peers
     * get no answer from it, this test's client reaches it.
     */
    void cutOff(String ss) throws Exception {
        cluster.stop(ss);
        int port = cluster.topology.storage(new StorageId(ss)).address().getPort();
        silent.put(ss, new ServerSocket(port, 50, InetAddress.getLoopbackAddress())); // never accepted, never read
        cluster.start(ss, options().withListen(new InetSocketAddress("127.0.0.1", FreePorts.next())));
    }

    /** Restarts {@code ss} on its topology address. */
    void reconnect(String ss) throws Exception {
        cluster.stop(ss);
        silent.remove(ss).close();
        cluster.start(ss, options());
    }

    ReplicaProgress replica(String mirror) {
        VolumeAddress a = VolumeAddress.parse(mirror);
        return cluster.store(a.storage().value()).replicaProgress().stream().filter(p -> p.mirror().equals(a))
                .findFirst().orElseThrow();
    }

    static byte[] filled(int n, int value) {
        byte[] b = new byte[n];
        Arrays.fill(b, (byte) value);
        return b;
    }

    /** Starts both, writes OLD on the master and waits until the mirror holds it, valid and under a lease. */
    void writtenAndMirrored(String master, String mirror, byte[] old) throws Exception {
        cluster.start("ss1", options());
        cluster.start("ss2", options());
        cluster.write("ss1", master, 0, old);
        awaitEquals(CONVERGE, "ss2:" + mirror + " in sync", 0L, () -> cluster.invalid("ss2", mirror));
        await(CONVERGE, "a read lease for ss2:" + mirror, () -> replica("ss2:" + mirror).leased());
        assertArrayEquals(old, cluster.read("ss2", mirror, 0, old.length));
    }

    /** Writes NEW on the master; returns how long the acknowledgement took, in ms. */
    long timedWrite(String master, byte[] bytes) {
        long start = System.nanoTime();
        cluster.write("ss1", master, 0, bytes);
        return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
    }

    @ParameterizedTest(name = "{0} pair: master {1}, mirror {2}")
    @CsvSource({"async, a0, a2", "sync, s0, s2"})
    void aMirrorTheMasterCannotReachNeverServesTheOldBytesAfterTheAck(String mode, String master, String mirror)
            throws Exception {
        byte[] old = filled(CLUSTER, 1);
        byte[] fresh = filled(CLUSTER, 2);
        writtenAndMirrored(master, mirror, old);

        cutOff("ss2"); // ss1 cannot reach ss2; ss2 still reaches ss1 and keeps renewing its lease
        await(CONVERGE, "ss2 confirmed and leased again", () -> replica("ss2:" + mirror).leased());
        long ackMillis = timedWrite(master, fresh);
        System.out.println("PartitionTest: " + mode + " write acknowledged after " + ackMillis + " ms (lease "
                + LEASE.toMillis() + " ms)");
        assertTrue(ackMillis < TimeUnit.NANOSECONDS.toMillis(BOUND_NANOS) + 1000, "bounded by patience + lease "
                + "+ margin: " + ackMillis + " ms");
        assertTrue(ackMillis >= LEASE.toMillis() / 2, "held until the lease it was renewing expired: " + ackMillis
                + " ms");
        assertArrayEquals(fresh, cluster.read("ss2", mirror, 0, CLUSTER), "the mirror, not told, must not serve "
                + "the old bytes once the write was acknowledged");

        cutOff("ss1"); // both cut off now: a full partition; ss2 cannot renew
        long valid = 5L * CLUSTER; // never written: valid on the mirror, served by it under a lease
        await(CONVERGE, "ss2 gives up on the master", () -> {
            try {
                cluster.read("ss2", mirror, valid, CLUSTER);
                return false;
            } catch (CfsException e) {
                return e.code() == ErrorCode.UNAVAILABLE;
            }
        });
        long start = System.nanoTime();
        CfsException e = TestCluster.failure(() -> cluster.read("ss2", mirror, valid, CLUSTER));
        long failMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        assertEquals(ErrorCode.UNAVAILABLE, e.code(), e.getMessage());
        assertTrue(e.getMessage().contains("holds no read lease"), e.getMessage());
        assertTrue(failMillis < 1000, "a mirror without a lease from a silent master fails at once (the client "
                + "reads another member): " + failMillis + " ms");

        reconnect("ss1"); // healed: both on their topology addresses again
        reconnect("ss2");
        awaitEquals(CONVERGE, "ss2:" + mirror + " resynced", 0L, () -> cluster.invalid("ss2", mirror));
        await(CONVERGE, "a read lease for ss2:" + mirror + " again", () -> replica("ss2:" + mirror).leased());
        assertArrayEquals(fresh, cluster.read("ss2", mirror, 0, CLUSTER));
        assertArrayEquals(cluster.fileBytes("ss1", master), cluster.fileBytes("ss2", mirror));
    }

    @ParameterizedTest(name = "{0} pair: master {1}, mirror {2}")
    @CsvSource({"async, a0, a2", "sync, s0, s2"})
    void aMirrorWhoseMasterStoppedKeepsServingWhatItKnowsIsValid(String mode, String master, String mirror)
            throws Exception {
        byte[] old = filled(CLUSTER, 1);
        writtenAndMirrored(master, mirror, old);
        cluster.stop("ss1"); // its address refuses connections now: no write can be acknowledged
        long stopped = System.nanoTime();
        while (System.nanoTime() - stopped < 4 * LEASE.toNanos()) {
            assertArrayEquals(old, cluster.read("ss2", mirror, 0, CLUSTER), "a valid cluster, long after the last "
                    + "grant: the refusals prove the master is not running");
            Thread.sleep(LEASE.toMillis() / 4);
        }
        assertTrue(replica("ss2:" + mirror).leased());
    }

    @ParameterizedTest(name = "{0} pair: master {1}, mirror {2}")
    @CsvSource({"async, a0, a2", "sync, s0, s2"})
    void aMirrorWhoseMasterFellSilentStopsServingWhenItsLeaseEnds(String mode, String master, String mirror)
            throws Exception {
        writtenAndMirrored(master, mirror, filled(CLUSTER, 1));
        cluster.stop("ss1"); // as a host powered off: its address answers nothing
        silent.put("ss1", new ServerSocket(cluster.topology.storage(new StorageId("ss1")).address().getPort(), 50,
                InetAddress.getLoopbackAddress()));
        await(CONVERGE, "ss2 to stop serving", () -> {
            try {
                cluster.read("ss2", mirror, 0, CLUSTER);
                return false;
            } catch (CfsException e) {
                return e.code() == ErrorCode.UNAVAILABLE && e.getMessage().contains("holds no read lease");
            }
        });
    }
}
