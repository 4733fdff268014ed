package io.cfs.meta;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cfs.protocol.CfsException;
import io.cfs.protocol.ErrorCode;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** Sessions and leases without sockets: connections are strings, time is a number. */
class SessionsTest {
    static final long LEASE = 10_000;

    final AtomicLong nextId = new AtomicLong(100);
    final Sessions<String> sessions = new Sessions<>(LEASE, nextId::incrementAndGet);

    static CfsException fails(ErrorCode code, Runnable action) {
        CfsException e = assertThrows(CfsException.class, action::run);
        assertEquals(code, e.code(), e.getMessage());
        return e;
    }

    @Test
    void aNewSessionHasAFreshIdAndALease() {
        Sessions.Binding<String> b = sessions.open("c1", "host-a", 0, 1_000);
        assertFalse(b.resumed());
        assertEquals(101, b.session().id);
        assertEquals("host-a", b.session().client);
        assertEquals(11_000, b.session().expiresAt);
        assertSame(b.session(), sessions.of("c1"));
        assertTrue(sessions.knows("c1"));
        Sessions.Binding<String> unknown = sessions.open("c2", "host-b", 555, 1_000);
        assertFalse(unknown.resumed(), "an unknown id gets a new session");
        assertEquals(102, unknown.session().id);
        assertEquals(List.of(b.session(), unknown.session()), sessions.live());
    }

    @Test
    void idsAreNeverZeroNorReused() {
        AtomicLong ids = new AtomicLong(-1);
        Sessions<String> s = new Sessions<>(LEASE, () -> {
            long id = ids.incrementAndGet();
            return id < 2 ? 0 : 7;
        });
        assertEquals(7, s.open("c1", "a", 0, 0).session().id);
        AtomicLong calls = new AtomicLong();
        Sessions<String> t = new Sessions<>(LEASE, () -> calls.incrementAndGet() < 3 ? 7 : 8);
        assertEquals(7, t.open("c1", "a", 0, 0).session().id);
        assertEquals(8, t.open("c2", "b", 0, 0).session().id, "7 is taken");
    }

    @Test
    void aSessionOutlivesItsConnectionAndResumesOnAnother() {
        Sessions.Session<String> s = sessions.open("c1", "host-a", 0, 0).session();
        assertSame(s, sessions.closed("c1"));
        assertNull(s.connection, "unbound but alive");
        assertFalse(sessions.knows("c1"));
        assertEquals(List.of(), sessions.expire(LEASE - 1));
        Sessions.Binding<String> again = sessions.open("c2", "host-a", s.id, 5_000);
        assertTrue(again.resumed());
        assertSame(s, again.session());
        assertEquals("c2", s.connection);
        assertEquals(15_000, s.expiresAt, "a resume renews the lease");
    }

    @Test
    void resumingOnANewConnectionUnbindsTheOldOne() {
        Sessions.Session<String> s = sessions.open("c1", "host-a", 0, 0).session();
        sessions.open("c2", "host-a", s.id, 1);
        assertNull(sessions.of("c1"), "the old connection no longer speaks for the session");
        assertSame(s, sessions.of("c2"));
        assertNull(sessions.closed("c1"), "its close ends nothing");
        assertEquals("c2", s.connection);
    }

    @Test
    void aLeaseExpiresWithoutKeepAliveEvenWhileConnected() {
        Sessions.Session<String> s = sessions.open("c1", "host-a", 0, 0).session();
        sessions.keepAlive("c1", s.id, 6_000);
        assertEquals(List.of(), sessions.expire(15_999));
        assertEquals(List.of(s), sessions.expire(16_000));
        assertTrue(s.expired);
        assertEquals(List.of(), sessions.live());
        CfsException e = fails(ErrorCode.SESSION_EXPIRED, () -> sessions.forOpen("c1"));
        assertTrue(e.getMessage().contains("session " + s.id + " of client host-a expired"), e.getMessage());
        fails(ErrorCode.SESSION_EXPIRED, () -> sessions.keepAlive("c1", s.id, 16_001));
        Sessions.Binding<String> fresh = sessions.open("c1", "host-a", s.id, 16_002);
        assertFalse(fresh.resumed(), "an expired id gets a new session");
        assertTrue(fresh.session().id != s.id);
        assertSame(fresh.session(), sessions.forOpen("c1"));
        assertNull(fresh.replaced(), "the expired marker had no handles to move");
    }

