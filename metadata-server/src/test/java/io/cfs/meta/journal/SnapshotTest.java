package io.cfs.meta.journal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cfs.meta.MutableClock;
import io.cfs.meta.TestTopologies;
import io.cfs.meta.namespace.Harness;
import io.cfs.meta.namespace.Namespace;
import io.cfs.meta.namespace.NamespaceSnapshot;
import io.cfs.protocol.message.Timespec;
import io.cfs.topology.Topology;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Snapshots: the state they hold, and recovery from every state of the directory a crash can
 * leave during the snapshot sequence (write aside, rename, start a segment, delete old files).
 */
class SnapshotTest {
    static final long ROOT = Namespace.ROOT;

    @TempDir
    Path base;

    final MutableClock clock = new MutableClock(Instant.ofEpochSecond(1_650_000_000L, 77));
    /** The journal directory before the second snapshot, and after it. */
    Path before;
    Path after;
    /** Where the first and second snapshots were taken. */
    long first;
    long second;
    /** The state at the second snapshot. */
    String expected;

    Topology topology() {
        return TestTopologies.twoPairs(base);
    }

    Journal open(Path dir) throws IOException {
        return Journal.open(dir, clock, new OperationCodec(topology().pairs().keySet()));
    }

    static Harness logging(Namespace ns, Journal journal) {
        return new Harness(ns, op -> {
            try {
                journal.append(List.of(op));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
    }

    /**
     * Runs the workload with a snapshot after its 8th record and another at its end, keeping a copy
     * of the directory before and after the second.
     */
    @BeforeEach
    void twoSnapshots() throws IOException {
        Path dir = base.resolve("work");
        before = base.resolve("before");
        after = base.resolve("after");
        try (Journal journal = open(dir)) {
            Namespace ns = journal.recover(topology());
            Harness h = logging(ns, journal);
            AtomicInteger marks = new AtomicInteger();
            JournalTest.workload(h, () -> {
                if (marks.incrementAndGet() == 8) {
                    snapshot(journal, ns);
                }
            });
            first = 8;
            second = journal.nextIndex();
            copy(dir, before);
            journal.snapshot(ns);
            assertEquals(second, journal.snapshotIndex());
            copy(dir, after);
            expected = Harness.dump(ns);
        }
        assertEquals(List.of("journal-8.log", "snapshot-8"), names(before));
        assertEquals(List.of("journal-21.log", "snapshot-21"), names(after));
    }

    static void snapshot(Journal journal, Namespace ns) {
        try {
            journal.snapshot(ns);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Each state of the directory the snapshot sequence passes through; a crash leaves one of them.
     * 0: before; 1: a snapshot half written aside; 2: written aside whole; 3: renamed into place; 4:
     * and a new segment half written aside; 5: the new segment in place; 6: the old segment
     * deleted; 7: the old snapshot deleted too (after).
     */
    @ParameterizedTest
    @ValueSource(ints = {0, 1, 2, 3, 4, 5, 6, 7})
    void aCrashAnywhereInTheSnapshotSequenceRecoversExactly(int step) throws IOException {
        Path dir = base.resolve("crashed");
        copy(before, dir);
        byte[] snapshot = Files.readAllBytes(after.resolve("snapshot-" + second));
        byte[] segment = Files.readAllBytes(after.resolve("journal-" + second + ".log"));
        switch (step) {
            case 0 -> { }
            case 1 -> Files.write(dir.resolve("snapshot-" + second + ".tmp"), slice(snapshot, snapshot.length / 2));
            case 2 -> Files.write(dir.resolve("snapshot-" + second + ".tmp"), snapshot);
            case 3 -> Files.write(dir.resolve("snapshot-" + second), snapshot);
            case 4 -> {
                Files.write(dir.resolve("snapshot-" + second), snapshot);
                Files.write(dir.resolve("journal-" + second + ".log.tmp"), slice(segment, 10));
            }
            case 5, 6, 7 -> {
                Files.write(dir.resolve("snapshot-" + second), snapshot);
                Files.write(dir.resolve("journal-" + second + ".log"), segment);
                if (step >= 6) {
                    Files.delete(dir.resolve("journal-" + first + ".log"));
                }
                if (step == 7) {
                    Files.delete(dir.resolve("snapshot-" + first));
                }
            }
            default -> throw new IllegalArgumentException("step " + step);
        }
        String then;
        try (Journal journal = open(dir)) {
            Namespace ns = journal.recover(topology());
            assertEquals(expected, Harness.dump(ns), "step " + step);
            assertEquals(second, journal.nextIndex());
            assertEquals(step >= 3 ? second : first, journal.snapshotIndex());
            assertEquals(step >= 3 ? 0 : second - first, journal.replayed());
            logging(ns, journal).mkdir(ROOT, "after-recovery");
            then = Harness.dump(ns);
        }
        List<String> left = names(dir);
        assertTrue(left.stream().noneMatch(n -> n.endsWith(".tmp")), left.toString());
        assertEquals(1, left.stream().filter(n -> n.startsWith("snapshot-")).count(), left.toString());
        try (Journal journal = open(dir)) {
            assertEquals(then, Harness.dump(journal.recover(topology())), "what was appended after recovery");
            assertEquals(second + 1, journal.nextIndex());
        }
    }

    @Test
    void aSnapshotHoldsTheWholeStateByteForByte() throws IOException {
        try (Journal journal = open(after)) {
            Namespace ns = journal.recover(topology());
            assertEquals(expected, Harness.dump(ns));
            assertEquals(0, journal.replayed());
            byte[] bytes = state(ns);
            Namespace copy = NamespaceSnapshot.read(topology(), new DataInputStream(new ByteArrayInputStream(bytes)));
            assertArrayEquals(bytes, state(copy), "equal states give equal bytes");
            assertEquals(ns.lastInode(), copy.lastInode());
            assertEquals(ns.orphans(), copy.orphans());
            assertEquals(ns.space().freeBytes(), copy.space().freeBytes());
        }
    }

    static byte[] state(Namespace ns) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        NamespaceSnapshot.write(ns, new DataOutputStream(bytes));
        return bytes.toByteArray();
    }

    @Test
    void aDamagedSnapshotIsAClearStartupError() throws IOException {
        Path snapshot = after.resolve("snapshot-" + second);
        byte[] bytes = Files.readAllBytes(snapshot);
        bytes[bytes.length / 2] ^= 0x10;
        Files.write(snapshot, bytes);
        CorruptJournalException e = assertThrows(CorruptJournalException.class, () -> {
            try (Journal journal = open(after)) {
                journal.recover(topology());
            }
        });
        assertTrue(e.getMessage().contains(snapshot + " is corrupt: checksum mismatch"), e.getMessage());
        assertTrue(Files.exists(snapshot), "nothing is deleted");
    }

    @Test
    void aSnapshotCutShortIsAClearStartupError() throws IOException {
        Path snapshot = after.resolve("snapshot-" + second);
        byte[] bytes = Files.readAllBytes(snapshot);
        Files.write(snapshot, slice(bytes, 20));
        CorruptJournalException e = assertThrows(CorruptJournalException.class, () -> {
            try (Journal journal = open(after)) {
                journal.recover(topology());
            }
        });
        assertTrue(e.getMessage().contains(snapshot.toString()), e.getMessage());
    }

    @Test
    void aSnapshotAloneIsACompleteState() throws IOException {
        Files.delete(after.resolve("journal-" + second + ".log"));
        try (Journal journal = open(after)) {
            assertEquals(expected, Harness.dump(journal.recover(topology())));
            assertEquals(second, journal.nextIndex());
        }
        assertTrue(Files.exists(after.resolve("journal-" + second + ".log")), "a segment is started at its index");
    }

    @Test
    void segmentsWithoutTheRecordsAfterTheSnapshotRefuseToStart() throws IOException {
        Files.delete(after.resolve("snapshot-" + second));
        CorruptJournalException e = assertThrows(CorruptJournalException.class, () -> {
            try (Journal journal = open(after)) {
                journal.recover(topology());
            }
        });
        assertTrue(e.getMessage().contains("no segment holding record 0"), e.getMessage());
    }

    @Test
    void aGapBetweenSegmentsRefusesToStart() throws IOException {
        OperationCodec codec = new OperationCodec(topology().pairs().keySet());
        try (JournalFile later = JournalFile.create(after, second + 3, Timespec.of(clock.instant()), codec)) {
            assertEquals(second + 3, later.endIndex(), "an empty segment ends where it starts");
        }
        CorruptJournalException e = assertThrows(CorruptJournalException.class, () -> {
            try (Journal journal = open(after)) {
                journal.recover(topology());
            }
        });
        assertTrue(e.getMessage().contains("starts at record " + (second + 3) + " but the segment before it ends at"
                + " record " + second), e.getMessage());
    }

    @Test
    void aTornRecordInASegmentThatIsNotTheLastIsCorruption() throws IOException {
        Path dir = base.resolve("two-segments");
        copy(before, dir);
        Files.copy(after.resolve("journal-" + second + ".log"), dir.resolve("journal-" + second + ".log"));
        Path old = dir.resolve("journal-" + first + ".log");
        String state;
        try (Journal journal = open(dir)) {
            state = Harness.dump(journal.recover(topology()));
        }
        assertEquals(expected, state, "two whole segments replay one after the other");
        try (FileChannel ch = FileChannel.open(old, StandardOpenOption.WRITE)) {
            ch.truncate(ch.size() - 3);
        }
        CorruptJournalException e = assertThrows(CorruptJournalException.class, () -> {
            try (Journal journal = open(dir)) {
                journal.recover(topology());
            }
        });
        assertTrue(e.getMessage().contains(old + " is corrupt") && e.getMessage().contains("not the last segment"),
                e.getMessage());
    }

    @Test
    void aSnapshotWhoseSegmentCannotBeStartedLosesNothing() throws IOException {
        Path dir = base.resolve("blocked");
        String state;
        try (Journal journal = open(dir)) {
            Namespace ns = journal.recover(topology());
            Harness h = logging(ns, journal);
            h.mkdir(ROOT, "a");
            Files.createDirectory(dir.resolve("journal-1.log.tmp"));
            assertThrows(IOException.class, () -> journal.snapshot(ns));
            assertEquals(0, journal.snapshotIndex());
            h.mkdir(ROOT, "b");
            state = Harness.dump(ns);
        }
        assertEquals(List.of("journal-0.log", "journal-1.log.tmp", "snapshot-1"), names(dir));
        try (Journal journal = open(dir)) {
            assertEquals(state, Harness.dump(journal.recover(topology())));
            assertEquals(1, journal.snapshotIndex());
            assertEquals(1, journal.replayed(), "the record appended after the failed rotation");
        }
    }

    private static byte[] slice(byte[] bytes, int n) {
        byte[] out = new byte[n];
        System.arraycopy(bytes, 0, out, 0, n);
        return out;
    }

    private static void copy(Path from, Path to) throws IOException {
        Files.createDirectories(to);
        try (Stream<Path> files = Files.list(from)) {
            for (Path p : files.toList()) {
                if (!p.getFileName().toString().equals(Journal.LOCK)) {
                    Files.copy(p, to.resolve(p.getFileName()));
                }
            }
        }
    }

    private static List<String> names(Path dir) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.map(p -> p.getFileName().toString()).filter(n -> !n.equals(Journal.LOCK)).sorted().toList();
        }
    }
}
