package io.cfs.meta.journal;

import io.cfs.meta.namespace.Namespace;
import io.cfs.meta.namespace.Operation;
import io.cfs.protocol.message.Timespec;
import io.cfs.topology.Topology;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.NavigableMap;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The durable state of the metadata server in {@code <data>/journal/}: the newest snapshot of the
 * state machine ({@link SnapshotFile}, {@code snapshot-<index>}) and the journal segments ({@link
 * JournalFile}, {@code journal-<first>.log}) holding the records after it. Records are numbered
 * from the creation of the filesystem; a snapshot at index {@code i} holds the state after records
 * {@code 0..i-1}.
 *
 * <p>{@link #snapshot} writes a snapshot at the current index atomically (aside, fsync, rename,
 * fsync the directory), starts a new segment there (the same way), switches appends to it, then
 * deletes the older segments and snapshots. A crash at any point leaves a directory that {@link
 * #recover} reads exactly: files still named {@code *.tmp} are incomplete and deleted; the newest
 * snapshot is loaded (a damaged one is a clear error, never skipped); the records after it are
 * replayed from the segment that holds its index on, skipping the ones it already holds; files a
 * crash kept from deletion are deleted then. A snapshot with no segment at all is a complete state
 * (a restored backup, say): a segment is started at its index.
 *
 * <p>A journal written before snapshots existed ({@code journal.log}, starting at record 0) is
 * renamed to {@code journal-0.log} on open. The directory is locked while open ({@code lock}), so
 * two servers never share it. Not thread-safe: the journal writer thread uses it.
 */
public final class Journal implements AutoCloseable {
    /** The suffix of files being written, deleted when found at start. */
    static final String TEMP_SUFFIX = ".tmp";
    static final String LOCK = "lock";
    static final String LEGACY = "journal.log";
    private static final Pattern SEGMENT = Pattern.compile("journal-(0|[1-9][0-9]{0,18})\\.log");
    private static final Pattern SNAPSHOT = Pattern.compile("snapshot-(0|[1-9][0-9]{0,18})");
    private static final Logger log = LoggerFactory.getLogger(Journal.class);

    private final Path dir;
    private final Clock clock;
    private final OperationCodec codec;
    private final FileChannel lock;
    private JournalFile active;
    private Timespec created;
    private long snapshotIndex;
    private long next;
    private long replayed;
    /** Why appends must stop (a segment that could be neither started nor removed), or null. */
    private IOException broken;

    private Journal(Path dir, Clock clock, OperationCodec codec, FileChannel lock) {
        this.dir = dir;
        this.clock = clock;
        this.codec = codec;
        this.lock = lock;
    }

    /**
     * Opens (creating if needed) and locks the journal directory, and deletes the files of
     * interrupted writes. Call {@link #recover} next.
     *
     * @param clock the creation time of a new filesystem
     */
    public static Journal open(Path dir, Clock clock, OperationCodec codec) throws IOException {
        Files.createDirectories(dir);
        FileChannel lock = FileChannel.open(dir.resolve(LOCK), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        try {
            FileLock held;
            try {
                held = lock.tryLock();
            } catch (OverlappingFileLockException e) {
                held = null;
            }
            if (held == null) {
                throw new IOException("journal " + dir + " is locked by another metadata server: expected one server"
                        + " per data folder");
            }
            Journal journal = new Journal(dir, clock, codec, lock);
            journal.tidy();
            return journal;
        } catch (IOException | RuntimeException e) {
            lock.close();
            throw e;
        }
    }

    /** Deletes interrupted writes and renames a journal from before snapshots. */
    private void tidy() throws IOException {
        boolean changed = false;
        for (Path p : list()) {
            if (p.getFileName().toString().endsWith(TEMP_SUFFIX)) {
                log.info("deleting {}: a snapshot or segment whose writing was interrupted", p);
                Files.delete(p);
                changed = true;
            }
        }
        Path legacy = dir.resolve(LEGACY);
        if (Files.exists(legacy)) {
            Path renamed = dir.resolve(JournalFile.name(0));
            if (Files.exists(renamed)) {
                throw new CorruptJournalException("journal " + dir + " has both " + LEGACY + " and " + renamed.getFileName()
                        + ": expected one of them (move the one not in use away)");
            }
            Files.move(legacy, renamed, StandardCopyOption.ATOMIC_MOVE);
            log.info("renamed journal {} to {}", legacy, renamed);
            changed = true;
        }
        if (changed) {
            JournalFile.syncDirectory(dir);
        }
    }

    private List<Path> list() throws IOException {
        List<Path> files = new ArrayList<>();
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
            entries.forEach(files::add);
        }
        return files;
    }

    /** The files whose names match {@code pattern}, by the index in their names. */
    private TreeMap<Long, Path> indexed(Pattern pattern) throws IOException {
        TreeMap<Long, Path> found = new TreeMap<>();
        for (Path p : list()) {
            Matcher m = pattern.matcher(p.getFileName().toString());
            if (m.matches()) {
                try {
                    found.put(Long.parseLong(m.group(1)), p);
                } catch (NumberFormatException e) {
                    throw new CorruptJournalException("journal file " + p + " has an index beyond " + Long.MAX_VALUE);
                }
            }
        }
        return found;
    }

    /**
     * Rebuilds the state: the newest snapshot (or an empty filesystem), then every record after
     * it, each through {@link Namespace#replay}. Drops a torn tail of the last segment, deletes
     * segments and snapshots older than what was loaded, and leaves the last segment open for
     * appends (starting one if there is none).
     *
     * @throws CorruptJournalException for a damaged snapshot or segment, or records missing
     *                                 between the snapshot and the segments
     */
    public Namespace recover(Topology topology) throws IOException {
        if (active != null) {
            throw new IllegalStateException("journal " + dir + " is already recovered");
        }
        TreeMap<Long, Path> snapshots = indexed(SNAPSHOT);
        TreeMap<Long, Path> segments = indexed(SEGMENT);
        Namespace ns;
        if (snapshots.isEmpty()) {
            snapshotIndex = 0;
            created = segments.containsKey(0L) ? createdOf(segments.get(0L)) : Timespec.of(clock.instant());
            ns = new Namespace(topology, created);
        } else {
            snapshotIndex = snapshots.lastKey();
            SnapshotFile.Loaded loaded = SnapshotFile.read(snapshots.lastEntry().getValue(), snapshotIndex, topology);
            created = loaded.created();
            ns = loaded.namespace();
            log.info("loaded snapshot {} (the state after {} records)", snapshots.lastEntry().getValue(), snapshotIndex);
        }
        Long start = segments.floorKey(snapshotIndex);
        if (start == null && !segments.isEmpty()) {
            throw new CorruptJournalException("journal " + dir + " has no segment holding record " + snapshotIndex
                    + " (the first after " + (snapshotIndex == 0 ? "the creation of the filesystem" : "snapshot "
                    + snapshotIndex) + "): the segments start at record " + segments.firstKey()
                    + "; refusing to start without the records in between");
        }
        next = snapshotIndex;
        replayed = 0;
        if (start != null) {
            replaySegments(segments.tailMap(start, true), ns);
        }
        if (active == null) {
            active = JournalFile.create(dir, snapshotIndex, created, codec);
        }
        deleteBefore(start == null ? snapshotIndex : start, snapshotIndex);
        return ns;
    }

    private Timespec createdOf(Path segment) throws IOException {
        try (JournalFile first = JournalFile.open(segment, 0, codec)) {
            return first.created();
        }
    }

    private void replaySegments(NavigableMap<Long, Path> segments, Namespace ns) throws IOException {
        long expected = -1;
        for (var entry : segments.entrySet()) {
            long first = entry.getKey();
            if (expected >= 0 && first != expected) {
                throw new CorruptJournalException("journal segment " + entry.getValue() + " starts at record " + first
                        + " but the segment before it ends at record " + expected
                        + ": refusing to start with records missing or doubled");
            }
            boolean last = first == segments.lastKey();
            JournalFile segment = JournalFile.open(entry.getValue(), first, codec);
            try {
                replayed += segment.replay(snapshotIndex, last, ns::replay);
            } catch (IOException | RuntimeException e) {
                segment.close();
                throw e;
            }
            expected = segment.endIndex();
            if (last) {
                active = segment;
            } else {
                segment.close();
            }
        }
        next = expected;
        if (next < snapshotIndex) {
            active.close();
            active = null;
            throw new CorruptJournalException("journal " + dir + " ends at record " + next + ", before snapshot "
                    + snapshotIndex + " begins: refusing to start without the records in between");
        }
    }

    /**
     * Deletes segments starting before {@code firstKept} and snapshots older than {@code snapshot};
     * a failure is only logged (they are deleted at the next snapshot or start).
     */
    private void deleteBefore(long firstKept, long snapshot) {
        try {
            List<Path> stale = new ArrayList<>(indexed(SEGMENT).headMap(firstKept, false).values());
            stale.addAll(indexed(SNAPSHOT).headMap(snapshot, false).values());
            if (stale.isEmpty()) {
                return;
            }
            for (Path p : stale) {
                Files.deleteIfExists(p);
            }
            JournalFile.syncDirectory(dir);
            log.info("deleted {} journal files older than snapshot {}: {}", stale.size(), snapshot, stale);
        } catch (IOException e) {
            log.warn("journal {}: could not delete the files older than snapshot {} (they are deleted at the next"
                    + " snapshot or start): {}", dir, snapshot, e.toString());
        }
    }

    public Path dir() {
        return dir;
    }

    /** When the filesystem was created (the root directory's time). */
    public Timespec created() {
        return created;
    }

    /** The index of the snapshot loaded or written last (0: none, the state starts empty). */
    public long snapshotIndex() {
        return snapshotIndex;
    }

    /** How many records {@link #recover} applied after the snapshot. */
    public long replayed() {
        return replayed;
    }

    /** The index the next appended record gets: how many records the state holds. */
    public long nextIndex() {
        return next;
    }

    /** Records appended since the last snapshot. */
    public long sinceSnapshot() {
        return next - snapshotIndex;
    }

    /**
     * Appends the operations as one write, which survives a kill of the process once this returns;
     * {@link #force} makes them durable.
     */
    public synchronized void append(List<Operation> ops) throws IOException {
        if (active == null) {
            throw new IllegalStateException("journal " + dir + ": recover before appending");
        }
        if (broken != null) {
            throw broken;
        }
        active.append(ops);
        next += ops.size();
    }

    /**
     * Writes a snapshot of {@code ns}, which must hold exactly the records appended so far and must
     * not change meanwhile; then starts a new segment and deletes the older files. Does nothing
     * when no record came since the last snapshot. If it fails before the new segment is in use,
     * appends go on to the current one and nothing is lost (or, if a half-started segment cannot be
     * removed, appends fail from then on).
     */
    public synchronized void snapshot(Namespace ns) throws IOException {
        if (active == null) {
            throw new IllegalStateException("journal " + dir + ": recover before taking a snapshot");
        }
        if (next == snapshotIndex) {
            return;
        }
        long index = next;
        long began = System.nanoTime();
        Path written = SnapshotFile.write(dir, index, created, ns);
        JournalFile fresh;
        try {
            fresh = JournalFile.create(dir, index, created, codec);
        } catch (IOException | RuntimeException e) {
            abandonSegment(index, e);
            throw e;
        }
        JournalFile old = active;
        active = fresh;
        long previous = snapshotIndex;
        snapshotIndex = index;
        try {
            old.close();
        } catch (IOException e) {
            log.warn("journal {}: closing segment {} failed: {}", dir, old.path(), e.toString());
        }
        log.info("wrote snapshot {} ({} records since snapshot {}, {} ms)", written, index - previous, previous,
                (System.nanoTime() - began) / 1_000_000);
        deleteBefore(index, index);
    }

    /**
     * Makes every record appended before the call durable; returns how many records the journal
     * holds durably from then on (its {@link #nextIndex} at the call). Runs beside {@link #append}
     * on another thread (the fdatasync holds no lock); a segment that a snapshot closed meanwhile
     * needs no force, as the snapshot (forced) holds its records.
     */
    public long force() throws IOException {
        JournalFile segment;
        long upTo;
        synchronized (this) {
            if (active == null) {
                throw new IllegalStateException("journal " + dir + ": recover before forcing");
            }
            segment = active;
            upTo = next;
        }
        try {
            segment.force();
        } catch (java.nio.channels.ClosedChannelException e) {
            synchronized (this) {
                if (snapshotIndex < upTo) {
                    throw e;
                }
            }
        }
        return upTo;
    }

    /**
     * Removes a segment that could not be started, so that appends may go on to the current one: a
     * segment left in place would hide them from the next start. If it cannot be removed, every
     * later append fails instead.
     */
    private void abandonSegment(long index, Exception cause) {
        Path segment = dir.resolve(JournalFile.name(index));
        try {
            Files.deleteIfExists(segment);
            JournalFile.syncDirectory(dir);
        } catch (IOException e) {
            broken = new IOException("journal " + dir + ": segment " + segment + " could not be started (" + cause
                    + ") nor removed (" + e + "); records appended to the segment before it would be skipped at the"
                    + " next start", e);
            log.error("{}", broken.getMessage());
        }
    }

    @Override
    public synchronized void close() throws IOException {
        try {
            if (active != null) {
                active.close();
            }
        } finally {
            lock.close();
        }
    }
}
