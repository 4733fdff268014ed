package io.cfs.meta;

import io.cfs.protocol.CfsException;
import io.cfs.protocol.ErrorCode;
import io.cfs.topology.PairId;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The open handles, by the session holding them (a client session with a lease, or a connection
 * that opened files without one). Soft state: a restart closes them. Sizes: one entry per open
 * handle (at most {@link #MAX_PER_SESSION} per session) and one per session holding any handle.
 * Not thread-safe: used under the server's lock.
 *
 * @param <S> the session (anything with identity in tests)
 */
final class OpenFiles<S> {
    /** Most handles one session may hold open at once. */
    static final int MAX_PER_SESSION = 1 << 20;

    /** One OPEN: the file, the member of its pair the Usage Table assigned, and whether it may write. */
    record Handle<S>(long id, S session, long inode, PairId pair, int member, boolean write) {}

    private final Map<Long, Handle<S>> handles = new HashMap<>();
    private final Map<S, Set<Long>> sessions = new HashMap<>();
    private final Map<Long, Integer> opensPerInode = new HashMap<>();
    private long nextId;

    /**
     * @param firstId the first handle id; a random start keeps a stale handle from before a
     *                restart from naming a new one
     */
    OpenFiles(long firstId) {
        this.nextId = firstId;
    }

    /** Throws unless the session may open one more handle. */
    void checkRoom(S session) {
        Set<Long> ids = sessions.get(session);
        if (ids != null && ids.size() >= MAX_PER_SESSION) {
            throw new CfsException(ErrorCode.UNAVAILABLE, "session " + session + " holds " + ids.size()
                    + " open handles, the most one session may: close some first");
        }
    }

    Handle<S> open(S session, long inode, PairId pair, int member, boolean write) {
        checkRoom(session);
        Handle<S> h = new Handle<>(nextId++, session, inode, pair, member, write);
        handles.put(h.id(), h);
        sessions.computeIfAbsent(session, s -> new LinkedHashSet<>()).add(h.id());
        opensPerInode.merge(inode, 1, Integer::sum);
        return h;
    }

    /** The session's handle {@code id}; BAD_HANDLE when it has none by that id. */
    Handle<S> get(S session, long id) {
        Handle<S> h = handles.get(id);
        if (h == null || !h.session().equals(session)) {
            throw new CfsException(ErrorCode.BAD_HANDLE, "no open handle " + id + " in session " + session
                    + ": expected a handle returned by OPEN to this session and not yet closed");
        }
        return h;
    }

    Handle<S> close(S session, long id) {
        Handle<S> h = get(session, id);
        forget(h);
        Set<Long> ids = sessions.get(session);
        ids.remove(id);
        if (ids.isEmpty()) {
            sessions.remove(session);
        }
        return h;
    }

    /** How many handles a session holds. */
    int count(S session) {
        Set<Long> ids = sessions.get(session);
        return ids == null ? 0 : ids.size();
    }

    /** Every open handle. */
    List<Handle<S>> all() {
        return List.copyOf(handles.values());
    }

    /** Records that handle {@code id} is now served by another member of its pair. */
    Handle<S> reassign(long id, int member) {
        Handle<S> h = handles.get(id);
        if (h == null) {
            throw new IllegalStateException("no open handle " + id + " to reassign");
        }
        Handle<S> moved = new Handle<>(h.id(), h.session(), h.inode(), h.pair(), member, h.write());
        handles.put(id, moved);
        return moved;
    }

    /**
     * Moves every handle of {@code from} to {@code to} (a connection's handles to the session it
     * binds to). It never refuses, so no handle is stranded; {@code to} may then hold more than
     * {@link #MAX_PER_SESSION} and opens no more until it closes some.
     */
    void transfer(S from, S to) {
        Set<Long> ids = sessions.get(from);
        if (ids == null || from.equals(to)) {
            return;
        }
        sessions.remove(from);
        Set<Long> target = sessions.computeIfAbsent(to, s -> new LinkedHashSet<>());
        for (long id : ids) {
            Handle<S> h = handles.get(id);
            handles.put(id, new Handle<>(id, to, h.inode(), h.pair(), h.member(), h.write()));
            target.add(id);
        }
    }

    /** Handles open now, on every session. */
    int size() {
        return handles.size();
    }

    /** Closes every handle of a session that has gone and forgets the session. */
    List<Handle<S>> closeSession(S session) {
        Set<Long> ids = sessions.remove(session);
        List<Handle<S>> closed = new ArrayList<>();
        if (ids != null) {
            for (long id : ids) {
                Handle<S> h = handles.get(id);
                forget(h);
                closed.add(h);
            }
        }
        return closed;
    }

    private void forget(Handle<S> h) {
        handles.remove(h.id());
        opensPerInode.computeIfPresent(h.inode(), (inode, n) -> n == 1 ? null : n - 1);
    }

    boolean isOpen(long inode) {
        return opensPerInode.containsKey(inode);
    }
}
