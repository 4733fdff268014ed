package io.cfs.mount.fuse;

import static io.cfs.mount.fuse.Fuse.O_APPEND;
import static io.cfs.mount.fuse.Fuse.O_EXCL;
import static io.cfs.mount.fuse.Fuse.O_RDONLY;
import static io.cfs.mount.fuse.Fuse.O_RDWR;
import static io.cfs.mount.fuse.Fuse.O_TRUNC;
import static io.cfs.mount.fuse.Fuse.O_WRONLY;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cfs.protocol.LeakCheck;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.ByteArrayOutputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.Random;
import jnr.ffi.Pointer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.io.TempDir;
import ru.serce.jnrfuse.struct.FuseFileInfo;

/** read, write, truncate and close-to-open through {@link CfsFuse}'s callbacks against an in-process cluster. */
@ExtendWith(LeakCheck.Collecting.class)
class DataCallbacksTest {
    static final int KIB = 1 << 10;
    static final int MIB = 1 << 20;
    static final int EBADF = -9;

    @TempDir
    static Path dir;
    static InProcessCluster cluster;
    static Fuse fuse;
    static Fuse otherHost;
    String name;

    @BeforeAll
    static void up() throws Exception {
        cluster = new InProcessCluster(dir);
        fuse = cluster.fuse("host1");
        otherHost = cluster.fuse("host2");
    }

    @AfterAll
    static void down() {
        if (cluster != null) {
            cluster.close();
        }
    }

    @BeforeEach
    void named(TestInfo test) {
        name = test.getTestMethod().orElseThrow().getName();
    }

    /** A fresh path for this test on the given pair's directory. */
    private String path(String pairDir, String file) {
        String folder = "/" + pairDir + "/" + name;
        int r = fuse.fs.mkdir(folder, 0755);
        assertEquals(true, r == 0 || r == -17, "mkdir " + folder);
        return folder + "/" + file;
    }

    private static byte[] expected(long offset, byte[] data) {
        byte[] all = new byte[(int) offset + data.length];
        System.arraycopy(data, 0, all, (int) offset, data.length);
        return all;
    }

    @Test
    void writesOfOneByteToSeveralMibAtUnalignedOffsetsReadBackWithZeroHoles() {
        int[][] cases = {
                {1, 0}, {1, 4097}, {100, MIB - 3}, {4095, 1}, {65_537, 65_535}, {MIB - 1, 4097},
                {MIB + 1, MIB - 3}, {3 * MIB + 12_345, 7}, {2 * MIB, 5 * MIB / 2 + 7}, {5 * MIB + 3, 0},
        };
        int i = 0;
        for (int[] c : cases) {
            int size = c[0];
            long offset = c[1];
            String pair = i % 2 == 0 ? "sync" : "async";
            String p = path(pair, "f" + i);
            byte[] data = Data.random(size, i);
            byte[] all = expected(offset, data);
            FuseFileInfo fi = fuse.create(p, 0644, O_RDWR | O_EXCL);
            fuse.write(fi, offset, data);
            assertEquals(all.length, fuse.fstat(fi).st_size.longValue(), "size while open, case " + i);
            Data.assertSame(data, fuse.read(fi, offset, size), "read back on the writing handle, case " + i);
            fuse.close(fi);
            assertEquals(all.length, fuse.size(p), "size after close, case " + i);
            FuseFileInfo r = fuse.open(p, O_RDONLY);
            Data.assertSame(all, fuse.readAll(r, 128 * KIB), "128 KiB reads, case " + i);
            Data.assertSame(all, fuse.readAll(r, MIB + 5), "reads of 1 MiB + 5, case " + i);
            Data.assertSame(Arrays.copyOfRange(all, all.length / 3, all.length),
                    fuse.read(r, all.length / 3, all.length), "one read to the end, case " + i);
            fuse.close(r);
            Data.assertSame(all, otherHost.get(p), "another host, case " + i);
            assertEquals(0, fuse.fs.unlink(p));
            i++;
        }
    }

