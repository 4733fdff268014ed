package io.cfs.mount.client;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Ticker;
import io.cfs.protocol.message.CacheNotice;
import io.cfs.protocol.message.FileAttr;
import java.time.Duration;

/**
 * What the client knows of the namespace: names ({@code (directory, name) -> inode}) and
 * attributes ({@code inode -> attributes}) as the metadata server gave them, kept coherent by the
 * server's {@link CacheNotice}s: the server tells the connection of every change to what it gave
 * it, before it answers the change, so a name or attribute here is never older than the last
 * notice. Entries also expire after the time given (0: nothing is kept) and the least used go
 * first past {@code maxEntries}.
 *
 * <p>Notices come on the connection, which may be cut without a word (a network partition): so
 * the cache answers only within {@code trust} of the last frame heard from the server ({@link
 * #heard}: a reply or a notice); past it, it is asked again (and the answer renews the trust). A
 * change another host makes shows here as soon as its notice arrives, and within {@code trust}
 * if this host lost touch with the server.
 *
 * <p>A reply is read on a client thread after its connection's event loop handed it over, and a
 * notice sent after it may have been applied in between: so every request that fills the cache
 * takes a {@link #mark} before it goes out, and what it brings back is kept only if no notice
 * touched that inode or name (by stripe) since, nor was everything forgotten (a lost connection
 * loses its notices, and a new one does not carry those of the old: {@link #forgetAll}). Checked
 * and stored under one lock, as notices are.
 * Thread-safe.
 */
public final class MetadataCache {
    private static final int STRIPES = 4096;

    /** A name in a directory. */
    record Name(long dir, String name) {}

    private final Cache<Name, Long> names;
    private final Cache<Long, FileAttr> attrs;
    private final boolean enabled;
    private final Ticker ticker;
    private final long trustNanos;
    /** Until when (ticker time) names and attributes are answered; renewed by {@link #heard}. */
    private volatile long trustedUntil;
    private final Object lock = new Object();
    /** Notices applied (and forgettings), numbered; guarded by {@link #lock}. */
    private long sequence;
    /** The sequence number of the last notice that touched each stripe of inodes and names; guarded by lock. */
    private final long[] touched = new long[STRIPES];
    /** The sequence number of the last time everything was forgotten; guarded by lock. */
    private long forgotten;

    /**
     * @param ttl        how long a name or attribute is kept at most (0: none is)
     * @param maxEntries the most names, and the most attributes, kept
     * @param trust      how long after the last frame heard from the server they are answered
     * @param ticker     the clock that ages them
     */
    public MetadataCache(Duration ttl, long maxEntries, Duration trust, Ticker ticker) {
        if (ttl.isNegative()) {
            throw new IllegalArgumentException("metadata cache time " + ttl + ": expected >= 0");
        }
        if (trust.isNegative() || trust.isZero()) {
            throw new IllegalArgumentException("metadata cache trust " + trust + ": expected > 0");
        }
        this.enabled = !ttl.isZero();
        this.ticker = ticker;
        this.trustNanos = trust.toNanos();
        this.trustedUntil = ticker.read();
        this.names = Caffeine.newBuilder().maximumSize(maxEntries).expireAfterWrite(ttl).ticker(ticker).build();
        this.attrs = Caffeine.newBuilder().maximumSize(maxEntries).expireAfterWrite(ttl).ticker(ticker).build();
    }

    /** Taken before a request whose answer may be cached: see the class comment. */
    public long mark() {
        synchronized (lock) {
            return sequence;
        }
    }

    /** The inode {@code name} in {@code dir} leads to, if known. */
    public Long inode(long dir, String name) {
        return trusted() ? names.getIfPresent(new Name(dir, name)) : null;
    }

    /** The attributes of {@code inode}, if known. */
    public FileAttr attr(long inode) {
        return trusted() ? attrs.getIfPresent(inode) : null;
    }

    private boolean trusted() {
        return ticker.read() - trustedUntil < 0;
    }

    /** A frame came from the server: every change it made before sending it has been noticed here. */
    public void heard() {
        trustedUntil = ticker.read() + trustNanos;
    }

    /** Keeps what the server answered to a request sent after {@code mark}, unless changed since. Returns it. */
    public FileAttr attr(FileAttr attr, long mark) {
        if (enabled) {
            synchronized (lock) {
                if (fresh(stripe(attr.inode()), mark)) {
                    attrs.put(attr.inode(), attr);
                }
            }
        }
        return attr;
    }

    /** Keeps that {@code name} in {@code dir} leads to {@code inode}, unless changed since {@code mark}. */
    public void name(long dir, String name, long inode, long mark) {
        if (enabled) {
            synchronized (lock) {
                if (fresh(stripe(dir, name), mark)) {
                    names.put(new Name(dir, name), inode);
                }
            }
        }
    }

    private boolean fresh(int stripe, long mark) {
        return touched[stripe] <= mark && forgotten <= mark;
    }

    /** Forgets a name (this host removed or replaced it, or found it gone). */
    public void forgetName(long dir, String name) {
        synchronized (lock) {
            touched[stripe(dir, name)] = ++sequence;
            names.invalidate(new Name(dir, name));
        }
    }

    /** Forgets the attributes of an inode (a change of them may have been made, or not). */
    public void forgetAttr(long inode) {
        synchronized (lock) {
            touched[stripe(inode)] = ++sequence;
            attrs.invalidate(inode);
        }
    }

    /**
     * Applies what the server says changed. A notice that came on an older connection than the one
     * requests go out on now may be older than a reply on the new one: what it names is dropped,
     * its attributes are not kept ({@code current} false).
     */
    public void apply(CacheNotice notice, boolean current) {
        synchronized (lock) {
            long seq = ++sequence;
            if (notice.dropped().contains(CacheNotice.EVERYTHING)) {
                forgetAll(seq);
                return;
            }
            for (FileAttr a : notice.attrs()) {
                touched[stripe(a.inode())] = seq;
                if (enabled && current) {
                    attrs.put(a.inode(), a);
                } else {
                    attrs.invalidate(a.inode());
                }
            }
            for (long inode : notice.dropped()) {
                touched[stripe(inode)] = seq;
                attrs.invalidate(inode);
            }
            for (CacheNotice.Entry e : notice.entries()) {
                touched[stripe(e.dir(), e.name())] = seq;
                names.invalidate(new Name(e.dir(), e.name()));
            }
        }
    }

    /**
     * Forgets every name and attribute, and whatever requests sent before bring back: a connection
     * to the metadata server was lost, and with it the notices it would have carried, or a new one
     * is about to carry the requests (what the old one gave would be noticed on the old one, in no
     * order with the new one's replies).
     */
    public void forgetAll() {
        synchronized (lock) {
            forgetAll(++sequence);
        }
    }

    private void forgetAll(long seq) {
        forgotten = seq;
        names.invalidateAll();
        attrs.invalidateAll();
    }

    private static int stripe(long inode) {
        return Long.hashCode(inode * 0x9E3779B97F4A7C15L) & (STRIPES - 1);
    }

    private static int stripe(long dir, String name) {
        return (Long.hashCode(dir * 0x9E3779B97F4A7C15L) * 31 + name.hashCode()) & (STRIPES - 1);
    }
}
