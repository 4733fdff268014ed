package io.cfs.blockstore.volume;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cfs.blockstore.cache.ClusterCache;
import io.cfs.protocol.LeakCheck;
import io.cfs.topology.VolumeId;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** The per-volume bandwidth limit with a clock and a scheduler that move only when told. */
@ExtendWith(LeakCheck.Collecting.class)
class BandwidthTest {
    static final long SECOND = TimeUnit.SECONDS.toNanos(1);

    @TempDir
    Path dir;
    long now = SECOND;
    final List<Runnable> scheduled = new ArrayList<>();
    final List<Long> delays = new ArrayList<>();
    boolean shutDown;
    final List<String> log = new ArrayList<>();

    Bandwidth bandwidth(long bytesPerSecond) {
        return new Bandwidth(bytesPerSecond, () -> now, (task, delay) -> {
            if (shutDown) {
                throw new RejectedExecutionException("shut down");
            }
            scheduled.add(task);
            delays.add(delay);
        });
    }

    void admit(Bandwidth b, long bytes, String name) {
        b.admit(bytes, () -> log.add(name), () -> log.add(name + " rejected"));
    }

    /** Runs the re-checks that are due (all of them: the scheduler is manual). */
    void runScheduled() {
        List<Runnable> due = new ArrayList<>(scheduled);
        scheduled.clear();
        due.forEach(Runnable::run);
    }

    @Test
    void unlimitedAdmitsAtOnceAndChargesNothing() {
        Bandwidth b = Bandwidth.UNLIMITED;
        for (int i = 0; i < 10; i++) {
            admit(b, 1L << 30, "r" + i);
            b.charge(1L << 30);
        }
        assertEquals(10, log.size());
        assertFalse(b.limited());
    }

    @Test
    void admitsWhileTheBalanceIsPositiveThenInOrderAsTimeMoves() {
        Bandwidth b = bandwidth(1000);
        admit(b, 600, "a"); // one second's worth banked: 1000 -> 400 reserved
        admit(b, 600, "b"); // positive balance: admitted into debt, -200
        admit(b, 1, "c");
        admit(b, 1, "d");
        assertEquals(List.of("a", "b"), log);
        assertEquals(2, b.waiting());
        assertEquals(2, b.waits());
        assertEquals(1, scheduled.size(), "one re-check scheduled for the queue, not one per request");
        assertTrue(delays.get(0) <= TimeUnit.MILLISECONDS.toNanos(Bandwidth.MAX_RECHECK_MILLIS));

        runScheduled(); // the clock stands still: nothing is admitted, the re-check is scheduled again
        assertEquals(List.of("a", "b"), log);
        assertEquals(1, scheduled.size());

        now += SECOND / 10; // 100 bytes accrue: balance -100, still not positive
        runScheduled();
        assertEquals(List.of("a", "b"), log);
        now += SECOND * 15 / 100; // +150 bytes: balance 50
        runScheduled();
        assertEquals(List.of("a", "b", "c", "d"), log, "c and d in order once the balance is positive");
        assertEquals(0, b.waiting());
        assertEquals(2, b.waits(), "the count of waits stays");
        assertTrue(scheduled.isEmpty(), "nothing waits: nothing scheduled");
    }

    @Test
    void aRefundGivesBackWhatAnAdmittedRequestDidNotUse() {
        Bandwidth b = bandwidth(1000);
        admit(b, 1000, "a"); // reserves the whole balance
        admit(b, 10, "b");
        assertEquals(List.of("a"), log);
        b.refund(1000); // a was served from memory after all
        admit(b, 10, "c");
        assertEquals(List.of("a"), log, "c waits behind b");
        runScheduled();
        assertEquals(List.of("a", "b", "c"), log);
    }

    @Test
    void chargedDiskBytesDelayTheClients() {
        Bandwidth b = bandwidth(1000);
        b.charge(5000); // e.g. the Sync Daemon copied 5 KB: 4 seconds of debt
        admit(b, 1, "a");
        assertEquals(List.of(), log);
        now += 3 * SECOND + SECOND * 9 / 10;
        runScheduled();
        assertEquals(List.of(), log);
        now += SECOND / 5;
        runScheduled();
        assertEquals(List.of("a"), log);
    }

    @Test
    void closingRejectsTheWaitingAndLaterRequests() {
        Bandwidth b = bandwidth(100);
        admit(b, 100, "a");
        admit(b, 100, "b");
        b.close();
        admit(b, 1, "c");
        assertEquals(List.of("a", "b rejected", "c rejected"), log);
        Bandwidth other = bandwidth(100);
        admit(other, 100, "d");
        shutDown = true;
        admit(other, 1, "e");
        assertEquals(List.of("a", "b rejected", "c rejected", "d", "e rejected"), log);
    }

    @Test
    void aVolumeChargesEveryByteItReadsAndWritesButNotCacheHits() throws Exception {
        Bandwidth b = bandwidth(1 << 20);
        try (ClusterCache cache = new ClusterCache(1 << 20, 4096);
             Volume v = Volume.open(new VolumeId("v"), dir.resolve("v.vol"), 1 << 20, cache, b)) {
            v.write(0, Unpooled.wrappedBuffer(new byte[8192]));
            v.readCached(PooledByteBufAllocator.DEFAULT, 0, 100).release(); // a whole cluster from the disk
            v.readCached(PooledByteBufAllocator.DEFAULT, 0, 4096).release(); // a hit
            v.read(PooledByteBufAllocator.DEFAULT, 0, 300).release();
            // 1 MiB banked, 8192 + 4096 + 300 taken: the balance shows it.
            admit(b, (1 << 20) - 8192 - 4096 - 300, "exactly what is left");
            admit(b, 1, "one more byte");
            assertEquals(List.of("exactly what is left"), log);
            assertEquals(8192, v.bytesWritten());
            assertEquals(4096 + 300, v.bytesRead());
        }
    }
}
