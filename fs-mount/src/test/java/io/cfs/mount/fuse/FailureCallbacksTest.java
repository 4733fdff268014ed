package io.cfs.mount.fuse;

import static io.cfs.mount.fuse.Fuse.O_RDONLY;
import static io.cfs.mount.fuse.Fuse.O_RDWR;
import static io.cfs.mount.fuse.Fuse.O_WRONLY;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cfs.mount.client.ClientAccess;
import io.cfs.mount.client.ClientOptions;
import io.cfs.protocol.LeakCheck;
import io.cfs.protocol.message.Extent;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import ru.serce.jnrfuse.struct.FuseFileInfo;

/**
 * The callbacks on a cluster of their own per test: storage systems and the metadata server
 * stopped and restarted under open files, and blocks that held another file's data.
 */
@ExtendWith(LeakCheck.Collecting.class)
class FailureCallbacksTest {
    static final int MIB = 1 << 20;
    static final int EIO = -5;
    static final int EFBIG = -27;
    static final int ENOSPC = -28;

    @TempDir
    Path dir;
    InProcessCluster cluster;
    Fuse fuse;

    @BeforeEach
    void up() throws Exception {
        cluster = new InProcessCluster(dir);
        fuse = cluster.fuse("host1");
    }

    @AfterEach
    void down() {
        cluster.close();
    }

    private long inode(String path) {
        return fuse.stat(path).st_ino.longValue();
    }

    @Test
    void aGrownFileReadsZerosWhereItsBlocksHeldADeletedFilesData() {
        fuse.put("/sync/old", Data.filled(8 * MIB, 0xCD));
        List<Extent> old = cluster.extents(inode("/sync/old"));
        assertEquals(0, fuse.fs.unlink("/sync/old"));

        // extended by ftruncate
        FuseFileInfo fi = fuse.create("/sync/a");
        fuse.write(fi, 0, new byte[] {1, 2, 3});
        assertEquals(0, fuse.fs.ftruncate("/sync/a", 3 * MIB + 5, fi));
        fuse.close(fi);
        // extended by a write past the end
        FuseFileInfo fb = fuse.create("/sync/b");
        fuse.write(fb, 7, new byte[] {4});
        fuse.flush(fb);
        fuse.write(fb, MIB + MIB / 2, new byte[] {5});
        fuse.close(fb);
        // extended by truncate(2) of a file with no block yet, then written in the middle
        fuse.put("/sync/c", new byte[0]);
        assertEquals(0, fuse.fs.truncate("/sync/c", 2 * MIB));
        FuseFileInfo fc = fuse.open("/sync/c", O_WRONLY);
        fuse.write(fc, MIB + 10, new byte[] {6});
        fuse.close(fc);
        // extended by one write larger than the write buffer, starting inside its first block
        FuseFileInfo fd = fuse.create("/sync/d");
        fuse.write(fd, MIB / 2 + 3, Data.filled(2 * MIB, 7));
        fuse.close(fd);

        for (String f : List.of("/sync/a", "/sync/b", "/sync/c", "/sync/d")) {
            boolean reused = false;
            for (Extent e : cluster.extents(inode(f))) {
                for (Extent o : old) {
                    reused |= e.volumeOffset() < o.volumeOffset() + o.length()
                            && o.volumeOffset() < e.volumeOffset() + e.length();
                }
            }
            assertTrue(reused, f + " got blocks of the deleted file");
        }

        byte[] a = new byte[3 * MIB + 5];
        a[0] = 1;
        a[1] = 2;
        a[2] = 3;
        byte[] b = new byte[MIB + MIB / 2 + 1];
        b[7] = 4;
        b[MIB + MIB / 2] = 5;
        byte[] c = new byte[2 * MIB];
        c[MIB + 10] = 6;
        byte[] d = new byte[MIB / 2 + 3 + 2 * MIB];
        Arrays.fill(d, MIB / 2 + 3, d.length, (byte) 7);
        Fuse other = cluster.fuse("host2");
        for (Fuse host : List.of(fuse, other)) {
            Data.assertSame(a, host.get("/sync/a"), "ftruncate");
            Data.assertSame(b, host.get("/sync/b"), "write past the end");
            Data.assertSame(c, host.get("/sync/c"), "truncate, then a write");
            Data.assertSame(d, host.get("/sync/d"), "one large write");
        }
    }

