package io.cfs.meta.journal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cfs.meta.MutableClock;
import io.cfs.meta.TestTopologies;
import io.cfs.meta.namespace.Harness;
import io.cfs.meta.namespace.Namespace;
import io.cfs.meta.namespace.Operation;
import io.cfs.protocol.CfsException;
import io.cfs.protocol.ErrorCode;
import io.cfs.protocol.message.Timespec;
import io.cfs.topology.Topology;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GroupCommitLogTest {
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();

    @TempDir
    Path dir;

    record Item(Operation operation) implements GroupCommitLog.Entry {}

    Topology topology() {
        return TestTopologies.twoPairs(dir);
    }

    Journal open() throws IOException {
        Journal file = Journal.open(dir, new MutableClock(Instant.EPOCH), new OperationCodec(topology().pairs().keySet()));
        file.recover(topology());
        return file;
    }

    static GroupCommitLog.Snapshotter noSnapshots() {
        return () -> {
            throw new AssertionError("no snapshot expected");
        };
    }

    static Item item(int i) {
        return new Item(new Operation.MakeDir(1, "d" + i, 2 + i, 0755, 0, 0, new Timespec(i, 0)));
    }

    @Test
    void operationsQueuedDuringAnFsyncShareTheNextOne() throws Exception {
        CountDownLatch firstDurable = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        List<Item> durable = Collections.synchronizedList(new ArrayList<>());
        GroupCommitLog<Item> log = new GroupCommitLog<>("test", registry, open(), 1000, 1_000_000, new GroupCommitLog.Listener<>() {
            @Override
            public void durable(List<Item> batch) {
                durable.addAll(batch);
                firstDurable.countDown();
                try {
                    release.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }

            @Override
            public void failed(List<Item> batch, IOException cause) {
                throw new AssertionError("unexpected failure", cause);
            }
        }, () -> { });
        log.start();
        log.submit(item(0));
        assertTrue(firstDurable.await(10, TimeUnit.SECONDS));
        List<Item> expected = new ArrayList<>(List.of(item(0)));
        List<Thread> clients = new ArrayList<>();
        for (int t = 0; t < 4; t++) {
            int base = 1 + t * 50;
            Thread client = new Thread(() -> {
                for (int i = base; i < base + 50; i++) {
                    log.submit(item(i));
                }
            });
            clients.add(client);
            client.start();
        }
        for (Thread client : clients) {
            client.join();
        }
        release.countDown();
        log.close();
        assertEquals(new GroupCommitLog.Stats(201, 2), log.stats(), "200 operations from 4 threads in one fsync");
        assertEquals(2, registry.get("cfs.journal.commit").timer().count(), "each fsync is timed");
        assertEquals(201, registry.get("cfs.journal.batch").summary().totalAmount(), "every record is counted");
        assertEquals(200, registry.get("cfs.journal.batch").summary().max());
        assertEquals(201, durable.size());
        for (int i = 1; i <= 200; i++) {
            expected.add(item(i));
        }
        assertTrue(durable.containsAll(expected));
        List<Operation> replayed = new ArrayList<>();
        try (JournalFile file = JournalFile.open(dir.resolve(JournalFile.name(0)), 0,
                new OperationCodec(topology().pairs().keySet()))) {
            assertEquals(201, file.replay(0, true, replayed::add));
        }
        assertEquals(durable.stream().map(Item::operation).toList(), replayed, "the journal holds them in answer order");
    }

    @Test
    void aFullQueueRefusesClientsButNotTheServer() throws Exception {
        CountDownLatch firstDurable = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        GroupCommitLog<Item> log = new GroupCommitLog<>("test", registry, open(), 2, 1_000_000, new GroupCommitLog.Listener<>() {
            @Override
            public void durable(List<Item> batch) {
                firstDurable.countDown();
                try {
                    release.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }

            @Override
            public void failed(List<Item> batch, IOException cause) {
                throw new AssertionError("unexpected failure", cause);
            }
        }, () -> { });
        log.start();
        log.submit(item(0));
        assertTrue(firstDurable.await(10, TimeUnit.SECONDS));
        log.submit(item(1));
        log.submit(item(2));
        CfsException full = assertThrows(CfsException.class, () -> log.submit(item(3)));
        assertEquals(ErrorCode.UNAVAILABLE, full.code());
        log.submitUnbounded(item(4));
        release.countDown();
        log.close();
        assertEquals(new GroupCommitLog.Stats(4, 2), log.stats());
        CfsException closed = assertThrows(CfsException.class, () -> log.submit(item(5)));
        assertEquals(ErrorCode.UNAVAILABLE, closed.code());
    }

    @Test
    void aFailedWriteFailsTheBatchAndEverythingAfter() throws Exception {
        Journal file = open();
        CompletableFuture<List<Item>> failed = new CompletableFuture<>();
        GroupCommitLog<Item> log = new GroupCommitLog<>("test", registry, file, 100, 1_000_000, new GroupCommitLog.Listener<>() {
            @Override
            public void durable(List<Item> batch) {
                failed.completeExceptionally(new AssertionError("a closed file cannot be written"));
            }

            @Override
            public void failed(List<Item> batch, IOException cause) {
                failed.complete(batch);
            }
        }, noSnapshots());
        file.close();
        log.start();
        log.submit(item(0));
        assertEquals(List.of(item(0)), failed.get(10, TimeUnit.SECONDS));
        CfsException e = assertThrows(CfsException.class, () -> log.submit(item(1)));
        assertEquals(ErrorCode.IO_ERROR, e.code());
        assertTrue(e.getMessage().contains(file.dir().toString()), e.getMessage());
        log.close();
    }

    @Test
    void aSnapshotIsWrittenEveryNRecordsAndAtClose() throws Exception {
        Journal file = open();
        Namespace ns = new Namespace(topology(), file.created());
        Semaphore applied = new Semaphore(0);
        List<Long> snapshots = new ArrayList<>();
        GroupCommitLog<Item> log = new GroupCommitLog<>("test", registry, file, 100, 50, new GroupCommitLog.Listener<>() {
            @Override
            public void durable(List<Item> batch) {
                batch.forEach(i -> ns.apply(i.operation()));
                applied.release(batch.size());
            }

            @Override
            public void failed(List<Item> batch, IOException cause) {
                throw new AssertionError("unexpected failure", cause);
            }
        }, () -> {
            file.snapshot(ns);
            snapshots.add(file.snapshotIndex());
        });
        log.start();
        for (int i = 0; i < 120; i++) {
            log.submit(item(i));
            assertTrue(applied.tryAcquire(10, TimeUnit.SECONDS));
        }
        log.close();
        assertEquals(List.of(50L, 100L, 120L), snapshots, "every 50 records and at close");
        try (Journal again = Journal.open(dir, new MutableClock(Instant.EPOCH),
                new OperationCodec(topology().pairs().keySet()))) {
            Namespace recovered = again.recover(topology());
            assertEquals(120, again.snapshotIndex());
            assertEquals(0, again.replayed());
            assertEquals(Harness.dump(ns), Harness.dump(recovered));
        }
    }

    @Test
    void syncWaitsForAnFdatasyncOfEverythingAnsweredAndFailsAfterAFailure() throws Exception {
        Journal file = open();
        Semaphore answered = new Semaphore(0);
        GroupCommitLog<Item> log = new GroupCommitLog<>("test", registry, file, 100, 1_000_000, new GroupCommitLog.Listener<>() {
            @Override
            public void durable(List<Item> batch) {
                answered.release(batch.size());
            }

            @Override
            public void failed(List<Item> batch, IOException cause) {
            }
        }, () -> { });
        log.start();
        assertTrue(log.sync().isDone(), "nothing written: nothing to wait for");
        for (int i = 0; i < 3; i++) {
            log.submit(item(i));
        }
        assertTrue(answered.tryAcquire(3, 10, TimeUnit.SECONDS));
        log.sync().get(10, TimeUnit.SECONDS);
        assertTrue(log.fsyncs() >= 1, "an fdatasync covered the answered records");
        file.close(); // the next write fails: so does every sync after it
        log.submit(item(3));
        java.util.concurrent.ExecutionException e = assertThrows(java.util.concurrent.ExecutionException.class,
                () -> {
                    for (long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10); ; ) {
                        log.sync().get(10, TimeUnit.SECONDS);
                        if (System.nanoTime() > deadline) {
                            return;
                        }
                        Thread.onSpinWait();
                    }
                });
        assertEquals(ErrorCode.IO_ERROR, ((CfsException) e.getCause()).code());
        log.close();
    }
}
