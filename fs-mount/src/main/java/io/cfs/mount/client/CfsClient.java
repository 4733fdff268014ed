package io.cfs.mount.client;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.cfs.protocol.CfsException;
import io.cfs.protocol.ErrorCode;
import io.cfs.protocol.MessageCodec;
import io.cfs.protocol.message.AllocateRequest;
import io.cfs.protocol.message.AttrReply;
import io.cfs.protocol.message.CacheNotice;
import io.cfs.protocol.message.CloseRequest;
import io.cfs.protocol.message.CommitWriteRequest;
import io.cfs.protocol.message.CreateFileRequest;
import io.cfs.protocol.message.CreateOpenRequest;
import io.cfs.protocol.message.DirEntry;
import io.cfs.protocol.message.Extent;
import io.cfs.protocol.message.FileAttr;
import io.cfs.protocol.message.FileType;
import io.cfs.protocol.message.GetAttrRequest;
import io.cfs.protocol.message.KeepAliveRequest;
import io.cfs.protocol.message.LinkRequest;
import io.cfs.protocol.message.MakeNodeRequest;
import io.cfs.protocol.message.OpenSessionRequest;
import io.cfs.protocol.message.ReadLinkReply;
import io.cfs.protocol.message.ReadLinkRequest;
import io.cfs.protocol.message.SessionReply;
import io.cfs.protocol.message.SymlinkRequest;
import io.cfs.protocol.message.SyncRequest;
import io.cfs.protocol.message.LayoutReply;
import io.cfs.protocol.message.LookupRequest;
import io.cfs.protocol.message.MakeDirRequest;
import io.cfs.protocol.message.Message;
import io.cfs.protocol.message.OkReply;
import io.cfs.protocol.message.OpenReply;
import io.cfs.protocol.message.OpenRequest;
import io.cfs.protocol.message.ReadDirReply;
import io.cfs.protocol.message.ReadDirRequest;
import io.cfs.protocol.message.RemoveRequest;
import io.cfs.protocol.message.RenameRequest;
import io.cfs.protocol.message.SetAttrRequest;
import io.cfs.protocol.message.StatFsReply;
import io.cfs.protocol.message.StatFsRequest;
import io.cfs.protocol.message.Timespec;
import io.cfs.protocol.rpc.ClusterCredentials;
import io.cfs.protocol.rpc.RpcClient;
import io.cfs.protocol.rpc.Transport;
import io.cfs.topology.PairSpec;
import io.cfs.topology.Topology;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.EventLoopGroup;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The CFS client: POSIX-shaped operations by path, over the metadata server and the storage
 * systems. Holds the File Management Table (open handles) and, per open inode, the allocation list
 * and the coalescing write buffer. Knows nothing of FUSE, so it is tested without a mount.
 *
 * <p>Close-to-open: {@link #flush} (every close(2)) sends staged data to the storage systems and
 * commits the size to the metadata server before it returns; {@link #open} fetches a fresh
 * allocation list and size.
 *
 * <p>Attributes are cached per inode for {@link ClientOptions#attrTtl} (as NFS and MooseFS clients
 * do): every change this host makes replaces or drops the entries it affects, so this host sees
 * its own changes at once; another host's change shows in a stat here within that time, and at
 * once in an open here (which always asks the server and refreshes the entry).
 *
 * <p>Bytes past end of file inside an allocated block may hold anything (blocks are reused); the
 * client keeps every byte below end of file right by zeroing what a size increase without data
 * (a write past the end, a truncate that grows) exposes, and the unwritten part of a newly
 * allocated block below end of file.
 */
public final class CfsClient implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(CfsClient.class);
    public static final long ROOT = 1;
    /** Writes of one file sent to the storage systems before the writer waits for the oldest. */
    private static final int MAX_WRITES_IN_FLIGHT = 4;
    private static final int READ_DIR_PAGE = 1024;
    /** Read-ahead chunks a sequential reader may have on their way at most. */
    static final int MAX_PREFETCH_WINDOW = 4;
    /** Bytes of read-ahead chunks on their way for the whole host beyond which readers get only their next one. */
    static final long PREFETCH_BUDGET = 64L << 20;
    /**
     * How long after the last frame from the metadata server the cached names and attributes are
     * answered: how stale a stat here can be if the connection was cut without a word.
     */
    static final Duration METADATA_TRUST = Duration.ofSeconds(1);

    private final Topology topology;
    private final ClientOptions options;
    private final Clock clock;
    private final EventLoopGroup group;
    private final RpcClient meta;
    private final BlockIo blocks;
    private final ByteBufAllocator alloc = PooledByteBufAllocator.DEFAULT;
    /** Names and attributes as the metadata server gave them, kept coherent by its notices. */
    private final MetadataCache cache;
    /** The File Management Table: handle to open. Bounded by the kernel's open files. */
    private final Map<Long, Handle> handles = new ConcurrentHashMap<>();
    /** Open inodes on this host. Bounded by the handles. */
    private final Map<Long, OpenFile> openFiles = new ConcurrentHashMap<>();
    private final AtomicLong handleIds = new AtomicLong();
    /** Parts of reads served from a handle's read-ahead buffer or its prefetch, and those that had to fetch. */
    private final LongAdder readAheadHits = new LongAdder();
    private final LongAdder readAheadMisses = new LongAdder();
    /** Nanoseconds readers waited for a prefetched chunk that had not arrived yet (the read-ahead fell behind). */
    private final LongAdder prefetchWaitNanos = new LongAdder();
    /** Bytes of prefetched chunks requested and not arrived yet, over every handle. */
    private final java.util.concurrent.atomic.AtomicLong prefetching = new java.util.concurrent.atomic.AtomicLong();
    /** CLOSE requests sent and not answered yet (waited for by {@link #close()}); bounded by the handles. */
    private final java.util.Set<CompletableFuture<Message>> closes = ConcurrentHashMap.newKeySet();
    /**
     * Size and mtime of each file as this host's page cache last saw it: an open of an unchanged file
     * keeps the kernel's cache (many viewers of one video), a changed one drops it (close-to-open).
     */
    private final Cache<Long, String> cachedVersions = Caffeine.newBuilder().maximumSize(100_000).build();
    private final String clientId;
    private final ScheduledExecutorService keepAlive;
    /** The session the metadata server knows this client by (0 before the first connection). */
    private volatile long session;
    /** Bumped whenever the server starts a new session for us: handles of older epochs must be reopened. */
    private volatile long epoch;

    /**
     * @param clientId this host's name, shown by {@code cfs status}
     */
    public CfsClient(Topology topology, ClusterCredentials credentials, ClientOptions options, Clock clock,
                     String clientId) {
        this.topology = topology;
        this.options = options;
        this.clock = clock;
        this.clientId = clientId;
        this.group = Transport.newEventLoopGroup("cfs-client", 2);
        this.meta = new RpcClient("client->meta", topology.metadata().address(), group, credentials,
                options.requestTimeout());
        this.blocks = new BlockIo(topology, group, credentials, options.requestTimeout());
        this.cache = new MetadataCache(options.attrTtl(), 100_000, METADATA_TRUST, () -> clock.millis() * 1_000_000L);
        this.keepAlive = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "cfs-keepalive");
            t.setDaemon(true);
            return t;
        });
        meta.pushes(new RpcClient.PushListener() {
            @Override
            public void pushed(Message message, boolean current) {
                if (message instanceof CacheNotice n) {
                    cache.apply(n, current);
                } else {
                    log.warn("the metadata server sent {} unasked: ignored", message.opcode());
                }
            }

            @Override
            public void heard() {
                cache.heard();
            }

            @Override
            public void disconnected() {
                cache.forgetAll();
            }
        });
        // every connection to the metadata server, first or after a reconnect, resumes our session
        // A new connection carries the notices of what is given on it from now on, in order with its
        // replies; what the old one gave is forgotten, or a notice on it could come after a reply here.
        meta.greeting(() -> {
                    cache.forgetAll();
                    return new OpenSessionRequest(clientId, session);
                },
                reply -> reply.whenComplete((r, e) -> {
                    if (r instanceof SessionReply s) {
                        onSession(s);
                    }
                }));
    }

    /**
     * Calls the metadata server; while it cannot be connected to (restarting), retries until the
     * request timeout, so a restart of the metadata server is invisible to applications.
     */
    private <T extends Message> T call(Message request, Class<T> type) {
        long deadline = System.nanoTime() + options.requestTimeout().toNanos();
        while (true) {
            try {
                return meta.call(request, type);
            } catch (CfsException e) {
                boolean notSent = e.code() == ErrorCode.UNAVAILABLE && e.getCause() instanceof CfsException c
                        && c.getCause() instanceof java.net.ConnectException;
                boolean retry = notSent || (e.code() == ErrorCode.UNAVAILABLE && idempotent(request));
                if (!retry || System.nanoTime() > deadline) {
                    throw e;
                }
                try {
                    Thread.sleep(200);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    throw e;
                }
            }
        }
    }

    /**
     * Requests that give the same result when the server sees them twice, so they are sent again
     * when a connection is lost with the request in flight (the metadata server restarting). The
     * others (mkdir, exclusive create, remove, rename, link...) are sent again only when they
     * certainly never left this host.
     */
    private static boolean idempotent(Message request) {
        return request instanceof LookupRequest || request instanceof GetAttrRequest
                || request instanceof ReadDirRequest || request instanceof StatFsRequest
                || request instanceof OpenRequest || request instanceof AllocateRequest
                || request instanceof CommitWriteRequest || request instanceof SetAttrRequest
                || request instanceof CloseRequest || request instanceof ReadLinkRequest
                || request instanceof io.cfs.protocol.message.GetLayoutRequest || request instanceof SyncRequest
                || (request instanceof CreateFileRequest c && !c.exclusive());
    }

    private synchronized void onSession(SessionReply reply) {
        if (session != 0 && reply.session() != session) {
            epoch++;
            log.warn("the metadata server did not know session {} any more (restart or expired lease): new session {}; "
                    + "{} open files will be reopened", Long.toHexString(session), Long.toHexString(reply.session()),
                    handles.size());
        }
        boolean first = session == 0;
        session = reply.session();
        if (first) {
            long period = Math.max(100, reply.leaseMillis() / 3);
            keepAlive.scheduleWithFixedDelay(this::renewLease, period, period, TimeUnit.MILLISECONDS);
        }
    }

    private void renewLease() {
        try {
            call(new KeepAliveRequest(session), OkReply.class);
        } catch (CfsException e) {
            if (e.code() == ErrorCode.SESSION_EXPIRED) {
                meta.call(new OpenSessionRequest(clientId, session)).thenAccept(r -> {
                    if (r instanceof SessionReply s) {
                        onSession(s);
                    }
                });
            } else {
                log.debug("lease renewal failed: {}", e.toString());
            }
        }
    }

    // ---------------------------------------------------------------- namespace

    // Every call naming a path is checked against the caller's permissions (see Access): search on
    // each directory on the path, then what the call itself needs. Root passes all but execution.

    public FileAttr getattr(Caller caller, String path) {
        if (path.equals("/")) {
            return withLocalSize(attr(ROOT));
        }
        long dir = directory(caller, parent(path), path);
        Long inode = cache.inode(dir, name(path));
        FileAttr attr = inode == null ? null : cache.attr(inode);
        return withLocalSize(attr != null ? attr : lookup(dir, name(path)));
    }

    public FileAttr getattr(long handle) {
        return withLocalSize(attr(handle(handle).file.inode));
    }

    /** access(2): whether the caller may read, write and/or execute ({@link Access}'s mask; 0: exists). */
    public void access(Caller caller, String path, int mask) {
        FileAttr attr = getattr(caller, path);
        if (mask != 0 && !caller.kernelChecked()) {
            Access.require(attr, caller, mask, path); // root too: execution needs an x bit
        }
    }

    /** The attributes of an inode: cached, or asked. */
    private FileAttr attr(long inode) {
        FileAttr attr = cache.attr(inode);
        if (attr != null) {
            return attr;
        }
        long mark = cache.mark();
        return cache.attr(call(new GetAttrRequest(inode), AttrReply.class).attr(), mark);
    }

    /** Keeps a new name and the attributes of what it names, which the server answered to a request sent after {@code mark}. */
    private FileAttr named(long dir, String name, FileAttr attr, long mark) {
        cache.name(dir, name, attr.inode(), mark);
        return cache.attr(attr, mark);
    }

    /** opendir(2): listing a directory needs read permission on it. Returns its inode, for {@link #readdir}. */
    public long opendir(Caller caller, String path) {
        long dir = resolve(caller, path);
        if (!caller.trusted()) {
            Access.require(attr(dir), caller, Access.READ, path);
        }
        return dir;
    }

    /** The entries of a directory the caller opened ({@link #opendir}), wherever it is now. */
    public List<DirEntry> readdir(long dir) {
        List<DirEntry> all = new ArrayList<>();
        String after = "";
        while (true) {
            ReadDirReply page = call(new ReadDirRequest(dir, after, READ_DIR_PAGE), ReadDirReply.class);
            all.addAll(page.entries());
            if (!page.more() || page.entries().isEmpty()) {
                return all;
            }
            after = page.entries().get(page.entries().size() - 1).name();
        }
    }

    public FileAttr mkdir(Caller caller, String path, int mode) {
        long dir = writableParent(caller, path);
        long mark = cache.mark();
        return named(dir, name(path), call(new MakeDirRequest(dir, name(path), mode & 07777, caller.uid(),
                caller.gid()), AttrReply.class).attr(), mark);
    }

    public FileAttr symlink(Caller caller, String target, String path) {
        long dir = writableParent(caller, path);
        long mark = cache.mark();
        return named(dir, name(path), call(new SymlinkRequest(dir, name(path), target, caller.uid(), caller.gid()),
                AttrReply.class).attr(), mark);
    }

    public String readlink(Caller caller, String path) {
        return call(new ReadLinkRequest(resolve(caller, path)), ReadLinkReply.class).target();
    }

    /** Makes {@code path} a new hard link to the file at {@code existing}. */
    public FileAttr link(Caller caller, String existing, String path) {
        long inode = resolve(caller, existing);
        if (!caller.trusted()) {
            Access.requireLinkable(attr(inode), caller, existing);
        }
        long dir = writableParent(caller, path);
        long mark = cache.mark();
        return named(dir, name(path), call(new LinkRequest(inode, dir, name(path)), AttrReply.class).attr(), mark);
    }

    /** Creates a FIFO, socket or device node. */
    public FileAttr mknod(Caller caller, String path, FileType type, int mode, int rdev) {
        long dir = writableParent(caller, path);
        long mark = cache.mark();
        return named(dir, name(path), call(new MakeNodeRequest(dir, name(path), type, mode & 07777, rdev,
                caller.uid(), caller.gid()), AttrReply.class).attr(), mark);
    }

    // The server's notice of a removal or rename reaches this host before the answer does; the
    // names are forgotten here too, whatever the answer, in case the change was made but its answer lost.

    public void unlink(Caller caller, String path) {
        remove(caller, path, false);
    }

    public void rmdir(Caller caller, String path) {
        remove(caller, path, true);
    }

    private void remove(Caller caller, String path, boolean directory) {
        long dir = removableEntry(caller, path);
        try {
            call(new RemoveRequest(dir, name(path), directory), OkReply.class);
        } finally {
            cache.forgetName(dir, name(path));
        }
    }

    /**
     * rename(2): write and search on both directories, the sticky rule for what is moved and for
     * what it replaces, and write on a directory that changes parent (its ".." changes).
     */
    public void rename(Caller caller, String from, String to) {
        long fromDir = removableEntry(caller, from);
        long toDir = writableParent(caller, to);
        if (!caller.trusted()) {
            Access.requireRemovable(attr(toDir), caller, to, () -> existing(toDir, name(to)));
            FileAttr moved = getattr(caller, from);
            if (moved.type() == FileType.DIRECTORY && fromDir != toDir) {
                Access.require(moved, caller, Access.WRITE, from);
            }
        }
        try {
            call(new RenameRequest(fromDir, name(from), toDir, name(to)), OkReply.class);
        } finally {
            cache.forgetName(fromDir, name(from));
            cache.forgetName(toDir, name(to));
        }
    }

    public void chmod(Caller caller, String path, int mode) {
        long inode = resolve(caller, path);
        int allowed = caller.trusted() ? mode & 07777 : Access.chmod(attr(inode), caller, mode & 07777, path);
        setattr(inode, SetAttrRequest.MODE, allowed, 0, 0, 0, null, null);
    }

    /** Changes owner and/or group; -1 leaves one as it is. */
    public void chown(Caller caller, String path, int uid, int gid) {
        long inode = resolve(caller, path);
        if (!caller.trusted()) {
            Access.requireChown(attr(inode), caller, uid, gid, path);
        }
        int valid = (uid != -1 ? SetAttrRequest.UID : 0) | (gid != -1 ? SetAttrRequest.GID : 0);
        if (valid != 0) {
            setattr(inode, valid, 0, uid, gid, 0, null, null);
        }
    }

    /**
     * Sets times; a null time is left as it is. Writes this host has not yet committed are
     * committed first, under the file's lock: their commit sets the mtime to the time of the
     * commit, which must not overwrite a time set after them (tar and cp -p set the mtime with
     * futimens(2) on the descriptor they wrote through, before closing it).
     *
     * @param toNow both times are set to the current time (touch(1)), which anyone who may write
     *              the file may do; other times only its owner may set
     */
    public void utimens(Caller caller, String path, Timespec atime, Timespec mtime, boolean toNow) {
        long inode = resolve(caller, path);
        if (!caller.trusted()) {
            Access.requireTimes(attr(inode), caller, toNow, path);
        }
        int valid = (atime != null ? SetAttrRequest.ATIME : 0) | (mtime != null ? SetAttrRequest.MTIME : 0);
        if (valid == 0) {
            return;
        }
        OpenFile file = openFiles.get(inode);
        if (file == null) {
            setattr(inode, valid, 0, 0, 0, 0, atime, mtime);
            return;
        }
        file.lock.lock();
        try {
            if (file.dirty || file.staged != null || !file.inFlight.isEmpty()) {
                commit(file, anyHandle(file));
            }
            setattr(inode, valid, 0, 0, 0, 0, atime, mtime);
        } finally {
            file.lock.unlock();
        }
    }

    public StatFsReply statfs() {
        return call(new StatFsRequest(), StatFsReply.class);
    }

    // ---------------------------------------------------------------- open files

    /**
     * Creates (or, without O_EXCL, opens an existing) regular file and opens it: one round trip.
     * The kernel sends a create only for a name it did not find, so the caller needs write and
     * search on the directory; a file another host made in between is opened as by {@link #open}.
     */
    public long create(Caller caller, String path, int mode, int flags) {
        boolean exclusive = (flags & OpenFlags.EXCLUSIVE) != 0;
        long dir = writableParent(caller, path);
        long mark = cache.mark();
        OpenReply reply;
        try {
            // a caller CFS checks creates only: a file another host made meanwhile is opened as open(2) would
            reply = call(new CreateOpenRequest(dir, name(path), mode & 07777, caller.uid(), caller.gid(),
                    exclusive || !caller.trusted(), OpenFlags.writable(flags)), OpenReply.class);
        } catch (CfsException e) {
            if (e.code() == ErrorCode.ALREADY_EXISTS && !exclusive) {
                return open(caller, path, flags);
            }
            throw e;
        }
        cache.name(dir, name(path), reply.attr().inode(), mark);
        OpenFile file = hold(reply.attr().inode());
        long changes;
        file.lock.lock();
        try {
            // open on this host already (an existing file, without O_EXCL): what this host has may be
            // newer than the reply (a change made after the server answered), so it is kept
            changes = file.handles == 1 ? file.changes : file.changes - 1;
        } finally {
            file.lock.unlock();
        }
        return opened(file, changes, reply, flags, mark);
    }

    /** Creates a regular file without opening it (mknod(2)). */
    public FileAttr createFile(Caller caller, String path, int mode) {
        long dir = writableParent(caller, path);
        long mark = cache.mark();
        return named(dir, name(path), call(new CreateFileRequest(dir, name(path), mode & 07777, caller.uid(),
                caller.gid(), true), AttrReply.class).attr(), mark);
    }

    /** open(2) of an existing file: the caller needs the permissions its flags ask for ({@link Access#forOpen}). */
    public long open(Caller caller, String path, int flags) {
        try {
            return open(permitted(caller, path, flags), flags);
        } catch (CfsException e) {
            if (e.code() != ErrorCode.NOT_FOUND) {
                throw e;
            }
            cache.forgetName(resolve(caller, parent(path)), name(path)); // the cached inode is gone: look the name up again
            return open(permitted(caller, path, flags), flags);
        }
    }

    private long permitted(Caller caller, String path, int flags) {
        long inode = resolve(caller, path);
        if (!caller.trusted()) {
            Access.require(attr(inode), caller, Access.forOpen(flags), path);
        }
        return inode;
    }

    private long open(long inode, int flags) {
        OpenFile file = hold(inode);
        long changes = file.changes;
        long mark = cache.mark();
        OpenReply reply;
        try {
            reply = call(new OpenRequest(inode, OpenFlags.writable(flags)), OpenReply.class);
        } catch (RuntimeException e) {
            unhold(file);
            throw e;
        }
        return opened(file, changes, reply, flags, mark);
    }

    /**
     * Makes a handle of an open the server granted, for a file held by this call ({@link #hold});
     * {@code changes} is what the file's change count was before the request went out.
     */
    private long opened(OpenFile file, long changes, OpenReply reply, int flags, long mark) {
        if (reply.attr().type() == FileType.DIRECTORY) {
            unhold(file);
            call(new CloseRequest(reply.handle()), OkReply.class);
            throw new CfsException(ErrorCode.IS_A_DIRECTORY, "inode " + file.inode + " is a directory");
        }
        cache.attr(reply.attr(), mark); // close-to-open: what another host committed shows here from now on
        String version = version(reply.attr());
        boolean unchanged = version.equals(cachedVersions.getIfPresent(file.inode));
        file.lock.lock();
        try {
            if (!unchanged) {
                file.generation++; // changed elsewhere since this host read it: its read-ahead is stale
            }
            file.pair = reply.pair();
            // the reply is older than any change this host made to the file meanwhile (an allocation, a
            // commit, a truncate by another handle): then what this host has is newer, keep it
            if (file.changes == changes) {
                file.layout(reply.extents());
                file.committedSize = reply.attr().size();
                if (!file.dirty) {
                    file.size = reply.attr().size();
                }
            }
        } finally {
            file.lock.unlock();
        }
        long id = handleIds.incrementAndGet();
        Handle h = new Handle(id, file, flags, reply.handle(), epoch, reply.member());
        h.keepCache = unchanged;
        cachedVersions.put(file.inode, version);
        handles.put(id, h);
        return id;
    }

    /**
     * The inode's open file on this host, counted as held (so that the release of its last other
     * handle does not drop it meanwhile): every handle of an inode shares one.
     */
    private OpenFile hold(long inode) {
        while (true) {
            OpenFile file = openFiles.computeIfAbsent(inode, OpenFile::new);
            file.lock.lock();
            try {
                if (openFiles.get(inode) == file) { // not dropped by a release since
                    file.handles++;
                    return file;
                }
            } finally {
                file.lock.unlock();
            }
        }
    }

    /** Gives back a hold (or a handle's share) of an open file; the last one drops it. */
    private void unhold(OpenFile file) {
        file.lock.lock();
        try {
            if (--file.handles == 0) {
                openFiles.remove(file.inode, file);
                file.readAhead.clear();
                if (file.staged != null) {
                    file.staged.release();
                    file.staged = null;
                }
            }
        } finally {
            file.lock.unlock();
        }
    }

    /**
     * Calls the metadata server with a handle's server-side id, reopening the file first if the
     * session it was opened in is gone (and once more if the server no longer knows the handle).
     */
    private <T extends Message> T withHandle(Handle h, java.util.function.LongFunction<Message> request, Class<T> type) {
        if (h.epoch != epoch) {
            reopen(h);
        }
        try {
            return call(request.apply(h.serverHandle), type);
        } catch (CfsException e) {
            if (e.code() != ErrorCode.BAD_HANDLE && e.code() != ErrorCode.SESSION_EXPIRED) {
                throw e;
            }
            reopen(h);
            return call(request.apply(h.serverHandle), type);
        }
    }

    private void reopen(Handle h) {
        OpenReply reply = call(new OpenRequest(h.file.inode, h.writable()), OpenReply.class);
        h.serverHandle = reply.handle();
        h.member = reply.member();
        // read after the reply: a reconnect made by this very call has bumped the epoch already (the
        // session greeting is answered first on a new connection), and the open belongs to it
        h.epoch = epoch;
        log.info("reopened inode {} as handle {} (member {})", h.file.inode, reply.handle(), reply.member());
    }

    /**
     * Reads up to {@code dst.writableBytes()} bytes at {@code offset} into {@code dst}; returns
     * the count, 0 at end of file. Holes read as zeros.
     */
    public int read(long handleId, long offset, ByteBuf dst) {
        Handle h = handle(handleId);
        OpenFile file = h.file;
        long size;
        long generation;
        file.lock.lock();
        try {
            try {
                if (file.staged != null) {
                    sendStaged(file);
                }
                awaitWrites(file); // a read sees this host's writes
            } catch (CfsException e) {
                // a lost write is reported by the next flush or fsync, not by a read: read what the server has
                dropUncommitted(file);
            }
            size = file.size;
            generation = file.generation;
        } finally {
            file.lock.unlock();
        }
        if (offset >= size) {
            return 0;
        }
        int wanted = (int) Math.min(dst.writableBytes(), size - offset);
        int done = 0;
        long chunkSize = options.readAhead();
        boolean sequential;
        synchronized (h) {
            // sequential: where this handle's last read ended, or a little further on (the pages in
            // between were read through another handle of the file into the kernel's page cache)
            sequential = offset >= h.lastReadEnd && offset - h.lastReadEnd <= MAX_PREFETCH_WINDOW * chunkSize;
        }
        ReadAhead chunks = file.readAhead;
        while (done < wanted) {
            long at = offset + done;
            long start = at - at % chunkSize;
            int length = (int) Math.min(chunkSize, size - start);
            // a sequential reader gets whole chunks, kept for the file's other readers; a random one
            // uses a chunk that is there, else fetches just what it asked for
            boolean[] fetched = {false};
            ReadAhead.Chunk c = sequential
                    ? chunks.getOrFetch(start, length, generation, chunkCapacity(h), s -> {
                        fetched[0] = true;
                        return fetchAsync(h, s, length);
                    })
                    : chunks.get(start, generation);
            boolean had = c != null && !fetched[0]; // there before this read: fetched ahead, or by another handle
            ByteBuf bytes = null;
            if (c != null) {
                boolean arrived = c.bytes.isDone();
                long waitStart = System.nanoTime();
                bytes = chunks.acquire(c);
                if (bytes != null && !arrived && had) { // a chunk fetched ahead had not arrived: read-ahead fell behind
                    prefetchWaitNanos.add(System.nanoTime() - waitStart);
                    synchronized (h) {
                        h.prefetchWindow.waited();
                    }
                }
            }
            if (bytes != null && at - c.offset < bytes.readableBytes()) {
                (had ? readAheadHits : readAheadMisses).increment();
                int from = (int) (at - c.offset);
                int n = Math.min(wanted - done, bytes.readableBytes() - from);
                dst.writeBytes(bytes, bytes.readerIndex() + from, n);
                done += n;
                bytes.release();
                continue;
            }
            if (bytes != null) {
                bytes.release();
            }
            readAheadMisses.increment();
            ByteBuf exact = fetch(h, at, wanted - done); // with fail-over
            try {
                int n = exact.readableBytes();
                dst.writeBytes(exact, exact.readerIndex(), n);
                done += n;
            } finally {
                exact.release();
            }
        }
        synchronized (h) {
            h.lastReadEnd = offset + done;
            if (sequential) {
                prefetch(h, chunks, offset + done, size, generation);
            }
        }
        return done;
    }

    /** Chunks kept for a file: those on their way for this reader, and one more per handle of the file here. */
    private static int chunkCapacity(Handle h) {
        return Math.min(2 * MAX_PREFETCH_WINDOW, h.prefetchWindow.size() + Math.max(1, h.file.handles));
    }

    /**
     * Keeps a sequential reader's next chunks on their way (or there), as many as its
     * {@link PrefetchWindow} allows. Caller holds the handle's monitor.
     */
    private void prefetch(Handle h, ReadAhead chunks, long end, long size, long generation) {
        long chunkSize = options.readAhead();
        long next = (end - 1) - (end - 1) % chunkSize + chunkSize;
        for (int ahead = 0; next < size && h.prefetchWindow.allowsAnother(ahead, prefetching.get());
             ahead++, next += chunkSize) {
            int length = (int) Math.min(chunkSize, size - next);
            chunks.getOrFetch(next, length, generation, chunkCapacity(h), s -> {
                prefetching.addAndGet(length);
                CompletableFuture<ByteBuf> bytes = fetchAsync(h, s, length);
                bytes.whenComplete((b, e) -> prefetching.addAndGet(-length));
                return bytes;
            });
        }
    }

    /** Fetches file bytes [start, start+length) from the handle's member (holes as zeros). */
    private ByteBuf fetch(Handle h, long start, int length) {
        try {
            return fetchAsync(h, start, length).join();
        } catch (RuntimeException e) {
            throw BlockIo.cause(e);
        }
    }

    /** Starts fetching file bytes [start, start+length); completes with one buffer the caller must release. */
    private CompletableFuture<ByteBuf> fetchAsync(Handle h, long start, int length) {
        OpenFile file = h.file;
        List<CompletableFuture<ByteBuf>> parts = new ArrayList<>();
        long at = start;
        long end = start + length;
        while (at < end) {
            Extent e = file.extentAt(at);
            if (e == null) {
                int n = (int) (Math.min(end, file.nextExtentStart(at)) - at);
                parts.add(CompletableFuture.completedFuture(Zeros.of(n)));
                at += n;
            } else {
                int n = (int) (Math.min(end, e.fileEnd()) - at);
                PairSpec pair = topology.pair(e.pair());
                int member = e.pair().equals(file.pair) ? h.member : 0;
                parts.add(blocks.read(pair, member, e.volumeOffset() + (at - e.fileOffset()), n));
                at += n;
            }
        }
        return CompletableFuture.allOf(parts.toArray(CompletableFuture[]::new)).handle((ignored, error) -> {
            CompositeByteBuf out = alloc.compositeDirectBuffer(Math.max(2, parts.size()));
            CfsException failure = null;
            for (CompletableFuture<ByteBuf> part : parts) {
                try {
                    out.addComponent(true, part.join());
                } catch (RuntimeException ex) {
                    failure = failure == null ? BlockIo.cause(ex) : failure;
                }
            }
            if (failure != null) {
                out.release();
                throw failure;
            }
            return out;
        });
    }

    /** Writes {@code src}'s readable bytes at {@code offset}; staged, sent by flush or when the buffer fills. */
    public void write(long handleId, long offset, ByteBuf src) {
        Handle h = handle(handleId);
        if (!h.writable()) { // write(2) on a descriptor not open for writing: EBADF
            throw new CfsException(ErrorCode.BAD_HANDLE, "handle " + handleId + " is not open for writing");
        }
        OpenFile file = h.file;
        int n = src.readableBytes();
        file.lock.lock();
        try {
            if (file.staged != null && (offset != file.stagedOffset + file.staged.readableBytes()
                    || file.staged.writableBytes() < n)) {
                sendStaged(file);
            }
            if (offset > file.size) {
                zero(file, file.size, offset);
            }
            if (n > options.writeBuffer()) { // larger than the buffer: sent on its own
                // a copy: the caller's buffer (FUSE's) is reused once write returns, the send is not done by then
                ByteBuf copy = alloc.directBuffer(n, n);
                copy.writeBytes(src, src.readerIndex(), n);
                send(file, offset, copy);
            } else {
                if (file.staged == null) {
                    file.staged = alloc.directBuffer(options.writeBuffer());
                    file.stagedOffset = offset;
                }
                file.staged.writeBytes(src, src.readerIndex(), n);
            }
            file.size = Math.max(file.size, offset + n);
            file.dirty = true;
            file.generation++;
            if (file.staged != null && !file.staged.isWritable()) {
                sendStaged(file);
            }
        } catch (CfsException e) {
            if (file.writeError != null) { // earlier writes were lost too: drop them now, flush reports it
                dropUncommitted(file);
            }
            throw e;
        } finally {
            file.lock.unlock();
        }
    }

    /** Sends staged data and commits size and mtime (close-to-open); called on every close(2). */
    public void flush(long handleId) {
        Handle h = handle(handleId);
        OpenFile file = h.file;
        file.lock.lock();
        try {
            commit(file, h);
        } finally {
            file.lock.unlock();
        }
    }

    /**
     * Flushes, then makes the file's written data durable on the storage systems and its committed
     * size durable in the metadata server's journal (which answers changes before its fdatasync).
     */
    public void fsync(long handleId) {
        Handle h = handle(handleId);
        OpenFile file = h.file;
        file.lock.lock();
        try {
            commit(file, h);
            CompletableFuture<Message> journal = meta.call(new SyncRequest());
            if (!file.unsynced.isEmpty()) {
                blocks.flush(file.unsynced);
                file.unsynced.clear();
            }
            try {
                BlockIo.await(journal, OkReply.class);
            } catch (CfsException e) {
                call(new SyncRequest(), OkReply.class); // lost with a connection: again, with the retries
            }
        } finally {
            file.lock.unlock();
        }
    }

    /** Closes a handle: flushes it and releases its Usage Table assignment. */
    public void release(long handleId) {
        Handle h = handles.get(handleId);
        if (h == null) {
            throw new CfsException(ErrorCode.BAD_HANDLE, "handle " + handleId + " is not open");
        }
        OpenFile file = h.file;
        try {
            file.lock.lock();
            try {
                commit(file, h);
            } finally {
                file.lock.unlock();
            }
        } finally {
            handles.remove(handleId);
            unhold(file);
            if (h.epoch == epoch) { // an open of a lost session is gone on the server already
                // Not waited for: it only gives back the Usage Table count (and frees an unlinked file),
                // and the server handles this connection's requests in order, so whatever this host
                // asks next sees it done. close(2) has had its answer from flush already.
                CompletableFuture<Message> closing = meta.call(new CloseRequest(h.serverHandle));
                closes.add(closing);
                closing.whenComplete((reply, error) -> {
                    closes.remove(closing);
                    CfsException e = error == null ? null : BlockIo.cause(error);
                    if (e != null && e.code() != ErrorCode.BAD_HANDLE && e.code() != ErrorCode.SESSION_EXPIRED) {
                        log.warn("close of handle {} (inode {}) failed: {}; the metadata server releases it with this"
                                + " session", handleId, file.inode, e.getMessage());
                    } else if (e != null) { // the server restarted (or the lease ran out) since: gone there too
                        log.debug("close of handle {}: the metadata server no longer has it ({})", handleId,
                                e.getMessage());
                    }
                });
            }
        }
    }

    /** Truncates or extends a file by path; opens it for the time of the change, as the data path needs its layout. */
    public void truncate(Caller caller, String path, long size) {
        long handle = open(caller, path, OpenFlags.WRITE_ONLY);
        try {
            ftruncate(handle, size);
        } finally {
            release(handle);
        }
    }

    /**
     * Truncates or extends an open file. The handle need not be open for writing: the kernel refuses
     * ftruncate(2) on such a descriptor itself, and truncates through the new handle for
     * open(O_RDONLY|O_TRUNC), which Linux allows.
     */
    public void ftruncate(long handleId, long size) {
        Handle h = handle(handleId);
        OpenFile file = h.file;
        file.lock.lock();
        try {
            commit(file, h); // the server must know every written byte before it frees blocks past the end
            long oldSize = file.size;
            // the server frees the whole blocks past the smaller of the two ends; forget them here too
            long blockSize = topology.blockSize();
            long keep = (Math.min(oldSize, size) + blockSize - 1) / blockSize * blockSize;
            if (size > oldSize) { // the old last block's tail becomes visible; blocks past it become holes
                zero(file, oldSize, Math.min(size, keep));
            }
            file.size = setattr(file.inode, SetAttrRequest.SIZE, 0, 0, 0, size, null, null).size();
            file.committedSize = file.size;
            file.generation++;
            file.changes++;
            file.layout(file.extents.stream()
                    .filter(e -> e.fileOffset() < keep)
                    .map(e -> e.fileEnd() <= keep ? e
                            : new Extent(e.fileOffset(), keep - e.fileOffset(), e.pair(), e.volumeOffset()))
                    .toList());
        } finally {
            file.lock.unlock();
        }
    }

    // ---------------------------------------------------------------- data path internals

    /** Sends the file's staged bytes to the master volume(s). Caller holds the file lock. */
    private void sendStaged(OpenFile file) {
        ByteBuf staged = file.staged;
        file.staged = null;
        if (staged.isReadable()) {
            try {
                send(file, file.stagedOffset, staged);
            } catch (CfsException e) {
                failed(file, e); // these bytes were acknowledged to the writer
                throw e;
            }
        } else {
            staged.release();
        }
    }

    /** Remembers the first loss of acknowledged writes, for the next commit to report. Caller holds the file lock. */
    private static void failed(OpenFile file, CfsException e) {
        if (file.writeError == null) {
            file.writeError = e;
        }
    }

    /**
     * Writes file bytes at {@code offset} (allocating blocks as needed) to the masters; owns
     * {@code data}. Caller holds the file lock.
     */
    private void send(OpenFile file, long offset, ByteBuf data) {
        List<CompletableFuture<Message>> writes = new ArrayList<>();
        int length = data.readableBytes();
        try {
            awaitOverlapping(file, offset, offset + length); // the storage system may reorder concurrent writes
            List<Extent> before = file.extents;
            if (!file.backed(offset, length)) {
                Handle any = anyHandle(file);
                file.layout(withHandle(any, sh -> new AllocateRequest(sh, offset, length), LayoutReply.class).extents());
                file.changes++;
                zeroNewBlocks(file, before, offset, length);
            }
            long at = offset;
            while (at < offset + length) {
                Extent e = file.extentAt(at);
                if (e == null) {
                    throw new CfsException(ErrorCode.IO_ERROR, "inode " + file.inode + ": no block backs offset "
                            + at + " after allocation");
                }
                // one request per extent, and none larger than a frame carries
                int n = (int) Math.min(Math.min(offset + length, e.fileEnd()) - at, MessageCodec.MAX_DATA);
                PairSpec pair = topology.pair(e.pair());
                writes.add(blocks.write(pair, e.volumeOffset() + (at - e.fileOffset()),
                        data.retainedSlice(data.readerIndex() + (int) (at - offset), n)));
                file.unsynced.add(pair.master());
                at += n;
            }
        } finally {
            data.release();
        }
        CompletableFuture<Void> done = CompletableFuture.allOf(writes.toArray(CompletableFuture[]::new))
                .thenRun(() -> writes.forEach(w -> BlockIo.await(w, OkReply.class)));
        file.inFlight.addLast(new OpenFile.InFlight(offset, offset + length, done));
        while (file.inFlight.size() > MAX_WRITES_IN_FLIGHT) {
            awaitWrite(file, file.inFlight.pollFirst());
        }
    }

    /** Waits for the file's writes in flight that overlap [from, to). Caller holds the file lock. */
    private void awaitOverlapping(OpenFile file, long from, long to) {
        for (var it = file.inFlight.iterator(); it.hasNext(); ) {
            OpenFile.InFlight w = it.next();
            if (w.offset() < to && from < w.end()) {
                it.remove();
                awaitWrite(file, w);
            }
        }
    }

    /** Waits for every write of the file in flight; the first failure is thrown (EIO to the caller). */
    private void awaitWrites(OpenFile file) {
        CfsException first = null;
        while (!file.inFlight.isEmpty()) {
            try {
                awaitWrite(file, file.inFlight.pollFirst());
            } catch (CfsException e) {
                first = first == null ? e : first;
            }
        }
        if (first != null) {
            throw first;
        }
    }

    private static void awaitWrite(OpenFile file, OpenFile.InFlight w) {
        try {
            w.done().join();
        } catch (RuntimeException e) {
            CfsException cause = BlockIo.cause(e);
            failed(file, cause);
            throw cause;
        }
    }

    /** Zeroes the parts of blocks that the last allocation added and that lie below end of file, unwritten. */
    private void zeroNewBlocks(OpenFile file, List<Extent> before, long offset, int length) {
        long blockSize = topology.blockSize();
        long first = offset - offset % blockSize;
        long end = Math.max(file.size, offset + length); // a write sent unstaged has not grown the size yet
        for (long block = first; block < offset + length; block += blockSize) {
            if (covered(before, block)) {
                continue;
            }
            long visibleEnd = Math.min(block + blockSize, end);
            if (block < offset && block < visibleEnd) {
                writeZeros(file, block, Math.min(offset, visibleEnd));
            }
            if (offset + length < visibleEnd) {
                writeZeros(file, offset + length, visibleEnd);
            }
        }
    }

    private static boolean covered(List<Extent> extents, long offset) {
        for (Extent e : extents) {
            if (offset >= e.fileOffset() && offset < e.fileEnd()) {
                return true;
            }
        }
        return false;
    }

    /** Makes file bytes [from, to) read as zeros: allocated parts are overwritten, holes already are. */
    private void zero(OpenFile file, long from, long to) {
        long at = from;
        while (at < to) {
            Extent e = file.extentAt(at);
            if (e == null) {
                at = Math.min(to, file.nextExtentStart(at));
                continue;
            }
            long end = Math.min(to, e.fileEnd());
            writeZeros(file, at, end);
            at = end;
        }
    }

    private void writeZeros(OpenFile file, long from, long to) {
        awaitOverlapping(file, from, to);
        for (long at = from; at < to; ) {
            int n = (int) Math.min(to - at, Zeros.MAX);
            Extent e = file.extentAt(at);
            n = (int) Math.min(n, e.fileEnd() - at);
            PairSpec pair = topology.pair(e.pair());
            BlockIo.await(blocks.write(pair, e.volumeOffset() + (at - e.fileOffset()), Zeros.of(n)), OkReply.class);
            file.unsynced.add(pair.master());
            at += n;
        }
    }

    /** Sends staged data and commits the size. Caller holds the file lock. */
    private void commit(OpenFile file, Handle h) {
        try {
            if (file.staged != null) {
                sendStaged(file);
            }
        } catch (CfsException e) {
            // recorded in writeError
        }
        try {
            awaitWrites(file);
        } catch (CfsException e) {
            // recorded in writeError
        }
        if (file.writeError != null) {
            CfsException error = file.writeError;
            file.writeError = null; // reported once, as close(2) and fsync(2) report a writeback error
            dropUncommitted(file);
            throw error;
        }
        if (file.dirty) {
            Handle writer = h.writable() ? h : anyHandle(file);
            long size = file.size;
            Timespec mtime = now();
            long mark = cache.mark();
            FileAttr attr = cache.attr(withHandle(writer, sh -> new CommitWriteRequest(sh, size, mtime), AttrReply.class)
                    .attr(), mark);
            file.size = Math.max(file.size, attr.size());
            file.committedSize = attr.size();
            file.dirty = false;
            file.changes++;
            cachedVersions.put(file.inode, version(attr)); // this host's cache holds what it wrote
        }
    }

    /**
     * After a lost write, makes the file what the metadata server has: its size and no pending
     * change, so that no size is ever committed over bytes the storage systems never got. What was
     * written since the last commit is lost, as the next close(2) or fsync(2) tells the writer (the
     * error stays in {@code writeError} until a commit reports it). Caller holds the file lock.
     */
    private static void dropUncommitted(OpenFile file) {
        if (file.staged != null) {
            file.staged.release();
            file.staged = null;
        }
        while (!file.inFlight.isEmpty()) {
            try {
                awaitWrite(file, file.inFlight.pollFirst());
            } catch (CfsException ignored) {
                // lost as well
            }
        }
        if (file.dirty) {
            log.warn("inode {}: writes since the last commit were lost ({}); the size stays {}", file.inode,
                    file.writeError == null ? "?" : file.writeError.getMessage(), file.committedSize);
        }
        file.size = file.committedSize;
        file.dirty = false;
        file.generation++;
        file.changes++;
    }

    private Handle anyHandle(OpenFile file) {
        for (Handle h : handles.values()) {
            if (h.file == file && h.writable()) {
                return h;
            }
        }
        throw new CfsException(ErrorCode.BAD_HANDLE, "inode " + file.inode + " has no handle open for writing");
    }

    // ---------------------------------------------------------------- helpers

    private FileAttr setattr(long inode, int valid, int mode, int uid, int gid, long size, Timespec atime,
                             Timespec mtime) {
        Timespec zero = new Timespec(0, 0);
        cache.forgetAttr(inode); // dropped whatever the answer: a failed change may still have been made
        long mark = cache.mark();
        return cache.attr(call(new SetAttrRequest(inode, valid, mode, uid, gid, size, atime == null ? zero : atime,
                mtime == null ? zero : mtime), AttrReply.class).attr(), mark);
    }

    private static String version(FileAttr attr) {
        return attr.size() + "@" + attr.mtime().seconds() + "." + attr.mtime().nanos();
    }

    /** Whether the kernel may keep its cached pages of the file this handle opened (unchanged since). */
    public boolean keepCache(long handleId) {
        return handle(handleId).keepCache;
    }

    /**
     * The attributes with this host's size while it has writes not yet committed; otherwise the
     * server's (another host may have committed a new size since this host opened the file).
     */
    private FileAttr withLocalSize(FileAttr attr) {
        OpenFile file = openFiles.get(attr.inode());
        if (file == null) {
            return attr;
        }
        if (!file.dirty) { // volatile reads: a stat does not wait behind a writer holding the file's lock
            return attr;
        }
        long size = file.size;
        if (size == attr.size()) {
            return attr;
        }
        return new FileAttr(attr.inode(), attr.type(), attr.mode(), attr.nlink(), attr.uid(), attr.gid(), attr.rdev(),
                size, attr.atime(), attr.mtime(), attr.ctime());
    }

    /** The pair member (0: the master) an open handle reads from. */
    int member(long handleId) {
        return handle(handleId).member;
    }

    Handle handle(long id) {
        Handle h = handles.get(id);
        if (h == null) {
            throw new CfsException(ErrorCode.BAD_HANDLE, "handle " + id + " is not open");
        }
        return h;
    }

    /** Asks the server what {@code name} in {@code dir} is, and keeps the answer. */
    private FileAttr lookup(long dir, String name) {
        long mark = cache.mark();
        return named(dir, name, call(new LookupRequest(dir, name), AttrReply.class).attr(), mark);
    }

    /**
     * The inode of a path, name by name from the cache, asking the server for the names it lacks.
     * A caller other than root needs search permission on every directory it passes through.
     */
    long resolve(Caller caller, String path) {
        long inode = ROOT;
        int from = 1;
        while (from < path.length()) {
            int slash = path.indexOf('/', from);
            int end = slash < 0 ? path.length() : slash;
            if (end > from) { // "//" and a trailing "/" name nothing
                if (!caller.trusted()) {
                    searchable(attr(inode), caller, path);
                }
                String name = path.substring(from, end);
                Long known = cache.inode(inode, name);
                inode = known != null ? known : lookup(inode, name).inode();
            }
            from = end + 1;
        }
        return inode;
    }

    /** The directory {@code dir} (the parent of {@code path}), which the caller may search. */
    private long directory(Caller caller, String dir, String path) {
        long inode = resolve(caller, dir);
        if (!caller.trusted()) {
            searchable(attr(inode), caller, path);
        }
        return inode;
    }

    private static void searchable(FileAttr dir, Caller caller, String path) {
        if (dir.type() != FileType.DIRECTORY) {
            throw new CfsException(ErrorCode.NOT_A_DIRECTORY, path + ": inode " + dir.inode() + " on the way is a "
                    + dir.type() + ", not a directory");
        }
        Access.require(dir, caller, Access.EXECUTE, path);
    }

    /** The parent directory of {@code path}, in which the caller may add or remove names (write and search). */
    private long writableParent(Caller caller, String path) {
        long dir = resolve(caller, parent(path));
        if (!caller.trusted()) {
            FileAttr attr = attr(dir);
            searchable(attr, caller, path);
            Access.require(attr, caller, Access.WRITE, parent(path));
        }
        return dir;
    }

    /** The parent directory of {@code path}, from which the caller may remove it (write, search, sticky rule). */
    private long removableEntry(Caller caller, String path) {
        long dir = writableParent(caller, path);
        if (!caller.trusted()) {
            Access.requireRemovable(attr(dir), caller, path, () -> {
                FileAttr victim = existing(dir, name(path));
                if (victim == null) {
                    throw new CfsException(ErrorCode.NOT_FOUND, path + ": no such file or directory");
                }
                return victim;
            });
        }
        return dir;
    }

    /** What {@code name} in {@code dir} is, or null if nothing. */
    private FileAttr existing(long dir, String name) {
        Long inode = cache.inode(dir, name);
        FileAttr attr = inode == null ? null : cache.attr(inode);
        if (attr != null) {
            return attr;
        }
        try {
            return lookup(dir, name);
        } catch (CfsException e) {
            if (e.code() == ErrorCode.NOT_FOUND) {
                return null;
            }
            throw e;
        }
    }

    static String parent(String path) {
        int slash = path.lastIndexOf('/');
        return slash <= 0 ? "/" : path.substring(0, slash);
    }

    static String name(String path) {
        return path.substring(path.lastIndexOf('/') + 1);
    }

    private Timespec now() {
        return Timespec.of(clock.instant());
    }

    /**
     * Registers the client's meters: {@code cfs_client_readahead_hits_total} and {@code _misses_total}
     * (parts of reads served from a handle's read-ahead or prefetch, or that had to fetch),
     * {@code cfs_client_open_handles} (the File Management Table) and {@code cfs_client_open_files}.
     */
    public void bindMetrics(MeterRegistry registry) {
        FunctionCounter.builder("cfs.client.readahead.hits", readAheadHits, LongAdder::sum)
                .description("parts of reads served from the read-ahead buffer or the prefetch").register(registry);
        FunctionCounter.builder("cfs.client.readahead.misses", readAheadMisses, LongAdder::sum)
                .description("parts of reads that had to fetch from a storage system").register(registry);
        FunctionCounter.builder("cfs.client.readahead.wait", prefetchWaitNanos, n -> n.sum() / 1e9)
                .baseUnit("seconds")
                .description("time sequential readers waited for a prefetched chunk still on its way").register(registry);
        Gauge.builder("cfs.client.open.handles", handles, Map::size)
                .description("open handles (the File Management Table)").register(registry);
        Gauge.builder("cfs.client.open.files", openFiles, Map::size)
                .description("files open on this host").register(registry);
    }

    @Override
    public void close() {
        for (Long id : List.copyOf(handles.keySet())) {
            try {
                release(id);
            } catch (CfsException ignored) {
                // best effort at shutdown; the server releases the session's opens itself
            }
        }
        try { // the last CLOSEs give back their Usage Table counts before the session ends
            CompletableFuture.allOf(closes.toArray(CompletableFuture[]::new)).get(5, TimeUnit.SECONDS);
        } catch (Exception e) {
            log.debug("CLOSE requests still unanswered at shutdown: {}", e.toString());
        }
        keepAlive.shutdownNow();
        meta.close();
        blocks.close();
        group.shutdownGracefully(0, 1, java.util.concurrent.TimeUnit.SECONDS);
    }
}