    @Test
    void metersCountCallbacksBytesErrorsAndReadAhead() {
        Fuse host = cluster.fuse("meters");
        String p = path("sync", "f");
        byte[] data = Data.random(3 * MIB + 5, 9);
        host.put(p, data);
        FuseFileInfo fi = host.open(p, O_RDONLY);
        assertEquals(1.0, host.meters.get("cfs.client.open.handles").gauge().value());
        Data.assertSame(data, host.readAll(fi, 128 * KIB), "read back");
        host.close(fi);
        assertEquals(-2, host.fs.getattr(p + ".missing", Fuse.newStat()), "ENOENT");

        SimpleMeterRegistry m = host.meters;
        long reads = m.get("cfs.fuse.requests").tag("op", "read").timer().count();
        assertEquals(data.length / (128 * KIB) + 2, reads, "reads of 128 KiB, the short last one and the one at the end");
        assertEquals(data.length, m.get("cfs.fuse.bytes").tag("op", "read").counter().count());
        assertEquals(data.length, m.get("cfs.fuse.bytes").tag("op", "write").counter().count());
        assertEquals(1, m.get("cfs.fuse.errors").tags("op", "getattr", "errno", "ENOENT").counter().count());
        assertEquals(1, m.get("cfs.fuse.requests").tag("op", "create").timer().count());
        assertTrue(m.get("cfs.fuse.requests").tag("op", "read").timer().totalTime(TimeUnit.NANOSECONDS) > 0);
        double hits = m.get("cfs.client.readahead.hits").functionCounter().count();
        double misses = m.get("cfs.client.readahead.misses").functionCounter().count();
        assertTrue(misses >= 1, "the first read fetches");
        assertTrue(hits > misses, "a sequential reader is served mostly from read-ahead: " + hits + " hits, "
                + misses + " misses");
        assertEquals(0.0, m.get("cfs.client.open.handles").gauge().value(), "closed");
        host.client.close();
    }

    @Test
    void sequentialWritesAsTheKernelSendsThem() {
        for (String pair : new String[] {"sync", "async"}) {
            String p = path(pair, "seq");
            byte[] data = Data.random(5 * MIB + 777, 11);
            FuseFileInfo fi = fuse.create(p, 0644, O_WRONLY | O_EXCL);
            long base = 333;
            for (int at = 0; at < data.length; at += 128 * KIB) {
                fuse.write(fi, base + at, Arrays.copyOfRange(data, at, Math.min(data.length, at + 128 * KIB)));
            }
            fuse.close(fi);
            Data.assertSame(expected(base, data), otherHost.get(p), pair);
        }
    }

    @Test
    void aWriteDoesNotUseFusesBufferAfterItReturns() {
        String p = path("sync", "f");
        byte[] data = Data.random(4 * MIB, 3);
        FuseFileInfo fi = fuse.create(p, 0644, O_WRONLY | O_EXCL);
        Pointer buf = Fuse.memory(data.length);
        buf.put(0, data, 0, data.length);
        assertEquals(data.length, fuse.fs.write(p, buf, data.length, 1, fi));
        buf.setMemory(0, data.length, (byte) 0xEE); // FUSE reuses its buffer for the next request
        fuse.close(fi);
        Data.assertSame(expected(1, data), fuse.get(p), "the bytes of the write");
    }

    @Test
    void aSequentialReaderGetsItsBytesInOrderWithSeveralChunksOnTheirWay() {
        String p = path("async", "movie");
        byte[] data = Data.filled(16 * MIB + 12345, 11);
        fuse.put(p, data);
        Fuse reader = new Fuse(cluster.client("reader"), cluster.topology.blockSize());
        FuseFileInfo fi = reader.open(p, O_RDONLY);
        // reading from memory, the reader outruns the fetches of 1 MiB chunks: its window grows
        Data.assertSame(data, reader.readAll(fi, 128 * KIB), "the bytes, in order");
        Data.assertSame(Arrays.copyOfRange(data, 3 * MIB, 5 * MIB), reader.read(fi, 3 * MIB, 2 * MIB),
                "a jump back drops the chunks on their way");
        reader.close(fi);
    }

