package io.cfs.blockstore.sync;

import io.cfs.blockstore.mirror.ClusterStripes;
import io.cfs.blockstore.mirror.Futures;
import io.cfs.blockstore.mirror.MasterPair;
import io.cfs.blockstore.mirror.MasterPair.MirrorLink;
import io.cfs.blockstore.mirror.Peers;
import io.cfs.protocol.message.OkReply;
import io.cfs.protocol.message.ReplicaWriteRequest;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Sync Daemon (Fig 32-35): one thread per storage system that walks the set bits of every
 * mirror of every master held here and copies those clusters: a mirror on this storage system
 * directly, another with a {@link ReplicaWriteRequest} on the peer's connection (a few in flight
 * per mirror). A bit is cleared once the copy is written (local) or acknowledged (remote), and
 * only if no client write touched the cluster's stripe since the copy was read (see {@link
 * ClusterStripes}); otherwise it stays set and the cluster is copied again.
 *
 * <p>Writes wake it at once. It honours a {@link TokenBucket}, and while a mirror's storage system
 * fails it retries that mirror every {@code retry}, leaving the others running.
 */
public final class SyncDaemon implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(SyncDaemon.class);
    /** Copies in flight per remote mirror. */
    static final int WINDOW = 16;
    private static final long IDLE_NANOS = TimeUnit.SECONDS.toNanos(1);

    private final String name;
    private final Peers peers;
    private final TokenBucket bucket;
    private final Ticker ticker;
    private final long retryNanos;
    private final List<Link> links = new ArrayList<>();
    private final ConcurrentLinkedQueue<Done> done = new ConcurrentLinkedQueue<>();
    private final Wakeup wakeup = new Wakeup();
    private volatile boolean paused;
    private volatile boolean closed;
    private Thread thread;

    public SyncDaemon(String name, Peers peers, TokenBucket bucket, Ticker ticker, Duration retry) {
        this.name = name;
        this.peers = peers;
        this.bucket = bucket;
        this.ticker = ticker;
        this.retryNanos = retry.toNanos();
    }

    /** Adds the mirrors of a master pair; call before {@link #start()}. */
    public void register(MasterPair pair) {
        if (thread != null) {
            throw new IllegalStateException("register pairs before starting the Sync Daemon");
        }
        for (MirrorLink m : pair.mirrors()) {
            links.add(new Link(pair, m, new RateMeter(ticker)));
        }
    }

    public void start() {
        thread = new Thread(this::run, name);
        thread.setDaemon(true);
        thread.start();
    }

    /** Tells the daemon bits were set; it starts copying at once. */
    public void wake() {
        wakeup.wake();
    }

    /**
     * Pauses (true) or resumes (false) the copying, e.g. to keep the disks for the players at peak
     * hours. While paused, writes keep marking clusters; copies already sent complete.
     */
    public void setPaused(boolean paused) {
        this.paused = paused;
        wake();
    }

    /** The state of every mirror of every master held here. */
    public List<MirrorProgress> progress() {
        List<MirrorProgress> out = new ArrayList<>(links.size());
        for (Link l : links) {
            out.add(new MirrorProgress(l.pair.spec().id(), l.mirror.member(), l.mirror.address(),
                    l.mirror.row().cardinality(), l.bytesCopied.get(), l.meter.perSecond(), l.reachable,
                    l.reachable ? "" : l.problem));
        }
        return out;
    }

    private void run() {
        try {
            while (!closed) {
                drainDone();
                long now = ticker.nanoTime();
                long waitNanos = IDLE_NANOS;
                boolean busy = false;
                for (Link l : paused ? List.<Link>of() : links) {
                    if (now < l.retryAt) {
                        waitNanos = Math.min(waitNanos, l.retryAt - now);
                        continue;
                    }
                    if (l.inFlight.size() >= WINDOW) {
                        continue;
                    }
                    long delay = bucket.delayNanos();
                    if (delay > 0) {
                        waitNanos = Math.min(waitNanos, delay);
                        continue;
                    }
                    long cluster = l.next();
                    if (cluster >= 0) {
                        copy(l, cluster);
                        busy = true;
                    }
                }
                if (!busy) {
                    await(waitNanos);
                }
            }
        } catch (RuntimeException | Error e) {
            log.error("{} stopped unexpectedly; mirrors will not be resynced until restart", name, e);
        }
    }

    private void await(long nanos) {
        if (!wakeup.sleep(nanos, () -> closed || !done.isEmpty())) {
            closed = true;
        }
    }

    /** Copies one cluster if its bit is still set (skipped while a sync write of its stripe is in flight). */
    private void copy(Link l, long cluster) {
        MasterPair pair = l.pair;
        int length = pair.clusterLength(cluster);
        long offset = cluster * pair.clusterSize();
        try (ClusterStripes.Held held = pair.stripes().lock(cluster, 1)) {
            if (!l.mirror.row().get(cluster) || held.syncWriteInFlight(cluster)) {
                return;
            }
            long writes = held.writes(cluster);
            ByteBuf data = pair.master().read(PooledByteBufAllocator.DEFAULT, offset, length);
            bucket.consume(length);
            if (l.mirror.isLocal()) {
                try {
                    l.mirror.local().write(offset, data);
                } finally {
                    data.release();
                }
                l.mirror.row().clear(cluster, 1);
                l.copied(length);
                return;
            }
            l.inFlight.add(cluster);
            // Handed to the connection while the stripe is held: FIFO with the client writes' messages.
            peers.call(l.mirror.address().storage(), new ReplicaWriteRequest(l.mirror.address().volume(), offset, data),
                    OkReply.class).whenComplete((ok, error) -> {
                        done.add(new Done(l, cluster, writes, length, error));
                        wake();
                    });
        } catch (Exception e) {
            l.failed(e);
        }
    }

    private void drainDone() {
        for (Done d; (d = done.poll()) != null; ) {
            Link l = d.link;
            l.inFlight.remove(d.cluster);
            if (d.error != null) {
                l.failed(d.error);
                continue;
            }
            try (ClusterStripes.Held held = l.pair.stripes().lock(d.cluster, 1)) {
                if (held.writes(d.cluster) == d.writes) {
                    l.mirror.row().clear(d.cluster, 1);
                }
            }
            l.copied(d.bytes);
        }
    }

    @Override
    public void close() {
        closed = true;
        wake();
        if (thread != null) {
            try {
                thread.join(TimeUnit.SECONDS.toMillis(5));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private record Done(Link link, long cluster, long writes, int bytes, Throwable error) {}

    /** One mirror as the daemon walks it. Touched by the daemon thread, but for the volatile fields. */
    private final class Link {
        final MasterPair pair;
        final MirrorLink mirror;
        final RateMeter meter;
        final AtomicLong bytesCopied = new AtomicLong();
        final Set<Long> inFlight = new HashSet<>();
        long cursor;
        long retryAt = Long.MIN_VALUE;
        volatile boolean reachable = true;
        volatile String problem = "";

        Link(MasterPair pair, MirrorLink mirror, RateMeter meter) {
            this.pair = pair;
            this.mirror = mirror;
            this.meter = meter;
        }

        /** The next set bit from the cursor that is not being copied, or -1 at the end of a pass. */
        long next() {
            long c = mirror.row().nextSetBit(cursor);
            while (c >= 0 && inFlight.contains(c)) {
                c = mirror.row().nextSetBit(c + 1);
            }
            if (c < 0) {
                cursor = 0;
                return -1;
            }
            cursor = c + 1;
            return c;
        }

        void copied(int bytes) {
            bytesCopied.addAndGet(bytes);
            meter.add(bytes);
            if (!reachable) {
                reachable = true;
                log.info("{}: mirror {} of pair {} is back; resyncing its {} invalid clusters", name,
                        mirror.address(), pair.spec().id(), mirror.row().cardinality());
            }
        }

        void failed(Throwable error) {
            retryAt = ticker.nanoTime() + retryNanos;
            cursor = 0;
            problem = Futures.describe(error);
            if (reachable) {
                reachable = false;
                log.warn("{}: cannot copy to mirror {} of pair {} ({}); {} invalid clusters wait, retrying every {} ms",
                        name, mirror.address(), pair.spec().id(), problem, mirror.row().cardinality(),
                        TimeUnit.NANOSECONDS.toMillis(retryNanos));
            }
        }
    }
}
