package io.cfs.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cfs.protocol.CfsException;
import io.cfs.protocol.ErrorCode;
import io.cfs.protocol.Opcode;
import io.cfs.protocol.message.AttrReply;
import io.cfs.protocol.message.GetAttrRequest;
import io.cfs.protocol.message.Message;
import io.cfs.protocol.message.VolumeInfoReply;
import io.cfs.protocol.message.VolumeInfoRequest;
import io.cfs.protocol.rpc.ClusterCredentials;
import io.cfs.protocol.rpc.RpcClient;
import io.cfs.protocol.rpc.Transport;
import io.cfs.topology.StorageSpec;
import io.cfs.topology.Topology;
import io.cfs.topology.VolumeSpec;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.EventLoopGroup;
import java.io.DataInputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The cluster secret, checked by real daemons: a client that does not authenticate, or that
 * holds another secret, is refused by the metadata server and by every block-store, and the admin
 * commands refuse a secret file others can read.
 */
@Timeout(value = 10, unit = TimeUnit.MINUTES)
class SecurityIT {
    private static final Duration TIMEOUT = Duration.ofSeconds(10);
    private static LocalCluster cluster;
    private static Topology topology;
    private static EventLoopGroup group;

    @BeforeAll
    static void start() throws Exception {
        FuseAvailable.assume();
        cluster = new LocalCluster("security").up();
        topology = Topology.load(cluster.topology());
        group = Transport.newEventLoopGroup("security-it", 1);
    }

    @AfterAll
    static void stop() throws Exception {
        if (group != null) {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        }
        if (cluster != null) {
            cluster.close();
        }
    }

    /** Every daemon by its log name, with a well-formed request it would serve an authenticated client. */
    static Map<String, Target> targets() {
        Map<String, Target> targets = new LinkedHashMap<>();
        targets.put("meta", new Target(topology.metadata().address(), new GetAttrRequest(1)));
        for (StorageSpec ss : topology.storages().values()) {
            VolumeSpec volume = topology.volumesOf(ss.id()).get(0);
            targets.put(ss.id().value(), new Target(ss.address(), new VolumeInfoRequest(volume.address().volume())));
        }
        return targets;
    }

    record Target(InetSocketAddress address, Message request) {
        InetSocketAddress resolved() {
            return new InetSocketAddress(address.getHostString(), address.getPort());
        }
    }

    static byte[] frame(Message request) {
        ByteBuf b = Unpooled.buffer();
        try {
            b.writeInt(0);
            b.writeShort(request.opcode().code());
            b.writeLong(1);
            request.encode(b);
            b.setInt(0, b.readableBytes() - 4);
            return ByteBufUtil.getBytes(b);
        } finally {
            b.release();
        }
    }

    @Test
    void everyDaemonClosesAConnectionThatSendsARequestWithoutAuthenticating() throws Exception {
        for (var e : targets().entrySet()) {
            InetSocketAddress a = e.getValue().resolved();
            int localPort;
            try (Socket raw = new Socket(a.getAddress(), a.getPort())) {
                raw.setSoTimeout(5000);
                localPort = raw.getLocalPort();
                DataInputStream in = new DataInputStream(raw.getInputStream());
                assertEquals(2 + 8 + 32, in.readInt(), e.getKey() + ": the challenge comes first");
                assertEquals(Opcode.AUTH_CHALLENGE.code(), in.readUnsignedShort(), e.getKey());
                in.skipNBytes(8 + 32);
                raw.getOutputStream().write(frame(e.getValue().request()));
                try {
                    assertEquals(-1, in.read(), e.getKey() + " answered a request without authentication");
                } catch (SocketTimeoutException t) {
                    throw new AssertionError(e.getKey() + " kept an unauthenticated connection open", t);
                } catch (SocketException reset) {
                    // closed too
                }
            }
            String log = awaitLog(e.getKey(), ":" + localPort + ": unauthenticated " + e.getValue().request().opcode());
            assertEquals(1, log.lines().filter(l -> l.contains(":" + localPort + ":")).count(),
                    e.getKey() + " logs a refused connection once:\n" + log);
        }
    }

    @Test
    void everyDaemonRefusesAClientWithAnotherSecretAndServesTheRightOne() throws Exception {
        ClusterCredentials right = ClusterCredentials.load(topology);
        ClusterCredentials wrong = ClusterCredentials.of("not the secret of this cluster".getBytes(StandardCharsets.US_ASCII));
        for (var e : targets().entrySet()) {
            Target t = e.getValue();
            try (RpcClient c = new RpcClient("it-wrong->" + e.getKey(), t.resolved(), group, wrong, TIMEOUT)) {
                CfsException refused = assertThrows(CfsException.class, () -> c.call(t.request(), Message.class),
                        e.getKey() + " served a client with the wrong secret");
                assertEquals(ErrorCode.AUTHENTICATION_FAILED, refused.code(), refused.getMessage());
                assertTrue(refused.getMessage().contains("refused the connection: wrong cluster secret"), refused.getMessage());
            }
            awaitLog(e.getKey(), "wrong cluster secret");
            try (RpcClient c = new RpcClient("it->" + e.getKey(), t.resolved(), group, right, TIMEOUT)) {
                Message reply = c.call(t.request(), Message.class);
                assertTrue(reply instanceof AttrReply || reply instanceof VolumeInfoReply, e.getKey() + ": " + reply);
            }
        }
    }

    @Test
    void theAdminCommandsNeedTheSameSecretInAPrivateFile() throws Exception {
        Path other = cluster.dir.resolve("other-secret");
        Files.createDirectories(other);
        Path conf = other.resolve("cluster.conf");
        Files.writeString(conf, Files.readString(cluster.topology()));
        Path secret = other.resolve("cluster.secret");
        Files.writeString(secret, "another cluster's secret, 32 bytes\n");
        Files.setPosixFilePermissions(secret, PosixFilePermissions.fromString("rw-------"));
        Shell.Result wrong = Shell.run(TIMEOUT.multipliedBy(3), cluster.dir, LocalCluster.cfs(), "status",
                "--config", conf.toString());
        assertNotEquals(0, wrong.exitCode(), wrong.output());
        assertTrue(wrong.output().contains("wrong cluster secret"), wrong.output());

        Files.setPosixFilePermissions(secret, PosixFilePermissions.fromString("rw-r--r--"));
        Shell.Result open = Shell.run(TIMEOUT.multipliedBy(3), cluster.dir, LocalCluster.cfs(), "status",
                "--config", conf.toString());
        assertNotEquals(0, open.exitCode(), open.output());
        assertTrue(open.output().contains("run: chmod 600 " + secret), open.output());

        assertEquals(0, cluster.cfs("status").exitCode(), "the cluster's own secret works");
    }

    /** Waits (briefly: the daemon logs as it closes) for a line in a daemon's log; returns the log. */
    static String awaitLog(String daemon, String text) throws IOException, InterruptedException {
        Path file = cluster.dir.resolve("logs").resolve(daemon + ".log");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (true) {
            String log = Files.readString(file);
            if (log.contains(text)) {
                return log;
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError(daemon + ".log lacks '" + text + "':\n" + log);
            }
            Thread.sleep(50);
        }
    }
}
