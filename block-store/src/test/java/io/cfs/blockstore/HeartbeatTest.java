package io.cfs.blockstore;

import static io.cfs.blockstore.TestCluster.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.cfs.protocol.CfsException;
import io.cfs.protocol.ErrorCode;
import io.cfs.protocol.LeakCheck;
import io.cfs.protocol.message.Message;
import io.cfs.protocol.message.MirrorStatus;
import io.cfs.protocol.message.OkReply;
import io.cfs.protocol.message.StorageHeartbeatRequest;
import io.cfs.protocol.rpc.RpcServer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.cfs.topology.StorageId;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * Heartbeats to the metadata server: the sender on its own (no sockets, futures completed by
 * hand), then real storage systems reporting to a fake metadata server that records them.
 */
@ExtendWith(LeakCheck.Collecting.class)
class HeartbeatTest {
    static final Duration WAIT = Duration.ofSeconds(10);
    static final Duration FAST = Duration.ofMillis(30);

    @TempDir
    java.nio.file.Path dir;
    final ListAppender<ILoggingEvent> logs = new ListAppender<>();
    final Logger logger = (Logger) LoggerFactory.getLogger(Heartbeat.class);
    TestCluster cluster;
    RpcServer meta;
    final List<StorageHeartbeatRequest> received = new CopyOnWriteArrayList<>();

    @BeforeEach
    void captureLogs() {
        logs.start();
        logger.addAppender(logs);
    }

    @AfterEach
    void stop() {
        logger.detachAppender(logs);
        if (cluster != null) {
            cluster.close();
        }
        if (meta != null) {
            meta.close();
        }
    }

    List<String> logged(Level level, String storage) {
        return logs.list.stream().filter(e -> e.getLevel() == level)
                .map(ILoggingEvent::getFormattedMessage).filter(m -> m.startsWith("block-store " + storage + ":"))
                .toList();
    }

    // ---- the sender alone ----

    final List<CompletableFuture<Void>> sent = new ArrayList<>();

    Heartbeat sender() {
        StorageHeartbeatRequest beat = new StorageHeartbeatRequest(new StorageId("ss9"), 1, 2, 3, List.of());
        return new Heartbeat(new StorageId("ss9"), "the metadata server at test:1", Duration.ofSeconds(1), () -> beat,
                b -> {
                    CompletableFuture<Void> f = new CompletableFuture<>();
                    sent.add(f);
                    return f;
                }, () -> {});
    }

    @Test
    void atMostOneHeartbeatIsInFlight() {
        Heartbeat h = sender();
        h.beat();
        h.beat();
        h.beat();
        assertEquals(1, sent.size(), "the next beats are skipped while the first waits for its answer");
        sent.get(0).complete(null);
        h.beat();
        assertEquals(2, sent.size());
        assertEquals(1, h.accepted());
    }

    @Test
    void anOutageIsLoggedOnceAndTheRecoveryOnce() {
        Heartbeat h = sender();
        for (int i = 0; i < 20; i++) { // 20 seconds of a metadata server that is down
            h.beat();
            sent.get(sent.size() - 1).completeExceptionally(new CfsException(ErrorCode.UNAVAILABLE, "connection refused"));
        }
        assertEquals(20, sent.size());
        assertTrue(h.failing());
        List<String> warnings = logged(Level.WARN, "ss9");
        assertEquals(1, warnings.size(), warnings.toString());
        assertTrue(warnings.get(0).contains("the metadata server at test:1") && warnings.get(0).contains("connection refused")
                && warnings.get(0).contains("1000 ms"), warnings.get(0));

        for (int i = 0; i < 5; i++) {
            h.beat();
            sent.get(sent.size() - 1).complete(null);
        }
        assertFalse(h.failing());
        List<String> recoveries = logged(Level.INFO, "ss9");
        assertEquals(1, recoveries.size(), recoveries.toString());
        assertTrue(recoveries.get(0).contains("20 failed meanwhile"), recoveries.get(0));

        // A metadata server that does not understand heartbeats: one more outage, one more warning.
        for (int i = 0; i < 3; i++) {
            h.beat();
            sent.get(sent.size() - 1).completeExceptionally(new CfsException(ErrorCode.UNSUPPORTED, "no STORAGE_HEARTBEAT"));
        }
        assertEquals(2, logged(Level.WARN, "ss9").size());
    }

    @Test
    void aFailureToBuildTheReportIsAFailedHeartbeat() {
        Heartbeat h = new Heartbeat(new StorageId("ss9"), "the metadata server at test:1", Duration.ofSeconds(1),
                () -> {
                    throw new IllegalStateException("broken");
                }, b -> CompletableFuture.completedFuture(null), () -> {});
        h.beat();
        h.beat();
        assertTrue(h.failing());
        assertEquals(1, logged(Level.WARN, "ss9").size());
    }

    // ---- real storage systems and a fake metadata server ----

    static final String TOPOLOGY = MirroringTest.TOPOLOGY;

    /** Starts a fake metadata server on the topology's metadata address; {@code answer} false: it never answers. */
    RpcServer startMeta(boolean answer) throws Exception {
        InetSocketAddress a = cluster.topology.metadata().address();
        return RpcServer.start("fake-meta", new InetSocketAddress("127.0.0.1", a.getPort()), 1, TestCluster.CREDENTIALS,
                (channel, request) -> {
            if (request instanceof StorageHeartbeatRequest beat) {
                received.add(beat);
            }
            return answer ? CompletableFuture.completedFuture((Message) new OkReply()) : new CompletableFuture<>();
        }, new SimpleMeterRegistry());
    }

