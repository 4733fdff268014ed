package io.cfs.blockstore;

import static io.cfs.blockstore.TestCluster.failure;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cfs.protocol.CfsException;
import io.cfs.protocol.ErrorCode;
import io.cfs.protocol.MessageCodec;
import io.cfs.protocol.message.DataReply;
import io.cfs.protocol.message.InvalidateRequest;
import io.cfs.protocol.message.LookupRequest;
import io.cfs.protocol.message.MirrorBitmapRequest;
import io.cfs.protocol.message.OkReply;
import io.cfs.protocol.message.ReadDataRequest;
import io.cfs.protocol.message.ReplicaWriteRequest;
import io.cfs.protocol.message.VolumeInfoReply;
import io.cfs.protocol.message.VolumeInfoRequest;
import io.cfs.protocol.rpc.RpcClient;
import io.cfs.topology.PairId;
import io.cfs.topology.StorageId;
import io.cfs.topology.VolumeId;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.file.Files;
import java.util.BitSet;
import java.util.Random;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** One storage system bound to port 0: request validation, errors, bad frames, files. */
class ServerTest extends ClusterTestCase {
    static final String TOPOLOGY = """
            cluster  block-size=64KiB cluster-size=16KiB
            metadata address=127.0.0.1:{meta} data=meta
            storage  ss1 address=127.0.0.1:{ss1} data=ss1
            storage  ss2 address=127.0.0.1:{ss2} data=ss2
            volume   ss1:v1 capacity=1MiB
            volume   ss1:v2 capacity=1MiB
            volume   ss1:plain capacity=1MiB
            volume   ss2:v1 capacity=1MiB
            pair     p1 mode=async master=ss1:v1 mirrors=ss1:v2,ss2:v1
            """;

    ServerTest() {
        super(TOPOLOGY, 0);
    }

    @BeforeEach
    void startSs1() throws Exception {
        cluster.start("ss1", BlockStoreOptions.defaults().withListen(new InetSocketAddress("127.0.0.1", 0)));
    }

    @Test
    void createsSparseVolumesOfTheTopologyCapacity() throws Exception {
        for (String v : new String[] {"v1", "v2", "plain"}) {
            assertEquals(1 << 20, Files.size(cluster.file("ss1", v)));
        }
        assertTrue(Files.exists(dir.resolve("ss1/bitmaps/p1-m1.bits")));
        assertTrue(Files.exists(dir.resolve("ss1/bitmaps/p1-m2.bits")));
        assertEquals(1 << 20, cluster.client("ss1").call(new VolumeInfoRequest(new VolumeId("v1")),
                VolumeInfoReply.class).capacity());
    }

    @Test
    void rejectsBadRequestsWithClearErrors() {
        CfsException e = failure(() -> cluster.read("ss1", "nope", 0, 10));
        assertEquals(ErrorCode.UNKNOWN_VOLUME, e.code());
        assertTrue(e.getMessage().contains("nope") && e.getMessage().contains("[plain, v1, v2]"), e.getMessage());

        e = failure(() -> cluster.read("ss1", "v1", (1 << 20) - 10, 11));
        assertEquals(ErrorCode.OUT_OF_RANGE, e.code());
        assertTrue(e.getMessage().contains("v1") && e.getMessage().contains(Long.toString((1 << 20) - 10)), e.getMessage());

        e = failure(() -> cluster.read("ss1", "v1", 0, MessageCodec.MAX_DATA + 1));
        assertEquals(ErrorCode.INVALID_ARGUMENT, e.code());
        e = failure(() -> cluster.read("ss1", "v1", -1, 10));
        assertEquals(ErrorCode.OUT_OF_RANGE, e.code());
        // a huge read is refused before anything is allocated for it
        e = assertThrows(CfsException.class, () -> cluster.client("ss1").call(
                new ReadDataRequest(new VolumeId("v1"), 0, Integer.MAX_VALUE), DataReply.class));
        assertEquals(ErrorCode.INVALID_ARGUMENT, e.code());
        assertTrue(e.getMessage().contains("length " + Integer.MAX_VALUE), e.getMessage());
        e = assertThrows(CfsException.class, () -> cluster.client("ss1").call(
                new ReadDataRequest(new VolumeId("v1"), 0, -1), DataReply.class));
        assertEquals(ErrorCode.INVALID_ARGUMENT, e.code());

        e = failure(() -> cluster.write("ss1", "v2", 0, new byte[10]));
        assertEquals(ErrorCode.NOT_MASTER, e.code());
        assertTrue(e.getMessage().contains("mirror 1 of pair p1"), e.getMessage());
        e = failure(() -> cluster.write("ss1", "plain", 0, new byte[10]));
        assertEquals(ErrorCode.NOT_MASTER, e.code());

        e = failure(() -> cluster.write("ss1", "v1", (1 << 20) - 5, new byte[10]));
        assertEquals(ErrorCode.OUT_OF_RANGE, e.code());

        RpcClient c = cluster.client("ss1");
        e = assertThrows(CfsException.class, () -> c.call(new ReplicaWriteRequest(new VolumeId("v2"), 0,
                Unpooled.wrappedBuffer(new byte[4])), OkReply.class));
        assertEquals(ErrorCode.INVALID_ARGUMENT, e.code());
        e = assertThrows(CfsException.class, () -> c.call(new InvalidateRequest(new VolumeId("v1"), 0, 1), OkReply.class));
        assertEquals(ErrorCode.INVALID_ARGUMENT, e.code());
        e = assertThrows(CfsException.class, () -> c.call(new LookupRequest(1, "x"), OkReply.class));
        assertEquals(ErrorCode.UNSUPPORTED, e.code());
        e = assertThrows(CfsException.class, () -> c.call(new MirrorBitmapRequest(new PairId("p1"), 3, false), DataReply.class));
        assertEquals(ErrorCode.INVALID_ARGUMENT, e.code());
        e = assertThrows(CfsException.class, () -> c.call(new MirrorBitmapRequest(new PairId("p9"), 1, false), DataReply.class));
        assertEquals(ErrorCode.NOT_FOUND, e.code());
    }

