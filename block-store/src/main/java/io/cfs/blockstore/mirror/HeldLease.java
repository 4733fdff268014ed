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
 * <p>Thread-safe.
 */
public final class HeldLease {
    private final LongSupplier clock;
    private boolean held;
    private long expiresAt;
    private boolean rowCurrent;
    private boolean renewing;
    private boolean unanswered;

    /** @param clock monotonic nanoseconds */
    public HeldLease(LongSupplier clock) {
        this.clock = clock;
    }

    /** Whether the mirror may serve the clusters it believes valid now. */
    public synchronized boolean valid() {
        return held && clock.getAsLong() - expiresAt < 0;
    }

    /** No valid lease, and the last renewal failed or is still unanswered: the master does not answer. */
    public synchronized boolean masterSilent() {
        return !valid() && unanswered;
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
        unanswered = true;
        return clock.getAsLong();
    }

    /** The master granted the renewal sent at {@code sentAt} for {@code durationNanos}. */
    public synchronized void granted(long sentAt, long durationNanos) {
        long until = sentAt + durationNanos;
        if (!held || until - expiresAt > 0) {
            expiresAt = until;
        }
        held = true;
        renewing = false;
        unanswered = false;
    }

    /** The master withheld the lease: none is held, and the row must be fetched before renewing. */
    public synchronized void withheld() {
        held = false;
        rowCurrent = false;
        renewing = false;
        unanswered = false;
    }

    /** The renewal got no answer (the master is unreachable or timed out). */
    public synchronized void failed() {
        renewing = false;
    }

    @Override
    public synchronized String toString() {
        return valid() ? "read lease held for " + (expiresAt - clock.getAsLong()) / 1_000_000 + " ms"
                : "no read lease" + (masterSilent() ? " (the master does not answer)" : "");
    }
}
