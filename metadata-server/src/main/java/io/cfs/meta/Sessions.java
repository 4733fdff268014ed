package io.cfs.meta;

import io.cfs.protocol.CfsException;
import io.cfs.protocol.ErrorCode;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * The client sessions and which connection each is bound to. A session opened by OPEN_SESSION
 * has a random id and a lease: it lives while KEEP_ALIVE (or OPEN_SESSION resuming it) renews the
 * lease, whether or not a connection is bound to it, so that a client can reconnect and resume it
 * with its open handles; when the lease runs out it {@link #expire expires}. A connection that
 * opens files without a session gets a connection-scoped session (id 0, no lease) that ends with
 * the connection, as older clients expect.
 *
 * <p>A connection whose session expired while bound keeps a marker of it, so that its requests get
 * SESSION_EXPIRED (the client must open a new session and reopen its files) rather than look like
 * a connection that never had one.
 *
 * <p>Sizes: at most {@link #MAX_SESSIONS} live sessions, and one binding per open connection.
 * Not thread-safe: used under the server's lock. Times are the injected clock's milliseconds.
 *
 * @param <C> the connection (a channel; anything with identity in tests)
 */
final class Sessions<C> {
    /** Most live sessions at once (a status reply lists them all in one frame). */
    static final int MAX_SESSIONS = 16_384;
    /** Longest client name in UTF-8 bytes. */
    static final int MAX_CLIENT_BYTES = 64;

    /** A session: with a lease ({@code id != 0}) or scoped to one connection ({@code id == 0}). */
    static final class Session<C> {
        final long id;
        final String client;
        C connection;
        long expiresAt;
        boolean expired;

        Session(long id, String client, C connection, long expiresAt) {
            this.id = id;
            this.client = client;
            this.connection = connection;
            this.expiresAt = expiresAt;
        }

        boolean leased() {
            return id != 0;
        }

        @Override
        public String toString() {
            return leased() ? id + " of client " + client : "of connection " + connection;
        }
    }

    /**
     * A connection bound to a session: the session, whether it existed before (a resume), and the
     * connection-scoped session the connection had (whose handles move to the bound session), if any.
     */
    record Binding<C>(Session<C> session, boolean resumed, Session<C> replaced) {}

    private final long leaseMillis;
    private final LongSupplier ids;
    private final Map<Long, Session<C>> live = new HashMap<>();
    private final Map<C, Session<C>> bound = new HashMap<>();

    /**
     * @param ids the source of session ids (random, so that one cannot be guessed)
     */
    Sessions(long leaseMillis, LongSupplier ids) {
        if (leaseMillis < 1 || leaseMillis > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("lease " + leaseMillis + " ms: expected 1.." + Integer.MAX_VALUE);
        }
        this.leaseMillis = leaseMillis;
        this.ids = ids;
    }

    long leaseMillis() {
        return leaseMillis;
    }

    /** Whether the connection has ever been bound (and not closed since). */
    boolean knows(C connection) {
        return bound.containsKey(connection);
    }

    /** The session a connection is bound to, or null; it may be {@linkplain Session#expired expired}. */
    Session<C> of(C connection) {
        return bound.get(connection);
    }

    /**
     * The session a connection's new handles belong to: its bound session, or a new
     * connection-scoped one. SESSION_EXPIRED if its session expired.
     */
    Session<C> forOpen(C connection) {
        Session<C> s = bound.get(connection);
        if (s == null) {
            s = new Session<>(0, "", connection, Long.MAX_VALUE);
            bound.put(connection, s);
        }
        return checkLive(s);
    }

    /** Throws SESSION_EXPIRED for an expired session. */
    static <C> Session<C> checkLive(Session<C> s) {
        if (s.expired) {
            throw new CfsException(ErrorCode.SESSION_EXPIRED, "session " + s + " expired: its lease ran out and its"
                    + " handles were closed; expected OPEN_SESSION and the files opened again");
        }
        return s;
    }

    /**
     * Binds a connection to session {@code resume} if it is live, else to a new session (resume 0,
     * or an id that expired or that a restart forgot), and renews its lease.
     */
    Binding<C> open(C connection, String client, long resume, long now) {
        int bytes = client.getBytes(StandardCharsets.UTF_8).length;
        if (bytes == 0 || bytes > MAX_CLIENT_BYTES) {
            throw new CfsException(ErrorCode.INVALID_ARGUMENT, "client name of " + bytes + " bytes: expected 1.."
                    + MAX_CLIENT_BYTES);
        }
        Session<C> s = resume == 0 ? null : live.get(resume);
        boolean resumed = s != null;
        if (s == null) {
            if (live.size() >= MAX_SESSIONS) {
                throw new CfsException(ErrorCode.UNAVAILABLE, live.size() + " client sessions are live, the most the"
                        + " metadata server keeps: try again once some have expired");
            }
            long id;
            do {
                id = ids.getAsLong();
            } while (id == 0 || live.containsKey(id));
            s = new Session<>(id, client, null, 0);
            live.put(id, s);
        }
        return bind(connection, s, resumed, now);
    }

    /**
     * Renews a session's lease. A connection bound to no live session (new after a reconnect, or
     * with only connection-scoped handles) is bound to it, as by a resume.
     *
     * @return the binding when the connection was bound by this call, else null
     */
    Binding<C> keepAlive(C connection, long id, long now) {
        Session<C> s = live.get(id);
        if (s == null) {
            throw new CfsException(ErrorCode.SESSION_EXPIRED, "no session " + id
                    + ": it expired or the metadata server restarted; expected OPEN_SESSION and the files opened again");
        }
        s.expiresAt = now + leaseMillis;
        Session<C> current = bound.get(connection);
        if (current == s || (current != null && current.leased() && !current.expired)) {
            return null;
        }
        return bind(connection, s, true, now);
    }

    private Binding<C> bind(C connection, Session<C> s, boolean resumed, long now) {
        s.expiresAt = now + leaseMillis;
        Session<C> current = bound.get(connection);
        if (current == s) {
            return new Binding<>(s, resumed, null);
        }
        if (s.connection != null) {
            bound.remove(s.connection);
        }
        if (current != null && current.leased() && !current.expired) {
            current.connection = null;
        }
        s.connection = connection;
        bound.put(connection, s);
        return new Binding<>(s, resumed, current != null && !current.leased() ? current : null);
    }

    /**
     * Forgets a closed connection and returns what it was bound to (or null). A leased session it
     * was bound to stays, unbound, until its lease expires; a connection-scoped one ends: the caller
     * closes its handles.
     */
    Session<C> closed(C connection) {
        Session<C> s = bound.remove(connection);
        if (s != null && s.connection == connection) {
            s.connection = null;
        }
        return s;
    }

    /** Ends every leased session whose lease ran out by {@code now}; returns them by id. The caller closes their handles. */
    List<Session<C>> expire(long now) {
        List<Session<C>> gone = new ArrayList<>();
        for (Session<C> s : live.values()) {
            if (s.expiresAt <= now) {
                gone.add(s);
            }
        }
        gone.sort(Comparator.comparingLong(s -> s.id));
        for (Session<C> s : gone) {
            live.remove(s.id);
            s.expired = true;
        }
        return gone;
    }

    /** The live leased sessions by id. */
    List<Session<C>> live() {
        List<Session<C>> all = new ArrayList<>(live.values());
        all.sort(Comparator.comparingLong(s -> s.id));
        return all;
    }
}
