package io.cfs.meta.journal;

import static io.cfs.meta.TestTopologies.BLOCK;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cfs.meta.MutableClock;
import io.cfs.meta.TestTopologies;
import io.cfs.meta.namespace.Harness;
import io.cfs.meta.namespace.Namespace;
import io.cfs.meta.namespace.Operation;
import io.cfs.protocol.CfsException;
import io.cfs.protocol.message.FileType;
import io.cfs.protocol.message.SetAttrRequest;
import io.cfs.protocol.message.Timespec;
import io.cfs.topology.PairId;
import io.cfs.topology.Topology;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The journal segments: records, replay, torn tails and corruption (snapshots: {@link SnapshotTest}). */
class JournalTest {
    static final long ROOT = Namespace.ROOT;
    static final PairId P2 = new PairId("p2");

    @TempDir
    Path dir;

    final MutableClock clock = new MutableClock(Instant.ofEpochSecond(1_650_000_000L, 77));

    Topology topology() {
        return TestTopologies.twoPairs(dir);
    }

    Journal open() throws IOException {
        return Journal.open(dir.resolve("journal"), clock, new OperationCodec(topology().pairs().keySet()));
    }

    Path file() {
        return dir.resolve("journal").resolve(JournalFile.name(0));
    }

    /** A journal and the state it replays to, driven through the request path with every operation logged. */
    final class Writer implements AutoCloseable {
        final Journal journal;
        final Harness h;
        /** The size of the first segment after each operation. */
        final List<Long> ends = new ArrayList<>();
        /** The state after each operation. */
        final List<String> states = new ArrayList<>();

