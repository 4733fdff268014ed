package io.cfs.meta;

import io.cfs.meta.allocation.VolumeSpace;
import io.cfs.meta.coherence.CacheWatchers;
import io.cfs.meta.journal.GroupCommitLog;
import io.cfs.meta.journal.Journal;
import io.cfs.meta.namespace.Names;
import io.cfs.meta.namespace.Namespace;
import io.cfs.meta.namespace.Operation;
import io.cfs.meta.namespace.Outcome;
import io.cfs.meta.namespace.Planner;
import io.cfs.meta.storage.StorageSystems;
import io.cfs.meta.usage.UsageTable;
import io.cfs.protocol.CfsException;
import io.cfs.protocol.ErrorCode;
import io.cfs.protocol.message.AllocateRequest;
import io.cfs.protocol.message.AttrReply;
import io.cfs.protocol.message.CloseRequest;
import io.cfs.protocol.message.CommitWriteRequest;
import io.cfs.protocol.message.CreateFileRequest;
import io.cfs.protocol.message.CreateOpenRequest;
import io.cfs.protocol.message.DataMessage;
import io.cfs.protocol.message.FileAttr;
import io.cfs.protocol.message.GetAttrRequest;
import io.cfs.protocol.message.GetLayoutRequest;
import io.cfs.protocol.message.KeepAliveRequest;
import io.cfs.protocol.message.LayoutReply;
import io.cfs.protocol.message.LinkRequest;
import io.cfs.protocol.message.LocateReply;
import io.cfs.protocol.message.LocateRequest;
import io.cfs.protocol.message.LookupRequest;
import io.cfs.protocol.message.MakeDirRequest;
import io.cfs.protocol.message.MakeNodeRequest;
import io.cfs.protocol.message.MemberStatus;
import io.cfs.protocol.message.Message;
import io.cfs.protocol.message.MirrorStatus;
import io.cfs.protocol.message.OkReply;
import io.cfs.protocol.message.OpenReply;
import io.cfs.protocol.message.OpenRequest;
import io.cfs.protocol.message.OpenSessionRequest;
import io.cfs.protocol.message.ReadDirReply;
import io.cfs.protocol.message.ReadDirRequest;
import io.cfs.protocol.message.ReadLinkReply;
import io.cfs.protocol.message.ReadLinkRequest;
import io.cfs.protocol.message.RemoveRequest;
import io.cfs.protocol.message.RenameRequest;
import io.cfs.protocol.message.SessionReply;
import io.cfs.protocol.message.SessionStatus;
import io.cfs.protocol.message.SetAttrRequest;
import io.cfs.protocol.message.SetPairRequest;
import io.cfs.protocol.message.StatFsReply;
import io.cfs.protocol.message.StatFsRequest;
import io.cfs.protocol.message.StatusReply;
import io.cfs.protocol.message.StatusRequest;
import io.cfs.protocol.message.StorageHeartbeatRequest;
import io.cfs.protocol.message.SymlinkRequest;
import io.cfs.protocol.message.SyncRequest;
import io.cfs.protocol.rpc.RequestHandler;
import io.cfs.protocol.rpc.RpcServer;
import io.cfs.topology.PairId;
import io.cfs.topology.PairSpec;
import io.cfs.topology.StorageId;
import io.cfs.topology.Topology;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.netty.channel.Channel;
import io.netty.util.AttributeKey;
import io.netty.util.ReferenceCountUtil;
import java.io.IOException;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Function;
import java.util.function.IntPredicate;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Serves the metadata requests. Reads (LOOKUP, GET_ATTR, READ_DIR, STAT_FS, READ_LINK, LOCATE,
 * GET_LAYOUT, STATUS) are answered from memory under the read lock. A mutation runs under the
 * write lock: the {@link Planner} checks it against the state and builds its {@link Operation},
 * which is queued on the {@link GroupCommitLog}; once the journal has written it (one write shared
 * by every operation queued meanwhile), the writer thread applies the batch to the {@link
 * Namespace} under the write lock, in log order, and the replies go out. So the state in memory,
 * and every answer, never runs ahead of the journal file: an answered change survives a kill -9
 * of the server. The journal's fdatasyncs follow the writes on a thread of their own; SYNC (a
 * client's fsync(2)) is answered once one has covered every change answered before it, so what a
 * client fsynced also survives a power loss, as on a local filesystem. Only that thread changes the {@link Namespace},
 * which is why it can also write the snapshots. OPEN, CLOSE, OPEN_SESSION, KEEP_ALIVE and
 * STORAGE_HEARTBEAT change only soft state (sessions, handles, the Usage Table, storage liveness)
 * and are not journaled; a restart forgets it.
 *
 * <p>Sessions ({@link Sessions}): handles belong to the connection's session. A leased session
 * outlives its connection until its lease runs out, so a client can reconnect and resume it; a
 * connection without one holds its handles until it closes. A periodic {@link #check} against the
 * injected clock expires leases (closing their handles) and marks storage systems that stopped
 * sending heartbeats down, moving the opens assigned to their members to live members in the
 * Usage Table.
 *
 * <p>A file unlinked while open keeps its blocks; the last CLOSE of it (or the end of the last
 * session holding it) logs a {@link Operation.FreeOrphan}. Orphans left by a restart are freed at
 * start.
 */
final class MetadataService implements RequestHandler, AutoCloseable {
    /** Client operations that may wait for the journal disk before new ones are refused (UNAVAILABLE). */
    static final int JOURNAL_QUEUE_LIMIT = 65_536;
    /** Most entries in one READ_DIR reply (about 270 KiB with the longest names). */
    static final int MAX_READ_DIR = 1024;
    private static final Logger log = LoggerFactory.getLogger(MetadataService.class);

    private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
    private final Topology topology;
    private final Clock clock;
    private final Namespace namespace;
    private final Planner planner;
    private final UsageTable usage;
    private final StorageSystems storages;
    private final Sessions<Channel> sessions;
    /** Which connections cached which attributes and names: told when they change. */
    private final CacheWatchers<Channel> watchers = new CacheWatchers<>(MAX_WATCHES,
            RpcServer::push);
    private final OpenFiles<Sessions.Session<Channel>> openFiles =
            new OpenFiles<>(ThreadLocalRandom.current().nextLong(1, 1L << 62));
    private final GroupCommitLog<Pending> journal;
    private final int blockSize;
    private final Duration checkEvery;
    private final ScheduledExecutorService checker;

    /** A mutation waiting for the journal: its operation, how to answer once applied, and the answer. */
    /**
     * The most inodes and directories one connection is watched for: about what a client caches
     * (100,000 attributes and as many names); past it the client is told to forget everything.
     */
    static final int MAX_WATCHES = 250_000;
    private static final AttributeKey<Boolean> WATCHED = AttributeKey.valueOf("cfs.watched");

    private record Pending(Operation operation, Function<Outcome, Message> reply, CompletableFuture<Message> answer)
            implements GroupCommitLog.Entry {}

    /**
     * @param journal recovered into {@code namespace}
     * @param metrics where the server's meters go
     */
    MetadataService(MetadataOptions options, Topology topology, Namespace namespace, Journal journal,
                    MeterRegistry metrics) {
        this.topology = topology;
        this.clock = options.clock();
        this.namespace = namespace;
        this.planner = new Planner(namespace, clock);
        this.usage = new UsageTable(topology.pairs().values());
        this.storages = new StorageSystems(topology, options.storageTimeout().toMillis(), clock.millis());
        SecureRandom random = new SecureRandom();
        this.sessions = new Sessions<>(options.lease().toMillis(), () -> random.nextLong() & Long.MAX_VALUE);
        this.blockSize = topology.blockSize();
        this.checkEvery = options.checkEvery();
        this.journal = new GroupCommitLog<>(options.id(), metrics, journal, JOURNAL_QUEUE_LIMIT,
                options.snapshotEvery(), new Applier(), () -> journal.snapshot(namespace));
        this.checker = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, options.id() + "-leases");
            t.setDaemon(true);
            return t;
        });
        bindMetrics(metrics);
    }

    /**
     * The metadata server's own meters, read at scrape time under the read lock: the Usage Table
     * (opens per pair member), sessions, open handles, storage systems up, inodes, and the journal's
     * records and fsyncs (its commit latency is timed by {@link GroupCommitLog}).
     */
    private void bindMetrics(MeterRegistry registry) {
        for (PairSpec pair : topology.sortedPairs()) {
            for (int m = 0; m < pair.members().size(); m++) {
                int member = m;
                Gauge.builder("cfs.usage.opens", () -> usage.count(pair.id(), member))
                        .description("opens currently assigned to a pair member (the Usage Table)")
                        .tag("pair", pair.id().value()).tag("member", String.valueOf(member))
                        .tag("volume", pair.member(member).toString()).register(registry);
            }
        }
        for (StorageId storage : topology.storages().keySet()) {
            Gauge.builder("cfs.storage.up", () -> underReadLock(() -> storages.isUp(storage) ? 1 : 0))
                    .description("1 while the storage system sends heartbeats, 0 once it timed out")
                    .tag("storage", storage.value()).register(registry);
        }
        Gauge.builder("cfs.sessions", () -> underReadLock(() -> sessions.live().size()))
                .description("client sessions with a live lease").register(registry);
        Gauge.builder("cfs.open.handles", () -> underReadLock(openFiles::size))
                .description("files open on all clients (handles the server holds)").register(registry);
        Gauge.builder("cfs.inodes", () -> underReadLock(namespace::inodeCount))
                .description("files, directories and links in the namespace").register(registry);
        FunctionCounter.builder("cfs.journal.records", journal, j -> j.stats().records())
                .description("operations written to the journal since start").register(registry);
        FunctionCounter.builder("cfs.journal.fsyncs", journal, GroupCommitLog::fsyncs)
                .description("journal fsyncs since start").register(registry);
    }

    private <T extends Number> T underReadLock(Supplier<T> read) {
        lock.readLock().lock();
        try {
            return read.get();
        } finally {
            lock.readLock().unlock();
        }
    }

    /**
     * Starts the journal writer and the periodic check, and frees the files a restart left
     * unlinked while open; returns how many.
     */
    int start() {
        journal.start();
        List<CompletableFuture<Message>> frees = new ArrayList<>();
        lock.writeLock().lock();
        try {
            for (long inode : namespace.orphans()) {
                planner.freeOrphan(inode).ifPresent(op -> frees.add(submitUnbounded(op)));
            }
        } finally {
            lock.writeLock().unlock();
        }
        CompletableFuture.allOf(frees.toArray(CompletableFuture[]::new)).join();
        checker.scheduleWithFixedDelay(() -> {
            try {
                check();
            } catch (RuntimeException e) {
                log.error("checking leases and storage heartbeats failed", e);
            }
        }, checkEvery.toMillis(), checkEvery.toMillis(), TimeUnit.MILLISECONDS);
        return frees.size();
    }

    @Override
    public CompletionStage<Message> handle(Channel channel, Message request) {
        if (request instanceof LookupRequest r) {
            return read(() -> {
                Names.check(r.name());
                return new AttrReply(named(channel, r.parent(), namespace.lookup(r.parent(), r.name())));
            });
        } else if (request instanceof GetAttrRequest r) {
            return read(() -> new AttrReply(given(channel, namespace.attr(r.inode()))));
        } else if (request instanceof ReadDirRequest r) {
            return read(() -> readDir(r));
        } else if (request instanceof StatFsRequest) {
            return read(() -> new StatFsReply(namespace.space().capacityBytes(), namespace.space().freeBytes(),
                    namespace.inodeCount(), blockSize));
        } else if (request instanceof ReadLinkRequest r) {
            return read(() -> new ReadLinkReply(namespace.readLink(r.inode())));
        } else if (request instanceof LocateRequest r) {
            return read(() -> {
                Namespace.Location at = namespace.locate(r.inode());
                return new LocateReply(at.pair() == null ? "" : at.pair().value(), at.extents());
            });
        } else if (request instanceof GetLayoutRequest r) {
            return read(() -> new LayoutReply(namespace.extents(handle(channel, r.handle()).inode(), r.offset(),
                    r.length())));
        } else if (request instanceof SyncRequest) {
            return journal.sync().thenApply(v -> new OkReply());
        } else if (request instanceof StatusRequest) {
            return read(this::status);
        } else if (request instanceof MakeDirRequest r) {
            return write(() -> submit(planner.makeDir(r.parent(), r.name(), r.mode(), r.uid(), r.gid()),
                    namedReply(channel, r.parent())));
        } else if (request instanceof CreateFileRequest r) {
            return write(() -> planner.createFile(r.parent(), r.name(), r.mode(), r.uid(), r.gid(), r.exclusive())
                    .map(op -> submit(op, namedReply(channel, r.parent())))
                    .orElseGet(() -> answered(new AttrReply(named(channel, r.parent(),
                            namespace.lookup(r.parent(), r.name()))))));
        } else if (request instanceof CreateOpenRequest r) {
            return write(() -> planner.createFile(r.parent(), r.name(), r.mode(), r.uid(), r.gid(), r.exclusive())
                    .map(op -> submit(op, created -> namedOpen(channel, r.parent(),
                            openNow(channel, created.inode(), r.write()))))
                    .orElseGet(() -> answered(namedOpen(channel, r.parent(),
                            openNow(channel, namespace.lookup(r.parent(), r.name()).inode(), r.write())))));
        } else if (request instanceof SymlinkRequest r) {
            return write(() -> submit(planner.symlink(r.parent(), r.name(), r.target(), r.uid(), r.gid()),
                    namedReply(channel, r.parent())));
        } else if (request instanceof LinkRequest r) {
            return write(() -> submit(planner.link(r.inode(), r.newParent(), r.newName()),
                    namedReply(channel, r.newParent())));
        } else if (request instanceof MakeNodeRequest r) {
            return write(() -> submit(planner.makeNode(r.parent(), r.name(), r.type(), r.mode(), r.rdev(), r.uid(),
                    r.gid()), namedReply(channel, r.parent())));
        } else if (request instanceof RemoveRequest r) {
            return write(() -> submit(planner.remove(r.parent(), r.name(), r.directory()), o -> new OkReply()));
        } else if (request instanceof RenameRequest r) {
            return write(() -> planner.rename(r.srcParent(), r.srcName(), r.dstParent(), r.dstName())
                    .map(op -> submit(op, o -> new OkReply()))
                    .orElseGet(() -> answered(new OkReply())));
        } else if (request instanceof SetAttrRequest r) {
            return write(() -> planner.setAttr(r.inode(), r.valid(), r.mode(), r.uid(), r.gid(), r.size(), r.atime(),
                            r.mtime())
                    .map(op -> submit(op, attrReply(channel)))
                    .orElseGet(() -> answered(new AttrReply(given(channel, namespace.attr(r.inode()))))));
        } else if (request instanceof SetPairRequest r) {
            return write(() -> submit(planner.setPair(r.inode(), r.pair()), o -> new OkReply()));
        } else if (request instanceof OpenRequest r) {
            return write(() -> answered(givenOpen(channel, openNow(channel, r.inode(), r.write()))));
        } else if (request instanceof AllocateRequest r) {
            return write(() -> {
                long inode = writable(channel, r.handle()).inode();
                return planner.allocate(inode, r.offset(), r.length())
                        .map(op -> submit(op, o -> new LayoutReply(namespace.extents(o.inode()))))
                        .orElseGet(() -> answered(new LayoutReply(namespace.extents(inode))));
            });
        } else if (request instanceof CommitWriteRequest r) {
            return write(() -> submit(planner.commitWrite(writable(channel, r.handle()).inode(), r.size(), r.mtime()),
                    attrReply(channel)));
        } else if (request instanceof CloseRequest r) {
            return write(() -> {
                release(openFiles.close(owner(channel, r.handle()), r.handle()));
                return answered(new OkReply());
            });
        } else if (request instanceof OpenSessionRequest r) {
            return write(() -> openSession(channel, r));
        } else if (request instanceof KeepAliveRequest r) {
            return write(() -> keepAlive(channel, r));
        } else if (request instanceof StorageHeartbeatRequest r) {
            return write(() -> heartbeat(r));
        }
        ReferenceCountUtil.release(request instanceof DataMessage d ? d.data() : null);
        return CompletableFuture.failedFuture(new CfsException(ErrorCode.UNSUPPORTED, request.opcode()
                + " is not a metadata server request: expected one of LOOKUP, GET_ATTR, READ_DIR, MAKE_DIR,"
                + " CREATE_FILE, CREATE_OPEN, SYMLINK, READ_LINK, LINK, MAKE_NODE, REMOVE, RENAME, SET_ATTR, STAT_FS, OPEN,"
                + " ALLOCATE, GET_LAYOUT, COMMIT_WRITE, CLOSE, OPEN_SESSION, KEEP_ALIVE, STORAGE_HEARTBEAT, STATUS,"
                + " SET_PAIR, LOCATE, SYNC"));
    }

    private Message readDir(ReadDirRequest r) {
        if (r.limit() < 1) {
            throw new CfsException(ErrorCode.INVALID_ARGUMENT, "read_dir limit " + r.limit() + " for directory "
                    + r.inode() + ": expected at least 1");
        }
        Namespace.DirPage page = namespace.readDir(r.inode(), r.after(), Math.min(r.limit(), MAX_READ_DIR));
        return new ReadDirReply(page.entries(), page.more());
    }

    /** The reply to a change of an inode: its attributes, which {@code channel} now watches. */
    private Function<Outcome, Message> attrReply(Channel channel) {
        return outcome -> new AttrReply(given(channel, namespace.attr(outcome.inode())));
    }

    /** The reply to a new name in {@code dir}: the attributes of what it names, both watched by {@code channel}. */
    private Function<Outcome, Message> namedReply(Channel channel, long dir) {
        return outcome -> new AttrReply(named(channel, dir, namespace.attr(outcome.inode())));
    }

    /** Attributes given to a client: it may cache them until told otherwise. Under the lock. */
    private FileAttr given(Channel channel, FileAttr attr) {
        if (channel.attr(WATCHED).setIfAbsent(Boolean.TRUE) == null) {
            channel.closeFuture().addListener(f -> watchers.forget(channel));
        }
        watchers.watchAttr(channel, attr.inode());
        return attr;
    }

    /** A name in {@code dir} and the attributes of what it names, given to a client. Under the lock. */
    private FileAttr named(Channel channel, long dir, FileAttr attr) {
        given(channel, attr);
        watchers.watchDir(channel, dir);
        return attr;
    }

    private OpenReply givenOpen(Channel channel, OpenReply reply) {
        given(channel, reply.attr());
        return reply;
    }

    private OpenReply namedOpen(Channel channel, long dir, OpenReply reply) {
        named(channel, dir, reply.attr());
        return reply;
    }

    /**
     * Opens a file for a client: a handle in its session and the least-used live member of the
     * file's pair from the Usage Table. Called under the write lock (by a request, or by the
     * journal's applier for a CREATE_OPEN once the file exists).
     */
    private OpenReply openNow(Channel channel, long inode, boolean write) {
        FileAttr attr = namespace.openable(inode);
        boolean known = sessions.knows(channel);
        Sessions.Session<Channel> owner = sessions.forOpen(channel);
        if (!known) {
            watch(channel);
        }
        openFiles.checkRoom(owner);
        PairId pair = namespace.pairOf(inode);
        int member = usage.acquire(pair, live(pair));
        OpenFiles.Handle<Sessions.Session<Channel>> h = openFiles.open(owner, inode, pair, member, write);
        if (log.isDebugEnabled()) {
            log.debug("inode {} opened as handle {} by session {} for {}: pair {} member {} ({} opens on it now)",
                    inode, h.id(), owner, write ? "writing" : "reading", pair, member, usage.count(pair, member));
        }
        return new OpenReply(h.id(), attr, pair, member, namespace.extents(inode));
    }

    /** Whether each member of a pair is on a storage system that is up. */
    private IntPredicate live(PairId pair) {
        PairSpec spec = topology.pair(pair);
        return member -> storages.isUp(spec.member(member).storage());
    }

    /** The live session of a connection that names one of its handles. */
    private Sessions.Session<Channel> owner(Channel channel, long handle) {
        Sessions.Session<Channel> s = sessions.of(channel);
        if (s == null) {
            throw new CfsException(ErrorCode.BAD_HANDLE, "no open handle " + handle + " on this connection: it has"
                    + " opened no file and resumed no session (after a reconnect, send OPEN_SESSION with the session"
                    + " id first)");
        }
        return Sessions.checkLive(s);
    }

    private OpenFiles.Handle<Sessions.Session<Channel>> handle(Channel channel, long handle) {
        return openFiles.get(owner(channel, handle), handle);
    }

    private OpenFiles.Handle<Sessions.Session<Channel>> writable(Channel channel, long handle) {
        OpenFiles.Handle<Sessions.Session<Channel>> h = handle(channel, handle);
        if (!h.write()) {
            throw new CfsException(ErrorCode.PERMISSION_DENIED, "handle " + handle + " of file " + h.inode()
                    + " was opened read-only: expected a handle opened for writing");
        }
        return h;
    }

    /** Gives back a closed handle's Usage Table count; frees its file if that was the last hold on an orphan. */
    private void release(OpenFiles.Handle<Sessions.Session<Channel>> h) {
        usage.release(h.pair(), h.member());
        if (log.isDebugEnabled()) {
            log.debug("handle {} of inode {} closed: pair {} member {} ({} opens on it now)", h.id(), h.inode(),
                    h.pair(), h.member(), usage.count(h.pair(), h.member()));
        }
        freeIfOrphanAndClosed(h.inode());
    }

    // ---------------------------------------------------------------- sessions

    private CompletionStage<Message> openSession(Channel channel, OpenSessionRequest r) {
        boolean known = sessions.knows(channel);
        Sessions.Binding<Channel> b = sessions.open(channel, r.client(), r.resume(), clock.millis());
        adopt(b);
        if (!known) {
            watch(channel);
        }
        Sessions.Session<Channel> s = b.session();
        if (b.resumed()) {
            log.info("session {} of client {} resumed on connection {} with {} open handles", s.id, s.client,
                    channel.remoteAddress(), openFiles.count(s));
        } else {
            log.info("session {} opened for client {} on connection {}{}", s.id, s.client, channel.remoteAddress(),
                    r.resume() == 0 ? "" : " (session " + r.resume() + " it asked to resume is gone: expired, or"
                            + " forgotten by a restart)");
        }
        return answered(new SessionReply(s.id, (int) sessions.leaseMillis()));
    }

    private CompletionStage<Message> keepAlive(Channel channel, KeepAliveRequest r) {
        boolean known = sessions.knows(channel);
        Sessions.Binding<Channel> b = sessions.keepAlive(channel, r.session(), clock.millis());
        if (b != null) {
            adopt(b);
            if (!known) {
                watch(channel);
            }
            log.info("session {} of client {} resumed on connection {} by a keep-alive, with {} open handles",
                    b.session().id, b.session().client, channel.remoteAddress(), openFiles.count(b.session()));
        }
        return answered(new OkReply());
    }

    /** Moves the handles a connection opened without a session into the session it is now bound to. */
    private void adopt(Sessions.Binding<Channel> b) {
        if (b.replaced() != null) {
            openFiles.transfer(b.replaced(), b.session());
        }
    }

    /** Calls {@link #connectionClosed} when the connection closes; once per connection {@link Sessions} learns of. */
    private void watch(Channel channel) {
        channel.closeFuture().addListener(f -> connectionClosed(channel));
    }

    private void connectionClosed(Channel channel) {
        lock.writeLock().lock();
        try {
            Sessions.Session<Channel> s = sessions.closed(channel);
            if (s == null) {
                return;
            }
            if (!s.leased()) {
                List<OpenFiles.Handle<Sessions.Session<Channel>>> closed = openFiles.closeSession(s);
                closed.forEach(this::release);
                log.info("connection {} closed: released {} open handles", channel.remoteAddress(), closed.size());
            } else if (!s.expired && s.connection == null) {
                log.info("session {} of client {} lost its connection {}: its {} open handles stay until it resumes"
                                + " or its lease expires in {} ms", s.id, s.client, channel.remoteAddress(),
                        openFiles.count(s), Math.max(0, s.expiresAt - clock.millis()));
            }
        } finally {
            lock.writeLock().unlock();
        }
    }

    // ---------------------------------------------------------------- storage systems, leases, status

    private CompletionStage<Message> heartbeat(StorageHeartbeatRequest r) {
        storages.heartbeat(r, clock.millis()).ifPresent(t -> log.info(
                "storage system {} is up again: heartbeat after {} ms of silence", t.storage(), t.silentMillis()));
        return answered(new OkReply());
    }

    /**
     * Marks storage systems that stopped sending heartbeats down (moving their members' opens to
     * live members) and expires the sessions whose lease ran out (closing their handles). Run
     * periodically; tests call it after advancing the clock.
     */
    void check() {
        lock.writeLock().lock();
        try {
            long now = clock.millis();
            for (StorageSystems.Transition t : storages.check(now)) {
                int moved = moveOff(t.storage());
                log.warn("storage system {} is down: no heartbeat for {} ms (timeout {} ms); moved {} opens assigned"
                        + " to its volumes to live members", t.storage(), t.silentMillis(), storages.timeoutMillis(),
                        moved);
            }
            for (Sessions.Session<Channel> s : sessions.expire(now)) {
                List<OpenFiles.Handle<Sessions.Session<Channel>>> closed = openFiles.closeSession(s);
                closed.forEach(this::release);
                log.info("session {} of client {} expired (no keep-alive within its {} ms lease): closed its {} open"
                        + " handles", s.id, s.client, sessions.leaseMillis(), closed.size());
            }
        } finally {
            lock.writeLock().unlock();
        }
    }

    /**
     * Moves each open assigned to a member on {@code storage} to the least-used live member of its
     * pair (none moves when its pair has no live member). The client keeps reading from the member
     * it was given until it opens the file again.
     */
    private int moveOff(StorageId storage) {
        int moved = 0;
        for (OpenFiles.Handle<Sessions.Session<Channel>> h : openFiles.all()) {
            if (topology.pair(h.pair()).member(h.member()).storage().equals(storage)) {
                int to = usage.moveOff(h.pair(), h.member(), live(h.pair()));
                if (to >= 0) {
                    openFiles.reassign(h.id(), to);
                    moved++;
                }
            }
        }
        return moved;
    }

    private Message status() {
        long now = clock.millis();
        List<MemberStatus> members = new ArrayList<>();
        for (PairSpec pair : topology.sortedPairs()) {
            VolumeSpace master = namespace.space().space(pair.id());
            members.add(new MemberStatus(pair.id(), 0, usage.count(pair.id(), 0), 0, 0,
                    master.capacity() - master.freeBytes()));
            for (int m = 1; m <= pair.mirrors().size(); m++) {
                Optional<MirrorStatus> mirror = storages.mirror(pair.id(), m);
                members.add(new MemberStatus(pair.id(), m, usage.count(pair.id(), m),
                        mirror.map(MirrorStatus::invalidClusters).orElse(0L),
                        mirror.map(MirrorStatus::bytesPerSecond).orElse(0L), 0));
            }
        }
        List<SessionStatus> list = new ArrayList<>();
        for (Sessions.Session<Channel> s : sessions.live()) {
            list.add(new SessionStatus(s.id, s.client, openFiles.count(s), Math.max(0, s.expiresAt - now)));
        }
        return new StatusReply(storages.status(now), members, list);
    }

    /** Called under the write lock. */
    private void freeIfOrphanAndClosed(long inode) {
        if (!namespace.isOrphan(inode) || openFiles.isOpen(inode)) {
            return;
        }
        try {
            planner.freeOrphan(inode).ifPresent(op -> submitUnbounded(op).whenComplete((reply, error) -> {
                if (error != null) {
                    log.warn("could not free unlinked file {} (it will be freed at the next start): {}", inode,
                            error.getMessage());
                }
            }));
        } catch (CfsException e) {
            log.warn("could not free unlinked file {} (it will be freed at the next start): {}", inode, e.getMessage());
        }
    }

    // ---------------------------------------------------------------- the request path

    private CompletionStage<Message> read(Supplier<Message> query) {
        lock.readLock().lock();
        try {
            return CompletableFuture.completedFuture(query.get());
        } catch (CfsException e) {
            return CompletableFuture.failedFuture(e);
        } finally {
            lock.readLock().unlock();
        }
    }

    private CompletionStage<Message> write(Supplier<CompletionStage<Message>> action) {
        lock.writeLock().lock();
        try {
            return action.get();
        } catch (CfsException e) {
            return CompletableFuture.failedFuture(e);
        } finally {
            lock.writeLock().unlock();
        }
    }

    private static CompletionStage<Message> answered(Message reply) {
        return CompletableFuture.completedFuture(reply);
    }

    /** Queues a client's operation; called under the write lock. */
    private CompletionStage<Message> submit(Operation op, Function<Outcome, Message> reply) {
        Pending p = new Pending(op, reply, new CompletableFuture<>());
        try {
            journal.submit(p);
        } catch (CfsException e) {
            planner.settled(op);
            throw e;
        }
        return p.answer();
    }

    /** Queues the server's own operation; called under the write lock. */
    private CompletableFuture<Message> submitUnbounded(Operation op) {
        Pending p = new Pending(op, o -> new OkReply(), new CompletableFuture<>());
        try {
            journal.submitUnbounded(p);
        } catch (CfsException e) {
            planner.settled(op);
            throw e;
        }
        return p.answer();
    }

    /** Applies durable batches, in log order, and answers them. */
    private final class Applier implements GroupCommitLog.Listener<Pending> {
        @Override
        public void durable(List<Pending> batch) {
            List<Runnable> answers = new ArrayList<>(batch.size());
            CacheWatchers.Changes changes = new CacheWatchers.Changes();
            lock.writeLock().lock();
            try {
                for (Pending p : batch) {
                    touched(p.operation(), changes);
                    answers.add(apply(p));
                }
                // before the answers: a client learns of the change before it hears it is done
                watchers.publish(changes, inode -> namespace.exists(inode) ? namespace.attr(inode) : null);
            } finally {
                lock.writeLock().unlock();
            }
            answers.forEach(Runnable::run);
        }

        /** What {@code op} will change that clients may have cached; called before it is applied. */
        private void touched(Operation op, CacheWatchers.Changes changes) {
            if (op instanceof Operation.MakeDir o) {
                changes.inode(o.parent());
            } else if (op instanceof Operation.CreateFile o) {
                changes.inode(o.parent());
            } else if (op instanceof Operation.Symlink o) {
                changes.inode(o.parent());
            } else if (op instanceof Operation.MakeNode o) {
                changes.inode(o.parent());
            } else if (op instanceof Operation.Link o) {
                changes.inode(o.inode()).inode(o.newParent());
            } else if (op instanceof Operation.Remove o) {
                changes.entry(o.parent(), o.name()).inode(o.parent());
                namedInode(o.parent(), o.name()).ifPresent(changes::inode);
            } else if (op instanceof Operation.Rename o) {
                changes.entry(o.srcParent(), o.srcName()).entry(o.dstParent(), o.dstName())
                        .inode(o.srcParent()).inode(o.dstParent());
                namedInode(o.srcParent(), o.srcName()).ifPresent(changes::inode);
                namedInode(o.dstParent(), o.dstName()).ifPresent(changes::inode);
            } else if (op instanceof Operation.SetAttr o) {
                changes.inode(o.inode());
            } else if (op instanceof Operation.CommitWrite o) {
                changes.inode(o.inode());
            } else if (op instanceof Operation.FreeOrphan o) {
                changes.inode(o.inode());
            } // SetPair and Allocate change no attribute a client sees
        }

        private OptionalLong namedInode(long dir, String name) {
            try {
                return OptionalLong.of(namespace.lookup(dir, name).inode());
            } catch (CfsException e) { // the operation will fail as well
                return OptionalLong.empty();
            }
        }

        private Runnable apply(Pending p) {
            Operation op = p.operation();
            try {
                Outcome outcome = namespace.apply(op);
                if (outcome.orphaned() != 0) {
                    freeIfOrphanAndClosed(outcome.orphaned());
                }
                Message reply = p.reply().apply(outcome);
                return () -> p.answer().complete(reply);
            } catch (CfsException e) {
                return () -> p.answer().completeExceptionally(e);
            } catch (RuntimeException e) {
                log.error("applying {} failed", op, e);
                return () -> p.answer().completeExceptionally(new CfsException(ErrorCode.INTERNAL,
                        "applying " + op + " failed: " + e));
            } finally {
                planner.settled(op);
            }
        }

        @Override
        public void failed(List<Pending> batch, IOException cause) {
            lock.writeLock().lock();
            try {
                batch.forEach(p -> planner.settled(p.operation()));
            } finally {
                lock.writeLock().unlock();
            }
            CfsException error = new CfsException(ErrorCode.IO_ERROR, "the journal could not be written: "
                    + cause.getMessage());
            batch.forEach(p -> p.answer().completeExceptionally(error));
        }
    }

    /** Stops the periodic check, lets the journal write and apply what is queued, writes a snapshot and closes it. */
    @Override
    public void close() throws IOException {
        checker.shutdownNow();
        try {
            if (!checker.awaitTermination(10, TimeUnit.SECONDS)) {
                log.warn("the lease and heartbeat check did not stop within 10 s");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        journal.close();
    }
}
