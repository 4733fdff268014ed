package io.cfs.blockstore.volume;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cfs.blockstore.cache.ClusterCache;
import io.cfs.protocol.CfsException;
import io.cfs.protocol.ErrorCode;
import io.cfs.protocol.LeakCheck;
import io.cfs.topology.VolumeId;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** A volume behind the cache memory, without sockets: hits, fills, invalidation by writes, checksums. */
@ExtendWith(LeakCheck.Collecting.class)
class VolumeCacheTest {
    static final int CLUSTER = 4096;
    static final int CAPACITY = 64 * CLUSTER + 1000; // the last cluster is short

    @TempDir
    Path dir;
    ClusterCache cache;
    Volume volume;

    @BeforeEach
    void open() throws Exception {
        cache = new ClusterCache(1 << 20, CLUSTER);
        volume = Volume.open(new VolumeId("v"), dir.resolve("v.vol"), CAPACITY, cache, Bandwidth.UNLIMITED);
    }

    @AfterEach
    void close() throws Exception {
        volume.close();
        cache.close();
    }

    byte[] read(long offset, int length) throws Exception {
        ByteBuf b = volume.readCached(PooledByteBufAllocator.DEFAULT, offset, length);
        try {
            return ByteBufUtil.getBytes(b);
        } finally {
            b.release();
        }
    }

    void write(long offset, byte[] bytes) throws Exception {
        volume.write(offset, Unpooled.wrappedBuffer(bytes));
    }

