package io.cfs.meta.journal;

import io.cfs.meta.namespace.Operation;
import io.cfs.metrics.Latency;
import io.cfs.protocol.CfsException;
import io.cfs.protocol.ErrorCode;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.io.IOException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Group commit over a {@link Journal}: one writer thread takes whatever operations are queued,
 * writes them with one write, then hands the batch to the {@link Listener} in submission order,
 * so concurrent clients share a write. A written batch survives a kill -9 of the process (it is in
 * the page cache) and is answered at once; a second thread, the syncer, makes what was written
 * durable with one fdatasync after another for as long as writes come, so a power loss loses at
 * most the batches of the last fdatasync or two, and {@link #sync} waits for the fdatasync that
 * covers everything answered before it (what a client's fsync(2) needs). If a write or an
 * fdatasync fails, that batch and every later submission fail: the state must not move past what
 * the disk holds.
 *
 * <p>Once {@code snapshotEvery} records have been written since the last snapshot, the writer
 * thread calls the {@link Snapshotter} between two batches, when the state holds exactly the
 * records written; and once more at {@link #close} if records came since. A snapshot that fails
 * is logged and retried after as many records again: the journal still holds everything.
 *
 * @param <E> what is queued: an operation and whatever the listener needs to answer for it
 */
public final class GroupCommitLog<E extends GroupCommitLog.Entry> implements AutoCloseable {
    /** A queued operation. */
    public interface Entry {
        Operation operation();
    }

    /** Called on the writer thread. */
    public interface Listener<E> {
        /** The batch is written (see the class comment); entries in submission order. */
        void durable(List<E> batch);

        /** The batch could not be written (nor can anything after it). */
        void failed(List<E> batch, IOException cause);
    }

    /** Writes a snapshot of the state; called on the writer thread, or on the closing thread once it has stopped. */
    public interface Snapshotter {
        void snapshot() throws IOException;
    }

    /** Records written and the writes that carried them, so far. */
    public record Stats(long records, long writes) {}

    /** Most operations in one write (a few MiB at most). */
    static final int MAX_BATCH = 4096;
    private static final Logger log = LoggerFactory.getLogger(GroupCommitLog.class);

    private final Journal file;
    private final int limit;
    private final long snapshotEvery;
    private final Listener<E> listener;
    private final Snapshotter snapshotter;
    /** Records written before which no snapshot is tried again (on the writer thread only). */
    private long snapshotRetryAt;
    private final Thread writer;
    private final Thread syncer;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition queued = lock.newCondition();
    /** Signalled when records were written that are not durable yet, or at close. */
    private final Condition unsynced = lock.newCondition();
    /** Waiting for an fdatasync: the record count each needs durable, in the order they asked. */
    private final ArrayDeque<SyncWaiter> syncWaiters = new ArrayDeque<>();
    /** Records written (they survive a kill of the process). */
    private long written;
    /** Records durable (an fdatasync covered them). */
    private long synced;
    /** Bounded by {@code limit} for clients' operations; the server's own may go past it. */
    private final ArrayDeque<E> queue = new ArrayDeque<>();
    private boolean closing;
    private IOException failure;
    private long records;
    private long writes;
    private long fsyncs;
    private final Timer commits;
    private final DistributionSummary batches;

    private record SyncWaiter(long records, CompletableFuture<Void> done) {}

    /**
     * @param registry      where the commit latency ({@code cfs_journal_commit_seconds}: one write
     *                      and its fsync) and the batch sizes ({@code cfs_journal_batch_records}) go
     * @param file          a recovered journal
     * @param limit         how many operations may wait before {@link #submit} refuses more
     * @param snapshotEvery how many records between snapshots
     */
    public GroupCommitLog(String name, MeterRegistry registry, Journal file, int limit, long snapshotEvery,
                          Listener<E> listener, Snapshotter snapshotter) {
        if (snapshotEvery < 1) {
            throw new IllegalArgumentException("snapshot every " + snapshotEvery + " records: expected at least 1");
        }
        this.file = file;
        this.limit = limit;
        this.snapshotEvery = snapshotEvery;
        this.listener = listener;
        this.snapshotter = snapshotter;
        this.commits = Latency.timer("cfs.journal.commit")
                .description("journal writes, each one write of a batch of operations (its fdatasync follows on the syncer thread)").register(registry);
        this.batches = DistributionSummary.builder("cfs.journal.batch").baseUnit("records")
                .description("operations written by one journal write").serviceLevelObjectives(1, 2, 4, 8, 16, 64, 256, 1024)
                .register(registry);
        this.writer = new Thread(this::run, name + "-journal");
        writer.setDaemon(true);
        this.syncer = new Thread(this::syncLoop, name + "-journal-sync");
        syncer.setDaemon(true);
    }

    public void start() {
        writer.start();
        syncer.start();
    }

    /**
     * Completes once every operation answered before the call is durable (an fdatasync covered
     * it); fails with IO_ERROR if the journal failed.
     */
    public CompletableFuture<Void> sync() {
        lock.lock();
        try {
            if (failure != null) {
                return CompletableFuture.failedFuture(failed());
            }
            if (synced >= written) {
                return CompletableFuture.completedFuture(null);
            }
            SyncWaiter w = new SyncWaiter(written, new CompletableFuture<>());
            syncWaiters.add(w);
            unsynced.signal();
            return w.done();
        } finally {
            lock.unlock();
        }
    }

    /** The syncer: fdatasyncs while written records are not durable, and answers the waiters. */
    private void syncLoop() {
        while (true) {
            long target;
            lock.lock();
            try {
                while (synced >= written && !closing && failure == null) {
                    unsynced.awaitUninterruptibly();
                }
                if (failure != null || synced >= written) {
                    return; // closing with everything durable, or failed (the waiters were failed)
                }
                target = written;
            } finally {
                lock.unlock();
            }
            try {
                file.force();
            } catch (IOException | RuntimeException e) {
                fail(List.of(), e instanceof IOException io ? io : new IOException(e.toString(), e));
                return;
            }
            List<SyncWaiter> done = new ArrayList<>();
            lock.lock();
            try {
                synced = Math.max(synced, target);
                fsyncs++;
                while (!syncWaiters.isEmpty() && syncWaiters.peek().records() <= synced) {
                    done.add(syncWaiters.poll());
                }
            } finally {
                lock.unlock();
            }
            done.forEach(w -> w.done().complete(null));
        }
    }

    /** Queues a client's operation; UNAVAILABLE when {@code limit} operations already wait for the disk. */
    public void submit(E entry) {
        enqueue(entry, true);
    }

    /** Queues an operation the server itself must make (freeing blocks), whatever the queue holds. */
    public void submitUnbounded(E entry) {
        enqueue(entry, false);
    }

    private void enqueue(E entry, boolean bounded) {
        lock.lock();
        try {
            if (failure != null) {
                throw failed();
            }
            if (closing) {
                throw new CfsException(ErrorCode.UNAVAILABLE, "the metadata server is shutting down");
            }
            if (bounded && queue.size() >= limit) {
                throw new CfsException(ErrorCode.UNAVAILABLE, queue.size()
                        + " operations are waiting for the journal disk: try again later");
            }
            queue.add(entry);
            queued.signal();
        } finally {
            lock.unlock();
        }
    }

    private void run() {
        while (true) {
            List<E> batch = new ArrayList<>();
            lock.lock();
            try {
                while (queue.isEmpty() && !closing) {
                    queued.awaitUninterruptibly();
                }
                if (queue.isEmpty()) {
                    return;
                }
                while (!queue.isEmpty() && batch.size() < MAX_BATCH) {
                    batch.add(queue.poll());
                }
            } finally {
                lock.unlock();
            }
            List<Operation> ops = new ArrayList<>(batch.size());
            for (E e : batch) {
                ops.add(e.operation());
            }
            long start = System.nanoTime();
            try {
                file.append(ops);
            } catch (IOException | RuntimeException e) {
                fail(batch, e instanceof IOException io ? io : new IOException(e.toString(), e));
                return;
            }
            commits.record(System.nanoTime() - start, TimeUnit.NANOSECONDS);
            batches.record(batch.size());
            lock.lock();
            try {
                records += batch.size();
                writes++;
                written = records;
                unsynced.signal();
            } finally {
                lock.unlock();
            }
            listener.durable(batch);
            if (file.sinceSnapshot() >= snapshotEvery && records >= snapshotRetryAt) {
                snapshotRetryAt = records + snapshotEvery;
                snapshot();
            }
        }
    }

    private void snapshot() {
        try {
            snapshotter.snapshot();
        } catch (IOException | RuntimeException e) {
            log.error("journal {}: writing a snapshot failed (the journal keeps every record; retrying after {} more)",
                    file.dir(), snapshotEvery, e);
        }
    }

    /** Called with the lock held, after a failure. */
    private CfsException failed() {
        return new CfsException(ErrorCode.IO_ERROR, "journal " + file.dir() + " failed (" + failure.getMessage()
                + "): no change can be made until the metadata server restarts");
    }

    private void fail(List<E> batch, IOException cause) {
        List<E> failedEntries = new ArrayList<>(batch);
        List<SyncWaiter> waiters;
        CfsException error;
        lock.lock();
        try {
            if (failure != null) {
                return; // the other thread failed first and failed everything
            }
            log.error("journal {} failed: no change can be made until the metadata server restarts", file.dir(), cause);
            failure = cause;
            failedEntries.addAll(queue);
            queue.clear();
            waiters = new ArrayList<>(syncWaiters);
            syncWaiters.clear();
            error = failed();
            queued.signalAll();
            unsynced.signalAll();
        } finally {
            lock.unlock();
        }
        waiters.forEach(w -> w.done().completeExceptionally(error));
        listener.failed(failedEntries, cause);
    }

    public Stats stats() {
        lock.lock();
        try {
            return new Stats(records, writes);
        } finally {
            lock.unlock();
        }
    }

    /** The fdatasyncs done so far. */
    public long fsyncs() {
        lock.lock();
        try {
            return fsyncs;
        } finally {
            lock.unlock();
        }
    }

    /** Writes what is queued, stops the writer thread and closes the file. */
    @Override
    public void close() throws IOException {
        lock.lock();
        try {
            closing = true;
            queued.signalAll();
            unsynced.signalAll();
        } finally {
            lock.unlock();
        }
        boolean interrupted = false;
        for (Thread t : List.of(writer, syncer)) { // the syncer ends once what the writer wrote is durable
            while (t.isAlive()) {
                try {
                    t.join();
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
        boolean healthy;
        lock.lock();
        try {
            healthy = failure == null;
        } finally {
            lock.unlock();
        }
        if (healthy && file.sinceSnapshot() > 0) {
            snapshot();
        }
        Stats s = stats();
        log.info("journal {} closed: {} records written in {} writes and {} fsyncs", file.dir(), s.records(), s.writes(),
                fsyncs());
        file.close();
    }
}
