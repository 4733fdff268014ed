package io.cfs.meta;

import io.cfs.meta.journal.GroupCommitLog;
import io.cfs.meta.journal.JournalFile;
import io.cfs.meta.namespace.Names;
import io.cfs.meta.namespace.Namespace;
import io.cfs.meta.namespace.Operation;
import io.cfs.meta.namespace.Outcome;
import io.cfs.meta.namespace.Planner;
import io.cfs.meta.usage.UsageTable;
import io.cfs.protocol.CfsException;
import io.cfs.protocol.ErrorCode;
import io.cfs.protocol.message.AllocateRequest;
import io.cfs.protocol.message.AttrReply;
import io.cfs.protocol.message.CloseRequest;
import io.cfs.protocol.message.CommitWriteRequest;
import io.cfs.protocol.message.CreateFileRequest;
import io.cfs.protocol.message.DataMessage;
import io.cfs.protocol.message.FileAttr;
import io.cfs.protocol.message.GetAttrRequest;
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
import io.cfs.protocol.rpc.RequestHandler;
import io.cfs.topology.PairId;
import io.cfs.topology.Topology;
import io.netty.channel.Channel;
import io.netty.util.ReferenceCountUtil;
import java.io.IOException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Function;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Serves the metadata requests. Reads (LOOKUP, GET_ATTR, READ_DIR, STAT_FS) are answered from
 * memory under the read lock. A mutation runs under the write lock: the {@link Planner} checks it
 * against the state and builds its {@link Operation}, which is queued on the {@link
 * GroupCommitLog}; once the journal has it on disk (one fsync shared by every operation queued
 * meanwhile), the writer thread applies the batch to the {@link Namespace} under the write lock, in
 * log order, and the replies go out. So the state in memory, and every answer, never runs ahead of
 * the disk. OPEN and CLOSE change only soft state (handles, the Usage Table) and are not journaled.
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
    private final Namespace namespace;
    private final Planner planner;
    private final UsageTable usage;
    private final OpenFiles<Channel> openFiles = new OpenFiles<>(ThreadLocalRandom.current().nextLong(1, 1L << 62));
    private final GroupCommitLog<Pending> journal;
    private final int blockSize;

    /** A mutation waiting for the journal: its operation, how to answer once applied, and the answer. */
    private record Pending(Operation operation, Function<Outcome, Message> reply, CompletableFuture<Message> answer)
            implements GroupCommitLog.Entry {}

    MetadataService(String id, Topology topology, Namespace namespace, JournalFile file, Clock clock) {
        this.namespace = namespace;
        this.planner = new Planner(namespace, clock);
        this.usage = new UsageTable(topology.pairs().values());
        this.blockSize = topology.blockSize();
        this.journal = new GroupCommitLog<>(id, file, JOURNAL_QUEUE_LIMIT, new Applier());
    }

    /** Starts the journal writer and frees the files a restart left unlinked while open; returns how many. */
    int start() {
        journal.start();
        List<CompletableFuture<Message>> frees = new ArrayList<>();
        lock.writeLock().lock();
        try {
            for (long inode : namespace.orphans()) {
                frees.add(submitUnbounded(planner.freeOrphan(inode)));
            }
        } finally {
            lock.writeLock().unlock();
        }
        CompletableFuture.allOf(frees.toArray(CompletableFuture[]::new)).join();
        return frees.size();
    }

    @Override
    public CompletionStage<Message> handle(Channel session, Message request) {
        if (request instanceof LookupRequest r) {
            return read(() -> {
                Names.check(r.name());
                return new AttrReply(namespace.lookup(r.parent(), r.name()));
            });
        } else if (request instanceof GetAttrRequest r) {
            return read(() -> new AttrReply(namespace.attr(r.inode())));
        } else if (request instanceof ReadDirRequest r) {
            return read(() -> readDir(r));
        } else if (request instanceof StatFsRequest) {
            return read(() -> new StatFsReply(namespace.space().capacityBytes(), namespace.space().freeBytes(),
                    namespace.inodeCount(), blockSize));
        } else if (request instanceof MakeDirRequest r) {
            return write(() -> submit(planner.makeDir(r.parent(), r.name(), r.mode(), r.uid(), r.gid()), this::attrReply));
        } else if (request instanceof CreateFileRequest r) {
            return write(() -> planner.createFile(r.parent(), r.name(), r.mode(), r.uid(), r.gid(), r.exclusive())
                    .map(op -> submit(op, this::attrReply))
                    .orElseGet(() -> answered(new AttrReply(namespace.lookup(r.parent(), r.name())))));
        } else if (request instanceof RemoveRequest r) {
            return write(() -> submit(planner.remove(r.parent(), r.name(), r.directory()), o -> new OkReply()));
        } else if (request instanceof RenameRequest r) {
            return write(() -> planner.rename(r.srcParent(), r.srcName(), r.dstParent(), r.dstName())
                    .map(op -> submit(op, o -> new OkReply()))
                    .orElseGet(() -> answered(new OkReply())));
        } else if (request instanceof SetAttrRequest r) {
            return write(() -> planner.setAttr(r.inode(), r.valid(), r.mode(), r.uid(), r.gid(), r.size(), r.atime(),
                            r.mtime())
                    .map(op -> submit(op, this::attrReply))
                    .orElseGet(() -> answered(new AttrReply(namespace.attr(r.inode())))));
        } else if (request instanceof OpenRequest r) {
            return write(() -> open(session, r));
        } else if (request instanceof AllocateRequest r) {
            return write(() -> {
                long inode = writable(session, r.handle()).inode();
                return planner.allocate(inode, r.offset(), r.length())
                        .map(op -> submit(op, o -> new LayoutReply(namespace.extents(o.inode()))))
                        .orElseGet(() -> answered(new LayoutReply(namespace.extents(inode))));
            });
        } else if (request instanceof CommitWriteRequest r) {
            return write(() -> submit(planner.commitWrite(writable(session, r.handle()).inode(), r.size(), r.mtime()),
                    this::attrReply));
        } else if (request instanceof CloseRequest r) {
            return write(() -> {
                release(openFiles.close(session, r.handle()));
                return answered(new OkReply());
            });
        }
        ReferenceCountUtil.release(request instanceof DataMessage d ? d.data() : null);
        return CompletableFuture.failedFuture(new CfsException(ErrorCode.UNSUPPORTED, request.opcode()
                + " is not a metadata server request: expected one of LOOKUP, GET_ATTR, READ_DIR, MAKE_DIR,"
                + " CREATE_FILE, REMOVE, RENAME, SET_ATTR, STAT_FS, OPEN, ALLOCATE, COMMIT_WRITE, CLOSE"));
    }

    private Message readDir(ReadDirRequest r) {
        if (r.limit() < 1) {
            throw new CfsException(ErrorCode.INVALID_ARGUMENT, "read_dir limit " + r.limit() + " for directory "
                    + r.inode() + ": expected at least 1");
        }
        Namespace.DirPage page = namespace.readDir(r.inode(), r.after(), Math.min(r.limit(), MAX_READ_DIR));
        return new ReadDirReply(page.entries(), page.more());
    }

    private Message attrReply(Outcome outcome) {
        return new AttrReply(namespace.attr(outcome.inode()));
    }

    private CompletionStage<Message> open(Channel session, OpenRequest r) {
        FileAttr attr = namespace.openable(r.inode());
        openFiles.checkRoom(session);
        PairId pair = namespace.pairOf(r.inode());
        int member = usage.acquire(pair);
        boolean newSession = !openFiles.knows(session);
        OpenFiles.Handle<Channel> h = openFiles.open(session, r.inode(), pair, member, r.write());
        if (newSession) {
            session.closeFuture().addListener(f -> sessionClosed(session));
        }
        return answered(new OpenReply(h.id(), attr, pair, member, namespace.extents(r.inode())));
    }

    private OpenFiles.Handle<Channel> writable(Channel session, long handle) {
        OpenFiles.Handle<Channel> h = openFiles.get(session, handle);
        if (!h.write()) {
            throw new CfsException(ErrorCode.PERMISSION_DENIED, "handle " + handle + " of file " + h.inode()
                    + " was opened read-only: expected a handle opened for writing");
        }
        return h;
    }

    /** Gives back a closed handle's Usage Table count; frees its file if that was the last hold on an orphan. */
    private void release(OpenFiles.Handle<Channel> h) {
        usage.release(h.pair(), h.member());
        freeIfOrphanAndClosed(h.inode());
    }

    private void sessionClosed(Channel session) {
        List<OpenFiles.Handle<Channel>> closed;
        lock.writeLock().lock();
        try {
            closed = openFiles.closeSession(session);
            closed.forEach(this::release);
        } finally {
            lock.writeLock().unlock();
        }
        log.info("session {} closed: released {} open handles", session.remoteAddress(), closed.size());
    }

    /** Called under the write lock. */
    private void freeIfOrphanAndClosed(long inode) {
        if (!namespace.isOrphan(inode) || openFiles.isOpen(inode)) {
            return;
        }
        try {
            submitUnbounded(planner.freeOrphan(inode)).whenComplete((reply, error) -> {
                if (error != null) {
                    log.warn("could not free unlinked file {} (it will be freed at the next start): {}", inode,
                            error.getMessage());
                }
            });
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
        journal.submitUnbounded(p);
        return p.answer();
    }

    /** Applies durable batches, in log order, and answers them. */
    private final class Applier implements GroupCommitLog.Listener<Pending> {
        @Override
        public void durable(List<Pending> batch) {
            List<Runnable> answers = new ArrayList<>(batch.size());
            lock.writeLock().lock();
            try {
                for (Pending p : batch) {
                    answers.add(apply(p));
                }
            } finally {
                lock.writeLock().unlock();
            }
            answers.forEach(Runnable::run);
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

    @Override
    public void close() throws IOException {
        journal.close();
    }
}
