package io.cfs.blockstore.volume;

import io.cfs.blockstore.cache.ClusterCache;
import io.cfs.protocol.CfsException;
import io.cfs.protocol.ErrorCode;
import io.cfs.protocol.MessageCodec;
import io.cfs.topology.VolumeId;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.PooledByteBufAllocator;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongPredicate;
import java.util.zip.CRC32C;

/**
 * The I/O processor over one volume: a sparse file of exactly the volume's capacity, read and
 * written with positional {@link FileChannel} calls (thread-safe, no shared file position). Reads
 * land directly in (pooled, direct) {@link ByteBuf}s, writes go straight from the request's buffer.
 *
 * <p>The storage system's {@link ClusterCache} sits in front of it: {@link #readCached} serves
 * whole clusters from memory and fills it, and {@link #write} invalidates the clusters it touched
 * before it returns, so the cache never holds bytes the file no longer has. Every byte read from
 * or written to the file is charged to the volume's {@link Bandwidth} and counted.
 */
public final class Volume implements AutoCloseable {
    /** The most clusters one {@link #checksums} call covers. */
    public static final int MAX_CHECKSUMS = 65536;

    private final VolumeId id;
    private final Path file;
    private final long capacity;
    private final boolean created;
    private final FileChannel channel;
    private final ClusterCache cache;
    private final Bandwidth bandwidth;
    private final LongAdder diskReads = new LongAdder();
    private final LongAdder bytesRead = new LongAdder();
    private final LongAdder bytesWritten = new LongAdder();

    private Volume(VolumeId id, Path file, long capacity, boolean created, FileChannel channel, ClusterCache cache,
                   Bandwidth bandwidth) {
        this.id = id;
        this.file = file;
        this.capacity = capacity;
        this.created = created;
        this.channel = channel;
        this.cache = cache;
        this.bandwidth = bandwidth;
    }

    /**
     * Opens the volume file, creating it if it does not exist (sparse, of {@code capacity} bytes).
     * An existing file of another size is refused: it belongs to another configuration.
     *
     * @param cache     the storage system's cache memory (possibly disabled); its cluster size is the
     *                  unit of this volume's cached reads and checksums
     * @param bandwidth this volume's disk bandwidth limit (possibly {@link Bandwidth#UNLIMITED})
     */
    public static Volume open(VolumeId id, Path file, long capacity, ClusterCache cache, Bandwidth bandwidth)
            throws IOException {
        boolean created = false;
        if (!Files.exists(file)) {
            Files.createDirectories(file.toAbsolutePath().getParent());
            Path partial = file.resolveSibling(file.getFileName() + ".new");
            try (RandomAccessFile raf = new RandomAccessFile(partial.toFile(), "rw")) {
                raf.setLength(capacity);
            }
            Files.move(partial, file, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
            created = true;
        }
        long size = Files.size(file);
        if (size != capacity) {
            throw new IOException("volume file " + file + " is " + size + " bytes: expected exactly " + capacity
                    + " (the capacity of volume " + id + " in the topology)");
        }
        FileChannel channel = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE);
        return new Volume(id, file, capacity, created, channel, cache, bandwidth);
    }

    public VolumeId id() {
        return id;
    }

    public long capacity() {
        return capacity;
    }

    /** Whether {@link #open} created the file (so the volume holds only zeros, no previous data). */
    public boolean created() {
        return created;
    }

    /** Checks that {@code [offset, offset+length)} lies within the volume and length is at most MAX_DATA. */
    public void checkRange(long offset, long length) {
        if (length < 0 || length > MessageCodec.MAX_DATA) {
            throw new CfsException(ErrorCode.INVALID_ARGUMENT, "volume " + id + ": length " + length
                    + " at offset " + offset + ": expected 0.." + MessageCodec.MAX_DATA);
        }
        if (offset < 0 || offset > capacity - length) {
            throw new CfsException(ErrorCode.OUT_OF_RANGE, "volume " + id + ": range at offset " + offset
                    + " of " + length + " bytes: expected within the capacity of " + capacity + " bytes");
        }
    }

