package io.cfs.blockstore;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cfs.protocol.LeakCheck;
import io.cfs.protocol.message.DataReply;
import io.cfs.protocol.message.Message;
import io.cfs.protocol.message.OkReply;
import io.cfs.protocol.message.ReadDataRequest;
import io.cfs.protocol.message.WriteDataRequest;
import io.cfs.topology.VolumeId;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The per-volume disk bandwidth limit of a real storage system whose clock stands still until the
 * test moves it: two clusters a second per volume, one second banked at the start.
 */
@ExtendWith(LeakCheck.Collecting.class)
class VolumeBandwidthTest {
    static final int CLUSTER = 16 << 10;
    static final String TOPOLOGY = """
            cluster  block-size=64KiB cluster-size=16KiB
            metadata address=127.0.0.1:{meta} data=meta
            storage  ss1 address=127.0.0.1:{ss1} data=ss1
            volume   ss1:v1 capacity=1MiB
            volume   ss1:v2 capacity=1MiB
            pair     p1 mode=sync master=ss1:v1
            pair     p2 mode=sync master=ss1:v2
            """;
    static final long SECOND = TimeUnit.SECONDS.toNanos(1);

    @TempDir
    java.nio.file.Path dir;
    TestCluster cluster;
    final AtomicLong now = new AtomicLong();
    /** Replies a failing test may leave unread: released after it. */
    final List<CompletableFuture<Message>> pending = new ArrayList<>();

    @BeforeEach
    void start() throws Exception {
        cluster = new TestCluster(dir, TOPOLOGY, "meta", "ss1");
        cluster.start("ss1", BlockStoreOptions.defaults().withListen(new InetSocketAddress("127.0.0.1", 0))
                .withTicker(now::get).withVolumeBandwidth(2 * CLUSTER));
    }

    @AfterEach
    void stop() {
        for (CompletableFuture<Message> f : pending) {
            f.thenAccept(m -> {
                if (m instanceof DataReply d) {
                    d.data().release();
                }
            });
        }
        cluster.close();
    }

    CompletableFuture<Message> readAsync(String volume, long cluster) {
        CompletableFuture<Message> f = this.cluster.client("ss1").call(new ReadDataRequest(new VolumeId(volume),
                cluster * CLUSTER, CLUSTER));
        pending.add(f);
        return f;
    }

    /** The bytes of a read's reply (released), waiting for it at most 10 s. */
    byte[] bytes(CompletableFuture<Message> f) throws Exception {
        DataReply d = (DataReply) within(f);
        try {
            return ByteBufUtil.getBytes(d.data());
        } finally {
            d.data().release();
        }
    }

    Message within(CompletableFuture<Message> f) throws Exception {
        pending.remove(f);
        return f.get(10, TimeUnit.SECONDS);
    }

    @Test
    void readsAndWritesWaitForTheirVolumesTokensButCacheHitsDoNot() throws Exception {
        byte[] data = new byte[CLUSTER];
        new Random(1).nextBytes(data);
        // The banked second: two clusters of disk traffic on v1 (this write and the read that fills the cache).
        cluster.write("ss1", "v1", 0, data);
        assertArrayEquals(data, bytes(readAsync("v1", 0)));

        CompletableFuture<Message> waiting = readAsync("v1", 1);
        assertArrayEquals(data, bytes(readAsync("v1", 0)), "a cache hit is not limited");
        assertEquals(0, bytes(readAsync("v2", 0))[0], "another volume has its own limit");
        Thread.sleep(300); // the clock stands still: nothing may happen (an absence cannot be awaited)
        assertFalse(waiting.isDone(), "v1 has used its two clusters of this second");
        CompletableFuture<Message> write = cluster.client("ss1").call(new WriteDataRequest(new VolumeId("v1"),
                2 * CLUSTER, Unpooled.wrappedBuffer(data)));
        pending.add(write);
        Thread.sleep(100);
        assertFalse(write.isDone(), "a write waits behind the read");

        now.addAndGet(SECOND);
        assertEquals(CLUSTER, bytes(waiting).length);
        assertTrue(within(write) instanceof OkReply, "two clusters a second: the read and the write");
        CompletableFuture<Message> next = readAsync("v1", 3);
        Thread.sleep(300);
        assertFalse(next.isDone());
        now.addAndGet(SECOND);
        bytes(next);
        assertEquals(5L * CLUSTER, cluster.store("ss1").volume("v1").bytesRead()
                + cluster.store("ss1").volume("v1").bytesWritten(), "what touched v1's disk");
    }
}
