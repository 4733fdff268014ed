package io.cfs.blockstore.volume;

import io.cfs.blockstore.sync.Ticker;
import io.cfs.blockstore.sync.TokenBucket;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * The disk bandwidth limit of one volume, for benchmarks on one machine (off unless asked for): a
 * {@link TokenBucket} of {@code bytesPerSecond} that every byte read from or written to the volume
 * file is charged to ({@link #charge}), and a FIFO of client requests waiting for it.
 *
 * <p>A client request is {@linkplain #admit admitted} when the balance is positive and no request
 * waits before it; it then reserves its length until it is done ({@link #refund}), so that
 * requests admitted together cannot overrun the limit before their bytes are charged. Waiting takes
 * no thread: a {@link Scheduler} re-checks the head of the queue when its tokens should be there,
 * and at least every {@value #MAX_RECHECK_MILLIS} ms (the ticker need not be the wall clock).
 * Other disk work (mirror copies, the Sync Daemon, replica writes, checksums) is charged without
 * waiting, so it delays the clients of the volume instead.
 */
public final class Bandwidth {
    static final long MAX_RECHECK_MILLIS = 20;
    private static final long MAX_RECHECK_NANOS = TimeUnit.MILLISECONDS.toNanos(MAX_RECHECK_MILLIS);

    /** Runs a task after a delay; may throw {@link RejectedExecutionException} once shut down. */
    @FunctionalInterface
    public interface Scheduler {
        void schedule(Runnable task, long delayNanos);
    }

    /** No limit: nothing is charged, every request is admitted at once. */
    public static final Bandwidth UNLIMITED = new Bandwidth(0, Ticker.SYSTEM, (task, delay) -> {
        throw new RejectedExecutionException("an unlimited bandwidth schedules nothing");
    });

    private record Waiter(long bytes, Runnable admitted, Runnable rejected) {}

    private final TokenBucket bucket;
    private final Scheduler scheduler;
    private final ArrayDeque<Waiter> waiting = new ArrayDeque<>();
    private boolean scheduled;
    private boolean closed;
    private long waits;

    /** @param bytesPerSecond the limit; 0 is unlimited */
    public Bandwidth(long bytesPerSecond, Ticker ticker, Scheduler scheduler) {
        this.bucket = new TokenBucket(bytesPerSecond, ticker);
        this.scheduler = scheduler;
    }

    public boolean limited() {
        return bucket.bytesPerSecond() > 0;
    }

    /** Charges bytes that were read from or written to the volume file. */
    public void charge(long bytes) {
        bucket.consume(bytes);
    }

    /** Gives back the reservation of an admitted request once it is done. */
    public void refund(long bytes) {
        bucket.refund(bytes);
    }

    /** Requests that had to wait for the limit since start. */
    public synchronized long waits() {
        return waits;
    }

    /** The number of requests waiting. */
    public synchronized int waiting() {
        return waiting.size();
    }

    /**
     * Runs {@code admitted} (on this thread or the scheduler's) once the request may touch the
     * disk, having reserved {@code bytes}; the caller {@link #refund}s them when it is done. Runs
     * {@code rejected} instead once the limit is {@linkplain #close closed}.
     */
    public void admit(long bytes, Runnable admitted, Runnable rejected) {
        if (!limited()) {
            admitted.run();
            return;
        }
        List<Waiter> refused;
        synchronized (this) {
            if (!closed && waiting.isEmpty() && bucket.tryAcquire(bytes) == 0) {
                refused = null;
            } else {
                waiting.add(new Waiter(bytes, admitted, rejected));
                waits++;
                refused = closed ? drainAll() : scheduleLocked(bucket.delayNanos());
            }
        }
        if (refused == null) {
            admitted.run();
        } else {
            refused.forEach(w -> w.rejected().run());
        }
    }

    /** Admits the waiting requests whose tokens are there, in order. */
    private void recheck() {
        List<Waiter> go = new ArrayList<>();
        List<Waiter> refused;
        synchronized (this) {
            scheduled = false;
            if (closed) {
                refused = drainAll();
            } else {
                long delay = 0;
                while (!waiting.isEmpty() && (delay = bucket.tryAcquire(waiting.peek().bytes())) == 0) {
                    go.add(waiting.poll());
                }
                refused = waiting.isEmpty() ? List.of() : scheduleLocked(delay);
            }
        }
        go.forEach(w -> w.admitted().run());
        refused.forEach(w -> w.rejected().run());
    }

    /** Schedules a re-check unless one is pending; the waiters to reject if the scheduler is shut down. */
    private List<Waiter> scheduleLocked(long delayNanos) {
        if (scheduled) {
            return List.of();
        }
        try {
            scheduler.schedule(this::recheck, Math.max(1, Math.min(delayNanos, MAX_RECHECK_NANOS)));
            scheduled = true;
            return List.of();
        } catch (RejectedExecutionException e) {
            closed = true;
            return drainAll();
        }
    }

    private List<Waiter> drainAll() {
        List<Waiter> all = new ArrayList<>(waiting);
        waiting.clear();
        return all;
    }

    /** Rejects the waiting requests and every later one. */
    public void close() {
        List<Waiter> refused;
        synchronized (this) {
            closed = true;
            refused = drainAll();
        }
        refused.forEach(w -> w.rejected().run());
    }

    @Override
    public String toString() {
        return limited() ? bucket.bytesPerSecond() + " bytes/s" : "unlimited";
    }
}