    public Bandwidth bandwidth() {
        return bandwidth;
    }

    /** The clusters of the volume (the last one may be short). */
    public long clusters() {
        int size = cache.clusterSize();
        return (capacity + size - 1) / size;
    }

    /** The number of bytes of cluster {@code cluster} of this volume. */
    public int clusterLength(long cluster) {
        return (int) Math.min(cache.clusterSize(), capacity - cluster * cache.clusterSize());
    }

    /** Read calls that went to the volume file. */
    public long diskReads() {
        return diskReads.sum();
    }

    /** Bytes read from the volume file. */
    public long bytesRead() {
        return bytesRead.sum();
    }

    /** Bytes written to the volume file. */
    public long bytesWritten() {
        return bytesWritten.sum();
    }

    /** Reads {@code length} bytes at {@code offset} from the disk (not the cache) into a new direct buffer (the caller releases it). */
    public ByteBuf read(ByteBufAllocator alloc, long offset, int length) throws IOException {
        checkRange(offset, length);
        ByteBuf buf = alloc.directBuffer(length, length);
        try {
            readInto(buf, 0, offset, length);
            buf.writerIndex(length);
            return buf;
        } catch (IOException | RuntimeException e) {
            buf.release();
            throw e;
        }
    }

    /**
     * Reads {@code length} bytes at {@code offset} from the disk (not the cache) into {@code dst}
     * at index {@code dstIndex} (an absolute index, within the buffer's capacity; the buffer's
     * indexes are not moved).
     */
    public void readInto(ByteBuf dst, int dstIndex, long offset, int length) throws IOException {
        checkRange(offset, length);
        long position = offset;
        for (ByteBuffer nio : dst.nioBuffers(dstIndex, length)) {
            position = readFully(nio, position);
        }
    }

    private long readFully(ByteBuffer nio, long position) throws IOException {
        int length = nio.remaining();
        bandwidth.charge(length);
        diskReads.increment();
        bytesRead.add(length);
        while (nio.hasRemaining()) {
            int n = channel.read(nio, position);
            if (n < 0) {
                throw new IOException("volume file " + file + " ends at " + position + ": expected " + capacity
                        + " bytes (was it truncated?)");
            }
            position += n;
        }
        return position;
    }

    /** Reads {@code length} bytes at {@code offset} through the cache into a new direct buffer; see {@link #readCached(ByteBuf, int, long, int, LongPredicate)}. */
    public ByteBuf readCached(ByteBufAllocator alloc, long offset, int length) throws IOException {
        checkRange(offset, length);
        ByteBuf buf = alloc.directBuffer(length, length);
        try {
            readCached(buf, 0, offset, length, c -> true);
            buf.writerIndex(length);
            return buf;
        } catch (IOException | RuntimeException e) {
            buf.release();
            throw e;
        }
    }

    /**
     * Reads {@code length} bytes at {@code offset} into {@code dst} at {@code dstIndex} through the
     * cache: each cluster touched is served from memory if cached, else read whole from the disk
     * into the cache memory (no heap copy) and kept there if {@code valid} still holds for it then
     * (a mirror's cluster that became stale meanwhile is not). Without a cache, reads the range
     * from the disk.
     */
    public void readCached(ByteBuf dst, int dstIndex, long offset, int length, LongPredicate valid) throws IOException {
        checkRange(offset, length);
        if (!cache.enabled()) {
            readInto(dst, dstIndex, offset, length);
            return;
        }
        int size = cache.clusterSize();
        long end = offset + length;
        for (long c = offset / size; c * size < end; c++) {
            long start = c * size;
            long from = Math.max(offset, start);
            int n = (int) (Math.min(end, start + clusterLength(c)) - from);
            int at = dstIndex + (int) (from - offset);
            if (!cache.read(id, c, (int) (from - start), n, dst, at)) {
                cache.fill(id, c, clusterLength(c), into -> readFully(into, start), valid, dst, at,
                        (int) (from - start), n);
            }
        }
    }