    @Test
    void readsOfHolesAndPastTheEnd() {
        String p = path("async", "sparse");
        FuseFileInfo fi = fuse.create(p);
        fuse.write(fi, 0, new byte[] {'A'});
        fuse.write(fi, 5 * MIB + 3, new byte[] {'B'});
        fuse.close(fi);
        FuseFileInfo r = fuse.open(p, O_RDONLY);
        assertEquals(5 * MIB + 4, fuse.fstat(r).st_size.longValue());
        byte[] middle = fuse.read(r, 1, 5 * MIB + 2);
        Data.assertSame(new byte[5 * MIB + 2], middle, "the hole reads as zeros");
        Data.assertSame(new byte[] {0, 0, 'B'}, fuse.read(r, 5 * MIB + 1, 100), "a read across the end is cut");
        assertEquals(0, fuse.read(r, 5 * MIB + 4, 100).length, "at the end");
        assertEquals(0, fuse.read(r, 50 * MIB, 100).length, "past the end");
        fuse.close(r);
    }

    @Test
    void overwritesReplaceBytesInPlace() {
        String p = path("sync", "f");
        byte[] a = Data.random(2 * MIB + 100, 1);
        fuse.put(p, a);
        byte[] b = Data.random(MIB, 2);
        FuseFileInfo fi = fuse.open(p, O_RDWR);
        fuse.write(fi, 1000, b);
        fuse.write(fi, 2 * MIB + 99, new byte[] {9, 9, 9});
        byte[] want = a.clone();
        System.arraycopy(b, 0, want, 1000, b.length);
        want = Arrays.copyOf(want, 2 * MIB + 102);
        want[2 * MIB + 99] = 9;
        want[2 * MIB + 100] = 9;
        want[2 * MIB + 101] = 9;
        Data.assertSame(want, fuse.readAll(fi, 64 * KIB), "on the writing handle");
        fuse.close(fi);
        Data.assertSame(want, otherHost.get(p), "on another host");
    }

    @Test
    void aWriteIsSeenAtOnceByAnotherHandleOfTheSameHost() {
        String p = path("async", "f");
        fuse.put(p, Data.filled(3 * MIB, 'x'));
        FuseFileInfo reader = fuse.open(p, O_RDONLY);
        assertEquals('x', fuse.read(reader, 2 * MIB, 1)[0]); // read-ahead now holds the old bytes
        FuseFileInfo writer = fuse.open(p, O_WRONLY);
        byte[] data = Data.random(MIB, 5);
        fuse.write(writer, 2 * MIB - 10, data);
        fuse.write(writer, 4 * MIB, new byte[] {7});
        assertEquals(4 * MIB + 1, fuse.fstat(reader).st_size.longValue());
        Data.assertSame(data, fuse.read(reader, 2 * MIB - 10, MIB), "before any flush");
        Data.assertSame(new byte[] {0, 7}, fuse.read(reader, 4 * MIB - 1, 10), "the gap is zeros");
        fuse.close(writer);
        fuse.close(reader);
    }

    /** A clock the test moves. */
    static final class TestClock extends java.time.Clock {
        private final java.util.concurrent.atomic.AtomicLong millis = new java.util.concurrent.atomic.AtomicLong(1_000_000);

        void advance(java.time.Duration d) {
            millis.addAndGet(d.toMillis());
        }

        @Override
        public java.time.ZoneId getZone() {
            return java.time.ZoneOffset.UTC;
        }

        @Override
        public java.time.Clock withZone(java.time.ZoneId zone) {
            throw new UnsupportedOperationException();
        }

        @Override
        public java.time.Instant instant() {
            return java.time.Instant.ofEpochMilli(millis.get());
        }
    }

    private static void overwrite(String p, byte[] data) {
        FuseFileInfo fi = fuse.open(p, O_WRONLY | O_TRUNC);
        fuse.write(fi, 0, data);
        fuse.close(fi);
    }