    @Test
    void aKeepAliveFromAConnectionWithoutASessionBindsIt() {
        Sessions.Session<String> s = sessions.open("c1", "host-a", 0, 0).session();
        sessions.closed("c1");
        Sessions.Binding<String> b = sessions.keepAlive("c2", s.id, 3_000);
        assertTrue(b.resumed());
        assertSame(s, sessions.of("c2"));
        assertEquals(13_000, s.expiresAt);
        assertNull(sessions.keepAlive("c2", s.id, 4_000), "already bound: only renewed");
        Sessions.Session<String> other = sessions.open("c3", "host-b", 0, 4_000).session();
        assertNull(sessions.keepAlive("c3", s.id, 5_000), "a connection bound to another session keeps it");
        assertSame(other, sessions.of("c3"));
        assertEquals(15_000, s.expiresAt, "but the lease is renewed");
        fails(ErrorCode.SESSION_EXPIRED, () -> sessions.keepAlive("c2", 12345, 5_000));
    }

    @Test
    void aConnectionWithoutASessionGetsOneScopedToItWhoseHandlesMoveWhenItBinds() {
        Sessions.Session<String> scoped = sessions.forOpen("c1");
        assertEquals(0, scoped.id);
        assertFalse(scoped.leased());
        assertSame(scoped, sessions.forOpen("c1"));
        assertEquals(List.of(), sessions.live(), "not a leased session");
        Sessions.Binding<String> b = sessions.open("c1", "host-a", 0, 0);
        assertSame(scoped, b.replaced(), "its handles move to the session");
        assertSame(b.session(), sessions.forOpen("c1"));
        Sessions.Session<String> other = sessions.forOpen("c2");
        assertSame(other, sessions.closed("c2"), "the caller closes its handles");
        assertFalse(sessions.knows("c2"));
    }

    @Test
    void aConnectionOpeningAnotherSessionLeavesThePreviousOneToItsLease() {
        Sessions.Session<String> first = sessions.open("c1", "host-a", 0, 0).session();
        Sessions.Session<String> second = sessions.open("c1", "host-a", 0, 100).session();
        assertNull(first.connection);
        assertEquals(List.of(first, second), sessions.live());
        assertEquals(List.of(first), sessions.expire(LEASE));
    }

    @Test
    void clientNamesAndTheNumberOfSessionsAreBounded() {
        fails(ErrorCode.INVALID_ARGUMENT, () -> sessions.open("c", "", 0, 0));
        fails(ErrorCode.INVALID_ARGUMENT, () -> sessions.open("c", "x".repeat(65), 0, 0));
        sessions.open("c", "x".repeat(64), 0, 0);
        for (int i = 1; i < Sessions.MAX_SESSIONS; i++) {
            sessions.open("c", "x", 0, 0);
        }
        CfsException full = fails(ErrorCode.UNAVAILABLE, () -> sessions.open("c", "x", 0, 0));
        assertTrue(full.getMessage().contains(Sessions.MAX_SESSIONS + " client sessions are live"), full.getMessage());
        assertEquals(Sessions.MAX_SESSIONS, sessions.expire(LEASE).size());
        sessions.open("c", "x", 0, LEASE);
    }

    @Test
    void leasesAreBounded() {
        assertThrows(IllegalArgumentException.class, () -> new Sessions<String>(0, () -> 1));
        assertThrows(IllegalArgumentException.class, () -> new Sessions<String>(1L << 31, () -> 1));
    }
}