    /**
     * Copies {@code length} bytes at {@code offset} into {@code dst} at {@code dstIndex} if every
     * cluster they touch is cached; false if one is not (the bytes of {@code dst} in that range are
     * then undefined). Touches no disk and counts nothing (the caller counts the hits of a read
     * served whole).
     */
    public boolean copyCached(ByteBuf dst, int dstIndex, long offset, int length) {
        checkRange(offset, length);
        int size = cache.clusterSize();
        long end = offset + length;
        for (long c = offset / size; c * size < end; c++) {
            long start = c * size;
            long from = Math.max(offset, start);
            int n = (int) (Math.min(end, start + clusterLength(c)) - from);
            if (!cache.peek(id, c, (int) (from - start), n, dst, dstIndex + (int) (from - offset))) {
                return false;
            }
        }
        return true;
    }

    /** The number of clusters {@code [offset, offset+length)} touches. */
    public long clustersTouched(long offset, int length) {
        if (length == 0) {
            return 0;
        }
        int size = cache.clusterSize();
        return (offset + length - 1) / size - offset / size + 1;
    }

    /** Drops cached clusters of this volume that became stale (a mirror's, marked in a bitmap). */
    public void dropCached(long firstCluster, long count) {
        cache.invalidate(id, firstCluster, count);
    }

    /**
     * Writes the readable bytes of {@code data} at {@code offset}; the buffer's indexes are not
     * moved. The clusters touched are invalidated in the cache before this returns, whether the
     * write succeeded or not.
     */
    public void write(long offset, ByteBuf data) throws IOException {
        int length = data.readableBytes();
        checkRange(offset, length);
        if (length == 0) {
            return;
        }
        bandwidth.charge(length);
        bytesWritten.add(length);
        try {
            long position = offset;
            for (ByteBuffer nio : data.nioBuffers(data.readerIndex(), length)) {
                while (nio.hasRemaining()) {
                    position += channel.write(nio, position);
                }
            }
        } finally {
            cache.invalidate(id, offset / cache.clusterSize(), clustersTouched(offset, length));
        }
    }

    /**
     * The CRC32C of each of {@code count} clusters from {@code firstCluster} as the volume file
     * holds them (never the cache, whatever is stale): what a scrub compares between members.
     */
    public long[] checksums(long firstCluster, int count) throws IOException {
        if (count < 0 || count > MAX_CHECKSUMS) {
            throw new CfsException(ErrorCode.INVALID_ARGUMENT, "volume " + id + ": checksums of " + count
                    + " clusters from cluster " + firstCluster + ": expected 0.." + MAX_CHECKSUMS + " per request");
        }
        long clusters = clusters();
        if (firstCluster < 0 || firstCluster > clusters - count) {
            throw new CfsException(ErrorCode.OUT_OF_RANGE, "volume " + id + ": checksums of clusters " + firstCluster
                    + ".." + (firstCluster + count - 1) + ": expected within 0.." + (clusters - 1) + " ("
                    + capacity + " bytes in clusters of " + cache.clusterSize() + ")");
        }
        long[] out = new long[count];
        if (count == 0) {
            return out;
        }
        ByteBuf buf = PooledByteBufAllocator.DEFAULT.directBuffer(cache.clusterSize(), cache.clusterSize());
        try {
            CRC32C crc = new CRC32C();
            for (int i = 0; i < count; i++) {
                long cluster = firstCluster + i;
                int length = clusterLength(cluster);
                readInto(buf, 0, cluster * cache.clusterSize(), length);
                crc.reset();
                crc.update(buf.nioBuffer(0, length));
                out[i] = crc.getValue();
            }
            return out;
        } finally {
            buf.release();
        }
    }

    /** Forces every write so far to the disk. */
    public void force() throws IOException {
        channel.force(false);
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }

    @Override
    public String toString() {
        return "volume " + id + " (" + file + ")";
    }
}