    @Test
    void aFullClusterAnswersEnospcAndEfbig() {
        // 160 MiB through sync mirrors: a request timeout with room for a loaded machine, so that the
        // only error is the one asked for
        ClientOptions o = InProcessCluster.OPTIONS;
        fuse = new Fuse(cluster.client("patient", new ClientOptions(Duration.ofSeconds(30), o.writeBuffer(),
                o.readAhead(), o.attrTtl()), Clock.systemUTC()), cluster.topology.blockSize());
        FuseFileInfo fi = fuse.create("/sync/fill");
        byte[] chunk = Data.filled(4 * MIB, 3);
        int result = 0;
        long at = 0;
        while (at < 160L * MIB) { // both pairs hold 128 MiB: the file spills from sync to async, then fills both
            result = fuse.writeErr(fi, at, chunk);
            if (result < 0) {
                break;
            }
            at += chunk.length;
        }
        if (result >= 0) {
            result = fuse.fs.flush("/sync/fill", fi);
        }
        assertEquals(ENOSPC, result, "after " + at / MIB + " MiB");
        assertTrue(at >= 120L * MIB, "failed after " + at / MIB + " MiB");
        fuse.release(fi);
        assertTrue(fuse.statfs().f_bfree.longValue() * 4096 < 8 * MIB, "full");
        assertEquals(0, fuse.fs.unlink("/sync/fill"));

        FuseFileInfo big = fuse.create("/sync/big");
        fuse.write(big, 1L << 60, new byte[] {1}); // staged: the error comes with close(2)
        assertEquals(EFBIG, fuse.fs.flush("/sync/big", big));
        fuse.release(big);
        assertEquals(0, fuse.size("/sync/big"));
    }

    /** Opens a file until the Usage Table assigns an open to {@code member}; releases the others. */
    private FuseFileInfo openOnMember(String path, int member) {
        List<FuseFileInfo> others = new ArrayList<>();
        try {
            for (int i = 0; i < 6; i++) {
                FuseFileInfo fi = fuse.open(path, O_RDONLY);
                if (ClientAccess.member(fuse.client, fi.fh.get()) == member) {
                    return fi;
                }
                others.add(fi);
            }
            throw new AssertionError("no open of " + path + " was assigned member " + member);
        } finally {
            others.forEach(fuse::release);
        }
    }

    @Test
    void aReadFailsOverWhenTheStorageSystemOfItsMemberStops() throws Exception {
        byte[] sync = Data.random(4 * MIB, 1);
        byte[] async = Data.random(4 * MIB, 2);
        fuse.put("/sync/f", sync);
        fuse.put("/async/f", async);
        // sync pair: a reader on its mirror on ss2; async pair: a reader on its mirror on ss1
        FuseFileInfo onSs2 = openOnMember("/sync/f", 2);
        FuseFileInfo onSs1 = openOnMember("/async/f", 1);
        Data.assertSame(Arrays.copyOf(sync, MIB), fuse.read(onSs2, 0, MIB), "sync, first MiB");
        Data.assertSame(Arrays.copyOf(async, MIB), fuse.read(onSs1, 0, MIB), "async, first MiB");

        cluster.stopStorage("ss2");
        Data.assertSame(Arrays.copyOfRange(sync, MIB, sync.length), fuse.read(onSs2, MIB, 3 * MIB),
                "sync: the rest from another member");
        fuse.close(onSs2);
        cluster.startStorage("ss2");

        cluster.stopStorage("ss1");
        Data.assertSame(Arrays.copyOfRange(async, MIB, async.length), fuse.read(onSs1, MIB, 3 * MIB),
                "async: the rest from the master");
        fuse.close(onSs1);
    }

    @Test
    void withTheMastersStorageSystemDownWritesFailWithEioAndReadsUseTheMirrors() {
        byte[] data = Data.random(3 * MIB, 4);
        fuse.put("/sync/f", data);
        FuseFileInfo fi = fuse.open("/sync/f", O_RDWR);
        Fuse other = cluster.fuse("host2");
        cluster.stopStorage("ss1"); // the master of pair sync, and one of its mirrors

        long start = System.nanoTime();
        fuse.write(fi, MIB, Data.filled(1000, 7)); // staged on the host
        fuse.write(fi, 3 * MIB, Data.filled(MIB, 8)); // a new block, past the end: the staged bytes go out
        Data.assertSame(Arrays.copyOfRange(data, MIB - 10, MIB + 10), fuse.read(fi, MIB - 10, 20),
                "a read does not fail for a lost write: it gets what was committed");
        assertEquals(data.length, fuse.fstat(fi).st_size.longValue());
        assertEquals(EIO, fuse.fs.flush("/sync/f", fi), "close(2) reports the lost writes");
        assertEquals(0, fuse.fs.flush("/sync/f", fi), "once");
        fuse.write(fi, 0, Data.filled(2 * MIB, 9)); // too large to stage: sent at once, fails later
        assertEquals(EIO, fuse.fs.fsync("/sync/f", 0, fi));
        long millis = (System.nanoTime() - start) / 1_000_000;
        assertTrue(millis < InProcessCluster.TIMEOUT.toMillis(), "failed after " + millis + " ms");

        Data.assertSame(data, fuse.readAll(fi, 128 << 10), "reads from the mirror on ss2, as committed");
        fuse.release(fi);
        assertEquals(data.length, other.size("/sync/f"), "the size of what never reached the master is not committed");
        Data.assertSame(data, other.get("/sync/f"), "another host reads what was committed");

        assertEquals(0, fuse.fs.truncate("/sync/f", 3 * MIB - 10), "a shrink needs the metadata server only");
        assertEquals(EIO, fuse.fs.truncate("/sync/f", 3 * MIB), "a grow must zero the old tail on the master");
        assertEquals(3 * MIB - 10, other.size("/sync/f"));
        Data.assertSame(Arrays.copyOf(data, 3 * MIB - 10), other.get("/sync/f"), "after the truncates");

        // the async pair, mastered on ss2, is unaffected
        fuse.put("/async/g", Data.filled(10, 1));
        Data.assertSame(Data.filled(10, 1), other.get("/async/g"), "the other pair works");
    }