    @Test
    void namesAndAttributesAreCachedAndEveryHostsChangesShowAtOnce() {
        Fuse cachingHost = new Fuse(cluster.client("host3", InProcessCluster.OPTIONS, new TestClock()),
                cluster.topology.blockSize());
        String p = path("async", "cached");
        fuse.put(p, Data.filled(100, 'a'));
        assertEquals(100, cachingHost.size(p));

        overwrite(p, Data.filled(300, 'b')); // another host's change
        eventually(300L, () -> cachingHost.size(p), "another host's committed size shows: the server's notice");
        assertEquals(0, fuse.fs.chmod(p, 0600));
        eventually(0600, () -> cachingHost.mode(p) & 07777, "and its chmod");
        String moved = p + "-moved";
        assertEquals(0, fuse.fs.rename(p, moved));
        eventually(-2, () -> cachingHost.getattr(p), "and its rename: the old name is gone (ENOENT)");
        assertEquals(300, cachingHost.size(moved), "and the new one is there");
        assertEquals(0, fuse.fs.rename(moved, p));

        overwrite(p, Data.filled(500, 'c'));
        FuseFileInfo fi = cachingHost.open(p, O_RDWR);
        assertEquals(500, cachingHost.size(p), "an open asks the server: close-to-open");
        Data.assertSame(Data.filled(500, 'c'), cachingHost.readAll(fi, 128 * KIB), "and reads the new bytes");
        cachingHost.write(fi, 500, Data.filled(10, 'd'));
        cachingHost.flush(fi);
        assertEquals(510, cachingHost.size(p), "this host's own writes show at once");
        eventually(510L, () -> fuse.size(p), "and on the other host");
        cachingHost.close(fi);
        assertEquals(0, cachingHost.fs.chmod(p, 0640));
        assertEquals(0640, cachingHost.mode(p) & 07777, "and its own chmod");
        String q = p + "-link";
        assertEquals(0, cachingHost.fs.link(p, q));
        assertEquals(2, cachingHost.stat(p).st_nlink.intValue(), "and its own hard link");
        eventually(2, () -> fuse.stat(p).st_nlink.intValue(), "seen by the other host too");
        assertEquals(0, fuse.fs.unlink(q));
        eventually(1, () -> cachingHost.stat(p).st_nlink.intValue(), "and the other host's unlink");
        eventually(-2, () -> cachingHost.getattr(q), "of the name it had cached");
        assertEquals(0, fuse.fs.unlink(p));
        eventually(-2, () -> cachingHost.getattr(p), "and of the last name");
    }

    /**
     * Another host learns of a change from the server's notice, sent before the change is answered
     * but on its own connection: it shows there a moment later, not necessarily before the answer.
     */
    static <T> void eventually(T expected, java.util.function.Supplier<T> actual, String message) {
        long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(5);
        T last = actual.get();
        while (!expected.equals(last) && System.nanoTime() < deadline) {
            Thread.onSpinWait();
            last = actual.get();
        }
        assertEquals(expected, last, message);
    }

    @Test
    void closeToOpenAcrossHosts() {
        for (String pair : new String[] {"sync", "async"}) {
            String p = path(pair, "shared");
            fuse.put(p, Data.filled(100, 'o'));
            FuseFileInfo early = otherHost.open(p, O_RDONLY); // host2 has it open across host1's change
            Data.assertSame(Data.filled(100, 'o'), otherHost.read(early, 0, 1000), pair);

            byte[] data = Data.random(3 * MIB + 5, 17);
            FuseFileInfo fi = fuse.open(p, O_WRONLY);
            fuse.write(fi, 0, data);
            fuse.flush(fi); // close(2) returns here
            eventually((long) data.length, () -> otherHost.size(p), pair + ": another host's stat sees the size");
            FuseFileInfo late = otherHost.open(p, O_RDONLY);
            Data.assertSame(data, otherHost.readAll(late, 128 * KIB), pair + ": and an open after the close the bytes");
            otherHost.close(late);
            fuse.release(fi);
            otherHost.close(early);
        }
    }

    @Test
    void anMtimeSetThroughAnOpenHandleAfterWritesOutlivesTheirCommit() {
        String p = path("async", "extracted");
        FuseFileInfo fi = fuse.create(p);
        fuse.write(fi, 0, Data.random(300 * KIB, 9)); // staged here, not yet committed
        assertEquals(0, fuse.utimens(p, 1_000_000_000L, 0, 981_173_106L, 123_456_789L)); // as tar does: futimens, then close
        fuse.close(fi);
        var st = fuse.stat(p);
        assertEquals(981_173_106L, st.st_mtim.tv_sec.get(), "the time set after the writes");
        assertEquals(123_456_789L, st.st_mtim.tv_nsec.longValue());
        assertEquals(300 * KIB, st.st_size.longValue(), "and the writes committed");
    }

