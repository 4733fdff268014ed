package io.cfs.blockstore.mirror;

import java.util.function.LongSupplier;

/**
 * A mirror's side of its read lease from the master's storage system (see {@link GrantedLease}):
 * while it is valid, the mirror serves the clusters its stale map says are valid; otherwise every
 * read goes to the master, or fails at once if the master has stopped answering.
 *
 * <p>A lease runs from the moment its renewal was <em>sent</em>, on this clock, so a slow answer
 * only shortens it. Renewals are sent only while the mirror's stale map is current: after its
 * Bitmap Table row was applied and before the next fetch starts or a renewal is withheld. The
 * master resumes granting when it serves a row fetch, so a renewal sent while a fetch is under way
 * could be granted before the row is applied here; a renewal sent earlier on the same connection
 * was answered before (requests to one peer share one FIFO connection).
 *
 * <p>A master whose storage system is not running cannot acknowledge a write, and when it starts
 * again it withholds every lease and counts one granted before as granted at its start (see
 * {@link GrantedLease}). So a connection to it <em>refused</em> (its host answers, nothing
 * listens) while the lease is still valid proves that no write was acknowledged without this
 * mirror being told, up to the probe: the lease runs on from the probe's send ({@link
 * #masterAbsent}), and reads of a pair whose master crashed keep working from this mirror. A
 * master that is silent (host down, link cut) proves nothing: the lease runs out. This assumes that
 * nothing between the storage systems refuses connections on the master's behalf (a firewall rule
 * that rejects with a reset); one that does must drop instead.
 *
 * <p>Thread-safe.
 */
public final class HeldLease {
    private final LongSupplier clock;
    private boolean held;
    private long expiresAt;
    private boolean rowCurrent;
    private boolean renewing;
    private long renewalSentAt;
    private boolean failed;
    private long lastDuration;

    /** @param clock monotonic nanoseconds */
    public HeldLease(LongSupplier clock) {
        this.clock = clock;
    }

    /** Whether the mirror may serve the clusters it believes valid now. */
    public synchronized boolean valid() {
        return held && clock.getAsLong() - expiresAt < 0;
    }

    /**
     * No valid lease, and the master does not answer: the last renewal failed, or the lease ran
     * out while a renewal sent under it was still unanswered (a link that drops everything fails
     * a call only seconds later).
     */
    public synchronized boolean masterSilent() {
        return !valid() && (failed || renewing && held && renewalSentAt - expiresAt < 0);
    }

    /** A fetch of the master's Bitmap Table row starts: no renewal until it is applied. */
    public synchronized void fetchingRow() {
        rowCurrent = false;
    }

    /** The master's Bitmap Table row was applied to the stale map: renewals may go. */
    public synchronized void rowApplied() {
        rowCurrent = true;
    }

    /** Whether the stale map is current, as of the last row applied. */
    public synchronized boolean rowCurrent() {
        return rowCurrent;
    }

    /** Whether a renewal may be sent now: the stale map is current and no renewal is in flight. */
    public synchronized boolean mayRenew() {
        return rowCurrent && !renewing;
    }

    /** A renewal is being sent now; returns the time to pass to {@link #granted} or {@link #failed}. */
    public synchronized long renewalSent() {
        if (!mayRenew()) {
            throw new IllegalStateException(rowCurrent ? "a renewal is already in flight"
                    : "the stale map is not current: fetch the master's row first");
        }
        renewing = true;
        renewalSentAt = clock.getAsLong();
        return renewalSentAt;
    }

    /** The master granted the renewal sent at {@code sentAt} for {@code durationNanos}. */
    public synchronized void granted(long sentAt, long durationNanos) {
        long until = sentAt + durationNanos;
        if (!held || until - expiresAt > 0) {
            expiresAt = until;
        }
        held = true;
        lastDuration = durationNanos;
        renewing = false;
        failed = false;
    }

    /** A probe of whether the master's storage system runs is sent now; returns the time for {@link #masterAbsent}. */
    public long probeSent() {
        return clock.getAsLong();
    }

    /**
     * The master's storage system refused a connection probed at {@code sentAt}: its process did not
     * run then. If the lease was still valid at {@code sentAt}, it runs on for the last duration
     * granted from there; returns whether it did.
     */
    public synchronized boolean masterAbsent(long sentAt) {
        if (!held || sentAt - expiresAt >= 0) {
            return false;
        }
        long until = sentAt + lastDuration;
        if (until - expiresAt > 0) {
            expiresAt = until;
        }
        return true;
    }

    /** The master withheld the lease: none is held, and the row must be fetched before renewing. */
    public synchronized void withheld() {
        held = false;
        rowCurrent = false;
        renewing = false;
        failed = false;
    }

    /** The renewal got no answer (the master is unreachable or timed out). */
    public synchronized void failed() {
        renewing = false;
        failed = true;
    }

    @Override
    public synchronized String toString() {
        return valid() ? "read lease held for " + (expiresAt - clock.getAsLong()) / 1_000_000 + " ms"
                : "no read lease" + (masterSilent() ? " (the master does not answer)" : "");
    }
}