    BlockStoreOptions fast() {
        return BlockStoreOptions.defaults().withPeerTimeout(Duration.ofSeconds(5)).withHeartbeat(FAST);
    }

    StorageHeartbeatRequest last(String storage) {
        for (int i = received.size() - 1; i >= 0; i--) {
            if (received.get(i).storage().value().equals(storage)) {
                return received.get(i);
            }
        }
        return null;
    }

    long count(String storage) {
        return received.stream().filter(b -> b.storage().value().equals(storage)).count();
    }

    @Test
    void everyStorageSystemReportsItsCacheAndTheMirrorsOfItsMasters() throws Exception {
        cluster = new TestCluster(dir, TOPOLOGY, "meta", "ss1", "ss2");
        meta = startMeta(true);
        cluster.start("ss1", fast());
        cluster.start("ss2", fast());
        await(WAIT, "heartbeats from both", () -> last("ss1") != null && last("ss2") != null);
        assertEquals(List.of(), last("ss2").mirrors(), "ss2 holds no master");
        Set<String> members = last("ss1").mirrors().stream().map(m -> m.pair() + "/" + m.member())
                .collect(Collectors.toSet());
        assertEquals(Set.of("pa/1", "pa/2", "ps/1", "ps/2"), members);

        byte[] data = new byte[3 * MirroringTest.CLUSTER];
        new Random(7).nextBytes(data);
        cluster.store("ss1").pauseSync(true);
        cluster.write("ss1", "a0", 0, data);
        cluster.read("ss1", "a0", 0, data.length); // 3 misses
        cluster.read("ss1", "a0", 0, data.length); // 3 hits
        await(WAIT, "a heartbeat with the cache counters and the invalid clusters", () -> {
            StorageHeartbeatRequest b = last("ss1");
            return b.cacheHits() == 3 && b.cacheMisses() == 3 && b.cacheBytes() == data.length
                    && invalid(b, "pa", 1) == 3 && invalid(b, "pa", 2) == 3;
        });
        cluster.store("ss1").pauseSync(false);
        await(WAIT, "a heartbeat showing the resync done", () -> {
            StorageHeartbeatRequest b = last("ss1");
            return invalid(b, "pa", 1) == 0 && invalid(b, "pa", 2) == 0 && copied(b, "pa", 2) == data.length;
        });
        assertTrue(logged(Level.WARN, "ss1").isEmpty(), logged(Level.WARN, "ss1").toString());
    }

    static long invalid(StorageHeartbeatRequest b, String pair, int member) {
        return mirror(b, pair, member).invalidClusters();
    }

    static long copied(StorageHeartbeatRequest b, String pair, int member) {
        return mirror(b, pair, member).copiedBytes();
    }

    static MirrorStatus mirror(StorageHeartbeatRequest b, String pair, int member) {
        return b.mirrors().stream().filter(m -> m.pair().value().equals(pair) && m.member() == member).findFirst()
                .orElseThrow();
    }

    @Test
    void aMetadataServerOutageIsLoggedOnceAndVolumesAreServedThroughout() throws Exception {
        cluster = new TestCluster(dir, TOPOLOGY, "meta", "ss1", "ss2");
        meta = startMeta(true);
        cluster.start("ss1", fast());
        cluster.start("ss2", fast());
        await(WAIT, "a heartbeat", () -> last("ss1") != null);

        meta.close();
        meta = null;
        await(WAIT, "the outage to be noticed", () -> cluster.store("ss1").heartbeat().failing());
        byte[] data = new byte[5000];
        new Random(3).nextBytes(data);
        for (int i = 0; i < 10; i++) { // ~10 failed heartbeats meanwhile
            cluster.write("ss1", "s0", i * 5000L, data);
            assertArrayEquals(data, cluster.read("ss2", "s2", i * 5000L, data.length));
            Thread.sleep(FAST.toMillis());
        }
        long before = count("ss1");
        meta = startMeta(true);
        await(WAIT, "heartbeats to resume", () -> count("ss1") > before && !cluster.store("ss1").heartbeat().failing());
        assertEquals(1, logged(Level.WARN, "ss1").size(), logged(Level.WARN, "ss1").toString());
        assertEquals(1, logged(Level.INFO, "ss1").size(), logged(Level.INFO, "ss1").toString());
        assertTrue(logged(Level.INFO, "ss1").get(0).contains("accepts heartbeats again"));
    }

    @Test
    void aMetadataServerThatNeverAnswersGetsOneHeartbeatAtATime() throws Exception {
        cluster = new TestCluster(dir, TOPOLOGY, "meta", "ss1", "ss2");
        meta = startMeta(false);
        cluster.start("ss1", fast());
        await(WAIT, "a heartbeat", () -> count("ss1") == 1);
        byte[] data = new byte[4096];
        cluster.write("ss1", "a0", 0, data); // the I/O path does not wait for the heartbeat
        assertArrayEquals(data, cluster.read("ss1", "a0", 0, data.length));
        Thread.sleep(10 * FAST.toMillis()); // ten intervals: an absence cannot be awaited
        assertEquals(1, count("ss1"), "no second heartbeat while the first waits for its answer");
    }
}