        Writer() throws IOException {
            journal = open();
            Namespace ns = journal.recover(topology());
            h = new Harness(ns, op -> {
                try {
                    journal.append(List.of(op));
                    ends.add(Files.size(file()));
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        }

        /** Records the state after the operation just run. */
        void mark() {
            states.add(Harness.dump(h.ns));
        }

        @Override
        public void close() throws IOException {
            journal.close();
        }
    }

    /** A workload touching every operation type; {@code states.get(i)} is the state after record i. */
    Writer writeWorkload() throws IOException {
        Writer w = new Writer();
        workload(w.h, w::mark);
        return w;
    }

    /** Every operation type, with a mark after each; leaves an orphan, hard links, a pin and nodes. */
    static void workload(Harness h, Runnable mark) {
        long videos = h.mkdir(ROOT, "videos");
        mark.run();
        long a = h.create(videos, "a.mp4");
        mark.run();
        h.allocate(a, 0, 3L * BLOCK);
        mark.run();
        h.commit(a, 3L * BLOCK - 5);
        mark.run();
        long b = h.create(videos, "b.mp4");
        mark.run();
        h.allocate(b, 0, 2L * BLOCK);
        mark.run();
        h.rename(videos, "b.mp4", ROOT, "b.mp4");
        mark.run();
        h.remove(videos, "a.mp4", false);
        mark.run();
        h.free(a);
        mark.run();
        Timespec t = new Timespec(99, 1);
        h.run(h.planner.setAttr(b, SetAttrRequest.SIZE | SetAttrRequest.MODE, 0600, 0, 0, BLOCK / 2, t, t)
                .orElseThrow());
        mark.run();
        long c = h.create(ROOT, "open-then-unlinked");
        mark.run();
        h.allocate(c, 0, BLOCK);
        mark.run();
        h.remove(ROOT, "open-then-unlinked", false);
        mark.run();
        h.symlink(videos, "latest", "../b.mp4");
        mark.run();
        h.link(b, videos, "b-again.mp4");
        mark.run();
        h.mknod(ROOT, "fifo", FileType.FIFO, 0);
        mark.run();
        h.mknod(ROOT, "tty", FileType.CHAR_DEVICE, (4 << 8) | 1);
        mark.run();
        h.pin(videos, P2);
        mark.run();
        long pinned = h.create(videos, "pinned.mp4");
        mark.run();
        h.allocate(pinned, 0, BLOCK);
        mark.run();
        h.rename(ROOT, "b.mp4", videos, "b-again.mp4"); // two names of one file: a no-op, not logged
        h.remove(videos, "b-again.mp4", false);
        mark.run();
    }

    String replayed(Topology topology) throws IOException {
        try (Journal journal = Journal.open(dir.resolve("journal"), clock,
                new OperationCodec(topology.pairs().keySet()))) {
            return Harness.dump(journal.recover(topology));
        }
    }

    @Test
    void replayRebuildsTheSameState() throws IOException {
        String expected;
        int records;
        try (Writer w = writeWorkload()) {
            expected = Harness.dump(w.h.ns);
            records = w.ends.size();
            assertTrue(expected.contains("orphan"), "the workload leaves an unlinked file");
            assertTrue(expected.contains("-> ../b.mp4") && expected.contains("pin=p2")
                    && expected.contains("type=CHAR_DEVICE") && expected.contains("rdev=1025"), expected);
            assertEquals(21, records);
        }
        try (Journal journal = open()) {
            Namespace ns = journal.recover(topology());
            assertEquals(records, journal.replayed());
            assertEquals(records, journal.nextIndex());
            assertEquals(0, journal.snapshotIndex());
            assertEquals(expected, Harness.dump(ns));
            assertEquals(new Timespec(1_650_000_000L, 77), ns.attr(ROOT).atime(), "the root's time is the journal's");
        }
    }

    @Test
    void replayAppendReplay() throws IOException {
        try (Writer w = writeWorkload()) {
            assertEquals(21, w.ends.size());
        }
        String expected;
        try (Writer w = new Writer()) {
            w.h.mkdir(ROOT, "after-restart");
            expected = Harness.dump(w.h.ns);
        }
        assertEquals(expected, replayed(topology()));
        assertTrue(expected.contains("after-restart"));
    }

    @Test
    void operationsThatLostARaceReplayAsTheyApplied() throws IOException {
        String expected;
        try (Writer w = new Writer()) {
            Operation first = w.h.planner.makeDir(ROOT, "same", 0755, 0, 0);
            Operation second = w.h.planner.makeDir(ROOT, "same", 0755, 0, 0);
            w.h.run(first);
            assertThrows(CfsException.class, () -> w.h.run(second));
            long f = w.h.create(ROOT, "f");
            Operation link = w.h.planner.link(f, ROOT, "g");
            Operation unlink = w.h.planner.remove(ROOT, "f", false);
            w.h.run(unlink);
            assertThrows(CfsException.class, () -> w.h.run(link), "the file lost its last name first");
            expected = Harness.dump(w.h.ns);
        }
        assertEquals(expected, replayed(topology()));
    }

    /** Cuts into the last record at several points: header, type, payload, one byte short. */
    @ParameterizedTest
    @ValueSource(ints = {1, 4, 7, 8, 9, 20, -1})
    void tornLastRecordIsDroppedAndTheRestSurvives(int cut) throws IOException {
        List<Long> ends;
        List<String> states;
        try (Writer w = writeWorkload()) {
            ends = w.ends;
            states = w.states;
        }
        int n = ends.size();
        long lastStart = ends.get(n - 2);
        long cutAt = cut > 0 ? lastStart + cut : ends.get(n - 1) + cut;
        truncate(cutAt);
        assertEquals(states.get(n - 2), replayed(topology()));
        assertEquals(lastStart, Files.size(file()), "the torn bytes are truncated away");
        String expected;
        try (Writer w = new Writer()) {
            w.h.mkdir(ROOT, "later");
            expected = Harness.dump(w.h.ns);
        }
        assertEquals(expected, replayed(topology()), "records appended after the truncation replay too");
    }

    @Test
    void checksumMismatchInTheLastRecordIsATornWrite() throws IOException {
        List<Long> ends;
        List<String> states;
        try (Writer w = writeWorkload()) {
            ends = w.ends;
            states = w.states;
        }
        flip(ends.get(ends.size() - 1) - 2);
        assertEquals(states.get(states.size() - 2), replayed(topology()));
        assertEquals(ends.get(ends.size() - 2), Files.size(file()));
    }

    @Test
    void zerosAfterTheLastRecordAreDropped() throws IOException {
        String expected;
        long end;
        try (Writer w = writeWorkload()) {
            expected = Harness.dump(w.h.ns);
            end = Files.size(file());
        }
        Files.write(file(), new byte[4096], java.nio.file.StandardOpenOption.APPEND);
        assertEquals(expected, replayed(topology()));
        assertEquals(end, Files.size(file()));
    }

    @Test
    void checksumMismatchInTheMiddleRefusesToStart() throws IOException {
        List<Long> ends;
        try (Writer w = writeWorkload()) {
            ends = w.ends;
        }
        long size = Files.size(file());
        long second = ends.get(0);
        flip(second + 12);
        CorruptJournalException e = assertThrows(CorruptJournalException.class, () -> replayed(topology()));
        assertTrue(e.getMessage().contains(file().toString()), e.getMessage());
        assertTrue(e.getMessage().contains("offset " + second + ": checksum mismatch"), e.getMessage());
        assertTrue(e.getMessage().contains("valid record follows at offset " + ends.get(1)), e.getMessage());
        assertEquals(size, Files.size(file()), "nothing is truncated");
    }

    @Test
    void unknownTypeRefusesToStart() throws IOException {
        List<Long> ends;
        try (Writer w = writeWorkload()) {
            ends = w.ends;
        }
        long at = ends.get(2);
        rewriteType(at, 99);
        CorruptJournalException e = assertThrows(CorruptJournalException.class, () -> replayed(topology()));
        assertTrue(e.getMessage().contains("unknown type 99 at offset " + at), e.getMessage());
    }

    @Test
    void unknownTypeAtTheEndAlsoRefusesToStart() throws IOException {
        List<Long> ends;
        try (Writer w = writeWorkload()) {
            ends = w.ends;
        }
        rewriteType(ends.get(ends.size() - 2), 200);
        assertThrows(CorruptJournalException.class, () -> replayed(topology()));
    }

    @Test
    void aPairMissingFromTheTopologyRefusesToStart() throws IOException {
        try (Writer w = new Writer()) {
            long f = w.h.create(ROOT, "f");
            w.h.allocate(f, 0, 10L * BLOCK);
        }
        CorruptJournalException e = assertThrows(CorruptJournalException.class,
                () -> replayed(TestTopologies.onlyP1(dir)));
        assertTrue(e.getMessage().contains("pair p2 is not in the topology"), e.getMessage());
    }

    @Test
    void aBadHeaderRefusesToStart() throws IOException {
        try (Writer w = new Writer()) {
            w.h.mkdir(ROOT, "d");
        }
        flip(3);
        CorruptJournalException e = assertThrows(CorruptJournalException.class, () -> replayed(topology()));
        assertTrue(e.getMessage().contains("not a CFS journal"), e.getMessage());
    }

    @Test
    void aJournalIsOpenedByOneServerAtATime() throws IOException {
        try (Writer w = new Writer()) {
            IOException e = assertThrows(IOException.class, this::open);
            assertTrue(e.getMessage().contains("locked"), e.getMessage());
        }
    }

    @Test
    void theFirstStartWritesOnlyAHeader() throws IOException {
        try (Journal journal = open()) {
            Namespace ns = journal.recover(topology());
            assertEquals(0, journal.replayed());
            assertEquals(1, ns.inodeCount());
            assertEquals(Timespec.of(clock.instant()), journal.created());
        }
        assertEquals(JournalFile.HEADER_BYTES, Files.size(file()));
    }

    @Test
    void aJournalFromBeforeSnapshotsIsRenamedAndReplayed() throws IOException {
        String expected;
        try (Writer w = writeWorkload()) {
            expected = Harness.dump(w.h.ns);
        }
        Path legacy = dir.resolve("journal").resolve(Journal.LEGACY);
        Files.move(file(), legacy);
        assertEquals(expected, replayed(topology()));
        assertTrue(Files.exists(file()));
        assertTrue(Files.notExists(legacy));
    }

    private void truncate(long size) throws IOException {
        try (var ch = java.nio.channels.FileChannel.open(file(), java.nio.file.StandardOpenOption.WRITE)) {
            ch.truncate(size);
        }
    }

    private void flip(long offset) throws IOException {
        byte[] bytes = Files.readAllBytes(file());
        bytes[(int) offset] ^= 0x40;
        Files.write(file(), bytes);
    }

    /** Changes a record's type byte and fixes its checksum, so only the type is wrong. */
    private void rewriteType(long at, int type) throws IOException {
        byte[] bytes = Files.readAllBytes(file());
        ByteBuffer b = ByteBuffer.wrap(bytes);
        int length = b.getInt((int) at);
        bytes[(int) at + 8] = (byte) type;
        CRC32C crc = new CRC32C();
        crc.update(bytes, (int) at + 8, length);
        b.putInt((int) at + 4, (int) crc.getValue());
        Files.write(file(), bytes);
    }
}