    @Test
    void appendingAsTheKernelDoesWithOAppend() {
        String p = path("sync", "log");
        ByteArrayOutputStream want = new ByteArrayOutputStream();
        Random random = new Random(5);
        for (int round = 0; round < 3; round++) {
            Fuse host = round == 1 ? otherHost : fuse;
            FuseFileInfo fi = round == 0 ? host.create(p, 0644, O_WRONLY | O_APPEND | O_EXCL)
                    : host.open(p, O_WRONLY | O_APPEND);
            for (int i = 0; i < 60; i++) {
                byte[] record = Data.random(1 + random.nextInt(70 * KIB), round * 100 + i);
                long end = host.fstat(fi).st_size.longValue(); // O_APPEND: the kernel writes at its size
                assertEquals(want.size(), end, "round " + round + " record " + i);
                host.write(fi, end, record);
                want.write(record, 0, record.length);
            }
            host.close(fi);
        }
        Data.assertSame(want.toByteArray(), fuse.get(p), "the log");
        Data.assertSame(want.toByteArray(), otherHost.get(p), "the log on another host");
    }

    @Test
    void truncateAndFtruncateShrinkAndGrowWithZeros() {
        String p = path("sync", "f");
        byte[] data = Data.filled(3 * MIB, 0xAB);
        fuse.put(p, data);
        FuseFileInfo fi = fuse.open(p, O_RDWR);
        assertEquals(0, fuse.fs.ftruncate(p, 3 * MIB / 2 + 3, fi));
        assertEquals(3 * MIB / 2 + 3, fuse.fstat(fi).st_size.longValue());
        assertEquals(3 * MIB / 2 + 3, fuse.size(p));
        Data.assertSame(Arrays.copyOf(data, 3 * MIB / 2 + 3), fuse.readAll(fi, MIB), "shrunk");
        assertEquals(0, fuse.fs.ftruncate(p, 4 * MIB, fi));
        byte[] want = Arrays.copyOf(Arrays.copyOf(data, 3 * MIB / 2 + 3), 4 * MIB);
        Data.assertSame(want, fuse.readAll(fi, MIB), "grown: the new bytes are zeros");
        fuse.close(fi);
        Data.assertSame(want, otherHost.get(p), "grown, on another host");

        assertEquals(0, fuse.fs.truncate(p, 100));
        assertEquals(100, fuse.size(p));
        assertEquals(0, fuse.fs.truncate(p, 2 * MIB + 1));
        Data.assertSame(Arrays.copyOf(Arrays.copyOf(data, 100), 2 * MIB + 1), otherHost.get(p), "truncate by path");

        // a write past the end after a shrink: the bytes between read as zeros too
        assertEquals(0, fuse.fs.truncate(p, 10));
        FuseFileInfo w = fuse.open(p, O_WRONLY);
        fuse.write(w, 1000, new byte[] {1});
        fuse.close(w);
        byte[] after = new byte[1001];
        System.arraycopy(data, 0, after, 0, 10);
        after[1000] = 1;
        Data.assertSame(after, otherHost.get(p), "write past the end after a shrink");
        assertEquals(0, fuse.fs.truncate(p, 0));
        assertEquals(0, fuse.get(p).length);
    }

    @Test
    void openWithOTruncReadOnlyTruncatesAsLinuxDoes() {
        // the kernel opens, then truncates through the new read-only handle (libfuse 2 calls ftruncate)
        String p = path("sync", "f");
        fuse.put(p, Data.filled(5000, 1));
        FuseFileInfo fi = fuse.open(p, O_RDONLY | O_TRUNC);
        assertEquals(0, fuse.fs.ftruncate(p, 0, fi));
        fuse.close(fi);
        assertEquals(0, fuse.size(p));
    }

    @Test
    void aHandleOpenForReadingCannotWrite() {
        String p = path("sync", "f");
        fuse.put(p, Data.filled(10, 1));
        FuseFileInfo fi = fuse.open(p, O_RDONLY);
        assertEquals(EBADF, fuse.writeErr(fi, 0, new byte[] {2}), "write(2) on a read-only descriptor");
        fuse.close(fi);
        Data.assertSame(Data.filled(10, 1), fuse.get(p), "unchanged");
    }

