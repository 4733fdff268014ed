package io.cfs.protocol.rpc;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cfs.protocol.CfsException;
import io.cfs.protocol.ErrorCode;
import io.cfs.protocol.Frames;
import io.cfs.protocol.LeakCheck;
import io.cfs.protocol.Opcode;
import io.cfs.protocol.Wire;
import io.cfs.protocol.message.AttrReply;
import io.cfs.protocol.message.CloseRequest;
import io.cfs.protocol.message.DataReply;
import io.cfs.protocol.message.FileAttr;
import io.cfs.protocol.message.FileType;
import io.cfs.protocol.message.GetAttrRequest;
import io.cfs.protocol.message.LookupRequest;
import io.cfs.protocol.message.Message;
import io.cfs.protocol.message.OkReply;
import io.cfs.protocol.message.ReadDataRequest;
import io.cfs.protocol.message.ReadDirRequest;
import io.cfs.protocol.message.RemoveRequest;
import io.cfs.protocol.message.StatFsRequest;
import io.cfs.protocol.message.Timespec;
import io.cfs.protocol.message.WriteDataRequest;
import io.cfs.topology.VolumeId;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.Channel;
import io.netty.channel.EventLoopGroup;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** RpcServer and RpcClient over loopback TCP. */
@ExtendWith(LeakCheck.class)
@Timeout(value = 15, unit = TimeUnit.SECONDS)
class RpcTest {
    private static final Duration SHORT = Duration.ofMillis(300);
    private static final Duration LONG = Duration.ofSeconds(5);
    static final byte[] SECRET = "the secret of the rpc tests".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    static final ClusterCredentials CREDENTIALS = ClusterCredentials.of(SECRET);
    private static final InetSocketAddress ANY_LOOPBACK_PORT = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);

    private static EventLoopGroup clientGroup;
    private final Deque<AutoCloseable> resources = new ArrayDeque<>();
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();

    @BeforeAll
    static void startClientGroup() {
        clientGroup = Transport.newEventLoopGroup("rpc-test-client", 2);
    }

    @AfterAll
    static void stopClientGroup() {
        clientGroup.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    @AfterEach
    void closeResources() throws Exception {
        while (!resources.isEmpty()) {
            resources.pop().close();
        }
    }

    static FileAttr attr(long inode) {
        Timespec t = new Timespec(inode, 0);
        return new FileAttr(inode, FileType.REGULAR, 0644, 1, 0, 0, 0, inode * 10, t, t, t);
    }

    /**
     * The test server: GET_ATTR answers the inode's attributes, WRITE_DATA echoes its data as a
     * DATA reply, LOOKUP "missing" throws NOT_FOUND, READ_DIR fails asynchronously with
     * NOT_A_DIRECTORY, REMOVE throws an unexpected exception, STAT_FS never answers, READ_DATA
     * answers 4 KiB after 700 ms; anything else is OK.
     */
    static CompletionStage<? extends Message> handle(Channel ch, Message m) {
        if (m instanceof GetAttrRequest g) {
            return CompletableFuture.completedFuture(new AttrReply(attr(g.inode())));
        }
        if (m instanceof WriteDataRequest w) {
            return CompletableFuture.completedFuture(new DataReply(w.data())); // the reply takes over the data
        }
        if (m instanceof LookupRequest l && l.name().equals("missing")) {
            throw new CfsException(ErrorCode.NOT_FOUND, "no entry 'missing' in " + l.parent());
        }
        if (m instanceof LookupRequest l && l.name().length() > 255) {
            // A detail that quotes the request can exceed what a wire string holds.
            throw new CfsException(ErrorCode.NAME_TOO_LONG, "name '" + l.name() + "' is longer than 255 bytes");
        }
        if (m instanceof ReadDirRequest r) {
            return CompletableFuture.failedFuture(new CfsException(ErrorCode.NOT_A_DIRECTORY, "inode " + r.inode()
                    + " is not a directory"));
        }
        if (m instanceof RemoveRequest) {
            throw new IllegalStateException("boom in the handler");
        }
        if (m instanceof StatFsRequest) {
            return new CompletableFuture<>();
        }
        if (m instanceof ReadDataRequest r) {
            CompletableFuture<Message> late = new CompletableFuture<>();
            ch.eventLoop().schedule(() -> {
                ByteBuf data = ch.alloc().buffer(r.length());
                data.writeZero(r.length());
                if (!late.complete(new DataReply(data))) {
                    data.release();
                }
            }, 700, TimeUnit.MILLISECONDS);
            return late;
        }
        if (m instanceof io.cfs.protocol.message.DataMessage d) {
            d.data().release(); // the handler owns a request's data
        }
        return CompletableFuture.completedFuture(new OkReply());
    }

    private RpcServer server(InetSocketAddress address, RequestHandler handler) throws InterruptedException {
        RpcServer s = RpcServer.start("test-server", address, 1, CREDENTIALS, handler, registry);
        resources.push(s);
        return s;
    }

    private RpcServer server() throws InterruptedException {
        return server(ANY_LOOPBACK_PORT, RpcTest::handle);
    }

    private RpcClient client(InetSocketAddress remote, Duration timeout) {
        RpcClient c = new RpcClient("test-client", remote, clientGroup, CREDENTIALS, timeout);
        resources.push(c);
        return c;
    }

    private static CfsException callFails(RpcClient c, Message request) {
        return assertThrows(CfsException.class, () -> c.call(request, Message.class), "call of " + request.opcode());
    }

    @Test
    void answersARequest() throws Exception {
        RpcServer s = server();
        assertTrue(s.address().getPort() > 0, "port 0 should bind a real port");
        RpcClient c = client(s.address(), LONG);
        assertEquals(new AttrReply(attr(5)), c.call(new GetAttrRequest(5), AttrReply.class));
        assertEquals(new OkReply(), c.call(new CloseRequest(0), OkReply.class));
    }

    @Test
    void metersCountRequestsResultsBytesAndConnections() throws Exception {
        RpcServer s = server();
        RpcClient c = client(s.address(), LONG);
        assertEquals(new AttrReply(attr(5)), c.call(new GetAttrRequest(5), AttrReply.class));
        assertEquals(new AttrReply(attr(6)), c.call(new GetAttrRequest(6), AttrReply.class));
        assertEquals(ErrorCode.NOT_FOUND, callFails(c, new LookupRequest(1, "missing")).code());
        assertEquals(ErrorCode.INTERNAL, callFails(c, new RemoveRequest(1, "x", false)).code());
        ByteBuf data = ByteBufAllocator.DEFAULT.buffer(10_000).writeZero(10_000);
        c.call(new WriteDataRequest(new VolumeId("v1"), 0, data), DataReply.class).data().release();

        assertEquals(2, timer("GET_ATTR", "ok").count());
        assertTrue(timer("GET_ATTR", "ok").totalTime(TimeUnit.NANOSECONDS) > 0);
        assertEquals(1, timer("LOOKUP", "not_found").count());
        assertEquals(1, timer("REMOVE", "internal").count());
        assertEquals(1, timer("WRITE_DATA", "ok").count());
        assertTrue(registry.find("cfs.rpc.server.requests").tags("op", "LOOKUP", "result", "ok").timer() == null,
                "no series for a result that never happened");
        // whole frames: length field, opcode, request id, then the body (WRITE_DATA: volume, offset, data)
        assertEquals(4 + 2 + 8 + (2 + 2) + 8 + 10_000, bytes("cfs.rpc.server.received", "WRITE_DATA"));
        assertTrue(bytes("cfs.rpc.server.sent", "DATA") >= 10_000, "the DATA reply carries the data back");
        assertEquals(2 * (4 + 2 + 8 + 8), bytes("cfs.rpc.server.received", "GET_ATTR"));
        assertTrue(bytes("cfs.rpc.server.sent", "ERROR") > 0);
        assertEquals(1, registry.get("cfs.rpc.server.connections").gauge().value());
        c.close();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (registry.get("cfs.rpc.server.connections").gauge().value() != 0 && System.nanoTime() < deadline) {
            Thread.onSpinWait();
        }
        assertEquals(0, registry.get("cfs.rpc.server.connections").gauge().value(), "closed connections are not open");
    }

    private Timer timer(String op, String result) {
        return registry.get("cfs.rpc.server.requests").tags("op", op, "result", result).timer();
    }

    private double bytes(String name, String op) {
        return registry.get(name).tag("op", op).counter().count();
    }

    @Test
    void dataTravelsBothWaysAndIsReleased() throws Exception {
        RpcClient c = client(server().address(), LONG);
        byte[] bytes = new byte[256 << 10];
        new Random(1).nextBytes(bytes);
        ByteBuf data = ByteBufAllocator.DEFAULT.buffer(bytes.length);
        data.writeBytes(bytes);
        DataReply reply = c.call(new WriteDataRequest(new VolumeId("v1"), 0, data), DataReply.class);
        try {
            assertArrayEquals(bytes, ByteBufUtil.getBytes(reply.data()));
        } finally {
            reply.data().release();
        }
        assertEquals(0, data.refCnt(), "the client must release request data once sent");
    }

    @Test
    void hundredPipelinedCallsGetTheirOwnReplies() throws Exception {
        int n = 100;
        List<CompletableFuture<Message>> held = new ArrayList<>();
        List<Long> inodes = new ArrayList<>();
        AtomicInteger maxInFlight = new AtomicInteger();
        // Answers nothing until all 100 requests are in, then answers them in reverse order: this
        // only completes if the client really has 100 calls in flight on one connection.
        RequestHandler holdAll = (ch, m) -> {
            CompletableFuture<Message> f = new CompletableFuture<>();
            synchronized (held) {
                held.add(f);
                inodes.add(((GetAttrRequest) m).inode());
                maxInFlight.set(held.size());
                if (held.size() == n) {
                    for (int i = n - 1; i >= 0; i--) {
                        held.get(i).complete(new AttrReply(attr(inodes.get(i))));
                    }
                }
            }
            return f;
        };
        RpcClient c = client(server(ANY_LOOPBACK_PORT, holdAll).address(), LONG);
        List<CompletableFuture<Message>> calls = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            calls.add(c.call(new GetAttrRequest(1000 + i)));
        }
        for (int i = 0; i < n; i++) {
            Message reply = calls.get(i).get(10, TimeUnit.SECONDS);
            assertEquals(new AttrReply(attr(1000 + i)), reply, "reply to call " + i);
        }
        assertEquals(n, maxInFlight.get());
    }

    @Test
    void cfsExceptionArrivesWithItsCodeAndMessage() throws Exception {
        RpcClient c = client(server().address(), LONG);
        CfsException thrown = callFails(c, new LookupRequest(7, "missing"));
        assertEquals(ErrorCode.NOT_FOUND, thrown.code());
        assertEquals("no entry 'missing' in 7", thrown.getMessage());

        CfsException async = callFails(c, new ReadDirRequest(9, "", 10));
        assertEquals(ErrorCode.NOT_A_DIRECTORY, async.code());
        assertEquals("inode 9 is not a directory", async.getMessage());

        // The future form fails with the CfsException itself.
        ExecutionException e = assertThrows(ExecutionException.class,
                () -> c.call(new LookupRequest(8, "missing")).get(5, TimeUnit.SECONDS));
        CfsException cause = assertInstanceOf(CfsException.class, e.getCause());
        assertEquals(ErrorCode.NOT_FOUND, cause.code());
        assertEquals("no entry 'missing' in 8", cause.getMessage());

        // The connection is still good.
        assertEquals(new AttrReply(attr(3)), c.call(new GetAttrRequest(3), AttrReply.class));
    }

    @Test
    void errorWithADetailLongerThanAWireStringStillArrivesWithItsCode() throws Exception {
        RpcClient c = client(server().address(), LONG);
        String name = "n".repeat(Wire.MAX_STRING - 10); // a legal string on the wire; the detail quoting it is not
        CfsException e = callFails(c, new LookupRequest(1, name));
        assertEquals(ErrorCode.NAME_TOO_LONG, e.code(), "got " + e);
        assertTrue(e.getMessage().startsWith("name 'nnn"), e.getMessage());
    }

    @Test
    void unexpectedHandlerFailureIsInternal() throws Exception {
        RpcClient c = client(server().address(), LONG);
        CfsException e = callFails(c, new RemoveRequest(1, "x", false));
        assertEquals(ErrorCode.INTERNAL, e.code());
        assertTrue(e.getMessage().contains("boom in the handler"), e.getMessage());
    }

    @Test
    void wrongReplyTypeIsAnIoError() throws Exception {
        RpcClient c = client(server().address(), LONG);
        CfsException e = assertThrows(CfsException.class, () -> c.call(new GetAttrRequest(1), OkReply.class));
        assertEquals(ErrorCode.IO_ERROR, e.code());
        assertTrue(e.getMessage().contains("expected OkReply"), e.getMessage());
        // A data reply of the wrong type is released by the client (the leak check would see it).
        ByteBuf data = ByteBufAllocator.DEFAULT.buffer(16).writeLong(1).writeLong(2);
        CfsException d = assertThrows(CfsException.class,
                () -> c.call(new WriteDataRequest(new VolumeId("v1"), 0, data), AttrReply.class));
        assertEquals(ErrorCode.IO_ERROR, d.code());
    }

    @Test
    void silentHandlerMakesTheCallFailWithUnavailableAfterTheTimeout() throws Exception {
        RpcClient c = client(server().address(), SHORT);
        c.call(new GetAttrRequest(1), AttrReply.class); // connected
        long start = System.nanoTime();
        CfsException e = assertTimeoutPreemptively(Duration.ofSeconds(5), () -> callFails(c, new StatFsRequest()));
        long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        assertEquals(ErrorCode.UNAVAILABLE, e.code());
        assertTrue(e.getMessage().contains("no reply"), e.getMessage());
        assertTrue(ms >= SHORT.toMillis() - 20 && ms < 3000, "failed after " + ms + " ms, timeout " + SHORT);
        // Only that call failed: the connection still works.
        assertEquals(new AttrReply(attr(2)), c.call(new GetAttrRequest(2), AttrReply.class));
    }

    @Test
    void lateReplyAfterTheTimeoutIsReleased() throws Exception {
        RpcServer s = server();
        RpcClient c = client(s.address(), SHORT);
        CfsException e = callFails(c, new ReadDataRequest(new VolumeId("v1"), 0, 4096));
        assertEquals(ErrorCode.UNAVAILABLE, e.code());
        Thread.sleep(700); // the DATA reply arrives after the timeout: the client must release it
        assertEquals(new AttrReply(attr(2)), c.call(new GetAttrRequest(2), AttrReply.class));
        s.close(); // let the server's threads go, so that a leaked buffer can be collected and reported
        resources.remove(s);
        c.close();
        resources.remove(c);
        List<String> leaks = LeakCheck.leaks(true);
        assertTrue(leaks.isEmpty(), "leaked: " + leaks);
    }

    @Test
    void closedServerMakesCallsFailWithUnavailable() throws Exception {
        RpcServer s = server();
        RpcClient c = client(s.address(), LONG);
        c.call(new GetAttrRequest(1), AttrReply.class);
        CompletableFuture<Message> inFlight = c.call(new StatFsRequest()); // never answered
        Thread.sleep(50);
        long start = System.nanoTime();
        s.close();
        resources.remove(s);
        ExecutionException lost = assertThrows(ExecutionException.class, () -> inFlight.get(4, TimeUnit.SECONDS));
        assertEquals(ErrorCode.UNAVAILABLE, assertInstanceOf(CfsException.class, lost.getCause()).code());
        long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        assertTrue(ms < LONG.toMillis(), "the in-flight call should fail when the connection drops, not time out");

        for (int i = 0; i < 3; i++) {
            CfsException e = callFails(c, new GetAttrRequest(1));
            assertEquals(ErrorCode.UNAVAILABLE, e.code());
        }
        ByteBuf data = ByteBufAllocator.DEFAULT.buffer(8).writeLong(1);
        CfsException e = callFails(c, new WriteDataRequest(new VolumeId("v1"), 0, data));
        assertEquals(ErrorCode.UNAVAILABLE, e.code());
        assertEquals(0, data.refCnt(), "data of a request that could not be sent must be released");
    }

    @Test
    void sameClientReconnectsAfterTheServerRestarts() throws Exception {
        RpcServer first = server();
        InetSocketAddress address = first.address();
        RpcClient c = client(address, SHORT);
        assertEquals(new AttrReply(attr(1)), c.call(new GetAttrRequest(1), AttrReply.class));
        first.close();
        resources.remove(first);
        assertEquals(ErrorCode.UNAVAILABLE, callFails(c, new GetAttrRequest(2)).code());

        server(address, RpcTest::handle);
        assertEquals(new AttrReply(attr(3)), c.call(new GetAttrRequest(3), AttrReply.class));
        assertEquals(new AttrReply(attr(4)), c.call(new GetAttrRequest(4), AttrReply.class));
    }

    @Test
    void greetingGoesFirstOnEveryNewConnection() throws Exception {
        List<String> seen = java.util.Collections.synchronizedList(new ArrayList<>());
        RequestHandler recording = (ch, m) -> {
            seen.add(ch.id().asShortText() + " " + m);
            return handle(ch, m);
        };
        RpcServer first = server(ANY_LOOPBACK_PORT, recording);
        InetSocketAddress address = first.address();
        RpcClient c = client(address, LONG); // room for the reconnect on a loaded machine
        List<Message> greetingReplies = java.util.Collections.synchronizedList(new ArrayList<>());
        c.greeting(() -> new GetAttrRequest(100), reply -> reply.thenAccept(greetingReplies::add));
        c.call(new GetAttrRequest(1), AttrReply.class);
        first.close();
        resources.remove(first);
        server(address, recording);
        c.call(new GetAttrRequest(2), AttrReply.class);

        assertEquals(4, seen.size(), "two connections, each greeting then a call: " + seen);
        assertTrue(seen.get(0).contains("inode=100") && seen.get(1).contains("inode=1]"), seen.toString());
        assertTrue(seen.get(2).contains("inode=100") && seen.get(3).contains("inode=2]"), seen.toString());
        String firstConnection = seen.get(0).split(" ")[0];
        assertEquals(firstConnection, seen.get(1).split(" ")[0]);
        assertNotEquals(firstConnection, seen.get(2).split(" ")[0]);
        assertEquals(List.of(new AttrReply(attr(100)), new AttrReply(attr(100))), greetingReplies);
    }

    @Test
    void closedClientFailsCallsAndReleasesTheirData() throws Exception {
        RpcClient c = client(server().address(), LONG);
        c.call(new GetAttrRequest(1), AttrReply.class);
        CompletableFuture<Message> inFlight = c.call(new StatFsRequest());
        c.close();
        ExecutionException e = assertThrows(ExecutionException.class, () -> inFlight.get(2, TimeUnit.SECONDS));
        assertEquals(ErrorCode.UNAVAILABLE, assertInstanceOf(CfsException.class, e.getCause()).code());
        ByteBuf data = ByteBufAllocator.DEFAULT.buffer(8).writeLong(1);
        CfsException after = callFails(c, new WriteDataRequest(new VolumeId("v1"), 0, data));
        assertEquals(ErrorCode.UNAVAILABLE, after.code());
        assertEquals(0, data.refCnt());
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"http", "unknown-opcode", "short-frame", "bad-id", "too-long"})
    void garbageConnectionIsDroppedWhileOthersKeepWorking(String kind) throws Exception {
        RpcServer s = server();
        RpcClient good = client(s.address(), LONG);
        assertEquals(new AttrReply(attr(1)), good.call(new GetAttrRequest(1), AttrReply.class));
        byte[] garbage = switch (kind) {
            case "http" -> "GET / HTTP/1.1\r\nHost: x\r\n\r\n".getBytes();
            case "unknown-opcode" -> Frames.frameBytes(0x7777, 1, b -> b.writeLong(1));
            case "short-frame" -> new byte[] {0, 0, 0, 3, 1, 2, 3};
            case "bad-id" -> Frames.frameBytes(Opcode.FLUSH.code(), 1, b -> Frames.str(b, "NOT AN ID"));
            default -> ByteBuffer.allocate(14).putInt(Integer.MAX_VALUE).putShort((short) 1).putLong(1).array();
        };
        try (Socket raw = RawPeer.authenticated(s.address(), SECRET)) {
            raw.setSoTimeout(3000);
            raw.getOutputStream().write(garbage);
            raw.getOutputStream().flush();
            assertClosedByPeer(raw.getInputStream());
        }
        assertEquals(1, registry.get("cfs.rpc.server.malformed.frames").counter().count());
        assertEquals(new AttrReply(attr(2)), good.call(new GetAttrRequest(2), AttrReply.class));
        // And a new connection is accepted as usual.
        RpcClient other = client(s.address(), LONG);
        assertEquals(new AttrReply(attr(3)), other.call(new GetAttrRequest(3), AttrReply.class));
    }

    private static void assertClosedByPeer(InputStream in) throws IOException {
        try {
            int b = in.read();
            assertEquals(-1, b, "the server answered garbage instead of closing the connection");
        } catch (SocketTimeoutException e) {
            throw new AssertionError("the server kept a connection that sent garbage open", e);
        } catch (SocketException e) {
            // connection reset: closed as well
        }
    }

    @Test
    void rawSocketSeesTheDocumentedFraming() throws Exception {
        RpcServer s = server();
        try (Socket raw = RawPeer.authenticated(s.address(), SECRET)) {
            raw.setSoTimeout(3000);
            OutputStream out = raw.getOutputStream();
            out.write(Frames.concat(Frames.frameBytes(Opcode.GET_ATTR.code(), 0x1122334455667788L, b -> b.writeLong(9)),
                    Frames.frameBytes(Opcode.LOOKUP.code(), -5, b -> {
                        b.writeLong(7);
                        Frames.str(b, "missing");
                    })));
            out.flush();
            DataInputStream in = new DataInputStream(raw.getInputStream());
            int length = in.readInt();
            assertEquals(Opcode.ATTR.code(), in.readUnsignedShort());
            assertEquals(0x1122334455667788L, in.readLong());
            assertEquals(10 + FileAttr.BYTES, length);
            assertEquals(9, in.readLong(), "inode");
            in.skipNBytes(FileAttr.BYTES - 8);

            int errLength = in.readInt();
            assertEquals(Opcode.ERROR.code(), in.readUnsignedShort());
            assertEquals(-5, in.readLong());
            assertEquals(ErrorCode.NOT_FOUND.code(), in.readUnsignedShort());
            byte[] detail = new byte[in.readUnsignedShort()];
            in.readFully(detail);
            assertEquals("no entry 'missing' in 7", new String(detail, java.nio.charset.StandardCharsets.UTF_8));
            assertEquals(10 + 2 + 2 + detail.length, errLength);
        }
    }

    @Test
    void garbageFromTheServerFailsTheCallWithUnavailableAtOnce() throws Exception {
        try (ServerSocket fake = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            Thread peer = new Thread(() -> {
                try (Socket s = fake.accept()) {
                    s.getOutputStream().write(Frames.frameBytes(0x7777, 1, b -> b.writeLong(1)));
                    s.getOutputStream().flush();
                    s.getInputStream().read(); // until the client hangs up
                } catch (IOException ignored) {
                    // the client closed first
                }
            }, "fake-server");
            peer.setDaemon(true);
            peer.start();
            RpcClient c = client((InetSocketAddress) fake.getLocalSocketAddress(), LONG);
            long start = System.nanoTime();
            CfsException e = callFails(c, new GetAttrRequest(1));
            long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            assertEquals(ErrorCode.UNAVAILABLE, e.code());
            assertTrue(ms < LONG.toMillis() - 1000, "a malformed reply should drop the connection, not wait "
                    + ms + " ms for the timeout");
            peer.join(3000);
            assertFalse(peer.isAlive(), "the client should have closed the connection");
        }
    }

    @Test
    void aSilentConnectionIsPresumedCutItsCallsAndTheNextOnesFailAtOnceAndAProbeReconnects() throws Exception {
        try (CuttableLink link = new CuttableLink(server().address())) {
            Duration deadAfter = Duration.ofMillis(1600);
            RpcClient c = new RpcClient("test-client", link.address(), clientGroup, CREDENTIALS, Duration.ofSeconds(10),
                    deadAfter);
            resources.push(c);
            assertEquals(new AttrReply(attr(1)), c.call(new GetAttrRequest(1), AttrReply.class));

            link.cut = true; // bytes now vanish both ways, and nothing is closed: a cut link as the caller sees it
            long start = System.nanoTime();
            CfsException cut = callFails(c, new GetAttrRequest(2));
            long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            assertEquals(ErrorCode.UNAVAILABLE, cut.code());
            assertTrue(cut.getMessage().contains("presumed cut"), cut.getMessage());
            assertTrue(ms >= deadAfter.toMillis() - 50 && ms < 5000, "failed after " + ms + " ms, not the 10 s timeout");

            start = System.nanoTime();
            CfsException next = callFails(c, new GetAttrRequest(2));
            assertTrue(next.getMessage().contains("not sent"), next.getMessage());
            assertTrue(next.getCause().getCause() instanceof java.net.ConnectException, "a call that never left: "
                    + next.getCause());
            assertTrue(System.nanoTime() - start < TimeUnit.MILLISECONDS.toNanos(300), "at once, not after a timeout");

            // the link works again: a probe reconnects without any call waiting for it
            link.cut = false;
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
            while (true) {
                try {
                    assertEquals(new AttrReply(attr(3)), c.call(new GetAttrRequest(3), AttrReply.class));
                    break;
                } catch (CfsException e) {
                    assertTrue(System.nanoTime() < deadline, "no reconnection: " + e.getMessage());
                    Thread.sleep(100);
                }
            }
        }
    }

    /** A TCP relay to a server that can be cut: while cut, bytes both ways vanish and nothing is closed. */
    private static final class CuttableLink implements AutoCloseable {
        private final ServerSocket listen = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        private final List<Socket> sockets = new java.util.concurrent.CopyOnWriteArrayList<>();
        volatile boolean cut;

        CuttableLink(InetSocketAddress target) throws IOException {
            Thread accept = new Thread(() -> {
                try {
                    while (true) {
                        Socket a = listen.accept();
                        Socket b = new Socket(target.getAddress(), target.getPort());
                        sockets.add(a);
                        sockets.add(b);
                        relay(a, b);
                        relay(b, a);
                    }
                } catch (IOException closed) {
                    // the test is over
                }
            }, "cuttable-link");
            accept.setDaemon(true);
            accept.start();
        }

        private void relay(Socket from, Socket to) {
            Thread t = new Thread(() -> {
                byte[] buf = new byte[64 << 10];
                try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
                    for (int n; (n = in.read(buf)) >= 0; ) {
                        if (!cut) {
                            out.write(buf, 0, n);
                        }
                    }
                } catch (IOException closed) {
                    // either side closed
                }
            }, "cuttable-link-relay");
            t.setDaemon(true);
            t.start();
        }

        InetSocketAddress address() {
            return (InetSocketAddress) listen.getLocalSocketAddress();
        }

        @Override
        public void close() throws IOException {
            listen.close();
            for (Socket s : sockets) {
                s.close();
            }
        }
    }

    @Test
    void pingsKeepAConnectionWhoseServerIsSlowToAnswer() throws Exception {
        Duration timeout = Duration.ofMillis(2500);
        RpcClient c = new RpcClient("test-client", server().address(), clientGroup, CREDENTIALS, timeout, Duration.ofMillis(400));
        resources.push(c);
        long start = System.nanoTime();
        CfsException e = callFails(c, new StatFsRequest()); // never answered, while pings are
        long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        assertTrue(e.getMessage().contains("no reply"), e.getMessage());
        assertTrue(ms >= timeout.toMillis() - 50, "failed after " + ms + " ms: before its timeout");
        assertEquals(new AttrReply(attr(2)), c.call(new GetAttrRequest(2), AttrReply.class));
    }

    @Test
    void unreachableServerFailsWithUnavailable() throws Exception {
        RpcServer s = server();
        InetSocketAddress gone = s.address();
        s.close();
        resources.remove(s);
        RpcClient c = client(gone, SHORT);
        CfsException e = callFails(c, new GetAttrRequest(1));
        assertEquals(ErrorCode.UNAVAILABLE, e.code());
        assertTrue(e.getMessage().contains(String.valueOf(gone.getPort())), e.getMessage());
    }
}
