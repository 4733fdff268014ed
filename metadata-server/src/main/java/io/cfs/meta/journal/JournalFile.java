package io.cfs.meta.journal;

import io.cfs.meta.namespace.Operation;
import io.cfs.protocol.message.Timespec;
import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.List;
import java.util.function.Consumer;
import java.util.zip.CRC32C;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One segment of the {@link Journal}: {@code <data>/journal/journal-<first>.log}, a header then
 * records, record {@code first} being the first operation it holds (counted from the creation of
 * the filesystem; the journal starts a new segment after each snapshot).
 *
 * <p>Header (36 bytes): {@code "CFS-JRNL" | u32 version (1) | u64 first record index | i64
 * created seconds | i32 created nanos | u32 crc32c of the 32 bytes before}. The creation time is
 * the filesystem's (the root directory's time), copied into every segment.
 *
 * <p>Record: {@code u32 length | u32 crc32c | u8 type | payload}, where length counts the type and
 * the payload and the crc32c covers them (see {@link OperationCodec} for types and payloads).
 *
 * <p>Replay reads every record in order. In the last segment, a bad record at the very end (cut
 * short, or failing its checksum with no valid record after it) is a write torn by a crash: it was
 * never acknowledged, so it is dropped with a WARN line and truncated away. A bad record followed
 * by valid data, a bad record in any segment but the last (appends only ever go to the last), a
 * record of an unknown type, or one that does not decode or apply is corruption: replay fails
 * with a {@link CorruptJournalException} naming the file and the offset rather than serve wrong
 * data. A segment is created whole (written aside, fsynced, renamed), so its header is never torn.
 */
public final class JournalFile implements AutoCloseable {
    static final byte[] MAGIC = "CFS-JRNL".getBytes(StandardCharsets.US_ASCII);
    static final int VERSION = 1;
    static final int HEADER_BYTES = 36;
    static final int RECORD_HEADER_BYTES = 8;
    /** Largest record (type and payload); the largest operation, a 65536-extent allocation, takes under 4 MiB. */
    static final int MAX_RECORD = 16 << 20;
    private static final Logger log = LoggerFactory.getLogger(JournalFile.class);

    private final Path path;
    private final FileChannel channel;
    private final long first;
    private final Timespec created;
    private final OperationCodec codec;
    /** The file offset after the last record. */
    private long end = HEADER_BYTES;
    private long records;
    private boolean replayed;

    private JournalFile(Path path, FileChannel channel, long first, Timespec created, OperationCodec codec) {
        this.path = path;
        this.channel = channel;
        this.first = first;
        this.created = created;
        this.codec = codec;
    }

    /** The file name of the segment starting at record {@code first}. */
    static String name(long first) {
        return "journal-" + first + ".log";
    }

    /**
     * Creates an empty segment starting at record {@code first} (written aside, fsynced, renamed,
     * the directory fsynced) and opens it for appending.
     */
    static JournalFile create(Path dir, long first, Timespec created, OperationCodec codec) throws IOException {
        ByteBuffer header = ByteBuffer.allocate(HEADER_BYTES);
        header.put(MAGIC).putInt(VERSION).putLong(first).putLong(created.seconds()).putInt(created.nanos());
        CRC32C crc = new CRC32C();
        crc.update(header.array(), 0, HEADER_BYTES - 4);
        header.putInt((int) crc.getValue()).flip();
        Path path = dir.resolve(name(first));
        Path fresh = dir.resolve(name(first) + Journal.TEMP_SUFFIX);
        try (FileChannel out = FileChannel.open(fresh, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
                StandardOpenOption.WRITE)) {
            while (header.hasRemaining()) {
                out.write(header);
            }
            out.force(true);
        }
        Files.move(fresh, path, StandardCopyOption.ATOMIC_MOVE);
        syncDirectory(dir);
        JournalFile segment = open(path, first, codec);
        segment.replayed = true;
        log.info("started journal segment {}", path);
        return segment;
    }