    @Test
    void aStorageSystemThatStopsAnsweringFailsWritesWithinTheRequestTimeout() throws IOException {
        fuse.put("/sync/f", Data.filled(10, 1));
        FuseFileInfo fi = fuse.open("/sync/f", O_WRONLY);
        cluster.stopStorage("ss1");
        // something listens on ss1's port but never answers (a hung daemon)
        try (ServerSocket silent = new ServerSocket(cluster.port("ss1"), 50, InetAddress.getLoopbackAddress())) {
            List<Socket> accepted = new ArrayList<>();
            Thread acceptor = new Thread(() -> {
                try {
                    while (true) {
                        accepted.add(silent.accept());
                    }
                } catch (IOException closed) {
                    // done
                }
            });
            acceptor.setDaemon(true);
            acceptor.start();
            long timeout = InProcessCluster.TIMEOUT.toMillis();
            long start = System.nanoTime();
            fuse.write(fi, 0, Data.filled(5000, 2)); // staged
            assertEquals(EIO, fuse.fs.flush("/sync/f", fi));
            long millis = (System.nanoTime() - start) / 1_000_000;
            assertTrue(millis >= timeout - 100 && millis < timeout + 1500, "flush failed after " + millis + " ms");
            start = System.nanoTime();
            assertEquals(EIO, fuse.writeErr(fi, 2 * MIB, Data.filled(5000, 3)), "the gap from the end must be zeroed");
            millis = (System.nanoTime() - start) / 1_000_000;
            assertTrue(millis >= timeout - 100 && millis < timeout + 1500, "write failed after " + millis + " ms");
            fuse.release(fi);
            silent.close();
            for (Socket s : accepted) {
                s.close();
            }
        }
        assertEquals(10, fuse.size("/sync/f"));
    }

    @Test
    void theSameClientCarriesOnAcrossARestartOfTheMetadataServer() throws Exception {
        byte[] data = Data.random(2 * MIB, 6);
        fuse.put("/async/f", data);
        FuseFileInfo reader = fuse.open("/async/f", O_RDONLY);
        FuseFileInfo writer = fuse.open("/async/f", O_RDWR);
        FuseFileInfo idle = fuse.open("/async/f", O_RDONLY);
        Data.assertSame(Arrays.copyOf(data, 100), fuse.read(reader, 0, 100), "before");

        cluster.restartMetadata();

        Data.assertSame(data, fuse.readAll(reader, 256 << 10), "an open handle reads on");
        byte[] more = Data.random(MIB + 1, 7);
        fuse.write(writer, 3 * MIB, more); // needs a new block: an allocation on the reopened handle
        fuse.flush(writer);
        byte[] want = Arrays.copyOf(data, 4 * MIB + 1);
        System.arraycopy(more, 0, want, 3 * MIB, more.length);
        Data.assertSame(want, fuse.readAll(writer, MIB), "and writes on");
        fuse.release(writer);
        fuse.release(idle); // opened before the restart, unused since
        fuse.release(reader);

        assertEquals(want.length, fuse.size("/async/f"));
        fuse.put("/async/new", Data.filled(100, 5));
        Data.assertSame(want, cluster.fuse("host2").get("/async/f"), "another host sees the writes");
        Data.assertSame(Data.filled(100, 5), fuse.get("/async/new"), "new files after the restart");
        FuseFileInfo stale = fuse.open("/async/f", O_RDONLY);
        cluster.restartMetadata();
        fuse.release(stale); // the handle is gone with the old server: nothing to release there
    }
}
