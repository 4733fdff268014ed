package io.cfs.meta.coherence;

import io.cfs.protocol.message.CacheNotice;
import io.cfs.protocol.message.FileAttr;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.BiConsumer;
import java.util.function.LongFunction;

/**
 * Who may have cached what of the namespace, so that a change reaches every client cache that
 * holds what it changed: clients keep the attributes and names the metadata server gave them for
 * as long as they like, and drop or replace them when told (Ceph's capabilities and NFSv4's
 * delegations do the same, with more states). A connection <em>watches</em> an inode once it was
 * given its attributes, and a directory once it was given a name in it. After a batch of changes
 * every watcher of what changed gets one {@link CacheNotice} (new attributes, inodes gone, names
 * moved or removed), written before the replies of that batch. A connection's watches end with
 * the connection (its client forgets everything when it loses one) or when it has more than
 * {@code maxPerConnection}: it is then told to forget everything and starts afresh.
 *
 * <p>The connection type is generic so the bookkeeping is tested without sockets. Thread-safe.
 *
 * @param <C> a client connection
 */
public final class CacheWatchers<C> {
    private final int maxPerConnection;
    private final BiConsumer<C, CacheNotice> send;
    private final Map<Long, Set<C>> byInode = new HashMap<>();
    private final Map<Long, Set<C>> byDir = new HashMap<>();
    private final Map<C, Watched> byConnection = new IdentityHashMap<>();

    /** What one connection watches. */
    private static final class Watched {
        final Set<Long> inodes = new HashSet<>();
        final Set<Long> dirs = new HashSet<>();

        int size() {
            return inodes.size() + dirs.size();
        }
    }

    /**
     * @param maxPerConnection the most inodes and directories a connection is watched for before it
     *                         is told to forget everything
     * @param send             writes a notice on a connection (it must keep the order of replies)
     */
    public CacheWatchers(int maxPerConnection, BiConsumer<C, CacheNotice> send) {
        if (maxPerConnection < 1) {
            throw new IllegalArgumentException("at most " + maxPerConnection + " watches a connection: expected >= 1");
        }
        this.maxPerConnection = maxPerConnection;
        this.send = send;
    }

    /** {@code connection} was given the attributes of {@code inode}. Returns whether it is a new watch. */
    public synchronized boolean watchAttr(C connection, long inode) {
        return watch(connection, inode, false);
    }

    /** {@code connection} was given a name in directory {@code dir}. */
    public synchronized boolean watchDir(C connection, long dir) {
        return watch(connection, dir, true);
    }

    private boolean watch(C connection, long id, boolean dir) {
        Watched w = byConnection.computeIfAbsent(connection, c -> new Watched());
        if (!(dir ? w.dirs : w.inodes).add(id)) {
            return false;
        }
        (dir ? byDir : byInode).computeIfAbsent(id, k -> new LinkedHashSet<>(2)).add(connection);
        if (w.size() > maxPerConnection) {
            forgetLocked(connection);
            send.accept(connection, CacheNotice.everything());
        }
        return true;
    }

    /** The connection is closed: it watches nothing any more. */
    public synchronized void forget(C connection) {
        forgetLocked(connection);
    }

    private void forgetLocked(C connection) {
        Watched w = byConnection.remove(connection);
        if (w == null) {
            return;
        }
        w.inodes.forEach(i -> unwatch(byInode, i, connection));
        w.dirs.forEach(d -> unwatch(byDir, d, connection));
    }

    private static <C> void unwatch(Map<Long, Set<C>> index, long id, C connection) {
        Set<C> set = index.get(id);
        if (set != null && set.remove(connection) && set.isEmpty()) {
            index.remove(id);
        }
    }

    /** Inodes and directories watched, over all connections (for tests and metrics). */
    public synchronized int size() {
        return byConnection.values().stream().mapToInt(Watched::size).sum();
    }

    /** What a batch of changes touched; {@link #publish} tells the watchers. Not thread-safe. */
    public static final class Changes {
        private final Set<Long> inodes = new LinkedHashSet<>();
        private final Set<CacheNotice.Entry> entries = new LinkedHashSet<>();

        /** The attributes of {@code inode} changed (or it is gone). */
        public Changes inode(long inode) {
            inodes.add(inode);
            return this;
        }

        /** {@code name} in {@code dir} now leads elsewhere or nowhere. */
        public Changes entry(long dir, String name) {
            entries.add(new CacheNotice.Entry(dir, name));
            return this;
        }

        public boolean isEmpty() {
            return inodes.isEmpty() && entries.isEmpty();
        }
    }

    /**
     * Sends every watcher of what {@code changes} touched one notice: the new attributes of each
     * changed inode it watches ({@code attrOf} gives them, or null for an inode that is gone: then
     * it is dropped and no longer watched), and the changed names of the directories it watches.
     * Call with the state already changed and before the replies of the changes are sent.
     */
    public synchronized void publish(Changes changes, LongFunction<FileAttr> attrOf) {
        if (changes.isEmpty() || byConnection.isEmpty()) {
            return;
        }
        Map<C, Notice> notices = new LinkedHashMap<>();
        for (long inode : changes.inodes) {
            Set<C> watchers = byInode.get(inode);
            if (watchers == null) {
                continue;
            }
            FileAttr attr = attrOf.apply(inode);
            for (C c : watchers) {
                Notice n = notices.computeIfAbsent(c, k -> new Notice());
                if (attr != null) {
                    n.attrs.add(attr);
                } else {
                    n.dropped.add(inode);
                }
            }
            if (attr == null) {
                for (C c : List.copyOf(watchers)) {
                    byConnection.get(c).inodes.remove(inode);
                }
                byInode.remove(inode);
            }
        }
        for (CacheNotice.Entry e : changes.entries) {
            Set<C> watchers = byDir.get(e.dir());
            if (watchers != null) {
                watchers.forEach(c -> notices.computeIfAbsent(c, k -> new Notice()).entries.add(e));
            }
        }
        notices.forEach((c, n) -> {
            for (int from = 0; from < n.size(); from += MAX_ITEMS) {
                send.accept(c, n.part(from, Math.min(from + MAX_ITEMS, n.size())));
            }
        });
    }

    /** The most changes in one notice: a frame holds it whatever the names (at most 4 KiB each). */
    static final int MAX_ITEMS = 512;

    private static final class Notice {
        final List<FileAttr> attrs = new ArrayList<>();
        final List<Long> dropped = new ArrayList<>();
        final List<CacheNotice.Entry> entries = new ArrayList<>();

        int size() {
            return attrs.size() + dropped.size() + entries.size();
        }

        /** Items {@code [from, to)} of the attributes, then the dropped inodes, then the names. */
        CacheNotice part(int from, int to) {
            int a = attrs.size();
            int d = a + dropped.size();
            return new CacheNotice(attrs.subList(Math.min(from, a), Math.min(to, a)),
                    dropped.subList(Math.min(Math.max(from - a, 0), dropped.size()),
                            Math.min(Math.max(to - a, 0), dropped.size())),
                    entries.subList(Math.min(Math.max(from - d, 0), entries.size()),
                            Math.min(Math.max(to - d, 0), entries.size())));
        }
    }
}