    /**
     * Opens an existing segment and checks its header.
     *
     * @param first the first record index its name gives, which the header must repeat
     */
    static JournalFile open(Path path, long first, OperationCodec codec) throws IOException {
        FileChannel channel = FileChannel.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE);
        try {
            long headerFirst = readFirst(channel, path);
            if (headerFirst != first) {
                throw new CorruptJournalException("journal segment " + path + " starts at record " + headerFirst
                        + " but its name says " + first + ": renamed by hand?");
            }
            return new JournalFile(path, channel, first, readCreated(channel), codec);
        } catch (IOException | RuntimeException e) {
            channel.close();
            throw e;
        }
    }

    private static long readFirst(FileChannel channel, Path path) throws IOException {
        if (channel.size() < HEADER_BYTES) {
            throw new CorruptJournalException("journal " + path + " has " + channel.size() + " bytes: expected a "
                    + HEADER_BYTES + "-byte header at least");
        }
        ByteBuffer header = ByteBuffer.allocate(HEADER_BYTES);
        readFully(channel, header, 0);
        header.flip();
        byte[] magic = new byte[MAGIC.length];
        header.get(magic);
        if (!Arrays.equals(magic, MAGIC)) {
            throw new CorruptJournalException("journal " + path + " does not start with " + new String(MAGIC,
                    StandardCharsets.US_ASCII) + ": not a CFS journal");
        }
        int version = header.getInt();
        long first = header.getLong();
        header.getLong();
        int nanos = header.getInt();
        CRC32C crc = new CRC32C();
        crc.update(header.array(), 0, HEADER_BYTES - 4);
        int stored = header.getInt();
        if (stored != (int) crc.getValue()) {
            throw new CorruptJournalException("journal " + path + " header checksum mismatch (stored "
                    + Integer.toHexString(stored) + ", computed " + Long.toHexString(crc.getValue()) + ")");
        }
        if (version != VERSION) {
            throw new CorruptJournalException("journal " + path + " has version " + version + ": this server reads version "
                    + VERSION);
        }
        if (first < 0) {
            throw new CorruptJournalException("journal " + path + " header has first record " + first);
        }
        if (nanos < 0 || nanos > 999_999_999) {
            throw new CorruptJournalException("journal " + path + " header has creation nanos " + nanos);
        }
        return first;
    }

    /** The creation time of a header {@link #readFirst} has checked. */
    private static Timespec readCreated(FileChannel channel) throws IOException {
        ByteBuffer times = ByteBuffer.allocate(12);
        readFully(channel, times, MAGIC.length + 4 + 8);
        times.flip();
        return new Timespec(times.getLong(), times.getInt());
    }

    /** Fsyncs a directory, so that files created, renamed or deleted in it stay so after a crash. */
    static void syncDirectory(Path dir) throws IOException {
        try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
            d.force(true);
        }
    }

    public Path path() {
        return path;
    }

    /** When the filesystem was created. */
    public Timespec created() {
        return created;
    }

    /** The index after the last record (once replayed). */
    public long endIndex() {
        return first + records;
    }

    /**
     * Reads every record in order and hands the operation of each record numbered {@code from} or
     * later to {@code apply}; the records before it (already in a snapshot) are only checked, not
     * decoded. Drops a torn tail if {@code last}. An exception from {@code apply} other than what the
     * caller handles itself means the record does not fit the state: the journal is reported
     * corrupt at that record.
     *
     * @return the number of records applied
     */
    public long replay(long from, boolean last, Consumer<Operation> apply) throws IOException {
        long size = channel.size();
        Reader reader = new Reader(size);
        long at = HEADER_BYTES;
        long applied = 0;
        long index = first;
        while (at < size) {
            String problem = reader.problemAt(at);
            if (problem != null) {
                long next = reader.nextValidAfter(at);
                if (next >= 0) {
                    throw new CorruptJournalException("journal " + path + " is corrupt at offset " + at + ": " + problem
                            + ", and a valid record follows at offset " + next
                            + "; refusing to start rather than lose or misread the records after it"
                            + " (restore the journal from a copy, or move it away to start empty)");
                }
                if (!last) {
                    throw new CorruptJournalException("journal " + path + " is corrupt at offset " + at + ": " + problem
                            + "; it is not the last segment, so this is no torn write: refusing to start rather than"
                            + " lose the records of record " + index + " on");
                }
                log.warn("journal {}: dropping a torn record at offset {} ({} bytes to the end of the file: {});"
                        + " truncating the journal to {} bytes", path, at, size - at, problem, at);
                channel.truncate(at);
                channel.force(true);
                break;
            }
            int length = reader.length(at);
            int type = reader.type(at);
            if (!OperationCodec.knows(type)) {
                throw new CorruptJournalException("journal " + path + " has a record of unknown type " + type
                        + " at offset " + at + ": written by a newer version of the metadata server?");
            }
            if (index >= from) {
                Operation op;
                try {
                    op = codec.decode(type, reader.read(at + RECORD_HEADER_BYTES + 1, length - 1));
                } catch (IllegalArgumentException e) {
                    throw new CorruptJournalException("journal " + path + " has a malformed record at offset " + at
                            + " (type " + type + "): " + e.getMessage(), e);
                }
                try {
                    apply.accept(op);
                } catch (RuntimeException e) {
                    throw new CorruptJournalException("journal " + path + ": the record at offset " + at + " (" + op
                            + ") does not apply to the state before it: " + e.getMessage(), e);
                }
                applied++;
            }
            at += RECORD_HEADER_BYTES + length;
            index++;
        }
        end = at;
        records = index - first;
        replayed = true;
        return applied;
    }

    /**
     * Appends the operations as one write: once this returns they survive a kill of the process (they
     * are in the page cache); {@link #force} makes them survive a power loss.
     */
    public void append(List<Operation> ops) throws IOException {
        if (!replayed) {
            throw new IllegalStateException("journal " + path + ": replay before appending");
        }
        byte[][] payloads = new byte[ops.size()][];
        int total = 0;
        for (int i = 0; i < ops.size(); i++) {
            payloads[i] = codec.encode(ops.get(i));
            if (payloads[i].length + 1 > MAX_RECORD) {
                throw new IllegalArgumentException(ops.get(i) + " encodes to " + (payloads[i].length + 1)
                        + " bytes: expected at most " + MAX_RECORD);
            }
            total += RECORD_HEADER_BYTES + 1 + payloads[i].length;
        }
        ByteBuffer buffer = ByteBuffer.allocate(total);
        CRC32C crc = new CRC32C();
        for (int i = 0; i < ops.size(); i++) {
            byte type = (byte) OperationCodec.type(ops.get(i));
            crc.reset();
            crc.update(type);
            crc.update(payloads[i]);
            buffer.putInt(payloads[i].length + 1).putInt((int) crc.getValue()).put(type).put(payloads[i]);
        }
        buffer.flip();
        long at = end;
        while (buffer.hasRemaining()) {
            at += channel.write(buffer, at);
        }
        end = at;
        records += ops.size();
    }

    /**
     * Makes every record appended so far durable (fdatasync). May run on another thread than
     * {@link #append}; throws {@link java.nio.channels.ClosedChannelException} if the segment is
     * closed meanwhile.
     */
    public void force() throws IOException {
        channel.force(false);
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }

    private static void readFully(FileChannel channel, ByteBuffer into, long position) throws IOException {
        long at = position;
        while (into.hasRemaining()) {
            int n = channel.read(into, at);
            if (n < 0) {
                throw new EOFException("unexpected end of file at offset " + at);
            }
            at += n;
        }
    }

    /** Reads the journal through a window, so replay does not make a system call per record. */
    private final class Reader {
        private final long size;
        private ByteBuffer window = ByteBuffer.allocate(1 << 20);
        private long windowStart = -1;
        private int windowLength;

        Reader(long size) {
            this.size = size;
        }

        /** {@code n} bytes at {@code position}, which must lie inside the file. */
        ByteBuffer read(long position, int n) throws IOException {
            if (windowStart < 0 || position < windowStart || position + n > windowStart + windowLength) {
                if (n > window.capacity()) {
                    window = ByteBuffer.allocate(n);
                }
                window.clear();
                window.limit((int) Math.min(window.capacity(), size - position));
                readFully(channel, window, position);
                windowStart = position;
                windowLength = window.limit();
            }
            ByteBuffer view = window.duplicate();
            view.position((int) (position - windowStart));
            view.limit(view.position() + n);
            return view.slice();
        }

        int length(long at) throws IOException {
            return read(at, 4).getInt();
        }

        int type(long at) throws IOException {
            return Byte.toUnsignedInt(read(at + RECORD_HEADER_BYTES, 1).get());
        }

        /** Why there is no valid record at {@code at}, or null when there is one. */
        String problemAt(long at) throws IOException {
            long left = size - at;
            if (left < RECORD_HEADER_BYTES + 1) {
                return "a record needs at least " + (RECORD_HEADER_BYTES + 1) + " bytes but " + left + " remain";
            }
            ByteBuffer header = read(at, RECORD_HEADER_BYTES);
            long length = Integer.toUnsignedLong(header.getInt());
            int stored = header.getInt();
            if (length < 1 || length > MAX_RECORD) {
                return "record length " + length + " is outside 1.." + MAX_RECORD;
            }
            if (length > left - RECORD_HEADER_BYTES) {
                return "a record of " + length + " bytes is cut short: " + (left - RECORD_HEADER_BYTES) + " remain";
            }
            CRC32C crc = new CRC32C();
            crc.update(read(at + RECORD_HEADER_BYTES, (int) length));
            if (stored != (int) crc.getValue()) {
                return "checksum mismatch (stored " + Integer.toHexString(stored) + ", computed "
                        + Long.toHexString(crc.getValue()) + ")";
            }
            return null;
        }

        /** The offset of the first valid record of a known type after {@code at}, or -1. */
        long nextValidAfter(long at) throws IOException {
            for (long p = at + 1; p + RECORD_HEADER_BYTES + 1 <= size; p++) {
                if (problemAt(p) == null && OperationCodec.knows(type(p))) {
                    return p;
                }
            }
            return -1;
        }
    }
}
