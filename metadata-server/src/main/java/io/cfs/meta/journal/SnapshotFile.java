package io.cfs.meta.journal;

import io.cfs.meta.namespace.Namespace;
import io.cfs.meta.namespace.NamespaceSnapshot;
import io.cfs.protocol.message.Timespec;
import io.cfs.topology.Topology;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.zip.CRC32C;
import java.util.zip.CheckedOutputStream;

/**
 * A snapshot of the whole state machine after its first {@code index} records: {@code
 * <data>/journal/snapshot-<index>}, written aside as {@code snapshot-<index>.tmp}, fsynced,
 * renamed into place and the directory fsynced, so a snapshot under its final name is always
 * complete.
 *
 * <p>Layout: {@code "CFS-SNAP" | u32 version (1) | u64 index | i64 created seconds | i32 created
 * nanos | state (see {@link NamespaceSnapshot}) | u32 crc32c of every byte before}.
 *
 * <p>Reading checks the checksum over the whole file first, so damage anywhere is reported as
 * such, then decodes; either failure is a {@link CorruptJournalException} naming the file.
 */
final class SnapshotFile {
    static final String PREFIX = "snapshot-";
    static final byte[] MAGIC = "CFS-SNAP".getBytes(StandardCharsets.US_ASCII);
    static final int VERSION = 1;
    static final int HEADER_BYTES = 8 + 4 + 8 + 8 + 4;

    /** What a snapshot holds. */
    record Loaded(long index, Timespec created, Namespace namespace) {}

    private SnapshotFile() {}

    static String name(long index) {
        return PREFIX + index;
    }

    /** Writes the snapshot of {@code ns} at {@code index} atomically; returns its path. */
    static Path write(Path dir, long index, Timespec created, Namespace ns) throws IOException {
        Path path = dir.resolve(name(index));
        Path temp = dir.resolve(name(index) + Journal.TEMP_SUFFIX);
        try (FileChannel channel = FileChannel.open(temp, StandardOpenOption.CREATE,
                StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE)) {
            writeTo(channel, index, created, ns);
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(temp);
            throw e;
        }
        Files.move(temp, path, StandardCopyOption.ATOMIC_MOVE);
        JournalFile.syncDirectory(dir);
        return path;
    }

    /** Writes the whole file through a buffer (closed with the channel) and fsyncs it. */
    private static void writeTo(FileChannel channel, long index, Timespec created, Namespace ns) throws IOException {
        CheckedOutputStream checked = new CheckedOutputStream(
                new BufferedOutputStream(Channels.newOutputStream(channel), 1 << 16), new CRC32C());
        DataOutputStream out = new DataOutputStream(checked);
        out.write(MAGIC);
        out.writeInt(VERSION);
        out.writeLong(index);
        out.writeLong(created.seconds());
        out.writeInt(created.nanos());
        NamespaceSnapshot.write(ns, out);
        out.flush();
        out.writeInt((int) checked.getChecksum().getValue());
        out.flush();
        channel.force(true);
    }

    /**
     * Reads and checks the snapshot at {@code path}.
     *
     * @param index the index its name gives, which the header must repeat
     */
    static Loaded read(Path path, long index, Topology topology) throws IOException {
        long size = Files.size(path);
        if (size < HEADER_BYTES + 4) {
            throw new CorruptJournalException("snapshot " + path + " has " + size + " bytes: expected at least "
                    + (HEADER_BYTES + 4));
        }
        checkChecksum(path, size);
        try (DataInputStream in = new DataInputStream(new BufferedInputStream(Files.newInputStream(path), 1 << 16))) {
            byte[] magic = new byte[MAGIC.length];
            in.readFully(magic);
            if (!Arrays.equals(magic, MAGIC)) {
                throw new CorruptJournalException("snapshot " + path + " does not start with "
                        + new String(MAGIC, StandardCharsets.US_ASCII) + ": not a CFS snapshot");
            }
            int version = in.readInt();
            if (version != VERSION) {
                throw new CorruptJournalException("snapshot " + path + " has version " + version
                        + ": this server reads version " + VERSION);
            }
            long headerIndex = in.readLong();
            if (headerIndex != index) {
                throw new CorruptJournalException("snapshot " + path + " holds records up to " + headerIndex
                        + " but its name says " + index + ": renamed by hand?");
            }
            Timespec created = new Timespec(in.readLong(), in.readInt());
            Namespace ns = NamespaceSnapshot.read(topology, in);
            in.readInt();
            if (in.read() != -1) {
                throw new CorruptJournalException("snapshot " + path + " has bytes after its state and checksum");
            }
            return new Loaded(index, created, ns);
        } catch (EOFException e) {
            throw new CorruptJournalException("snapshot " + path + " ends before its state does: " + e.getMessage(), e);
        } catch (IllegalArgumentException e) {
            throw new CorruptJournalException("snapshot " + path + " does not hold a valid state: " + e.getMessage(), e);
        }
    }

    private static void checkChecksum(Path path, long size) throws IOException {
        CRC32C crc = new CRC32C();
        byte[] buffer = new byte[1 << 16];
        long left = size - 4;
        byte[] trailer = new byte[4];
        try (InputStream in = Files.newInputStream(path)) {
            while (left > 0) {
                int n = in.read(buffer, 0, (int) Math.min(buffer.length, left));
                if (n < 0) {
                    throw new EOFException("snapshot " + path + " shrank while read");
                }
                crc.update(buffer, 0, n);
                left -= n;
            }
            if (in.readNBytes(trailer, 0, 4) != 4) {
                throw new EOFException("snapshot " + path + " shrank while read");
            }
        }
        int stored = ((trailer[0] & 0xFF) << 24) | ((trailer[1] & 0xFF) << 16) | ((trailer[2] & 0xFF) << 8)
                | (trailer[3] & 0xFF);
        if (stored != (int) crc.getValue()) {
            throw new CorruptJournalException("snapshot " + path + " is corrupt: checksum mismatch (stored "
                    + Integer.toHexString(stored) + ", computed " + Long.toHexString(crc.getValue())
                    + "); refusing to start rather than serve a damaged state (restore it from a copy)");
        }
    }
}