    static byte[] random(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    @Test
    void theSecondReadOfAClusterIsAHitAndTouchesNoDisk() throws Exception {
        byte[] data = random(4 * CLUSTER, 1);
        write(8 * CLUSTER, data);
        assertArrayEquals(data, read(8 * CLUSTER, data.length));
        long reads = volume.diskReads();
        assertEquals(4, cache.misses());
        for (int reader = 0; reader < 50; reader++) { // many players of one popular video
            assertArrayEquals(data, read(8 * CLUSTER, data.length));
        }
        assertEquals(reads, volume.diskReads(), "served from memory");
        assertEquals(200, cache.hits());
        // A partial read is served from a cached whole cluster.
        assertArrayEquals(Arrays.copyOfRange(data, 100, CLUSTER + 7), read(8 * CLUSTER + 100, CLUSTER - 93));
        assertEquals(reads, volume.diskReads());
    }

    @Test
    void aPartialMissReadsTheWholeClusterAndCachesIt() throws Exception {
        byte[] data = random(CLUSTER, 2);
        write(3 * CLUSTER, data);
        assertArrayEquals(Arrays.copyOfRange(data, 10, 20), read(3 * CLUSTER + 10, 10));
        assertTrue(cache.contains(volume.id(), 3));
        long reads = volume.diskReads();
        assertArrayEquals(Arrays.copyOfRange(data, 2000, CLUSTER), read(3 * CLUSTER + 2000, CLUSTER - 2000));
        assertEquals(reads, volume.diskReads());
        // The short last cluster is cached at its own length.
        byte[] tail = random(1000, 3);
        write(64L * CLUSTER, tail);
        assertArrayEquals(tail, read(64L * CLUSTER, 1000));
        assertArrayEquals(Arrays.copyOfRange(tail, 500, 1000), read(64L * CLUSTER + 500, 500));
    }

    @Test
    void aWriteInvalidatesWhatItTouchesBeforeItReturns() throws Exception {
        write(0, random(6 * CLUSTER, 4));
        read(0, 6 * CLUSTER);
        for (int c = 0; c < 6; c++) {
            assertTrue(cache.contains(volume.id(), c));
        }
        byte[] data = random(CLUSTER + 10, 5);
        write(2 * CLUSTER - 5, data); // touches clusters 1, 2 and 3
        assertFalse(cache.contains(volume.id(), 1) || cache.contains(volume.id(), 2) || cache.contains(volume.id(), 3));
        assertTrue(cache.contains(volume.id(), 0) && cache.contains(volume.id(), 4));
        assertArrayEquals(data, read(2 * CLUSTER - 5, data.length), "a write then a read returns the new bytes");
        assertArrayEquals(data, Arrays.copyOfRange(Files.readAllBytes(dir.resolve("v.vol")), 2 * CLUSTER - 5,
                3 * CLUSTER + 5));
    }

    @Test
    void aReadRacingWritesNeverLeavesOlderBytesCached() throws Exception {
        ExecutorService readers = Executors.newFixedThreadPool(3);
        AtomicBoolean stop = new AtomicBoolean();
        try {
            List<Future<?>> running = new ArrayList<>();
            for (int t = 0; t < 3; t++) {
                running.add(readers.submit(() -> {
                    while (!stop.get()) {
                        read(0, 2 * CLUSTER);
                    }
                    return null;
                }));
            }
            for (int round = 0; round < 1500; round++) {
                byte[] data = new byte[2 * CLUSTER];
                Arrays.fill(data, (byte) round);
                write(0, data);
                assertArrayEquals(data, read(0, data.length), "round " + round + ": read after the write");
            }
            stop.set(true);
            for (Future<?> f : running) {
                f.get(10, TimeUnit.SECONDS);
            }
        } finally {
            stop.set(true);
            readers.shutdownNow();
        }
    }

    @Test
    void neverHoldsMoreThanItsBound() throws Exception {
        try (ClusterCache small = new ClusterCache(5L * CLUSTER, CLUSTER);
             Volume v = Volume.open(new VolumeId("s"), dir.resolve("s.vol"), CAPACITY, small, Bandwidth.UNLIMITED)) {
            for (int c = 0; c < 64; c++) {
                ByteBuf b = v.readCached(PooledByteBufAllocator.DEFAULT, (long) c * CLUSTER, CLUSTER);
                b.release();
                assertTrue(small.bytes() <= small.maxBytes(), small.bytes() + " bytes held after cluster " + c);
            }
            assertTrue(small.bytes() > 0);
        }
    }

    @Test
    void withoutACacheEveryReadGoesToTheDisk() throws Exception {
        try (Volume v = Volume.open(new VolumeId("n"), dir.resolve("n.vol"), CAPACITY, ClusterCache.disabled(CLUSTER),
                Bandwidth.UNLIMITED)) {
            for (int i = 0; i < 3; i++) {
                v.readCached(PooledByteBufAllocator.DEFAULT, 0, CLUSTER).release();
            }
            assertEquals(3, v.diskReads());
            ByteBuf dst = PooledByteBufAllocator.DEFAULT.directBuffer(CLUSTER);
            try {
                assertFalse(v.copyCached(dst, 0, 0, CLUSTER));
            } finally {
                dst.release();
            }
        }
    }

    @Test
    void checksumsAreTheCrc32cOfEachClusterAsStored() throws Exception {
        byte[] data = random(3 * CLUSTER, 6);
        write(CLUSTER, data);
        read(CLUSTER, CLUSTER); // cached, but checksums read the disk
        long reads = volume.diskReads();
        long[] sums = volume.checksums(0, 4);
        assertEquals(reads + 4, volume.diskReads());
        CRC32C crc = new CRC32C();
        crc.update(new byte[CLUSTER]);
        assertEquals(crc.getValue(), sums[0], "a hole reads as zeros");
        for (int c = 1; c < 4; c++) {
            crc.reset();
            crc.update(data, (c - 1) * CLUSTER, CLUSTER);
            assertEquals(crc.getValue(), sums[c], "cluster " + c);
        }
        crc.reset();
        crc.update(new byte[1000]);
        assertEquals(crc.getValue(), volume.checksums(64, 1)[0], "the short last cluster");
        assertEquals(0, volume.checksums(65, 0).length);

        CfsException e = assertThrows(CfsException.class, () -> volume.checksums(64, 2));
        assertEquals(ErrorCode.OUT_OF_RANGE, e.code());
        assertTrue(e.getMessage().contains("volume v") && e.getMessage().contains("0..64"), e.getMessage());
        e = assertThrows(CfsException.class, () -> volume.checksums(-1, 1));
        assertEquals(ErrorCode.OUT_OF_RANGE, e.code());
        e = assertThrows(CfsException.class, () -> volume.checksums(0, Volume.MAX_CHECKSUMS + 1));
        assertEquals(ErrorCode.INVALID_ARGUMENT, e.code());
        assertTrue(e.getMessage().contains("65536"), e.getMessage());
    }
}
