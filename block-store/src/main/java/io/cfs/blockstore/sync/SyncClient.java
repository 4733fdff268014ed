package io.cfs.blockstore.sync;

import io.cfs.blockstore.mirror.Futures;
import io.cfs.blockstore.mirror.HeldLease;
import io.cfs.blockstore.mirror.MasterFetcher;
import io.cfs.blockstore.mirror.MirrorReplica;
import io.cfs.blockstore.mirror.Peers;
import io.cfs.protocol.CfsException;
import io.cfs.protocol.ErrorCode;
import io.cfs.protocol.message.DataReply;
import io.cfs.protocol.message.LeaseReply;
import io.cfs.protocol.message.MirrorBitmapRequest;
import io.cfs.protocol.message.ReadDataRequest;
import io.cfs.protocol.message.RenewLeaseRequest;
import io.cfs.topology.PairId;
import io.cfs.topology.StorageId;
import io.cfs.topology.VolumeAddress;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Sync Client (Fig 30, 36): how a storage system holding mirrors reaches their masters on
 * other storage systems. It fetches master bytes for Check Invalid, and runs one background thread
 * that, for each such mirror:
 *
 * <ul>
 *   <li>confirms its stale map at startup: fetches the master's Bitmap Table row (MIRROR_BITMAP)
 *       and or-s it in, retrying every {@code retry} until the master answers. A mirror whose
 *       volume was created empty asks as fresh: the master marks every cluster ever written on it
 *       in the row, the row becomes the stale map, and the master's Sync Daemon pushes them (see
 *       {@link MirrorReplica});
 *   <li>pulls, cluster by cluster, the clusters stale here that the master's row does not mark
 *       (a bit a race between a copy and a confirmation left set, or one the master lost):
 *       rate-limited by the same {@link TokenBucket} as the Sync Daemon;
 *   <li>when clusters stay stale with no replica write or invalidation for {@code quiet},
 *       reconciles again (fetch, or, pull), so that a bit left set by a race is cleared; while
 *       such checks find nothing to pull (the master is still pushing), they back off to once a
 *       minute;
 *   <li>renews its read lease ({@link HeldLease}) every third of {@code lease} while its stale map
 *       is current; when the master withholds it (it could not tell the mirror of stale clusters),
 *       fetches the row again at once, then renews. When a renewal fails while the lease is
 *       still valid, probes whether the master's storage system refuses connections (its process
 *       is not running): if so the lease runs on (see {@link HeldLease#masterAbsent}).
 * </ul>
 */
public final class SyncClient implements MasterFetcher, AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(SyncClient.class);
    /** Pulls in flight per mirror. */
    private static final int WINDOW = 8;
    private static final long IDLE_NANOS = TimeUnit.SECONDS.toNanos(1);
    private static final long MAX_INTERVAL_NANOS = TimeUnit.MINUTES.toNanos(1);

    private final String name;
    private final Peers peers;
    private final TokenBucket bucket;
    private final Ticker ticker;
    private final long retryNanos;
    private final long quietNanos;
    private final long renewNanos;
    private final List<Replica> replicas = new ArrayList<>();
    private final ExecutorService probes;
    private final ConcurrentLinkedQueue<Runnable> events = new ConcurrentLinkedQueue<>();
    private final Wakeup wakeup = new Wakeup();
    private volatile boolean closed;
    private Thread thread;

    public SyncClient(String name, Peers peers, TokenBucket bucket, Ticker ticker, Duration retry, Duration quiet,
                      Duration lease) {
        this.name = name;
        this.peers = peers;
        this.bucket = bucket;
        this.ticker = ticker;
        this.retryNanos = retry.toNanos();
        this.quietNanos = quiet.toNanos();
        this.renewNanos = lease.toNanos() / 3;
        this.probes = Executors.newSingleThreadExecutor(new DefaultThreadFactory(name + "-probe", true));
    }

    @Override
    public CompletableFuture<ByteBuf> read(VolumeAddress master, long offset, int length) {
        return peers.call(master.storage(), new ReadDataRequest(master.volume(), offset, length), DataReply.class)
                .thenApply(reply -> {
                    ByteBuf data = reply.data();
                    if (data.readableBytes() != length) {
                        data.release();
                        throw new CfsException(ErrorCode.IO_ERROR, "master " + master + " answered "
                                + data.readableBytes() + " bytes to a read of " + length + " at offset " + offset);
                    }
                    return data;
                });
    }

    @Override
    public CompletableFuture<BitSet> mirrorBitmap(StorageId masterStorage, PairId pair, int member, boolean fresh) {
        return peers.call(masterStorage, new MirrorBitmapRequest(pair, member, fresh), DataReply.class).thenApply(reply -> {
            try {
                return BitSet.valueOf(ByteBufUtil.getBytes(reply.data()));
            } finally {
                reply.data().release();
            }
        });
    }

    /** Adds a mirror to confirm and keep valid; call before {@link #start()}. */
    public void register(MirrorReplica replica) {
        if (thread != null) {
            throw new IllegalStateException("register mirrors before starting the Sync Client");
        }
        Replica r = new Replica(replica);
        r.interval = quietNanos;
        replicas.add(r);
    }

    public void start() {
        thread = new Thread(this::run, name);
        thread.setDaemon(true);
        thread.start();
    }

    public List<ReplicaProgress> progress() {
        List<ReplicaProgress> out = new ArrayList<>(replicas.size());
        for (Replica s : replicas) {
            out.add(new ReplicaProgress(s.mirror.address(), s.mirror.pair().master(), s.mirror.confirmed(),
                    s.mirror.invalidClusters(), s.bytesPulled.get(), s.mirror.lease().valid()));
        }
        return out;
    }

    private void wake() {
        wakeup.wake();
    }

    private void post(Runnable event) {
        events.add(event);
        wake();
    }

    private void run() {
        try {
            while (!closed) {
                for (Runnable e; (e = events.poll()) != null; ) {
                    e.run();
                }
                long now = ticker.nanoTime();
                long waitNanos = IDLE_NANOS;
                boolean busy = false;
                for (Replica s : replicas) {
                    if (s.reconciling) {
                        continue;
                    }
                    HeldLease lease = s.mirror.lease();
                    if (lease.mayRenew()) {
                        if (s.nextRenewal <= now) {
                            renew(s, now);
                        } else {
                            waitNanos = Math.min(waitNanos, s.nextRenewal - now);
                        }
                    }
                    if (s.pulls != null) {
                        long delay = s.inFlight < WINDOW ? bucket.delayNanos() : 0;
                        if (delay > 0) {
                            waitNanos = Math.min(waitNanos, delay);
                        } else if (s.inFlight < WINDOW) {
                            busy |= pullNext(s);
                        }
                        continue;
                    }
                    long due = !s.mirror.confirmed() || !lease.rowCurrent() ? s.nextAttempt
                            : s.inFlight == 0 && s.mirror.staleClusters() > 0
                            ? Math.max(Math.max(s.mirror.lastChangeNanos() + quietNanos, s.lastReconcile + s.interval),
                                    s.nextAttempt)
                            : Long.MAX_VALUE;
                    if (s.mirror.confirmed() && s.mirror.staleClusters() == 0) {
                        s.interval = quietNanos;
                    }
                    if (due <= now) {
                        reconcile(s, now);
                    } else if (due != Long.MAX_VALUE) {
                        waitNanos = Math.min(waitNanos, due - now);
                    }
                }
                if (!busy) {
                    await(waitNanos);
                }
            }
        } catch (RuntimeException | Error e) {
            log.error("{} stopped unexpectedly; mirrors will not be confirmed or pulled until restart", name, e);
        }
    }

    private void await(long nanos) {
        if (!wakeup.sleep(nanos, () -> closed || !events.isEmpty())) {
            closed = true;
        }
    }

    private void reconcile(Replica s, long now) {
        MirrorReplica m = s.mirror;
        s.reconciling = true;
        s.lastReconcile = now;
        boolean first = !m.confirmed();
        boolean[] askedFresh = new boolean[1];
        m.beginConfirm()
                .thenCompose(fresh -> {
                    askedFresh[0] = fresh;
                    return mirrorBitmap(m.pair().master().storage(), m.pair().id(), m.member(), fresh);
                })
                .thenCompose(m::applyMasterRow)
                .whenComplete((orphans, error) -> post(() -> {
                    s.reconciling = false;
                    if (error != null) {
                        s.nextAttempt = ticker.nanoTime() + retryNanos;
                        if (first && !s.warned) {
                            s.warned = true;
                            log.warn("{}: {} stays unconfirmed (served from the master) until its master answers: {}; "
                                    + "retrying every {} ms", name, m, Futures.describe(error),
                                    TimeUnit.NANOSECONDS.toMillis(retryNanos));
                        }
                        return;
                    }
                    if (askedFresh[0]) {
                        log.info("{}: {} was created empty; its master marked the clusters ever written on it: "
                                + "{} clusters stale here, for the master to push", name, m, m.staleClusters());
                    } else if (first) {
                        log.info("{}: {} confirmed by its master: {} clusters stale here, {} of them to pull", name,
                                m, m.staleClusters(), orphans.cardinality());
                    } else if (!orphans.isEmpty()) {
                        log.info("{}: {} has {} stale clusters its master does not mark: pulling them", name, m,
                                orphans.cardinality());
                    }
                    if (orphans.isEmpty()) {
                        // The master will push what is left: check again less and less often.
                        s.interval = Math.min(s.interval * 2, MAX_INTERVAL_NANOS);
                    } else {
                        s.interval = quietNanos;
                        s.pulls = orphans;
                        s.cursor = 0;
                    }
                }));
    }

    /** Sends a lease renewal; the lease counts from now, before the request leaves. */
    private void renew(Replica s, long now) {
        MirrorReplica m = s.mirror;
        s.nextRenewal = now + renewNanos;
        long sent = m.lease().renewalSent();
        peers.call(m.pair().master().storage(), new RenewLeaseRequest(m.pair().id(), m.member()), LeaseReply.class)
                .whenComplete((reply, error) -> {
                    if (error != null) {
                        m.lease().failed();
                        probeMaster(s);
                    } else if (reply.granted()) {
                        m.lease().granted(sent, TimeUnit.MILLISECONDS.toNanos(reply.millis()));
                    } else {
                        m.lease().withheld();
                    }
                    post(() -> {
                        if (error != null) {
                            if (!s.leaseWarned) {
                                s.leaseWarned = true;
                                log.warn("{}: {} could not renew its read lease: {}; without it, it serves no cluster "
                                        + "itself (logged once until renewed)", name, m, Futures.describe(error));
                            }
                        } else if (reply.granted()) {
                            s.absentLogged = false;
                            if (s.leaseWarned) {
                                s.leaseWarned = false;
                                log.info("{}: {} holds its read lease again", name, m);
                            }
                        } else {
                            log.info("{}: {}: its master withholds the read lease (it could not tell this mirror "
                                    + "of a write, or it restarted): fetching its Bitmap Table row again", name, m);
                            s.nextAttempt = ticker.nanoTime();
                        }
                    });
                });
    }

    /**
     * After a failed renewal, while the lease is still valid: whether the master's storage system
     * refuses connections (not running), in which case the lease runs on from the probe.
     */
    private void probeMaster(Replica s) {
        MirrorReplica m = s.mirror;
        if (!m.lease().valid()) {
            return;
        }
        try {
            probes.execute(() -> {
                long sent = m.lease().probeSent();
                boolean absent = peers.refusesConnections(m.pair().master().storage(),
                        (int) Math.max(1, TimeUnit.NANOSECONDS.toMillis(renewNanos)))
                        && m.lease().masterAbsent(sent);
                if (absent) {
                    post(() -> {
                        if (!s.absentLogged) {
                            s.absentLogged = true;
                            log.warn("{}: {}: its master's storage system refuses connections (not running): no "
                                    + "write can be acknowledged without this mirror, which keeps serving under its "
                                    + "lease (logged once until renewed)", name, m);
                        }
                    });
                }
            });
        } catch (RejectedExecutionException e) {
            // closing
        }
    }

    /** Starts the pull of the next orphan cluster; false when there is none left. */
    private boolean pullNext(Replica s) {
        int c = s.pulls.nextSetBit(s.cursor);
        if (c < 0) {
            s.pulls = null;
            return false;
        }
        s.cursor = c + 1;
        s.inFlight++;
        MirrorReplica m = s.mirror;
        int length = m.clusterLength(c);
        m.pullStart(c).thenCompose(generation -> {
            if (generation < 0) {
                return CompletableFuture.completedFuture(false);
            }
            bucket.consume(length);
            return read(m.pair().master(), (long) c * m.clusterSize(), length)
                    .thenCompose(data -> m.pullApply(c, generation, data));
        }).whenComplete((stored, error) -> post(() -> {
            s.inFlight--;
            if (error != null) {
                s.pulls = null;
                s.nextAttempt = ticker.nanoTime() + retryNanos;
                log.warn("{}: pulling cluster {} of {} failed: {}; retrying later", name, c, m, Futures.describe(error));
            } else if (stored) {
                s.bytesPulled.addAndGet(length);
            }
        }));
        return true;
    }

    @Override
    public void close() {
        closed = true;
        probes.shutdownNow();
        wake();
        if (thread != null) {
            try {
                thread.join(TimeUnit.SECONDS.toMillis(5));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** One mirror as the Sync Client tends it; touched by its thread only (via {@link #post}). */
    private static final class Replica {
        final MirrorReplica mirror;
        final AtomicLong bytesPulled = new AtomicLong();
        boolean reconciling;
        long lastReconcile = Long.MIN_VALUE / 2;
        long nextAttempt = Long.MIN_VALUE / 2;
        long interval;
        BitSet pulls;
        int cursor;
        int inFlight;
        boolean warned;
        boolean leaseWarned;
        boolean absentLogged;
        long nextRenewal = Long.MIN_VALUE / 2;

        Replica(MirrorReplica mirror) {
            this.mirror = mirror;
        }
    }
}
