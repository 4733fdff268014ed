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
import io.cfs.protocol.MessageCodec;
import io.cfs.topology.VolumeId;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ExecutorService;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

@ExtendWith(LeakCheck.Collecting.class)
class VolumeTest {
    @TempDir
    Path dir;

    /** A volume without a cache or a bandwidth limit. */
    static Volume open(VolumeId id, Path file, long capacity) throws IOException {
        return Volume.open(id, file, capacity, ClusterCache.disabled(4096), Bandwidth.UNLIMITED);
    }

    @Test
    void createsASparseFileOfTheCapacity() throws IOException {
        // 1 TiB: more than the test disk holds, so this only passes if the file is sparse.
        long capacity = 1L << 40;
        Path file = dir.resolve("volumes/v1.vol");
        try (Volume v = open(new VolumeId("v1"), file, capacity)) {
            assertTrue(v.created());
            assertEquals(capacity, Files.size(file));
            assertEquals(capacity, v.capacity());
        }
        try (Volume v = open(new VolumeId("v1"), file, capacity)) {
            assertFalse(v.created());
        }
    }

    @Test
    void refusesAFileOfAnotherSize() throws IOException {
        Path file = dir.resolve("v2.vol");
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
            raf.setLength(4096);
        }
        IOException e = assertThrows(IOException.class, () -> open(new VolumeId("v2"), file, 8192));
        assertTrue(e.getMessage().contains(file.toString()) && e.getMessage().contains("4096 bytes")
                && e.getMessage().contains("expected exactly 8192"), e.getMessage());
    }

    @Test
    void checksBounds() throws IOException {
        try (Volume v = open(new VolumeId("v3"), dir.resolve("v3.vol"), 1 << 20)) {
            CfsException e = assertThrows(CfsException.class, () -> v.checkRange((1 << 20) - 1, 2));
            assertEquals(ErrorCode.OUT_OF_RANGE, e.code());
            assertTrue(e.getMessage().contains("v3") && e.getMessage().contains("1048575"), e.getMessage());
            assertEquals(ErrorCode.OUT_OF_RANGE, assertThrows(CfsException.class, () -> v.checkRange(-1, 1)).code());
            assertEquals(ErrorCode.OUT_OF_RANGE,
                    assertThrows(CfsException.class, () -> v.checkRange(Long.MAX_VALUE, 1)).code());
            assertEquals(ErrorCode.INVALID_ARGUMENT,
                    assertThrows(CfsException.class, () -> v.checkRange(0, MessageCodec.MAX_DATA + 1)).code());
            assertEquals(ErrorCode.INVALID_ARGUMENT, assertThrows(CfsException.class, () -> v.checkRange(0, -1)).code());
            v.checkRange((1 << 20) - 1, 1);
            v.checkRange(1 << 20, 0);
            ByteBuf tooFar = Unpooled.wrappedBuffer(new byte[2]);
            assertThrows(CfsException.class, () -> v.write((1 << 20) - 1, tooFar));
        }
    }

    @Test
    void writesAndReadsAtPositionsWithoutMovingBufferIndexes() throws IOException {
        try (Volume v = open(new VolumeId("v4"), dir.resolve("v4.vol"), 1 << 20)) {
            byte[] a = new byte[10000];
            new Random(1).nextBytes(a);
            CompositeByteBuf data = Unpooled.compositeBuffer();
            data.addComponent(true, Unpooled.wrappedBuffer(a, 0, 3000));
            data.addComponent(true, Unpooled.wrappedBuffer(a, 3000, 7000));
            v.write(12345, data);
            assertEquals(0, data.readerIndex());
            data.release();

            ByteBuf read = v.read(PooledByteBufAllocator.DEFAULT, 12345, a.length);
            try {
                assertTrue(read.isDirect());
                assertArrayEquals(a, ByteBufUtil.getBytes(read));
            } finally {
                read.release();
            }
            ByteBuf into = PooledByteBufAllocator.DEFAULT.directBuffer(100);
            try {
                v.readInto(into, 10, 12345 + 50, 20);
                into.writerIndex(30);
                byte[] expected = new byte[20];
                System.arraycopy(a, 50, expected, 0, 20);
                assertArrayEquals(expected, ByteBufUtil.getBytes(into, 10, 20));
            } finally {
                into.release();
            }
            ByteBuf zeros = v.read(PooledByteBufAllocator.DEFAULT, 500_000, 100);
            try {
                assertArrayEquals(new byte[100], ByteBufUtil.getBytes(zeros), "a hole reads as zeros");
            } finally {
                zeros.release();
            }
        }
    }

    @Test
    void orderedExecutorKeepsSubmissionOrder() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            OrderedExecutor ordered = new OrderedExecutor(pool);
            List<Integer> seen = new ArrayList<>();
            CountDownLatch done = new CountDownLatch(1000);
            for (int i = 0; i < 1000; i++) {
                int n = i;
                ordered.execute(() -> {
                    seen.add(n); // unsynchronized on purpose: tasks must never overlap
                    done.countDown();
                });
            }
            done.await();
            for (int i = 0; i < 1000; i++) {
                assertEquals(i, seen.get(i));
            }
        } finally {
            pool.shutdownNow();
        }
    }
}
