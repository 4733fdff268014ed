package io.cfs.blockstore;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import io.cfs.protocol.CfsException;
import io.cfs.protocol.FreePorts;
import io.cfs.protocol.message.ChecksumReply;
import io.cfs.protocol.message.ChecksumRequest;
import io.cfs.protocol.message.CountInvalidRequest;
import io.cfs.protocol.message.CountReply;
import io.cfs.protocol.message.DataReply;
import io.cfs.protocol.message.FlushRequest;
import io.cfs.protocol.message.MarkInvalidRequest;
import io.cfs.protocol.message.MirrorBitmapRequest;
import io.cfs.protocol.message.OkReply;
import io.cfs.protocol.message.ReadDataRequest;
import io.cfs.protocol.message.VolumeInfoReply;
import io.cfs.protocol.message.VolumeInfoRequest;
import io.cfs.protocol.message.WriteDataRequest;
import io.cfs.protocol.rpc.ClusterCredentials;
import io.cfs.protocol.rpc.RpcClient;
import io.cfs.protocol.rpc.Transport;
import io.cfs.topology.PairId;
import io.cfs.topology.StorageId;
import io.cfs.topology.Topology;
import io.cfs.topology.VolumeId;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.EventLoopGroup;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.BitSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * Storage systems of one topology running in this JVM on free loopback ports, with a client
 * connection to each. The topology template names ports as {@code {ss1}}, {@code {meta}}.
 */
final class TestCluster implements AutoCloseable {
    /** The cluster secret of in-process tests. */
    static final ClusterCredentials CREDENTIALS = ClusterCredentials.of(
            "the secret of the block-store tests".getBytes(java.nio.charset.StandardCharsets.US_ASCII));

    final Path dir;
    final Topology topology;
    private final Map<String, BlockStore> stores = new HashMap<>();
    private final Map<String, RpcClient> clients = new HashMap<>();
    private final EventLoopGroup group = Transport.newEventLoopGroup("test-client", 2);

    TestCluster(Path dir, String template, String... names) throws Exception {
        this.dir = dir;
        String text = template;
        for (String name : names) {
            text = text.replace("{" + name + "}", Integer.toString(FreePorts.next()));
        }
        Path file = dir.resolve("cluster.topology");
        Files.writeString(file, text);
        this.topology = Topology.load(file);
    }


    BlockStore start(String ss) throws Exception {
        return start(ss, BlockStoreOptions.defaults().withPeerTimeout(Duration.ofSeconds(5)));
    }

    BlockStore start(String ss, BlockStoreOptions options) throws Exception {
        BlockStore store = BlockStore.start(topology, new StorageId(ss), CREDENTIALS, options);
        stores.put(ss, store);
        return store;
    }

    BlockStore store(String ss) {
        return stores.get(ss);
    }

    void stop(String ss) {
        RpcClient c = clients.remove(ss);
        if (c != null) {
            c.close();
        }
        BlockStore s = stores.remove(ss);
        if (s != null) {
            s.close();
        }
    }

    RpcClient client(String ss) {
        return clients.computeIfAbsent(ss, id -> {
            InetSocketAddress a = stores.get(id).address();
            return new RpcClient("test->" + id, new InetSocketAddress("127.0.0.1", a.getPort()), group,
                    CREDENTIALS, Duration.ofSeconds(10));
        });
    }

    void write(String ss, String volume, long offset, byte[] bytes) {
        ByteBuf data = PooledByteBufAllocator.DEFAULT.directBuffer(bytes.length).writeBytes(bytes);
        client(ss).call(new WriteDataRequest(new VolumeId(volume), offset, data), OkReply.class);
    }

    byte[] read(String ss, String volume, long offset, int length) {
        DataReply reply = client(ss).call(new ReadDataRequest(new VolumeId(volume), offset, length), DataReply.class);
        try {
            return ByteBufUtil.getBytes(reply.data());
        } finally {
            reply.data().release();
        }
    }

    void flush(String ss, String volume) {
        client(ss).call(new FlushRequest(new VolumeId(volume)), OkReply.class);
    }

    long invalid(String ss, String volume) {
        return client(ss).call(new VolumeInfoRequest(new VolumeId(volume)), VolumeInfoReply.class).invalidClusters();
    }

    /** Asks storage system {@code ss} for its Bitmap Table row of a mirror, as a mirror's storage system does. */
    BitSet mirrorBitmap(String ss, String pair, int member, boolean fresh) {
        DataReply reply = client(ss).call(new MirrorBitmapRequest(new PairId(pair), member, fresh), DataReply.class);
        try {
            return BitSet.valueOf(ByteBufUtil.getBytes(reply.data()));
        } finally {
            reply.data().release();
        }
    }

    /** The CRC32C of {@code count} clusters of a volume as stored on {@code ss}. */
    List<Long> checksums(String ss, String volume, long firstCluster, int count) {
        return client(ss).call(new ChecksumRequest(new VolumeId(volume), firstCluster, count), ChecksumReply.class)
                .checksums();
    }

    /** Asks {@code ss} (the master's) how many clusters of a range are invalid on a member of a pair. */
    long countInvalid(String ss, String pair, int member, long offset, long length) {
        return client(ss).call(new CountInvalidRequest(new PairId(pair), member, offset, length), CountReply.class)
                .count();
    }

    /** Asks {@code ss} (the master's) to mark clusters of a mirror invalid. */
    void markInvalid(String ss, String pair, int member, long firstCluster, int count) {
        client(ss).call(new MarkInvalidRequest(new PairId(pair), member, firstCluster, count), OkReply.class);
    }

    /** The fresh mark of a mirror held by {@code ss} for a master elsewhere. */
    Path freshFile(String ss, String volume) {
        return BlockStore.freshFile(topology.storage(new StorageId(ss)).data(), new VolumeId(volume));
    }

    Path file(String ss, String volume) {
        return BlockStore.volumeFile(topology.storage(new StorageId(ss)).data(), new VolumeId(volume));
    }

    byte[] fileBytes(String ss, String volume) throws IOException {
        return Files.readAllBytes(file(ss, volume));
    }

    /** Calls a request expected to fail and returns its error. */
    static CfsException failure(Runnable call) {
        try {
            call.run();
        } catch (CfsException e) {
            return e;
        }
        throw new AssertionError("expected the call to fail");
    }

    /** Waits until {@code condition} holds, failing with {@code what} after {@code timeout}. */
    static void await(Duration timeout, String what, BooleanSupplier condition) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                fail("timed out after " + timeout.toMillis() + " ms waiting for " + what);
            }
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                fail("interrupted waiting for " + what);
            }
        }
    }

    /** Waits until {@code actual} equals {@code expected}, reporting the last value on timeout. */
    static <T> void awaitEquals(Duration timeout, String what, T expected, Supplier<T> actual) {
        long deadline = System.nanoTime() + timeout.toNanos();
        T last;
        while (!expected.equals(last = actual.get())) {
            if (System.nanoTime() > deadline) {
                assertEquals(expected, last, "timed out after " + timeout.toMillis() + " ms waiting for " + what);
            }
            try {
                TimeUnit.MILLISECONDS.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                fail("interrupted waiting for " + what);
            }
        }
    }

    @Override
    public void close() {
        clients.values().forEach(RpcClient::close);
        clients.clear();
        stores.values().forEach(BlockStore::close);
        stores.clear();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }
}
