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
import io.cfs.protocol.message.SetAttrRequest;
import io.cfs.protocol.message.Timespec;
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

class JournalTest {
    static final long ROOT = Namespace.ROOT;

    @TempDir
    Path dir;

    final MutableClock clock = new MutableClock(Instant.ofEpochSecond(1_650_000_000L, 77));

    Topology topology() {
        return TestTopologies.twoPairs(dir);
    }

    JournalFile open(Topology topology) throws IOException {
        return JournalFile.open(dir.resolve("journal"), clock, new OperationCodec(topology.pairs().keySet()));
    }

    Path file() {
        return dir.resolve("journal").resolve(JournalFile.NAME);
    }

    /** A journal and the state it replays to, driven through the request path with every operation logged. */
    final class Writer implements AutoCloseable {
        final JournalFile journal;
        final Harness h;
        /** The file size after each operation. */
        final List<Long> ends = new ArrayList<>();
        /** The state after each operation. */
        final List<String> states = new ArrayList<>();

        Writer() throws IOException {
            journal = open(topology());
            Namespace ns = new Namespace(topology(), journal.created());
            journal.replay(ns::replay);
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
        Harness h = w.h;
        long videos = h.mkdir(ROOT, "videos");
        w.mark();
        long a = h.create(videos, "a.mp4");
        w.mark();
        h.allocate(a, 0, 3L * BLOCK);
        w.mark();
        h.commit(a, 3L * BLOCK - 5);
        w.mark();
        long b = h.create(videos, "b.mp4");
        w.mark();
        h.allocate(b, 0, 2L * BLOCK);
        w.mark();
        h.rename(videos, "b.mp4", ROOT, "b.mp4");
        w.mark();
        h.remove(videos, "a.mp4", false);
        w.mark();
        h.free(a);
        w.mark();
        Timespec t = new Timespec(99, 1);
        h.run(h.planner.setAttr(b, SetAttrRequest.SIZE | SetAttrRequest.MODE, 0600, 0, 0, BLOCK / 2, t, t)
                .orElseThrow());
        w.mark();
        long c = h.create(ROOT, "open-then-unlinked");
        w.mark();
        h.allocate(c, 0, BLOCK);
        w.mark();
        h.remove(ROOT, "open-then-unlinked", false);
        w.mark();
        return w;
    }

    String replayed(Topology topology) throws IOException {
        try (JournalFile journal = open(topology)) {
            Namespace ns = new Namespace(topology, journal.created());
            journal.replay(ns::replay);
            return Harness.dump(ns);
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
        }
        try (JournalFile journal = open(topology())) {
            Namespace ns = new Namespace(topology(), journal.created());
            assertEquals(records, journal.replay(ns::replay));
            assertEquals(expected, Harness.dump(ns));
            assertEquals(new Timespec(1_650_000_000L, 77), ns.attr(ROOT).atime(), "the root's time is the journal's");
        }
    }

    @Test
    void replayAppendReplay() throws IOException {
        try (Writer w = writeWorkload()) {
            assertEquals(13, w.ends.size());
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
            IOException e = assertThrows(IOException.class, () -> open(topology()));
            assertTrue(e.getMessage().contains("locked"), e.getMessage());
        }
    }

    @Test
    void theFirstStartWritesOnlyAHeader() throws IOException {
        try (JournalFile journal = open(topology())) {
            assertEquals(0, journal.replay(op -> { throw new AssertionError(op); }));
            assertEquals(Timespec.of(clock.instant()), journal.created());
        }
        assertEquals(JournalFile.HEADER_BYTES, Files.size(file()));
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
