package io.cfs.blockstore.mirror;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The master's side of the read lease of one mirror on another storage system (as the leases of
 * chain replication and GFS): the mirror serves reads of the clusters it believes valid only
 * while it holds a lease, which this grants on each {@code RENEW_LEASE}. When a write cannot tell
 * the mirror that clusters went stale (its INVALIDATE or sync copy failed, or has not answered
 * within the patience), the master {@linkplain #revoke revokes}: it grants no more, and
 * acknowledges the write only once the last lease it granted has certainly expired ({@link
 * #acknowledgeable}). The mirror measures a lease from when it <em>sent</em> the renewal, on its
 * own monotonic clock, so delays only shorten it; the margin covers clock rate differences.
 *
 * <p>Grants start withheld, as if revoked when this storage system started: the mirror must
 * first fetch its Bitmap Table row ({@link #resynced}), since a write acknowledged before a restart
 * may never have reached it. A lease granted before the restart counts as granted at startup.
 *
 * <p>Thread-safe.
 */
public final class GrantedLease {
    private static final Logger log = LoggerFactory.getLogger(GrantedLease.class);

    /** Runs tasks later: a timer in production, a hand-driven clock in tests. */
    @FunctionalInterface
    public interface Scheduler {
        /** Runs {@code task} after {@code delayNanos}; the returned handle cancels it. */
        Cancellable schedule(Runnable task, long delayNanos);
    }

    @FunctionalInterface
    public interface Cancellable {
        void cancel();
    }

    private final String mirror;
    private final long durationNanos;
    private final long marginNanos;
    private final long patienceNanos;
    private final LongSupplier clock;
    private final Scheduler scheduler;
    /** Guarded by this. */
    private long lastGrant;
    /** Guarded by this. */
    private boolean revoked = true;

    /**
     * @param mirror   the mirror, for the log
     * @param duration the lease granted
     * @param clock    monotonic nanoseconds
     */
    public GrantedLease(String mirror, java.time.Duration duration, LongSupplier clock, Scheduler scheduler) {
        if (duration.toMillis() < 1 || duration.toMillis() > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("mirror read lease of " + duration + " for " + mirror
                    + ": expected at least 1 ms");
        }
        this.mirror = mirror;
        this.durationNanos = TimeUnit.MILLISECONDS.toNanos(duration.toMillis());
        this.marginNanos = marginOf(durationNanos);
        this.patienceNanos = patienceOf(durationNanos);
        this.clock = clock;
        this.scheduler = scheduler;
        this.lastGrant = clock.getAsLong();
    }

    /** What is added to a lease before a write is acknowledged: a sixth of it (clock rates, scheduling). */
    public static long marginOf(long durationNanos) {
        return durationNanos / 6;
    }

    /** How long a write waits for a mirror to confirm it was told before it revokes the lease: half of it. */
    public static long patienceOf(long durationNanos) {
        return durationNanos / 2;
    }

    /**
     * Answers a renewal: the lease in milliseconds, or 0 (withheld) while revoked. A grant is
     * counted from now, which is after the mirror sent its request.
     */
    public synchronized int grant() {
        if (revoked) {
            return 0;
        }
        lastGrant = clock.getAsLong();
        return (int) TimeUnit.NANOSECONDS.toMillis(durationNanos);
    }

    /**
     * Stops granting until {@link #resynced}; returns the clock time after which the mirror
     * certainly holds no lease: the last grant plus the lease plus the margin.
     */
    public synchronized long revoke() {
        if (!revoked) {
            revoked = true;
            log.warn("mirror {}: read lease revoked (it could not be told of stale clusters): it serves no cluster "
                    + "itself after {} ms, and not again before it has fetched its Bitmap Table row", mirror,
                    TimeUnit.NANOSECONDS.toMillis(Math.max(0, lastGrant + durationNanos - clock.getAsLong())));
        }
        return lastGrant + durationNanos + marginNanos;
    }

    /**
     * The mirror is fetching its Bitmap Table row: call before the row is read, so that every
     * cluster whose invalidation failed before is in what it gets; grants resume.
     */
    public synchronized void resynced() {
        if (revoked) {
            revoked = false;
            log.info("mirror {}: fetched its Bitmap Table row: read lease granted again", mirror);
        }
    }

    public synchronized boolean revoked() {
        return revoked;
    }

    /**
     * When a write may be acknowledged as far as this mirror goes, given {@code told}: whether the
     * mirror got the invalidation (or the sync copy). At once if it did; if it did not, or did not
     * answer within the patience, the lease is revoked and the write waits until it has certainly
     * expired. Never later than the patience plus the lease plus the margin. While the lease is
     * already revoked, the write waits for whichever comes first, the mirror told or the last lease
     * expired (during a partition: no wait at all; the write's clusters are already marked in the
     * row the mirror must fetch before it is granted again).
     */
    public CompletableFuture<Void> acknowledgeable(CompletableFuture<Boolean> told) {
        CompletableFuture<Void> ack = new CompletableFuture<>();
        Runnable giveUp = () -> {
            if (!ack.isDone()) {
                completeAt(revoke(), ack);
            }
        };
        long expiredAt;
        synchronized (this) {
            expiredAt = revoked ? lastGrant + durationNanos + marginNanos : Long.MIN_VALUE;
        }
        Cancellable patience;
        if (expiredAt != Long.MIN_VALUE) {
            completeAt(expiredAt, ack);
            patience = null;
        } else {
            patience = told.isDone() ? null : scheduler.schedule(giveUp, patienceNanos);
        }
        told.whenComplete((ok, error) -> {
            if (patience != null) {
                patience.cancel();
            }
            if (error == null && ok) {
                ack.complete(null);
            } else {
                giveUp.run();
            }
        });
        return ack;
    }

    private void completeAt(long at, CompletableFuture<Void> ack) {
        long wait = at - clock.getAsLong();
        if (wait <= 0) {
            ack.complete(null);
        } else {
            scheduler.schedule(() -> completeAt(at, ack), wait);
        }
    }

    @Override
    public String toString() {
        return "read lease of mirror " + mirror;
    }
}
