package io.cfs.blockstore.volume;

import io.cfs.protocol.CfsException;
import io.cfs.protocol.ErrorCode;
import io.cfs.protocol.MessageCodec;
import io.cfs.topology.VolumeId;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * The I/O processor over one volume: a sparse file of exactly the volume's capacity, read and
 * written with positional {@link FileChannel} calls (thread-safe, no shared file position). Reads
 * land directly in (pooled, direct) {@link ByteBuf}s, writes go straight from the request's buffer.
 */
public final class Volume implements AutoCloseable {
    private final VolumeId id;
    private final Path file;
    private final long capacity;
    private final boolean created;
    private final FileChannel channel;

    private Volume(VolumeId id, Path file, long capacity, boolean created, FileChannel channel) {
        this.id = id;
        this.file = file;
        this.capacity = capacity;
        this.created = created;
        this.channel = channel;
    }

    /**
     * Opens the volume file, creating it (sparse, of {@code capacity} bytes) if it does not exist.
     * An existing file of another size is refused: it belongs to another configuration.
     */
    public static Volume open(VolumeId id, Path file, long capacity) throws IOException {
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
        return new Volume(id, file, capacity, created, channel);
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

    /** Reads {@code length} bytes at {@code offset} into a new direct buffer (the caller releases it). */
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
     * Reads {@code length} bytes at {@code offset} into {@code dst} at index {@code dstIndex} (an
     * absolute index, within the buffer's capacity; the buffer's indexes are not moved).
     */
    public void readInto(ByteBuf dst, int dstIndex, long offset, int length) throws IOException {
        checkRange(offset, length);
        long position = offset;
        for (ByteBuffer nio : dst.nioBuffers(dstIndex, length)) {
            while (nio.hasRemaining()) {
                int n = channel.read(nio, position);
                if (n < 0) {
                    throw new IOException("volume file " + file + " ends at " + position + ": expected "
                            + capacity + " bytes (was it truncated?)");
                }
                position += n;
            }
        }
    }

    /** Writes the readable bytes of {@code data} at {@code offset}; the buffer's indexes are not moved. */
    public void write(long offset, ByteBuf data) throws IOException {
        int length = data.readableBytes();
        checkRange(offset, length);
        long position = offset;
        for (ByteBuffer nio : data.nioBuffers(data.readerIndex(), length)) {
            while (nio.hasRemaining()) {
                position += channel.write(nio, position);
            }
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