    @Test
    void fsyncMakesWritesVisibleAndDurable() {
        String p = path("async", "f");
        byte[] data = Data.random(2 * MIB + 1, 8);
        FuseFileInfo fi = fuse.create(p);
        fuse.write(fi, 0, data);
        assertEquals(0, fuse.fs.fsync(p, 0, fi));
        assertEquals(0, fuse.fs.fsync(p, 1, fi));
        Data.assertSame(data, otherHost.get(p), "after fsync");
        fuse.release(fi);
    }

    @Test
    void concurrentWritersAndReadersOfOneHost() throws Exception {
        int threads = 4;
        int record = 64 * KIB;
        int records = 48; // 3 MiB each file
        String shared = path("async", "shared");
        fuse.release(fuse.create(shared));
        ExecutorService pool = Executors.newFixedThreadPool(2 * threads);
        try {
            List<Future<?>> done = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int me = t;
                done.add(pool.submit(() -> { // a file of its own, in kernel-sized writes, read back while open
                    String own = path(me % 2 == 0 ? "sync" : "async", "own" + me);
                    byte[] data = Data.random(records * record, 100 + me);
                    FuseFileInfo fi = fuse.create(own);
                    for (int at = 0; at < data.length; at += 128 * KIB) {
                        fuse.write(fi, at, Arrays.copyOfRange(data, at, at + 128 * KIB));
                        Data.assertSame(Arrays.copyOfRange(data, at / 2, at / 2 + 1000), fuse.read(fi, at / 2, 1000),
                                "read while writing " + own);
                    }
                    fuse.close(fi);
                    Data.assertSame(data, otherHost.get(own), own);
                    return null;
                }));
                done.add(pool.submit(() -> { // every fourth record of the shared file, through its own handle
                    FuseFileInfo fi = fuse.open(shared, O_RDWR);
                    for (int i = me; i < records; i += threads) {
                        fuse.write(fi, (long) i * record, Data.random(record, i));
                    }
                    fuse.close(fi);
                    return null;
                }));
            }
            for (Future<?> f : done) {
                f.get(60, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
        ByteArrayOutputStream want = new ByteArrayOutputStream();
        for (int i = 0; i < records; i++) {
            want.write(Data.random(record, i));
        }
        Data.assertSame(want.toByteArray(), otherHost.get(shared), "the shared file");
    }

    /** The keep_cache bit of libfuse 2's fuse_file_info (bit 1 of the word at offset 20). */
    private static boolean keepCache(FuseFileInfo fi) {
        return (jnr.ffi.Struct.getMemory(fi).getInt(20) & 2) != 0;
    }

    @Test
    void anOpenKeepsTheKernelsCacheOnlyOfAnUnchangedFile() {
        assertEquals(24, Fuse.newInfo(0).fh.offset(), "jnr-fuse's fuse_file_info has fh where libfuse 2 has it");
        String p = path("sync", "video");
        fuse.put(p, Data.filled(1000, 1));
        FuseFileInfo first = fuse.open(p, O_RDONLY);
        assertEquals(true, keepCache(first), "this host wrote it: its cache holds what it wrote");
        fuse.close(first);
        FuseFileInfo again = fuse.open(p, O_RDONLY);
        assertEquals(true, keepCache(again), "unchanged");
        fuse.close(again);
        FuseFileInfo w = otherHost.open(p, O_WRONLY);
        otherHost.write(w, 10, new byte[] {2});
        otherHost.close(w);
        FuseFileInfo changed = fuse.open(p, O_RDONLY);
        assertEquals(false, keepCache(changed), "another host changed it: the kernel must drop its pages");
        assertEquals(2, fuse.read(changed, 10, 1)[0]);
        fuse.close(changed);
        FuseFileInfo later = fuse.open(p, O_RDONLY);
        assertEquals(true, keepCache(later), "unchanged since the last open");
        fuse.close(later);
    }

    @Test
    void operationsOnAReleasedHandleFailWithEbadf() {
        String p = path("sync", "f");
        FuseFileInfo fi = fuse.create(p);
        fuse.close(fi);
        assertEquals(EBADF, fuse.writeErr(fi, 0, new byte[] {1}));
        assertEquals(EBADF, fuse.fs.read(p, Fuse.memory(10), 10, 0, fi));
        assertEquals(EBADF, fuse.fs.flush(p, fi));
        assertEquals(EBADF, fuse.fs.release(p, fi));
    }
}
