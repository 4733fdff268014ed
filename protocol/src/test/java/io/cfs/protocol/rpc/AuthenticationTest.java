package io.cfs.protocol.rpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.cfs.protocol.CfsException;
import io.cfs.protocol.ErrorCode;
import io.cfs.protocol.Frames;
import io.cfs.protocol.LeakCheck;
import io.cfs.protocol.Opcode;
import io.cfs.protocol.message.AttrReply;
import io.cfs.protocol.message.GetAttrRequest;
import io.cfs.protocol.message.Message;
import io.cfs.protocol.message.OpenSessionRequest;
import io.netty.channel.Channel;
import io.netty.channel.EventLoopGroup;
import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import java.io.DataInputStream;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * The authentication of every connection, TLS, and the connection limits, against a real server on
 * a loopback port: peers without the secret are closed before anything is served, with one log line.
 */
@ExtendWith(LeakCheck.class)
class AuthenticationTest {
    static final byte[] SECRET = RpcTest.SECRET;
    static final ClusterCredentials CREDENTIALS = RpcTest.CREDENTIALS;
    static final Duration TIMEOUT = Duration.ofSeconds(5);
    static final InetSocketAddress LOOPBACK = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);

    static EventLoopGroup clientGroup;
    final Deque<AutoCloseable> resources = new ArrayDeque<>();
    final ListAppender<ILoggingEvent> logs = new ListAppender<>();
    final Logger authLog = (Logger) LoggerFactory.getLogger(ServerAuthenticator.class);
    /** The connections the server's handler saw requests on. */
    final Set<Channel> served = ConcurrentHashMap.newKeySet();

    @BeforeAll
    static void startGroup() {
        clientGroup = Transport.newEventLoopGroup("auth-test-client", 1);
    }

    @AfterAll
    static void stopGroup() {
        clientGroup.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    @BeforeEach
    void captureLogs() {
        logs.start();
        authLog.addAppender(logs);
    }

    @AfterEach
    void close() throws Exception {
        authLog.detachAppender(logs);
        while (!resources.isEmpty()) {
            resources.pop().close();
        }
    }

    RpcServer server(ClusterCredentials credentials) throws InterruptedException {
        RpcServer s = RpcServer.start("auth-test", LOOPBACK, 1, credentials, (ch, m) -> {
            served.add(ch);
            return RpcTest.handle(ch, m);
        });
        resources.push(s);
        return s;
    }

    RpcClient client(RpcServer server, ClusterCredentials credentials) {
        RpcClient c = new RpcClient("auth-test-client", server.address(), clientGroup, credentials, TIMEOUT);
        resources.push(c);
        return c;
    }

    List<String> warnings() {
        return logs.list.stream().filter(e -> e.getLevel() == Level.WARN).map(ILoggingEvent::getFormattedMessage).toList();
    }

    static void assertClosedWithoutAnswer(InputStream in) throws IOException {
        try {
            assertEquals(-1, in.read(), "the server answered an unauthenticated peer");
        } catch (SocketTimeoutException e) {
            throw new AssertionError("the server kept the connection of an unauthenticated peer open", e);
        } catch (SocketException e) {
            // reset: closed as well
        }
    }

    /** Reads the challenge every connection starts with; returns its nonce. */
    static byte[] readChallenge(Socket s) throws IOException {
        DataInputStream in = new DataInputStream(s.getInputStream());
        assertEquals(42, in.readInt());
        assertEquals(Opcode.AUTH_CHALLENGE.code(), in.readUnsignedShort());
        in.readLong();
        return in.readNBytes(32);
    }

    @Test
    void aRequestWithoutAuthenticationClosesTheConnectionWithoutAReplyAndIsLoggedOnce() throws Exception {
        RpcServer s = server(CREDENTIALS);
        try (Socket raw = new Socket(s.address().getAddress(), s.address().getPort())) {
            raw.setSoTimeout(10_000);
            readChallenge(raw);
            raw.getOutputStream().write(Frames.frameBytes(Opcode.GET_ATTR.code(), 1, b -> b.writeLong(1)));
            raw.getOutputStream().write(Frames.frameBytes(Opcode.GET_ATTR.code(), 2, b -> b.writeLong(2)));
            assertClosedWithoutAnswer(raw.getInputStream());
            String port = String.valueOf(raw.getLocalPort());
            List<String> w = warnings();
            assertEquals(1, w.size(), w.toString());
            assertTrue(w.get(0).contains(port) && w.get(0).contains("unauthenticated GET_ATTR request"), w.get(0));
        }
        assertTrue(served.isEmpty(), "a request was served without authentication");
        assertEquals(new AttrReply(RpcTest.attr(3)), client(s, CREDENTIALS).call(new GetAttrRequest(3), AttrReply.class));
    }

    @Test
    void aWrongProofIsRefusedWithAuthenticationFailed() throws Exception {
        RpcServer s = server(CREDENTIALS);
        RpcClient good = client(s, CREDENTIALS);
        assertEquals(new AttrReply(RpcTest.attr(1)), good.call(new GetAttrRequest(1), AttrReply.class));

        RpcClient wrong = client(s, ClusterCredentials.of("another cluster's secret".getBytes(StandardCharsets.US_ASCII)));
        for (int i = 0; i < 2; i++) { // and again on the next connection
            CfsException e = assertThrows(CfsException.class, () -> wrong.call(new GetAttrRequest(2), AttrReply.class));
            assertEquals(ErrorCode.AUTHENTICATION_FAILED, e.code());
            assertTrue(e.getMessage().contains("refused the connection: wrong cluster secret"), e.getMessage());
        }
        assertEquals(2, warnings().stream().filter(w -> w.contains("wrong cluster secret")).count(), warnings().toString());
        assertEquals(1, served.size(), "only the good client was served");
        assertEquals(new AttrReply(RpcTest.attr(3)), good.call(new GetAttrRequest(3), AttrReply.class));
    }

    @Test
    void aServerThatCannotProveTheSecretIsRefusedByTheClient() throws Exception {
        try (ServerSocket fake = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            Thread impostor = new Thread(() -> {
                try (Socket s = fake.accept()) {
                    byte[] nonce = new byte[32];
                    s.getOutputStream().write(Frames.frameBytes(Opcode.AUTH_CHALLENGE.code(), 0, b -> b.writeBytes(nonce)));
                    s.getInputStream().readNBytes(4 + 10 + 64); // whatever the client proves
                    s.getOutputStream().write(Frames.frameBytes(Opcode.AUTH_ACCEPTED.code(), 0,
                            b -> b.writeBytes(new byte[32])));
                    s.getInputStream().read(); // until the client hangs up
                } catch (IOException ignored) {
                    // the client closed first
                }
            }, "impostor");
            impostor.setDaemon(true);
            impostor.start();
            RpcClient c = new RpcClient("auth-test-client", (InetSocketAddress) fake.getLocalSocketAddress(), clientGroup,
                    CREDENTIALS, TIMEOUT);
            resources.push(c);
            CfsException e = assertThrows(CfsException.class, () -> c.call(new GetAttrRequest(1), AttrReply.class));
            assertEquals(ErrorCode.AUTHENTICATION_FAILED, e.code());
            assertTrue(e.getMessage().contains("does not hold this cluster's secret"), e.getMessage());
            impostor.join(3000);
            assertFalse(impostor.isAlive(), "the client should have closed the connection");
        }
    }

    @Test
    void aPeerThatDoesNotAnswerTheChallengeIsClosedAfterTheHandshakeTimeout() throws Exception {
        RpcServer s = server(CREDENTIALS.withLimits(Duration.ofMillis(300), 10));
        try (Socket raw = new Socket(s.address().getAddress(), s.address().getPort())) {
            raw.setSoTimeout(10_000);
            readChallenge(raw);
            assertClosedWithoutAnswer(raw.getInputStream());
        }
        assertTrue(warnings().toString().contains("no authentication within 150 ms"), warnings().toString());
    }

    @Test
    void aLargeFrameBeforeAuthenticationIsRefusedWithoutBufferingIt() throws Exception {
        RpcServer s = server(CREDENTIALS);
        try (Socket raw = new Socket(s.address().getAddress(), s.address().getPort())) {
            raw.setSoTimeout(10_000);
            readChallenge(raw);
            raw.getOutputStream().write(ByteBuffer.allocate(14).putInt(4 << 20).putShort((short) Opcode.AUTH_RESPONSE.code())
                    .putLong(0).array());
            assertClosedWithoutAnswer(raw.getInputStream());
        }
        assertTrue(warnings().get(0).contains("expected at most 128 before authentication"), warnings().toString());
    }

    @Test
    void theServerClosesAConnectionIdleForTheTimeout() throws Exception {
        RpcServer s = server(CREDENTIALS.withLimits(Duration.ofMillis(400), 10));
        try (Socket raw = RawPeer.authenticated(s.address(), SECRET)) {
            long start = System.nanoTime();
            raw.setSoTimeout(5000);
            assertClosedWithoutAnswer(raw.getInputStream());
            long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            assertTrue(ms >= 300 && ms < 3000, "closed after " + ms + " ms");
        }
    }

    @Test
    void anIdleClientReconnectsBeforeTheServerWouldCloseAndResendsItsGreeting() throws Exception {
        // the client retires a connection idle for half the timeout (here 500 ms): timers firing late on a
        // loaded machine still leave it half a second before the server would close it
        ClusterCredentials shortIdle = CREDENTIALS.withLimits(Duration.ofMillis(1000), 10);
        RpcServer s = server(shortIdle);
        RpcClient c = client(s, shortIdle);
        AtomicInteger greetings = new AtomicInteger();
        c.greeting(() -> {
            greetings.incrementAndGet();
            return new OpenSessionRequest("idle-test", 0);
        }, reply -> {});
        for (int i = 1; i <= 3; i++) {
            assertEquals(new AttrReply(RpcTest.attr(i)), c.call(new GetAttrRequest(i), AttrReply.class));
            Thread.sleep(1300); // longer than the idle timeout: the connection is retired meanwhile
        }
        assertEquals(3, served.size(), "each call after an idle time on a new connection");
        assertEquals(3, greetings.get(), "the greeting on every new connection");
        assertTrue(warnings().isEmpty(), warnings().toString());
    }

    @Test
    void connectionsBeyondTheMaximumAreClosedAndTheOthersServed() throws Exception {
        RpcServer s = server(CREDENTIALS.withLimits(Duration.ofSeconds(30), 3));
        RpcClient good = client(s, CREDENTIALS);
        assertEquals(new AttrReply(RpcTest.attr(1)), good.call(new GetAttrRequest(1), AttrReply.class));
        List<Socket> flood = new ArrayList<>();
        try {
            for (int i = 0; i < 2; i++) {
                Socket raw = new Socket(s.address().getAddress(), s.address().getPort());
                raw.setSoTimeout(10_000);
                readChallenge(raw); // accepted: it gets a challenge
                flood.add(raw);
            }
            for (int i = 0; i < 20; i++) {
                try (Socket over = new Socket(s.address().getAddress(), s.address().getPort())) {
                    over.setSoTimeout(10_000);
                    assertClosedWithoutAnswer(over.getInputStream());
                }
            }
            assertEquals(new AttrReply(RpcTest.attr(2)), good.call(new GetAttrRequest(2), AttrReply.class));
        } finally {
            for (Socket f : flood) {
                f.close();
            }
        }
        // Slots free up as connections close.
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (true) {
            RpcClient other = client(s, CREDENTIALS);
            try {
                assertEquals(new AttrReply(RpcTest.attr(3)), other.call(new GetAttrRequest(3), AttrReply.class));
                break;
            } catch (CfsException e) {
                if (System.nanoTime() > deadline) {
                    throw e;
                }
                Thread.sleep(50);
            }
        }
    }

    // ---- TLS ----

    static void openssl(Path dir, String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of("openssl"));
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0, "openssl " + command + ": " + out);
    }

    /** A CA {@code name}-ca.pem and a certificate {@code name}.pem / {@code name}.key it signs, for 127.0.0.1. */
    static void certificates(Path dir, String name) throws Exception {
        openssl(dir, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                "-keyout", name + "-ca.key", "-out", name + "-ca.pem", "-days", "2", "-subj", "/CN=" + name + " test CA");
        openssl(dir, "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                "-keyout", name + ".key", "-out", name + ".csr", "-subj", "/CN=localhost");
        java.nio.file.Files.writeString(dir.resolve(name + ".ext"), "subjectAltName=IP:127.0.0.1,DNS:localhost\n");
        openssl(dir, "x509", "-req", "-in", name + ".csr", "-CA", name + "-ca.pem", "-CAkey", name + "-ca.key",
                "-CAcreateserial", "-out", name + ".pem", "-days", "2", "-extfile", name + ".ext");
    }

    static ClusterCredentials tls(Path dir, String cert, String ca) throws Exception {
        File c = dir.resolve(cert + ".pem").toFile();
        File k = dir.resolve(cert + ".key").toFile();
        File a = dir.resolve(ca + "-ca.pem").toFile();
        SslContext server = SslContextBuilder.forServer(c, k).trustManager(a).clientAuth(ClientAuth.REQUIRE).build();
        SslContext client = SslContextBuilder.forClient().keyManager(c, k).trustManager(a).build();
        return CREDENTIALS.withTls(server, client);
    }

    @Test
    void mutualTlsUnderTheAuthentication(@TempDir Path dir) throws Exception {
        certificates(dir, "cluster");
        certificates(dir, "rogue");
        ClusterCredentials cluster = tls(dir, "cluster", "cluster");
        RpcServer s = server(cluster);
        RpcClient good = client(s, cluster);
        assertEquals(new AttrReply(RpcTest.attr(1)), good.call(new GetAttrRequest(1), AttrReply.class));
        byte[] data = io.cfs.protocol.Samples.pattern(100_000);
        Message echoed = good.call(new io.cfs.protocol.message.WriteDataRequest(new io.cfs.topology.VolumeId("v1"), 0,
                io.netty.buffer.Unpooled.wrappedBuffer(data)), Message.class);
        io.cfs.protocol.message.DataReply reply = (io.cfs.protocol.message.DataReply) echoed;
        try {
            assertEquals(data.length, reply.data().readableBytes());
        } finally {
            reply.data().release();
        }

        // A peer without TLS, or with a certificate another CA signed, gets nothing.
        try (Socket plain = RawPeer.connected(s.address())) {
            plain.getOutputStream().write(Frames.frameBytes(Opcode.GET_ATTR.code(), 1, b -> b.writeLong(2)));
            assertClosedWithoutAnswer(plain.getInputStream());
        }
        ClusterCredentials rogue = tls(dir, "rogue", "cluster"); // trusts the cluster, but is not trusted
        CfsException e = assertThrows(CfsException.class,
                () -> client(s, rogue).call(new GetAttrRequest(3), AttrReply.class));
        assertEquals(ErrorCode.UNAVAILABLE, e.code(), e.getMessage());
        assertEquals(1, served.size(), "only the client with a trusted certificate was served");
        assertEquals(new AttrReply(RpcTest.attr(4)), good.call(new GetAttrRequest(4), AttrReply.class));
    }
}