    @Test
    void servesTheBitmapTableRowOfAMirror() {
        cluster.store("ss1").pauseSync(true);
        cluster.write("ss1", "v1", 3 * (16 << 10) + 1, new byte[16 << 10]); // clusters 3 and 4
        DataReply reply = cluster.client("ss1").call(new MirrorBitmapRequest(new PairId("p1"), 2, false), DataReply.class);
        try {
            BitSet bits = BitSet.valueOf(ByteBufUtil.getBytes(reply.data()));
            BitSet expected = new BitSet();
            expected.set(3, 5);
            assertEquals(expected, bits);
        } finally {
            reply.data().release();
        }
        assertEquals(4, cluster.invalid("ss1", "v1"), "2 clusters for each of 2 mirrors");
    }

    @Test
    void aMalformedFrameClosesOnlyItsConnection() throws Exception {
        byte[] data = new byte[5000];
        new Random(1).nextBytes(data);
        cluster.write("ss1", "v1", 100, data);
        int port = cluster.store("ss1").address().getPort();
        Random random = new Random(7);
        byte[][] garbage = new byte[3][];
        garbage[0] = new byte[64];
        random.nextBytes(garbage[0]);
        garbage[0][0] = (byte) 0x80; // a negative frame length
        garbage[1] = new byte[40];
        random.nextBytes(garbage[1]);
        garbage[1][0] = 0; garbage[1][1] = 0; garbage[1][2] = 0; garbage[1][3] = 36; // a whole frame...
        garbage[1][4] = (byte) 0xFF; garbage[1][5] = (byte) 0xFF;                   // ...with an unknown opcode
        garbage[2] = new byte[16];
        random.nextBytes(garbage[2]);
        garbage[2][0] = 0x7F; // a frame longer than MAX_FRAME
        for (byte[] g : garbage) {
            try (Socket s = new Socket("127.0.0.1", port)) {
                s.setSoTimeout(5000);
                OutputStream out = s.getOutputStream();
                out.write(g);
                out.flush();
                assertClosed(s.getInputStream());
            }
            assertArrayEquals(data, cluster.read("ss1", "v1", 100, data.length), "a good client keeps working");
        }
        ReadDataRequest r = new ReadDataRequest(new VolumeId("v1"), 100, 10);
        DataReply reply = cluster.client("ss1").call(r, DataReply.class);
        reply.data().release();
    }

    private static void assertClosed(InputStream in) throws IOException {
        try {
            while (true) {
                if (in.read() < 0) {
                    return;
                }
            }
        } catch (SocketTimeoutException e) {
            throw new AssertionError("the server kept a connection that sent a malformed frame", e);
        } catch (IOException e) {
            // reset by the server: closed too
        }
    }

    @Test
    void refusesASecondDaemonOnTheSameDataFolder() {
        IOException e = assertThrows(IOException.class, () -> BlockStore.start(cluster.topology, new StorageId("ss1"),
                TestCluster.CREDENTIALS, BlockStoreOptions.defaults().withListen(new InetSocketAddress("127.0.0.1", 0))));
        assertTrue(e.getMessage().contains("in use by another block-store"), e.getMessage());
        assertArrayEquals(new byte[10], cluster.read("ss1", "v1", 0, 10), "the first one keeps serving");
    }

    @Test
    void refusesAVolumeFileOfAnotherSize() throws Exception {
        cluster.stop("ss1");
        java.nio.file.Path file = cluster.file("ss1", "plain");
        try (var raf = new java.io.RandomAccessFile(file.toFile(), "rw")) {
            raf.setLength(12345);
        }
        IOException e = assertThrows(IOException.class, () -> BlockStore.start(cluster.topology, new StorageId("ss1"),
                TestCluster.CREDENTIALS, BlockStoreOptions.defaults().withListen(new InetSocketAddress("127.0.0.1", 0))));
        assertTrue(e.getMessage().contains(file.toString()) && e.getMessage().contains("expected exactly 1048576"),
                e.getMessage());
    }
}
