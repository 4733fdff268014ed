package io.cfs.blockstore.mirror;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The read lease's two sides as state machines on a hand-driven clock: no sockets, no sleeps. */
class LeaseTest {
    static final long MS = TimeUnit.MILLISECONDS.toNanos(1);
    static final long LEASE = 3000 * MS;
    static final long MARGIN = GrantedLease.marginOf(LEASE);
    static final long PATIENCE = GrantedLease.patienceOf(LEASE);

    /** A clock and the tasks scheduled on it, run when the clock passes their time. */
    static final class ManualTime implements GrantedLease.Scheduler {
        long now = 5_000 * MS;
        final List<long[]> due = new ArrayList<>();
        final List<Runnable> tasks = new ArrayList<>();

        @Override
        public GrantedLease.Cancellable schedule(Runnable task, long delayNanos) {
            long[] at = {now + delayNanos};
            due.add(at);
            tasks.add(task);
            return () -> at[0] = Long.MAX_VALUE;
        }

        void advance(long nanos) {
            now += nanos;
            for (int i = 0; i < tasks.size(); i++) {
                if (due.get(i)[0] <= now) {
                    due.get(i)[0] = Long.MAX_VALUE;
                    tasks.get(i).run();
                }
            }
        }

        long pending() {
            return due.stream().filter(d -> d[0] != Long.MAX_VALUE).count();
        }
    }

    final ManualTime time = new ManualTime();
    final GrantedLease granted = new GrantedLease("ss2:v1", Duration.ofNanos(LEASE), () -> time.now, time);
    final HeldLease held = new HeldLease(() -> time.now);

    @Test
    void theMasterWithholdsUntilTheMirrorFetchedItsRowThenGrants() {
        assertTrue(granted.revoked(), "a master that just started withholds: a write before may have missed the mirror");
        assertEquals(0, granted.grant());
        granted.resynced();
        assertEquals(3000, granted.grant());
        assertFalse(granted.revoked());
    }

    @Test
    void aLeaseRunsFromWhenTheRenewalWasSent() {
        assertFalse(held.valid());
        assertFalse(held.mayRenew(), "no renewal before the master's row was applied");
        held.rowApplied();
        long sent = held.renewalSent();
        assertFalse(held.mayRenew(), "one renewal in flight at a time");
        time.advance(800 * MS); // the answer is slow
        held.granted(sent, LEASE);
        assertTrue(held.valid());
        time.advance(LEASE - 800 * MS - 1);
        assertTrue(held.valid());
        time.advance(1);
        assertFalse(held.valid(), "expired " + LEASE + " ns after the send, not after the answer");
        assertFalse(held.masterSilent(), "the master answered");

        long renewed = held.renewalSent();
        time.advance(100 * MS);
        held.granted(renewed, LEASE);
        assertTrue(held.valid());
        held.granted(sent, LEASE); // an older grant never shortens it
        time.advance(LEASE - 100 * MS - 1);
        assertTrue(held.valid());
    }

    @Test
    void aMirrorWhoseRenewalsGoUnansweredHasNoLeaseAndKnowsTheMasterIsSilent() {
        held.rowApplied();
        held.granted(held.renewalSent(), LEASE);
        time.advance(LEASE / 3);
        held.renewalSent(); // into a cut link: no answer
        time.advance(LEASE / 3);
        assertFalse(held.masterSilent(), "in flight, under a valid lease");
        time.advance(LEASE / 3);
        assertFalse(held.valid());
        assertTrue(held.masterSilent(), "the lease ran out while a renewal sent under it was unanswered");
        held.failed();
        assertTrue(held.masterSilent());
        held.granted(held.renewalSent(), LEASE); // the link is back
        assertTrue(held.valid());
        assertFalse(held.masterSilent());
    }

    @Test
    void aMasterThatRefusesConnectionsWhileTheLeaseIsValidExtendsItFromTheProbe() {
        held.rowApplied();
        held.granted(held.renewalSent(), LEASE);
        time.advance(LEASE / 3);
        held.renewalSent();
        held.failed(); // the master's process died: the connection was reset
        long probe = held.probeSent();
        time.advance(10 * MS);
        assertTrue(held.masterAbsent(probe), "refused while the lease was valid");
        time.advance(LEASE - 10 * MS - 1);
        assertTrue(held.valid(), "runs on from the probe's send");
        time.advance(1);
        assertFalse(held.valid());
        assertFalse(held.masterAbsent(held.probeSent()), "a refusal after the lease ran out proves nothing: a write "
                + "may have been acknowledged after it expired");
        assertFalse(held.valid());
    }

    @Test
    void aRefusalNeverGivesALeaseThatWasNotHeld() {
        assertFalse(held.masterAbsent(held.probeSent()));
        held.rowApplied();
        held.granted(held.renewalSent(), LEASE);
        held.renewalSent();
        held.withheld();
        assertFalse(held.masterAbsent(held.probeSent()), "withheld: the master was revoking it");
        assertFalse(held.valid());
    }

    @Test
    void aFirstRenewalInFlightIsNotSilence() {
        held.rowApplied();
        held.renewalSent();
        time.advance(LEASE);
        assertFalse(held.valid());
        assertFalse(held.masterSilent(), "never held: reads go through the master until it answers or fails");
        held.failed();
        assertTrue(held.masterSilent());
    }

