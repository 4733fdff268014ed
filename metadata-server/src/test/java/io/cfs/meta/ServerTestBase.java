package io.cfs.meta;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.cfs.meta.namespace.Namespace;
import io.cfs.protocol.CfsException;
import io.cfs.protocol.ErrorCode;
import io.cfs.protocol.message.AttrReply;
import io.cfs.protocol.message.FileAttr;
import io.cfs.protocol.message.Message;
import io.cfs.protocol.rpc.ClusterCredentials;
import io.cfs.protocol.rpc.RpcClient;
import io.cfs.protocol.rpc.Transport;
import io.cfs.topology.PairId;
import io.cfs.topology.Topology;
import io.netty.channel.EventLoopGroup;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;

/** A metadata server on a free port over the two-pair test topology, a test clock, and RPC clients. */
abstract class ServerTestBase {
    static final ClusterCredentials CREDENTIALS = ClusterCredentials.of(TestTopologies.SECRET);

    static final long ROOT = Namespace.ROOT;
    static final PairId P1 = new PairId("p1");
    static final PairId P2 = new PairId("p2");

    @TempDir
    Path dir;

    final MutableClock clock = new MutableClock(Instant.ofEpochSecond(1_700_000_000L, 42));
    EventLoopGroup group;
    MetadataServer server;
    final List<RpcClient> clients = new ArrayList<>();

    @BeforeEach
    void setUp() throws IOException {
        group = Transport.newEventLoopGroup("test-client", 1);
        server = start();
    }

    @AfterEach
    void tearDown() {
        clients.forEach(RpcClient::close);
        if (server != null) {
            server.close();
        }
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    /** The options every start uses; tests change them before starting again. */
    MetadataOptions options() {
        return MetadataOptions.defaults()
                .withListen(new InetSocketAddress("127.0.0.1", 0))
                .withDataDir(dir.resolve("meta"))
                .withClock(clock);
    }

    MetadataServer start() throws IOException {
        return start(options());
    }

    MetadataServer start(MetadataOptions options) throws IOException {
        Topology topology = TestTopologies.twoPairs(dir);
        return MetadataServer.start(topology, CREDENTIALS, options);
    }

    RpcClient client() {
        RpcClient c = new RpcClient("test", server.address(), group, CREDENTIALS, java.time.Duration.ofSeconds(10));
        clients.add(c);
        return c;
    }

    static FileAttr attr(RpcClient c, Message request) {
        return c.call(request, AttrReply.class).attr();
    }

    static CfsException fails(ErrorCode code, Runnable call) {
        CfsException e = assertThrows(CfsException.class, call::run);
        assertEquals(code, e.code(), e.getMessage());
        return e;
    }

    static void eventually(String what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting until " + what);
            }
            Thread.sleep(10);
        }
    }
}