    @Test
    void aWithheldLeaseIsDroppedAndNotAskedForAgainBeforeTheRowIsFetched() {
        held.rowApplied();
        held.granted(held.renewalSent(), LEASE);
        held.renewalSent();
        held.withheld();
        assertFalse(held.valid());
        assertFalse(held.masterSilent(), "the master answers: reads go to it");
        assertFalse(held.mayRenew());
        assertThrows(IllegalStateException.class, held::renewalSent);
        held.fetchingRow();
        assertFalse(held.mayRenew());
        held.rowApplied();
        assertTrue(held.mayRenew());
    }

    @Test
    void aToldMirrorLetsTheWriteBeAcknowledgedAtOnce() {
        granted.resynced();
        granted.grant();
        CompletableFuture<Boolean> told = new CompletableFuture<>();
        CompletableFuture<Void> ack = granted.acknowledgeable(told);
        assertFalse(ack.isDone());
        time.advance(PATIENCE / 2);
        told.complete(true);
        assertTrue(ack.isDone());
        assertFalse(granted.revoked());
        time.advance(PATIENCE);
        assertFalse(granted.revoked(), "the patience timer was cancelled");
        assertEquals(0, time.pending());
        assertTrue(granted.acknowledgeable(CompletableFuture.completedFuture(true)).isDone());
    }

    @Test
    void aMirrorThatCannotBeToldIsRevokedAndTheWriteWaitsUntilItsLeaseCertainlyExpired() {
        granted.resynced();
        time.advance(10_000 * MS);
        assertEquals(3000, granted.grant());
        long lastGrant = time.now;
        time.advance(1000 * MS);
        CompletableFuture<Boolean> told = new CompletableFuture<>();
        CompletableFuture<Void> ack = granted.acknowledgeable(told);
        time.advance(10 * MS);
        told.complete(false); // INVALIDATE failed: connection refused
        assertTrue(granted.revoked());
        assertEquals(0, granted.grant(), "no grant while revoked");
        assertEquals(lastGrant + LEASE + MARGIN, granted.revoke(), "may acknowledge after");
        time.advance(lastGrant + LEASE + MARGIN - time.now - 1);
        assertFalse(ack.isDone(), "1 ns before the last lease granted certainly expired");
        time.advance(1);
        assertTrue(ack.isDone());

        // While the link stays cut the lease is long gone: later writes are acknowledged at once,
        // even while their invalidations hang in a link that drops everything.
        assertTrue(granted.acknowledgeable(CompletableFuture.completedFuture(false)).isDone());
        assertTrue(granted.acknowledgeable(new CompletableFuture<>()).isDone());
        // A late success does not give the lease back: only a fetch of the row does.
        assertTrue(granted.acknowledgeable(CompletableFuture.completedFuture(true)).isDone());
        assertEquals(0, granted.grant());
        granted.resynced();
        assertEquals(3000, granted.grant());
    }

    @Test
    void anInvalidationThatDoesNotAnswerWithinThePatienceRevokesTheLease() {
        granted.resynced();
        granted.grant();
        long lastGrant = time.now;
        CompletableFuture<Boolean> told = new CompletableFuture<>();
        CompletableFuture<Void> ack = granted.acknowledgeable(told);
        time.advance(PATIENCE / 2);
        CompletableFuture<Void> later = granted.acknowledgeable(new CompletableFuture<>()); // a second write
        time.advance(PATIENCE - PATIENCE / 2 - 1);
        assertFalse(granted.revoked());
        time.advance(1);
        assertTrue(granted.revoked(), "a silent link: the patience ran out");
        assertEquals(0, granted.grant());
        CompletableFuture<Void> revokedMeanwhile = granted.acknowledgeable(new CompletableFuture<>());
        time.advance(lastGrant + LEASE + MARGIN - time.now - 1);
        assertFalse(ack.isDone());
        assertFalse(revokedMeanwhile.isDone());
        time.advance(1);
        assertTrue(ack.isDone(), "bounded: patience + lease + margin at most, never a hang");
        assertTrue(revokedMeanwhile.isDone(), "a write after the revocation waits only for the lease to expire");
        assertTrue(later.isDone(), "a write during the patience is released with the first");
        told.complete(false); // the connection is presumed cut later: nothing changes
        assertTrue(ack.isDone());
    }

    @Test
    void aMasterThatJustStartedCountsALeaseFromBeforeItsRestartAsGrantedAtStartup() {
        long started = time.now;
        CompletableFuture<Void> ack = granted.acknowledgeable(CompletableFuture.completedFuture(false));
        CompletableFuture<Boolean> slow = new CompletableFuture<>();
        CompletableFuture<Void> told = granted.acknowledgeable(slow);
        assertFalse(ack.isDone());
        time.advance(10 * MS);
        slow.complete(true);
        assertTrue(told.isDone(), "a mirror told needs no wait, even before it has fetched its row");
        time.advance(started + LEASE + MARGIN - time.now - 1);
        assertFalse(ack.isDone());
        time.advance(1);
        assertTrue(ack.isDone());
    }

    @Test
    void aLeaseTooShortIsRefused() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new GrantedLease("ss2:v1", Duration.ZERO, () -> 0, time));
        assertTrue(e.getMessage().contains("ss2:v1") && e.getMessage().contains("at least 1 ms"), e.getMessage());
    }
}
